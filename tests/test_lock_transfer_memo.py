"""The lock transfer's memo (one computation per node and facts) changes no result.

An observer turns the memo off (it must see every call), so the same analysis run with a no-op
observer is the unmemoised reference: every exit (where, what is held, with its witnesses) and every
event (kind, line, the other line a message quotes) must be the same, on every function of every
lock-balance fixture.  Equal facts reached through different acquires once made a message quote the
other path's line; the witnesses in the memo's key are what keeps them apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reviewkit.engine.scan import file_view
from reviewkit.facts import Facts
from reviewkit.kernel import builtin_model
from reviewkit.locks.analysis import analyse
from reviewkit.locks.model import LockModel, LockResult

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "lock-balance").glob("*.c"))


def _shape(res: LockResult) -> tuple[Any, ...]:
    exits = sorted(
        (
            ex.via.id,
            sorted((h.key, h.count, h.stale, h.entry, h.line, h.call, h.src, h.stored) for h in ex.state.facts.held),
        )
        for ex in res.exits
    )
    events = [(e.kind, e.line, e.key, e.other_line, e.detail, e.src) for e in res.events]
    return res.complete, exits, events


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_the_memo_gives_what_every_call_computed_gives(path: Path) -> None:
    view = file_view(path, path.read_text(), path.name)
    kernel = builtin_model()
    model = kernel.view(LockModel.from_kernel)
    checked = 0
    for fv in view.functions("post"):
        if fv.function is None:
            continue
        memoised = analyse(fv, kernel, model, {}, facts=Facts(lambda: kernel))
        every = analyse(fv, kernel, model, {}, observe=lambda *_: None, facts=Facts(lambda: kernel))
        assert _shape(memoised) == _shape(every), fv.name
        checked += 1
    assert checked, f"{path.name}: no function"
