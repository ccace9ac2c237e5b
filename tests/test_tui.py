"""The review session, driven through Textual's Pilot at a fixed terminal size.

The synthetic series (tests/data/tui/frob-v2.mbox) is checked with the real
pipeline restricted to whitespace-noise plus one synthetic error with a fix,
so these tests do not change when new rules land; the seed thread tests use
whatever rules exist and only assert what the seed review is known to hold.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from reviewkit.tui.app import Options, ReviewApp
from reviewkit.tui.diffmodel import build_rows, find_row
from reviewkit.tui.dismiss_screen import DismissScreen
from reviewkit.tui.explain_screen import ExplainScreen, explain_markdown
from reviewkit.tui.help_screen import HelpScreen
from reviewkit.tui.highlight import CAPTURE_STYLES, highlight_lines
from reviewkit.tui.reply_screen import ReplyScreen
from textual.widgets import Input, TextArea
from tui_helpers import FROB, SIZE, frob_review, make_app, pilot_test, settle

from reviewkit.cli import main
from reviewkit.config import Config
from reviewkit.model import Finding, Severity

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# --------------------------------------------------------------------------
# Start-up


def test_bad_input_exits_2_with_the_check_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes, no patch here\n")
    assert main(["check", str(bad)]) == 2
    check_err = capsys.readouterr().err
    assert main(["tui", str(bad)]) == 2
    assert capsys.readouterr().err == check_err
    assert check_err.startswith("reviewkit: error: ") and check_err.count("\n") == 1


def test_bad_tree_and_missing_file_fail_before_the_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tui", str(tmp_path / "missing.mbox")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["tui", str(FROB), "--tree", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"reviewkit: error: --tree {tmp_path / 'nope'}: not a directory\n"


def test_check_does_not_import_textual() -> None:
    code = (
        "import sys; from reviewkit.cli import main; "
        f"main(['check', '-q', {str(FROB)!r}]); "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip().endswith("False"), out.stdout + out.stderr


# --------------------------------------------------------------------------
# Pure pieces: rows and highlighting


def test_rows_carry_post_image_numbers_and_findings_under_their_line() -> None:
    patch = make_app().series.patches[2]
    finding = Finding("whitespace-noise", Severity.WARNING, "stray blank line", "mm/frob.c", 106)
    rows = build_rows(patch, [finding])
    at = find_row(rows, finding)
    assert at is not None
    assert rows[at].kind == "add" and rows[at].new == 106 and rows[at].text == ""
    assert rows[at + 1].kind == "finding" and rows[at + 1].findings == [finding]
    context = [r for r in rows if r.kind == "ctx"]
    assert [r.new for r in context][:3] == [101, 102, 103]
    assert context[0].old == 101


def test_changelog_findings_sit_on_their_commit_message_line() -> None:
    patch = make_app().series.patches[0]
    finding = Finding("changelog", Severity.INFO, "say per node", "COMMIT_MSG", 2)
    rows = build_rows(patch, [finding])
    at = find_row(rows, finding)
    assert at is not None and rows[at].kind == "msg"
    assert rows[at].text == "allocation does not have to go to the slab."


def test_highlight_colours_kernel_c() -> None:
    texts = highlight_lines(["static int frob_scan(struct frob *f)", "{", "\treturn 0; /* done */", "}"])
    styles = {str(texts[0])[s.start : s.end]: s.style for s in texts[0].spans}
    assert styles["static"] == CAPTURE_STYLES["keyword"]
    assert styles["frob_scan"] == CAPTURE_STYLES["function"]
    assert styles["frob"] == CAPTURE_STYLES["type"]
    comment = [s for s in texts[2].spans if s.style == CAPTURE_STYLES["comment"]]
    assert comment and str(texts[2])[comment[0].start : comment[0].end] == "/* done */"
    assert str(texts[2]).startswith(" " * 8 + "return"), "tabs are expanded to 8"


# --------------------------------------------------------------------------
# Navigation


@pilot_test
async def test_navigate_patches_and_findings() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.position == 0
        assert "3 patches" in app.sub_title and "1 error, 2 warnings" in app.sub_title
        assert app.diff.cursor == 0, "a patch opens at its top, like b4"
        await pilot.press("n")
        assert app.position == 1
        await pilot.press("right_square_bracket")
        assert app.position == 2
        await pilot.press("p", "left_square_bracket")
        assert app.position == 0
        await pilot.press("full_stop")
        await pilot.pause()
        row = app.diff.current
        assert row is not None and row.new == 53 and row.findings
        assert app.table.current is row.findings[0]
        await pilot.press("full_stop")
        await pilot.pause()
        assert app.position == 1 and app.table.current is not None and app.table.current.rule == "demo-lock"
        assert app.diff.current is not None and app.diff.current.new == 73
        await pilot.press("full_stop")
        await pilot.pause()
        assert app.position == 2 and app.diff.current is not None and app.diff.current.new == 106
        await pilot.press("comma")
        await pilot.pause()
        assert app.position == 1


@pilot_test
async def test_diff_cursor_and_table_follow_each_other() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        start = app.diff.cursor
        target = find_row(app.diff.rows, app.table.findings[0])
        assert target is not None and target > start
        for _ in range(target - start):
            await pilot.press("j")
        await pilot.pause()
        assert app.table.current is app.table.findings[0]
        app.table.focus()
        await pilot.press("k", "j")
        await pilot.pause()
        assert app.diff.cursor == target


@pilot_test
async def test_tree_lists_patches_with_counts_and_files() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree")
        labels = [str(node.label) for node in tree.root.children]
        assert labels[0] == "0/3 cover letter"  # first, as in b4
        assert labels[1].startswith("1/3 mm: frob: add the frob cache") and labels[1].endswith("[1]")
        assert labels[2].endswith("[1]")
        assert tree.cursor_node is tree.root.children[1] and tree.root.children[1].is_expanded
        tree.focus()
        second = tree.root.children[2]
        for _ in range(10):  # walk down past patch 1's files and thread replies
            if tree.cursor_node is second:
                break
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert app.position == 1


# --------------------------------------------------------------------------
# Decisions


@pilot_test
async def test_accept_collects_the_fix_and_undo_takes_it_back(tmp_path: Path) -> None:
    app = make_app(fix_dir=str(tmp_path / "fixes"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "full_stop", "y", "y")
        await pilot.pause()
        assert app.session is not None
        finding = app.table.current
        assert finding is not None and finding.fingerprint in app.session.accepted
        said = [n.message for n in app._notifications]
        assert len(said) == 1 and said[0].endswith("; 1 fix for the next version"), said
        written = list((tmp_path / "fixes").iterdir())
        assert len(written) == 1 and written[0].read_text() == finding.fix.diff  # type: ignore[union-attr]
        assert str(app.table.get_cell("0", "status")) == "✓"
        assert "1 accepted" in app.sub_title
        await pilot.press("u")
        await pilot.pause()
        assert not app.session.accepted and not list((tmp_path / "fixes").iterdir())
        assert str(app.table.get_cell("0", "status")) == ""


@pilot_test
async def test_quit_asks_once_when_accepted_fixes_are_not_written() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("full_stop", "y", "y", "q")
        await pilot.pause()
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@pilot_test
async def test_dismiss_that_cannot_be_recorded_says_so(tmp_path: Path) -> None:
    """A baseline that cannot be written (its folder is a file) is a notice, not a crash or a silent no-op."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x\n")
    app = make_app(baseline=str(blocker / "baseline.json"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("full_stop", "z")
        await pilot.pause()
        assert isinstance(app.screen, DismissScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session is not None and not app.session.dismissed
        assert app._notifications, "the failure must be shown to the user"
        assert blocker.read_text() == "x\n"


@pilot_test
async def test_dismiss_writes_the_baseline_that_check_honours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    app = make_app(baseline=str(baseline))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("full_stop", "z")
        await pilot.pause()
        for _ in range(20):
            await pilot.press("backspace")
        await pilot.press(*"intentional spacing", "enter")
        await pilot.pause()
        assert app.session is not None
        finding = app.table.current
        assert finding is not None and app.session.dismissed[finding.fingerprint] == "intentional spacing"
        assert finding.fingerprint in baseline.read_text()
    assert main(["check", "--select", "whitespace-noise", "--baseline", str(baseline), "-f", "json", str(FROB)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["line"] for f in report["findings"]] == [106]


# --------------------------------------------------------------------------
# Explain, help, reply, next version


@pilot_test
async def test_explain_shows_rationale_and_path() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "full_stop", "i")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        text = app.screen.text
        assert text.startswith("# demo-lock: Lock taken in a function")
        assert "line 81: return with the lock held" in text and "## Why is this bad?" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, ExplainScreen)


@pilot_test
async def test_help_lists_the_b4_keys() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@pilot_test
async def test_reply_to_the_seed_patch(thread_mbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "reply.eml"
    series_app = make_app(thread_mbox, review_fn=_seed_review, reply_out=str(out))
    async with series_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        screen = series_app.screen
        assert isinstance(screen, ReplyScreen)
        text = screen.current_text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(series_app.screen, ReplyScreen)
    saved = out.read_text()
    assert saved == text if text.endswith("\n") else text + "\n"
    assert "\nSubject: Re: [PATCH v3 7/7] mm: switch deferred split shrinker to list_lru\n" in saved
    assert "\nIn-Reply-To: <20260318200000.7-hannes@cmpxchg.org>\n" in saved
    assert "\nReferences: <20260318200000.7-hannes@cmpxchg.org>\n" in saved
    assert "Johannes Weiner <hannes@cmpxchg.org>" in saved.split("\n\n", 1)[0]
    assert "Johannes Weiner wrote:\n" in saved
    assert "\n> +\n" in saved, "the stray blank line at khugepaged.c:1084 is quoted"
    assert "> @@ -1081,6 +1081,7 @@" in saved
    assert "mm/memory.c" not in saved, "hunks without findings are trimmed"


@pilot_test
async def test_kept_screens_open_as_new_ones(thread_mbox: Path) -> None:
    """The help, explain and reply screens are built ahead and kept (tui/prebuilt.py): each key
    still opens them as a new one would: the reply as written (not what was typed last time), the
    explain text of the finding selected now, from the top; help from the top."""
    app = make_app(thread_mbox, review_fn=_seed_review)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        first = app.screen
        assert isinstance(first, ReplyScreen)
        written = first.current_text
        target = first.query_one("#reply-path", Input).value
        await pilot.press("x", "y", "z")
        assert first.current_text != written
        # escape in the text (tab indents there) goes to the path field; a second one closes
        await pilot.press("escape", "a", "escape")
        await pilot.pause()
        assert app.screen is not first and first.query_one("#reply-path", Input).value != target
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is first, "the kept reply screen"
        assert first.current_text == written and first.saved is None
        assert first.query_one("#reply-path", Input).value == target
        area = first.query_one("#reply-text", TextArea)
        assert app.focused is area and area.cursor_location == (0, 0)
    # the frob series has findings on three patches; whitespace-noise's text is longer than a page
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        explained = []
        kept = None
        # 1/3 twice (the first . only puts the diff's cursor on its line), then 2/3 and 3/3
        for move in ("", "full_stop", "full_stop", "full_stop"):
            if move:
                await pilot.press(move)
            await pilot.press("i")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ExplainScreen) and screen is (kept or screen), "the kept explain screen"
            kept = screen
            box = screen.query_one("#explain-box")
            explained.append((app.table.current, screen.text, box.scroll_offset.y))
            await pilot.press("space")
            await pilot.pause()
            if app.table.current is not None and app.table.current.rule == "whitespace-noise":
                assert box.scroll_offset.y > 0, "space paged the text"
            await pilot.press("escape")
            await pilot.pause()
        findings = [finding for finding, *_ in explained]
        assert [f.rule if f else None for f in findings] == ["whitespace-noise"] * 2 + ["demo-lock", "whitespace-noise"]
        assert findings[0] is findings[1] and findings[1] is not findings[2] is not findings[3]
        assert [offset for *_, offset in explained] == [0, 0, 0, 0]
        for finding, text, _ in explained:
            assert finding is not None
            assert text == explain_markdown(finding, app.comments.get(finding.patch or 0, []))
        await pilot.press("question_mark", "space")
        await pilot.pause()
        helped = app.screen
        assert isinstance(helped, HelpScreen) and helped.query_one("#help-box").scroll_offset.y > 0
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert app.screen is helped and helped.query_one("#help-box").scroll_offset.y == 0


@pilot_test
async def test_saving_where_it_cannot_write_is_a_notice(thread_mbox: Path, tmp_path: Path) -> None:
    """Save the reply and the next version under a path whose folder is a file: notices, no crash."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x\n")
    app = make_app(thread_mbox, review_fn=_seed_review, reply_out=str(blocker / "r.eml"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReplyScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReplyScreen), "a reply that was not saved keeps its screen open"
        said = [n.message for n in app._notifications]
    assert any("r.eml: cannot write" in m for m in said), said
    app = make_app(thread_mbox, review_fn=_seed_review, next_out=str(blocker / "v4.mbox"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("full_stop", "y", "y", "w")
        await pilot.pause()
        assert app.is_running
        said = [n.message for n in app._notifications]
    assert any("v4.mbox: cannot write" in m for m in said), said
    assert blocker.read_text() == "x\n"


def _seed_review(options: Options, progress: Any) -> list[Finding]:
    from reviewkit.tui.app import pipeline_review

    options.config = Config(select=["whitespace-noise"])
    return pipeline_review(options, progress)


@pilot_test
async def test_seed_thread_opens_on_the_patch_with_its_findings(thread_mbox: Path) -> None:
    app = make_app(thread_mbox, review_fn=_seed_review)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.series.replies and len(app.series.patches) == 1
        assert [(f.file, f.line) for f in app.table.findings] == [("mm/khugepaged.c", 1084)]
        await pilot.press("full_stop")
        await pilot.pause()
        row = app.diff.current
        assert row is not None and (row.path, row.new, row.kind) == ("mm/khugepaged.c", 1084, "add")


@pilot_test
async def test_write_next_version(thread_mbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "v4.mbox"
    app = make_app(thread_mbox, review_fn=_seed_review, next_out=str(out))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("full_stop", "y", "y", "w")
        await pilot.pause()
        assert [n.message for n in app._notifications] == [f"v4 with 1 fix written to {out}"]
    text = out.read_text()
    assert "[PATCH v4 7/7] mm: switch deferred split shrinker to list_lru" in text
    assert "count_vm_event(THP_COLLAPSE_ALLOC);\n+\n" not in text


@pilot_test
async def test_a_fix_amend_cannot_fold_is_reported_not_written(tmp_path: Path) -> None:
    out = tmp_path / "frob-v3.mbox"
    app = make_app(next_out=str(out))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "full_stop", "y", "y", "w")
        await pilot.pause()
        assert app.session is not None and app.session.accepted
        said = [n.message for n in app._notifications]
    written = out.exists()
    assert written == any(str(out) in m for m in said)
    assert written or any(m.startswith("cannot write the next version: fix ") for m in said)


@pilot_test
async def test_write_without_accepted_fixes_explains() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("not available" in m or "no accepted fixes" in m for m in messages)


# --------------------------------------------------------------------------
# Responsiveness: the check runs in a worker


@pilot_test
async def test_first_patch_is_readable_while_the_check_runs() -> None:
    release = threading.Event()

    def slow_review(options: Options, progress: Any) -> list[Finding]:
        progress(0, 3, "3 patches")
        release.wait(timeout=30)
        return frob_review(options, progress)

    app = make_app(review_fn=slow_review)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.session is None and "checking" in app.sub_title
        assert app.diff.rows and app.diff.rows[0].text.startswith("From: Ada Hacker")
        assert "Checking" in app.panel.plain()  # never "No findings" yet
        await pilot.press("n", "n", "j", "j")
        assert app.position == 1 and app.diff.cursor == 2
        assert app.query_one("#progress").display
        release.set()
        await settle(pilot)
        assert app.session is not None and not app.query_one("#progress").display
        assert app.position == 1 and app.diff.cursor == 2, "the check finishing does not move the reader"


@pilot_test
async def test_input_error_in_the_worker_exits_2() -> None:
    from reviewkit.errors import InputError

    def failing(options: Options, progress: Any) -> list[Finding]:
        raise InputError("--baseline x.json: unreadable baseline")

    app: ReviewApp = make_app(review_fn=failing)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if not app.is_running:
                break
            await pilot.pause()
    assert app.return_code == 2


def test_thread_replies_are_placed_on_the_lines_they_quote(thread_mbox) -> None:
    """The seed thread's human comments land on patch lines the TUI can show."""
    from reviewkit.tui.comments import comments_for

    from reviewkit.load.series import load

    series = load(str(thread_mbox))
    placed = comments_for(series, series.patches[0])
    assert len(placed) >= 13
    authors = {c.author for c in placed}
    assert {"Johannes Weiner", "Lorenzo Stoakes"} <= authors
    # the reviewer's "there's no such function" sits on the changelog's pseudo-code line
    nosuch = [c for c in placed if "no such function" in c.text]
    assert nosuch and nosuch[0].path == "COMMIT_MSG"
    assert "test_shrinker_bit" in series.patches[0].commit_message.split("\n")[nosuch[0].line - 1]


# --------------------------------------------------------------------------
# Cover letter, keys, layout


@pilot_test
async def test_cover_letter_is_shown_first() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, on_cover=True)
        assert app.position == -1
        texts = [r.text for r in app.diff.rows]
        assert texts[2] == "Subject: [PATCH v2 0/3] mm: frob: a per-node frob cache"
        assert any(t.strip() for t in texts[4:])
        await pilot.press("n")
        assert app.position == 0
        await pilot.press("p")
        assert app.position == -1


@pilot_test
async def test_done_skip_and_reply_toggle(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert app.session is not None and app.session.patch_state == {0: "done"}
        assert str(app.query_one("#tree").root.children[1].label).startswith("✓ 1/3")
        await pilot.press("n", "x")
        assert app.session.patch_state == {0: "done", 1: "skip"}
        await pilot.press("full_stop", "m")
        await pilot.pause()
        finding = app.table.current
        assert finding is not None and finding.fingerprint in app.session.left_out
        await pilot.press("m")
        assert finding.fingerprint not in app.session.left_out


@pilot_test
async def test_unsafe_fix_asks_before_accepting() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "full_stop", "y")
        await pilot.pause()
        assert app.session is not None and not app.session.accepted
        assert "unsafe" in app._notifications.__iter__().__next__().message
        await pilot.press("y")
        await pilot.pause()
        assert len(app.session.accepted) == 1
        from reviewkit.tui.finding_panel import describe
        from rich.console import Console

        console = Console(record=True, width=120)
        console.print(describe(app.table.current, "accepted"))  # type: ignore[arg-type]
        shown = console.export_text()
        assert "the code after the fix" in shown and "spin_unlock(&cache->lock); /* demo */" in shown


@pilot_test
async def test_search_and_follow_ups_keep_the_position(thread_mbox: Path) -> None:
    """On the seed thread, f hides and shows 13 replies above the cursor: it stays on the same line."""
    app = make_app(thread_mbox, review_fn=_seed_review)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"shrinker_free(deferred_split_shrinker)", "enter")
        await pilot.pause()

        def where() -> tuple[str, str, int | None, int | None, str, int]:
            row = app.diff.current
            assert row is not None
            return (row.kind, row.path, row.old, row.new, row.text, app.diff.cursor - app.diff.scroll_offset.y)

        before = where()
        assert before[:5] == ("add", "mm/huge_memory.c", None, 928, "\t\tshrinker_free(deferred_split_shrinker);")
        shown = len(app.diff.rows)
        await pilot.press("f")
        await pilot.pause()
        assert len(app.diff.rows) < shown, "the replies are hidden"
        assert where() == before, "the same line, at the same height on screen"
        await pilot.press("f")
        await pilot.pause()
        assert len(app.diff.rows) == shown and where() == before
        # on a reply's row, hiding the replies leaves the cursor on the line the reply is about
        at = next(i for i, r in enumerate(app.diff.rows) if r.kind == "comment" and r.path == "mm/huge_memory.c")
        about = app.diff.rows[at]
        app.diff.set_cursor(at, scroll="jump")
        await pilot.press("f")
        await pilot.pause()
        row = app.diff.current
        assert row is not None and row.is_code and (row.path, row.new) == (about.path, about.new)


@pilot_test
async def test_palette_quit_asks_like_q() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("full_stop", "y", "y")
        await pilot.pause()
        await app.action_quit()
        await pilot.pause()
        assert app.is_running


@pilot_test
async def test_footer_keeps_help_and_quit_at_80x24() -> None:
    from reviewkit.tui.keybar import KeyBar

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = app.query_one(KeyBar).visible_keys()
        assert shown[:2] == ["question_mark", "q"] and len(shown) > 4
        tree = app.query_one("#tree")
        assert not tree.display and app.diff.size.width >= 70  # the tree starts hidden at 80 columns
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert tree.display and tree.size.width < 30
    wide = make_app()
    async with wide.run_test(size=(220, 60)) as pilot:
        await settle(pilot)
        assert wide.query_one("#tree").size.width > 40


def test_dismissals_are_read_back_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check reads ./.reviewkit-baseline.json without --baseline (the file the TUI's z writes)."""
    from reviewkit.review.pipeline import DEFAULT_BASELINE, load_series, review

    monkeypatch.chdir(tmp_path)
    series = load_series(str(FROB))
    found = review(series).findings
    assert found
    from reviewkit.review.baseline import add_entry

    add_entry(DEFAULT_BASELINE, found[0], "intended", "dismissed")
    again = review(load_series(str(FROB))).findings
    assert found[0].fingerprint not in {f.fingerprint for f in again}
    assert main(["check", "-f", "json", str(FROB)]) in (0, 1)


# --------------------------------------------------------------------------
# Speed work kept honest: what the faster widgets must still do


@pilot_test
async def test_first_frame_comes_before_the_check() -> None:
    """Paint first: the check is started from the first refresh, so the first frame never waits for it."""
    seen: list[bool] = []

    class Watching(ReviewApp):
        CSS_PATH = str(Path(sys.modules[ReviewApp.__module__].__file__ or "").with_name("review.tcss"))

        def on_mount(self) -> None:
            self.call_after_refresh(lambda: seen.append(self.session is None and not self.workers))

    app = Watching(Options(make_app().series, Config()), frob_review)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert seen == [True] and app.session is not None


@pilot_test
async def test_help_and_explain_page_with_space_at_80x24() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for keys, screen_type, box in (
            (("question_mark",), HelpScreen, "#help-box"),
            (("n", "full_stop", "i"), ExplainScreen, "#explain-box"),
        ):
            await pilot.press(*keys)
            await pilot.pause()
            assert isinstance(app.screen, screen_type)
            scroll = app.screen.query_one(box)
            assert scroll.max_scroll_y > 0, "the text is longer than 80x24 shows"
            await pilot.press("space")
            await pilot.pause()
            after_space = scroll.scroll_offset.y
            assert after_space > 0
            await pilot.press("k")
            await pilot.pause()
            assert scroll.scroll_offset.y == after_space - 1
            from reviewkit.tui.keybar import KeyBar

            assert app.screen.query_one(KeyBar).visible_keys()[:2] == ["escape", "space"]
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, screen_type)


@pytest.mark.parametrize(("size", "compact"), [((80, 24), True), ((160, 48), False), ((220, 60), False)])
def test_findings_table_fits_the_width(size: tuple[int, int], compact: bool) -> None:
    @pilot_test
    async def run() -> None:
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("n", "full_stop")
            await pilot.pause()
            table = app.table
            assert table.compact is compact
            [line] = [table.render_line(1)]
            text = "".join(seg.text for seg in line)
            assert len(text) == table.size.width
            sev = "E" if compact else "error"
            assert text.split()[0] == sev, text
            # the message keeps at least 20 columns however narrow (80 columns: was 12)
            message = table._widths()["message"]
            assert message >= 20

    run()


@pilot_test
async def test_explain_is_the_cli_text_plus_the_thread() -> None:
    """The TUI shows report.explain.finding_markdown, the text `reviewkit explain FILE:LINE SERIES` prints."""
    from reviewkit.report.explain import finding_markdown, normalise

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "full_stop", "i")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        finding = app.table.current
        assert finding is not None and finding.fix is not None
        assert app.screen.text == normalise(finding_markdown(finding, app.comments.get(app.position, [])))
        assert "## Suggested fix (verified): Release the lock before returning" in app.screen.text


def test_session_reply_is_kept_by_what_it_holds() -> None:
    from reviewkit.tui.session import ReviewSession

    from reviewkit.review.pipeline import load_series

    series = load_series(str(FROB))
    findings = frob_review(Options(series, Config()), lambda *a: None)
    session = ReviewSession(series, findings)
    patch = next(p for p in series.patches if session.for_patch(p.position))
    first = session.reply(patch)
    assert session.reply(patch) is first, "asked again with the same findings: the same text"
    session.toggle_reply(session.for_patch(patch.position)[0])
    assert session.reply(patch) != first, "a finding taken out writes the reply again"


@pilot_test
async def test_what_the_session_froze_is_given_back_when_it_ends() -> None:
    """The session's objects are frozen out of the collector after the check, and unfrozen at exit:
    a process that goes on (this test run) must not keep every session's objects forever."""
    import gc

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_every_binding_is_in_the_help_table() -> None:
    """The app's and the diff view's keys all appear in tui/keys.py, which ? and ``tui --help`` print."""
    from reviewkit.tui.diff_view import DiffView
    from reviewkit.tui.keys import KEYS
    from textual.binding import Binding
    from textual.keys import key_to_character

    listed = {k for _t, keys in KEYS for key, _w, _b in keys for part in key.split(", ") for k in part.split(" / ")}
    missing = []
    for binding in [*ReviewApp.BINDINGS, *DiffView.BINDINGS]:
        assert isinstance(binding, Binding)
        name = binding.key.split(",")[0]
        key = name if name in listed else {"slash": "/"}.get(name) or key_to_character(name) or name
        if key not in listed:
            missing.append(f"{key} ({binding.description})")
    assert not missing, "keys bound but not in the help: " + ", ".join(missing)


def test_textual_still_has_the_private_hooks_the_fast_repaint_uses() -> None:
    """tui/relayout.py falls back to Textual's public path without them; this says when that happens."""
    from reviewkit.tui.relayout import private_hooks_present

    assert private_hooks_present(), "Textual renamed _scroll_update/_size_updated(layout=): relayout.py runs slow"


def test_textual_still_has_the_private_hooks_the_tree_repaint_uses() -> None:
    """tui/series_tree.py re-lays out the screen on a focus change without them; this says when that happens."""
    from reviewkit.tui.series_tree import private_hooks_present

    assert private_hooks_present(), "Textual renamed Tree._clear_line_cache/_updates: a tab re-lays out the screen"


def test_textual_still_has_the_private_hooks_the_screens_built_ahead_use() -> None:
    """tui/prebuilt.py builds the screens on their first key without them; this says when that happens."""
    from reviewkit.tui.prebuilt import private_hooks_present

    assert private_hooks_present(), "Textual renamed App._register/Screen._refresh_layout: prebuilt.py runs slow"
