"""The collector's full passes while the maintainer reads, not on the key they press.

After the session's long-lived objects are frozen (``gc.freeze()`` in the app), each key still
allocates: rows, strips, renderables.  CPython's automatic full collection then lands on whichever
key crosses its threshold and costs 30-50 ms of that key's frame at 220x60.  Here the automatic
full pass is held off and run instead once input has been quiet for :data:`IDLE_S`; a burst of
keys that never pauses still gets one after :data:`MAX_PENDING` young passes, so memory stays
bounded whatever the user does.
"""

from __future__ import annotations

import gc
import time
from typing import Any

IDLE_S = 1.0
"""Seconds without input after which a full pass runs (a reader's pause, not a key repeat's gap)."""
MAX_PENDING = 400
"""Middle-generation passes since the last full one after which it runs even during input."""
_NEVER = 1_000_000
"""A full-pass threshold CPython never reaches on its own while :class:`IdleCollector` runs."""


class IdleCollector:
    """Moves the automatic full passes of the collector to idle moments; :meth:`stop` restores them."""

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._last_input = time.monotonic()

    def start(self, app: Any) -> None:
        """Take over the full passes, checking every :data:`IDLE_S` on ``app``'s timer."""
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        young, middle, _full = self._saved
        gc.set_threshold(young, middle, _NEVER)
        app.set_interval(IDLE_S, self.tick)

    def touch(self) -> None:
        """Input arrived: the next full pass waits for the next pause."""
        self._last_input = time.monotonic()

    def tick(self) -> None:
        """Run the full pass now if input has paused (or too many passes are pending)."""
        if self._saved is None:
            return
        pending = gc.get_count()[2]
        quiet = time.monotonic() - self._last_input >= IDLE_S
        if pending and (quiet or pending >= MAX_PENDING):
            gc.collect()

    def stop(self) -> None:
        """The collector's own thresholds again (the process may go on after the session)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
