"""Snapshots of the main screens at 160x48, and the layout at 80x24 and 220x60 (pytest-textual-snapshot).

Regenerate with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and
review the SVGs in tests/__snapshots__/ before committing them.  The check is
made of hand-written findings (tests/tui_helpers.py), so rules do not change them.
"""

from __future__ import annotations

from typing import Any

import pytest
from tui_helpers import SIZE, fixed_review, settle
from tui_helpers import make_app as _make_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def make_app(**opts: Any) -> Any:
    return _make_app(review_fn=fixed_review, **opts)


def _after(*keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_main_screen_on_a_finding(snap_compare: Any) -> None:
    """Patch 2/3: the error marked in the gutter, inline, in the table and its fix."""
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_after("n", "full_stop"))


def test_accepted_fix(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_after("full_stop", "y", "y"))


def test_explain_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_after("n", "full_stop", "i"))


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_after("question_mark"))


def test_dismiss_dialog(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await _after("full_stop", "z")(pilot)
        # the reason box's cursor blinks: on a loaded machine the snapshot could catch either phase
        from textual.widgets import Input

        box = pilot.app.screen.query_one(Input)
        box.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_reply_screen(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reply = pytest.importorskip("reviewkit.report.mailreply")
    monkeypatch.setattr(reply, "git_identity", lambda: "Rev Iewer <rev@example.org>")
    app = make_app(reply_out="reply.eml")
    assert snap_compare(app, terminal_size=SIZE, run_before=_after("n", "r"))


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (220, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_layout_at_terminal_sizes(snap_compare: Any, size: tuple[int, int]) -> None:
    """Panes sized to the terminal; the footer keeps ? help and q quit at 80x24."""
    assert snap_compare(make_app(), terminal_size=size, run_before=_after("n", "full_stop"))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_cover_letter_first(snap_compare: Any, size: tuple[int, int]) -> None:
    async def on_cover(pilot: Any) -> None:
        await settle(pilot, on_cover=True)

    assert snap_compare(make_app(), terminal_size=size, run_before=on_cover)
