"""A finding's fix in the diff view: previewed on the finding's line, applied after ``y``, back after ``u``.

Driven through Pilot on the synthetic series (tests/tui_helpers.py): patch 2/3
carries an unsafe fix replacing line 79, patch 1/3 a safe fix deleting the blank
line 53.  What is asserted is both the rows the diff view holds and the text it
draws on screen.
"""

from __future__ import annotations

from typing import Any

import pytest
from reviewkit.tui.diffmodel import Row, build_rows
from reviewkit.tui.fix_preview import with_fixes
from tui_helpers import SIZE, make_app, pilot_test, settle

from reviewkit.model import Applicability, Edit, Finding, Fix, Severity

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DEMO = "\tspin_unlock(&cache->lock); /* demo */"


def _screen(app: Any) -> list[str]:
    """The diff view's lines as drawn (what the maintainer sees)."""
    return [app.diff.render_line(y).text for y in range(app.diff.size.height)]


def _fix_rows(app: Any) -> list[Row]:
    return [r for r in app.diff.rows if r.fix]


def _line(app: Any, new: int) -> Row | None:
    return next((r for r in app.diff.rows if r.is_code and r.kind != "del" and r.new == new), None)


@pilot_test
async def test_the_fix_is_previewed_on_its_line_and_applied_after_accepting() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert not _fix_rows(app), "no preview before the cursor reaches a finding"
        await pilot.press("full_stop")
        await pilot.pause()
        row = app.diff.current
        assert row is not None and (row.new, row.findings[0].rule) == (73, "demo-lock")
        # before: line 79 struck out, the fix's line under it, on screen
        old = _line(app, 79)
        assert old is not None and old.fix == "drop" and old.text == "\tspin_unlock(&cache->lock);"
        after_old = app.diff.rows[app.diff.rows.index(old) + 1]
        assert (after_old.kind, after_old.fix, after_old.text) == ("fix", "add", DEMO)
        screen = _screen(app)
        assert any("✗" in s and "spin_unlock(&cache->lock);" in s and "demo" not in s for s in screen)
        assert any(s.lstrip().startswith("fix") and DEMO.strip() in s for s in screen)
        # walking down to the fix's lines keeps the preview (and the finding selected)
        for _ in range(7):
            await pilot.press("j")
        await pilot.pause()
        assert app.diff.current is not None and app.diff.current.fix in ("drop", "add")
        assert app.table.current is not None and app.table.current.rule == "demo-lock"
        await pilot.press("j", "j")  # past the fix, onto line 80
        await pilot.pause()
        assert app.diff.current is not None and app.diff.current.new == 80
        # the unsafe fix asks first: the preview stays, nothing is applied yet
        await pilot.press("y")
        await pilot.pause()
        assert app.session is not None and not app.session.accepted
        assert _line(app, 79) is not None
        await pilot.press("y")
        await pilot.pause()
        # after: the old line is gone, the fix's line is the code, the finding says it is fixed
        assert app.session.accepted
        assert app.diff.current is not None and app.diff.current.new == 80, "the reader stays on line 80"
        assert _line(app, 79) is None
        done = [r for r in app.diff.rows if r.fix == "done"]
        assert [(r.kind, r.text) for r in done if r.kind == "fix"] == [("fix", DEMO)]
        assert any(r.kind == "finding" for r in done)
        screen = _screen(app)
        assert any("fixed" in s and DEMO.strip() in s for s in screen)
        assert any("✓ fix accepted: error [demo-lock]" in s for s in screen)
        assert not any("spin_unlock(&cache->lock);" in s and "demo" not in s for s in screen)
        # undo: the preview again
        await pilot.press("u")
        await pilot.pause()
        old = _line(app, 79)
        assert not app.session.accepted and old is not None and old.fix == "drop"


@pilot_test
async def test_a_fix_that_only_deletes_says_so_before_and_after() -> None:
    """Patch 1/3: the fix drops the blank line 53; a struck-out blank line alone would show nothing."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("full_stop")
        await pilot.pause()
        blank = _line(app, 53)
        assert blank is not None and blank.text == "" and blank.fix == "drop"
        assert any("(the fix removes 1 line)" in s for s in _screen(app))
        await pilot.press("y")
        await pilot.pause()
        assert app.session is not None and len(app.session.accepted) == 1
        assert _line(app, 53) is None
        assert any("fixed" in s and "(1 line removed)" in s for s in _screen(app))
        current = app.diff.current
        assert current is not None and current.findings and current.findings[0].line == 53


def test_a_fix_on_lines_the_diff_does_not_show_is_a_block_under_its_note() -> None:
    """An edit outside the patch's hunks has no row to strike: its resulting code goes under the finding."""
    patch = make_app().series.patches[1]
    fix = Fix(
        "Initialise the count",
        (
            Edit(
                "mm/frob.c", 5, 6, ("static int frob_count = 0;",), ("static int frob_count;",), ("a", "b"), ("c", "d")
            ),
        ),
        Applicability.SAFE,
    )
    finding = Finding("demo", Severity.WARNING, "m", "mm/frob.c", 73, patch=1, fix=fix)
    rows = build_rows(patch, [finding])
    shown = with_fixes(rows, [], finding)
    note = next(i for i, r in enumerate(shown) if r.kind == "finding")
    block = shown[note + 1 : note + 7]
    assert [(r.fix, r.text) for r in block] == [
        ("note", "Initialise the count: the code after the fix"),
        ("keep", "a"),
        ("keep", "b"),
        ("add", "static int frob_count = 0;"),
        ("keep", "c"),
        ("keep", "d"),
    ]
    assert not any(r.fix for r in rows), "the cached rows are never changed"
    accepted = with_fixes(rows, [finding], None)
    assert [r.fix for r in accepted if r.fix] == ["done", "note", "keep", "keep", "done", "keep", "keep"]


@pilot_test
async def test_at_80x24_the_fix_is_scrolled_into_sight_with_its_finding() -> None:
    """The fix of patch 2/3 is six lines below its finding: the diff scrolls so both are on screen."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n", "full_stop")
        await pilot.pause()
        screen = _screen(app)
        assert any("spin_lock(&cache->lock);" in s and "▶" in s for s in screen), "the cursor's line"
        assert any(s.lstrip().startswith("fix") and DEMO.strip() in s for s in screen), "the fix's line"
