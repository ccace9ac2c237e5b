"""A wall-clock budget for one piece of analysis (SIGALRM; main thread of a process only).

``check`` gives each rule one budget for the whole series and ``scan`` one
per file: a pathological input (a 225 KB lock-heavy file, a huge switch)
then costs a note saying what was skipped, never an unbounded wait.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


class BudgetExceeded(Exception):
    """The block ran past its budget."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise BudgetExceeded


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`BudgetExceeded` in this block after ``seconds`` (0: no budget).

    Without SIGALRM, or off the main thread (the TUI's worker), the block
    runs unbounded: a budget is a safety net, never a correctness condition.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
