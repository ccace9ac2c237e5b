"""``reviewkit tui``: review a series, decide on findings, write the reply.

Layout and keys follow ``b4 review tui`` (series left, coloured diff right,
footer; j/k, n/p, [ ], ? and q) so kernel maintainers feel at home, and add
what b4 cannot do: findings marked in the diff, their suggested fixes, a
reply written for you, and the next version with the accepted fixes.

The series is already loaded (bad input never opens the app); the check runs
in a worker thread so the first patch is readable at once, even for a
hundred-patch series, and the findings appear when the check is done.
"""

# size: one Textual App: its bindings and actions must be methods of the app class

from __future__ import annotations

import gc
import inspect
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.worker import Worker, WorkerError

from reviewkit.config import Config
from reviewkit.errors import InputError, UsageError
from reviewkit.io import write_atomic
from reviewkit.load.series import Patch, Series
from reviewkit.model import Finding, Severity
from reviewkit.words import plural

from .comments import Comment, comments_for
from .diff_view import DiffView
from .diffmodel import Row, build_rows, cover_rows, warm_highlight
from .dismiss_screen import DismissScreen
from .explain_screen import EXPLAIN_BOX, ExplainScreen, explain_key, explain_markdown, render_explain
from .finding_panel import FindingPanel
from .findings_table import FindingsTable
from .fix_preview import with_fixes
from .help_screen import HELP_BOX, HELP_KEY, HelpScreen, help_table
from .idle_gc import IdleCollector
from .keybar import KeyBar
from .messages import CommentChosen, FindingFocused, LineFocused, PatchChosen
from .prebuilt import hides_below, lay_out, prebuild
from .progress_panel import ProgressPanel
from .rendered import box_text_widths, prerender
from .reply_screen import ReplyScreen
from .search_screen import SearchScreen, find_next
from .series_tree import COVER, SeriesTree
from .session import DEFAULT_BASELINE, ReviewSession, SessionError, reply_path
from .title_bar import title_bar

Progress = Callable[[int, int | None, str], None]
ReviewFn = Callable[["Options", Progress], list[Finding]]

HIGHLIGHT_AHEAD = 128
"""File sides coloured ahead after the check: half of what diffmodel's colour cache keeps."""

NAVIGATE = Binding.Group("patch")
FINDING_NAV = Binding.Group("finding")


@dataclass
class Options:
    """What the command line asked for."""

    series: Series
    config: Config
    tree: str | None = None
    repo: str | None = None
    """A directory of the user's git checkout: context from its blobs (see reviewkit.views.repo)."""
    baseline: str | None = None
    reply_out: str | None = None
    fix_dir: str | None = None
    next_out: str | None = None


def pipeline_review(options: Options, progress: Progress) -> list[Finding]:
    """The same check ``reviewkit check`` runs (pipeline.review), with progress if it reports it."""
    from reviewkit.review.pipeline import review

    kwargs: dict[str, Any] = {"tree": options.tree, "baseline": options.baseline, "repo": options.repo}
    if "progress" in inspect.signature(review).parameters:
        kwargs["progress"] = progress
    n = len(options.series.patches)
    progress(0, None, plural(n, "patch", "es"))
    return review(options.series, options.config, **kwargs).findings


class ReviewApp(App[int]):
    """The review session."""

    CSS_PATH = "review.tcss"
    TITLE = "reviewkit"

    # ? and q come first: the footer cuts from the right on a narrow terminal and must keep them.
    # Keys follow b4 review where the concept is the same (n/p, [ ], . , r, d done, x skip, f follow-ups,
    # c checks, ?, q); reviewkit's own actions use keys b4 review does not bind (see help_screen.KEYS).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit_review", "quit"),
        Binding("n", "patch(1)", "next", group=NAVIGATE),
        Binding("p", "patch(-1)", "prev", group=NAVIGATE),
        Binding("right_square_bracket", "patch(1)", "next patch", show=False),
        Binding("left_square_bracket", "patch(-1)", "prev patch", show=False),
        Binding("full_stop", "finding(1)", "next", key_display=".", group=FINDING_NAV),
        Binding("comma", "finding(-1)", "prev", key_display=",", group=FINDING_NAV),
        Binding("y", "accept", "accept fix"),
        Binding("z", "dismiss", "dismiss"),
        Binding("i", "explain", "explain"),
        Binding("r", "reply", "reply"),
        Binding("m", "toggle_reply", "in reply", show=False),
        Binding("u", "undo", "undo", show=False),
        Binding("w", "write", "next version", show=False),
        Binding("d", "mark('done')", "done", show=False),
        Binding("x", "mark('skip')", "skip", show=False),
        Binding("f", "comments", "follow-ups", show=False),
        Binding("c", "checks", "checks", show=False),
        Binding("slash", "search", "search", key_display="/", show=False),
        Binding("ctrl+b", "toggle_tree", "tree", show=False),
        Binding("less_than_sign", "resize_tree(-4)", "narrower tree", show=False),
        Binding("greater_than_sign", "resize_tree(4)", "wider tree", show=False),
    ]

    def __init__(self, options: Options, review_fn: ReviewFn = pipeline_review) -> None:
        super().__init__()
        self.options = options
        self.series = options.series
        self.review_fn = review_fn
        self.session: ReviewSession | None = None
        self.comments: dict[int, list[Comment]] = {}
        self.position = 0
        self.show_comments = True
        self._rows: dict[tuple[int, bool], list[Row]] = {}
        """By patch and whether the thread's replies are shown (f toggles, and both stay built)."""
        self._quit_armed = False
        self._unsafe_armed: str | None = None
        self._written = False
        self._tree_width: int | None = None
        self._last_search = ""
        self._tree_toggled = False
        self._ahead: Worker[None] | None = None
        self._frozen = False
        self._idle_gc = IdleCollector()
        """Full collections while input pauses, once the session is frozen (see :mod:`.idle_gc`)."""
        self._preview: Finding | None = None
        """The selected finding whose fix the diff shows (the last one the cursor was on)."""
        self._built: set[str] = set()
        """The installed screens built ahead (see :meth:`_build_screens`)."""

    @property
    def _background_screens(self) -> list[Screen[Any]]:
        """Textual's screens that show under the top one: none under an opaque one (see :func:`hides_below`)."""
        return [] if hides_below(self) else super()._background_screens

    def on_unmount(self) -> None:
        """The session is over: give what it froze back to the collector (the process may go on:
        tests, ``python -c``, an editor's plugin host)."""
        self._idle_gc.stop()
        if self._frozen:
            gc.unfreeze()

    async def on_event(self, event: events.Event) -> None:
        """Every event as Textual handles it; input also tells the idle collector to wait."""
        if isinstance(event, events.InputEvent):
            self._idle_gc.touch()
        await super().on_event(event)

    # ------------------------------------------------------------------
    # Layout

    def compose(self) -> ComposeResult:
        yield title_bar()
        with Horizontal(id="main"):
            yield SeriesTree(id="tree")
            with Vertical(id="centre"):
                yield DiffView(id="diff")
                with Horizontal(id="bottom"):
                    yield FindingsTable(id="findings")
                    yield FindingPanel(id="finding-panel")
        yield ProgressPanel(id="progress")
        yield KeyBar(id="keys")

    @property
    def diff(self) -> DiffView:
        return self.query_one("#diff", DiffView)

    @property
    def table(self) -> FindingsTable:
        return self.query_one("#findings", FindingsTable)

    @property
    def panel(self) -> FindingPanel:
        return self.query_one("#finding-panel", FindingPanel)

    @property
    def patch(self) -> Patch:
        """The patch shown (on the cover letter: the first patch, for the reply and decisions)."""
        return self.series.patches[max(self.position, 0)]

    @property
    def first_position(self) -> int:
        """The cover letter comes first when there is one, as in b4."""
        return COVER if self.series.cover is not None else 0

    def on_mount(self) -> None:
        self.query_one("#tree", SeriesTree).display = self.size.width >= self.NARROW
        self.title = self.series.title or self.series.source
        self._update_subtitle()
        self.query_one("#tree", SeriesTree).populate(self.series, [])
        self.show_patch(self.first_position)
        self.diff.focus()
        # the check starts once the first frame is on screen: its thread would share the GIL with it
        self.call_after_refresh(self.check)

    # ------------------------------------------------------------------
    # The check, in a worker

    @work(thread=True, exclusive=True, group="check")
    def check(self) -> None:
        def progress(done: int, total: int | None, what: str) -> None:
            self.call_from_thread(self.query_one("#progress", ProgressPanel).report, done, total, what)

        try:
            findings = self.review_fn(self.options, progress)
            comments = {p.position: comments_for(self.series, p) for p in self.series.patches}
        except (InputError, UsageError) as exc:
            self.call_from_thread(self._failed, str(exc))
            return
        self.call_from_thread(self._checked, findings, comments)
        self._warm(findings, comments)

    def _warm(self, findings: list[Finding], comments: dict[int, list[Comment]]) -> None:
        """In the check worker, once the findings are shown: colour the C files of the patches from
        the one on screen on (see :func:`warm_highlight`), and lay out the help and the explain
        texts of the first patch with findings at this terminal's width, so the first ``.``, ``?``
        and ``i`` only draw them (and load rich's Markdown and the diff lexer here, not on the key)."""
        sides = 0
        start = max(self.position, 0)
        for patch in [*self.series.patches[start:], *self.series.patches[:start]]:
            sides += warm_highlight(patch)
            if sides >= HIGHLIGHT_AHEAD:
                break
        width = self.size.width
        for w in box_text_widths(width, *HELP_BOX):
            prerender(self.console, HELP_KEY, help_table, w)
        first = next((f.patch for f in findings if f.patch is not None), None)
        for f in [f for f in findings if f.patch == first]:
            text = explain_markdown(f, comments.get(f.patch or 0, []))
            for w in box_text_widths(width, *EXPLAIN_BOX):
                prerender(self.console, explain_key(text), partial(render_explain, text), w)

    def write_ahead(self, position: int) -> None:
        """Start :meth:`_write_ahead` for ``position`` (the last one started is what r waits for)."""
        self._ahead = self._write_ahead(position)

    @work(thread=True, exclusive=True, group="ahead")
    def _write_ahead(self, position: int) -> None:
        """The reply to the patch on screen, written while the maintainer reads it (``r`` shows it)."""
        session = self.session
        if session is None or not 0 <= position < len(self.series.patches):
            return
        try:
            text = session.reply(self.series.patches[position])
        except SessionError:  # r writes it again and says why
            return
        self.call_from_thread(self._reply_ahead, position, text)

    def _reply_ahead(self, position: int, text: str) -> None:
        """The reply written ahead goes into the kept reply screen while it is not shown (``r``
        gives it the reply again in any case: a later decision may have changed it)."""
        screen = self._kept("reply")
        if isinstance(screen, ReplyScreen) and position == self.position:
            patch = self.series.patches[position]
            screen.load(text, self._reply_target(patch), patch.subject.raw)
            lay_out(self, screen)

    async def _build_screens(self) -> None:
        """After the findings are shown: the help, explain and reply screens, built and laid out
        now (see :mod:`.prebuilt`), so that ``?``, ``i`` and ``r`` only draw them."""
        screens: list[tuple[str, Callable[[], Screen[Any]]]] = [
            ("help", HelpScreen),
            ("explain", lambda: ExplainScreen(self.table.current, self.comments.get(self.position, []))),
            ("reply", self._reply_screen),
        ]
        for name, make in screens:
            if await prebuild(self, make(), name):
                self._built.add(name)

    def _reply_screen(self) -> ReplyScreen:
        """The reply screen to build ahead: with the reply to the patch on screen if it is written."""
        patch = self.patch
        text = ""
        if self.session is not None and self._ahead is not None and self._ahead.is_finished:
            with suppress(SessionError):
                text = self.session.reply(patch)
        return ReplyScreen(text, self._reply_target(patch), patch.subject.raw)

    def explain_ahead(self, finding: Finding | None) -> None:
        """Once this key's frame is drawn, lay out the explain text of the ``finding`` just
        selected in a worker, and point the kept explain screen at it: ``i`` then only draws it."""
        if finding is not None and self.session is not None:
            comments = self.comments.get(finding.patch or 0, [])
            self.call_after_refresh(self._explain_ahead, finding, comments, self.size.width)

    @work(thread=True, exclusive=True, group="explain")
    def _explain_ahead(self, finding: Finding, comments: list[Comment], width: int) -> None:
        text = explain_markdown(finding, comments)
        for w in box_text_widths(width, *EXPLAIN_BOX):
            prerender(self.console, explain_key(text), partial(render_explain, text), w)
        self.call_from_thread(self._explained_ahead, finding, comments)

    def _explained_ahead(self, finding: Finding, comments: list[Comment]) -> None:
        screen = self._kept("explain")
        if isinstance(screen, ExplainScreen) and finding is self.table.current:
            screen.explain(finding, comments)
            lay_out(self, screen)

    def _kept(self, name: str) -> Screen[Any] | None:
        """The screen built ahead as ``name``, unless it is already open (under another one)."""
        if name not in self._built:
            return None
        screen = self.get_screen(name)
        return None if screen in self.screen_stack else screen

    def _failed(self, message: str) -> None:
        self.exit(2, return_code=2, message=f"reviewkit: error: {message}")

    def _checked(self, findings: list[Finding], comments: dict[int, list[Comment]]) -> None:
        baseline = self.options.baseline or self.options.config.baseline or DEFAULT_BASELINE
        fix_dir = Path(self.options.fix_dir) if self.options.fix_dir else None
        self.session = ReviewSession(self.series, findings, Path(baseline), fix_dir, self.options.tree)
        self.comments = comments
        # what is alive now (series, trees, findings, widgets) lives for the session: out of the
        # collector's way, so its full passes do not land on a key press
        gc.collect()
        gc.freeze()
        self._frozen = True
        self._idle_gc.start(self)
        self._rows.clear()
        self.query_one("#progress", ProgressPanel).display = False
        self._refresh_tree()
        self.show_patch(self.position, keep_cursor=True)
        self._update_subtitle()
        self.write_ahead(self.position)
        self.run_worker(self._build_screens(), group="screens", exclusive=True)
        if findings and self.position >= 0 and not self.session.for_patch(self.position):
            first = findings[0]
            self._toast(f"{plural(len(findings), 'finding')}; first in patch {first.patch_index}: press . to go there")

    # ------------------------------------------------------------------
    # Showing a patch

    def rows(self, position: int) -> list[Row]:
        if position == COVER and self.series.cover is not None:
            if (COVER, False) not in self._rows:  # kept, like a patch's, so that the diff keeps its strips
                total = self.series.total or len(self.series.patches)
                self._rows[(COVER, False)] = cover_rows(self.series.cover, total)
            return self._rows[(COVER, False)]
        key = (position, self.show_comments)
        if key not in self._rows:
            shown = self._rows.get((position, True))
            if not self.show_comments and shown is not None:
                # the same rows without the replies' (the diff keeps what it drew of them)
                self._rows[key] = [r for r in shown if r.kind != "comment"]
            else:
                findings = self.session.for_patch(position) if self.session else []
                comments = self.comments.get(position, []) if self.show_comments else []
                self._rows[key] = build_rows(self.series.patches[position], findings, comments)
        return self._rows[key]

    def view_rows(self, position: int) -> list[Row]:
        """The rows of ``position`` as the diff shows them: accepted fixes applied, the selected one previewed."""
        rows = self.rows(position)
        if self.session is None or position == COVER:
            return rows
        findings = self.session.for_patch(position)
        accepted = [f for f in findings if f.fingerprint in self.session.accepted]
        preview = self._preview if self._preview in findings and not self._status(self._preview) else None
        return with_fixes(rows, accepted, preview)

    def _preview_fix(self, finding: Finding | None) -> None:
        """Show ``finding``'s fix in the diff (nothing for a finding without one), keeping the cursor's line."""
        if finding is not self._preview:
            had = self._preview is not None and self._preview.fix is not None
            self._preview = finding
            if had or (finding is not None and finding.fix is not None):
                self.diff.reshow(self.view_rows(self.position))
                self._reveal_fix(finding)

    def _reveal_fix(self, finding: Finding | None) -> None:
        """Bring the rows of ``finding``'s fix on screen (the cursor stays where it is)."""
        shown = [i for i, r in enumerate(self.diff.rows) if r.kind == "fix" and r.findings and r.findings[0] is finding]
        if shown:
            self.diff.reveal(shown[0], shown[-1])

    def show_patch(self, position: int, *, keep_cursor: bool = False) -> None:
        position = max(self.first_position, min(position, len(self.series.patches) - 1))
        same = keep_cursor and position == self.position
        if position != self.position:
            self._preview = None
            self.clear_notifications()  # a toast about the last patch is stale on this one
            if self.session is not None:
                self.write_ahead(position)
        self.position = position
        if same:
            self.diff.reshow(self.view_rows(position))  # the same source line, not the same row index
        else:
            self.diff.show(self.view_rows(position))
        findings = self.session.for_patch(position) if self.session else []
        self.table.show(findings, [self._status(f) for f in findings])
        selected = findings[0] if findings else None
        on_line = self.diff.announced
        if selected is not None and on_line and selected not in on_line:
            # the line the cursor landed on selects its finding (_line_focused, when the diff's
            # message arrives): select it now, so the panel is written once, in this frame
            selected = on_line[0]
            self.table.select(selected, announce=False)
        if self.session is None:
            self.panel.checking()
        elif position == COVER:
            self.panel.note("The cover letter: n goes to patch 1; the findings are on the patches.")
        else:
            self.panel.show(selected, self._status(selected) if selected is not None else "")
            self.explain_ahead(selected)
        self.query_one("#tree", SeriesTree).select_patch(position)

    def _status(self, finding: Finding) -> str:
        return self.session.status(finding) if self.session else ""

    def _update_subtitle(self) -> None:
        n = len(self.series.patches)
        parts = [f"v{self.series.version}", plural(n, "patch", "es")]
        if self.session is None:
            parts.append("checking…")
        else:
            counts = {sev: 0 for sev in Severity}
            for f in self.session.open_findings():
                counts[f.severity] += 1
            shown = [plural(n, sev.value) for sev, n in counts.items() if n]
            parts.append(", ".join(shown) or "no findings")
            if self.session.accepted:
                parts.append(f"{len(self.session.accepted)} accepted")
            if self.session.dismissed:
                parts.append(f"{len(self.session.dismissed)} dismissed")
        self.sub_title = " · ".join(parts)

    def _refresh_tree(self) -> None:
        findings = self.session.open_findings() if self.session else []
        tree = self.query_one("#tree", SeriesTree)
        tree.populate(self.series, findings, self.comments)
        if self.session is not None and self.session.patch_state:
            tree.set_state(self.series, self.session.patch_state)

    def _refresh_decision(self, finding: Finding) -> None:
        status = self._status(finding)
        self.table.set_status(finding, status)
        self.panel.show(finding, status)
        self._update_subtitle()
        if finding.fix is not None and finding.patch == self.position:
            # the diff shows the code after an accepted fix, the preview again after undo
            self._preview = finding
            if not self.diff.reshow(self.view_rows(self.position)):
                self.diff.goto_finding(finding)  # the line the cursor was on is gone with the fix
            self._reveal_fix(finding)

    # ------------------------------------------------------------------
    # Linking tree, diff and table

    @on(PatchChosen)
    def _patch_chosen(self, event: PatchChosen) -> None:
        if event.position != self.position:
            self.show_patch(event.position)
        if event.path:
            self.diff.goto_file(event.path)

    @on(CommentChosen)
    def _comment_chosen(self, event: CommentChosen) -> None:
        if event.position != self.position:
            self.show_patch(event.position)
        self.diff.goto_comment(event.message_id)

    @on(LineFocused)
    def _line_focused(self, event: LineFocused) -> None:
        self._on_line(event.findings)

    def _on_line(self, findings: list[Finding]) -> None:
        """On a line with findings: select one, and show its fix; elsewhere the last one's fix stays,
        so the cursor can walk to the lines the fix changes."""
        if findings:
            if self.table.current not in findings:
                # what the table's FindingFocused would do, done here (one frame, not two)
                self.table.select(findings[0], announce=False)
                self._show_finding(findings[0])
            self._preview_fix(self.table.current if self.table.current in findings else findings[0])

    @on(FindingFocused)
    def _finding_focused(self, event: FindingFocused) -> None:
        self._show_finding(event.finding)

    def _show_finding(self, finding: Finding) -> None:
        """The finding the table selected: in the panel, the diff's cursor on its line, its fix shown."""
        self.panel.show(finding, self._status(finding))
        self.explain_ahead(finding)
        self.diff.goto_finding(finding)
        self._preview_fix(finding)

    # ------------------------------------------------------------------
    # Navigation

    def action_patch(self, step: int) -> None:
        target = self.position + step
        if self.first_position <= target < len(self.series.patches):
            self.show_patch(target)
        else:
            self._toast("no next patch" if step > 0 else "no previous patch", timeout=2)

    def action_finding(self, step: int) -> None:
        """Next/previous finding line in this patch, then in the following patches."""
        index = self.diff.next_finding_row(self.diff.cursor, step)
        if index is not None:
            # what the diff's LineFocused would do, done here: in the frame of the cursor's move,
            # not in one of its own after it
            self.diff.set_cursor(index, scroll="jump", announce=False)
            self._on_line(list(self.diff.rows[index].findings))
            return
        if self.session is None:
            return
        positions = range(self.position + 1, len(self.series.patches)) if step > 0 else range(self.position - 1, -1, -1)
        for pos in positions:
            findings = self.session.for_patch(pos)
            if findings:
                self.show_patch(pos)
                target = findings[0] if step > 0 else findings[-1]
                self.table.select(target)
                self.diff.goto_finding(target)
                self._preview_fix(target)
                return
        self._toast("no more findings" if step > 0 else "no earlier findings", timeout=2)

    # ------------------------------------------------------------------
    # Decisions

    def _current_finding(self) -> Finding | None:
        if self.session is None:
            self._toast("still checking the series…", timeout=2)
            return None
        finding = self.table.current
        if finding is None:
            self._toast("no finding selected in this patch", timeout=2)
        return finding

    def action_accept(self) -> None:
        finding = self._current_finding()
        if finding is None or self.session is None:
            return
        fix = finding.fix
        unsafe = fix is not None and fix.safety == "unsafe" and finding.fingerprint not in self.session.accepted
        if unsafe and self._unsafe_armed != finding.fingerprint:
            self._unsafe_armed = finding.fingerprint
            self._toast("this fix is marked unsafe (it may change behaviour): the diff shows it; y again accepts")
            return
        self._unsafe_armed = None
        try:
            self._toast(self.session.accept(finding))
        except (SessionError, UsageError, OSError) as exc:
            self._toast(str(exc), severity="warning")
            return
        self._written = False
        self._refresh_decision(finding)

    def action_dismiss(self) -> None:
        finding = self._current_finding()
        if finding is None or self.session is None:
            return
        session = self.session

        def done(reason: str | None) -> None:
            if reason is None:
                return
            try:
                self._toast(session.dismiss(finding, reason))
            except (SessionError, InputError, UsageError, OSError) as exc:
                self._toast(str(exc), severity="warning")
                return
            self._refresh_decision(finding)
            self._refresh_tree()
            self.write_ahead(self.position)  # the reply without the dismissed finding

        self.push_screen(DismissScreen(finding, str(session.baseline)), done)

    def action_undo(self) -> None:
        if self.session is None:
            return
        last = self.session.history[-1].finding if self.session.history else None
        try:
            self._toast(self.session.undo())
        except (SessionError, InputError, UsageError, OSError) as exc:
            self._toast(str(exc), severity="warning")
            return
        if last is not None:
            if last.patch is not None and last.patch != self.position:
                self.show_patch(last.patch)
            self.table.select(last)
            self._refresh_decision(last)
            self._refresh_tree()
            self.write_ahead(self.position)

    def action_explain(self) -> None:
        finding = self._current_finding()
        if finding is None:
            return
        comments = self.comments.get(self.position, [])
        kept = self._kept("explain")
        if isinstance(kept, ExplainScreen):
            kept.explain(finding, comments)
            self.push_screen(kept)
        else:
            self.push_screen(ExplainScreen(finding, comments))

    # ------------------------------------------------------------------
    # Output

    async def action_reply(self) -> None:
        if self.session is None:
            self._toast("still checking the series…", timeout=2)
            return
        ahead = self._ahead
        if ahead is not None and not ahead.is_finished:
            # the reply is being written ahead: wait for it rather than write it twice at once
            with suppress(WorkerError):
                await ahead.wait()
        try:
            text = self.session.reply(self.patch)
        except SessionError as exc:
            self._toast(str(exc), severity="warning")
            return
        path = self._reply_target(self.patch)
        kept = self._kept("reply")
        if isinstance(kept, ReplyScreen):
            kept.load(text, path, self.patch.subject.raw)
            self.push_screen(kept)
        else:
            self.push_screen(ReplyScreen(text, path, self.patch.subject.raw))

    def _reply_target(self, patch: Patch) -> Path:
        """Where the reply to ``patch`` is saved unless the maintainer types another path."""
        return Path(self.options.reply_out) if self.options.reply_out else reply_path(self.series, patch)

    def action_write(self) -> None:
        if self.session is None:
            self._toast("still checking the series…", timeout=2)
            return
        try:
            text = self.session.next_version()
        except SessionError as exc:
            self._toast(str(exc), severity="warning")
            return
        target = Path(self.options.next_out) if self.options.next_out else self.session.next_version_path()
        try:
            write_atomic(target, text)
        except UsageError as exc:  # write_atomic's own refusal (a directory, an input file, no such folder)
            self._toast(str(exc), severity="error")
            return
        except OSError as exc:
            self._toast(f"{target}: cannot write: {exc.strerror or exc}", severity="error")
            return
        self._written = True
        fixes = plural(len(self.session.accepted), "fix", "es")
        self._toast(f"v{self.series.version + 1} with {fixes} written to {target}")

    def action_comments(self) -> None:
        self.show_comments = not self.show_comments
        self.show_patch(self.position, keep_cursor=True)
        state = "shown" if self.show_comments else "hidden"
        count = sum(len({c.message_id for c in cs}) for cs in self.comments.values())
        self._toast(f"thread replies {state} ({count} with comments on patch lines)", timeout=2)

    def action_help(self) -> None:
        kept = self._kept("help")
        if isinstance(kept, HelpScreen):
            kept.from_top()
            self.push_screen(kept)
        else:
            self.push_screen(HelpScreen())

    def action_checks(self) -> None:
        """b4's c shows the checks: here the findings table takes the focus."""
        self.table.focus()

    def action_toggle_reply(self) -> None:
        finding = self._current_finding()
        if finding is None or self.session is None:
            return
        inside = self.session.toggle_reply(finding)
        self.table.set_in_reply(finding, inside)
        self.write_ahead(self.position)
        self._toast(f"[{finding.rule}] {'back in' if inside else 'left out of'} the reply (r previews it)")

    def action_mark(self, state: str) -> None:
        if self.session is None:
            self._toast("still checking the series…")
            return
        if self.position == COVER:
            self._toast("the cover letter has no done/skip state; n goes to patch 1")
            return
        now = self.session.mark_patch(self.position, state)
        self.query_one("#tree", SeriesTree).set_state(self.series, self.session.patch_state)
        self._toast(f"patch {self.patch.index}/{self.patch.total}: {now or 'undecided'}")

    def action_search(self) -> None:
        def done(query: str | None) -> None:
            if not query:
                return
            self._last_search = query
            index = find_next([r.text for r in self.diff.rows], query, self.diff.cursor)
            if index is None:
                self._toast(f"not found: {query}")
            else:
                self.diff.set_cursor(index, scroll="jump")

        self.push_screen(SearchScreen(self._last_search), done)

    NARROW = 100
    """Below this many columns the tree starts hidden (ctrl+b shows it): the diff needs the width."""

    def on_resize(self, event: events.Resize) -> None:
        if not self._tree_toggled:
            self.query_one("#tree", SeriesTree).display = event.size.width >= self.NARROW

    def action_toggle_tree(self) -> None:
        self._tree_toggled = True
        tree = self.query_one("#tree", SeriesTree)
        tree.display = not tree.display

    def action_resize_tree(self, delta: int) -> None:
        tree = self.query_one("#tree", SeriesTree)
        width = self._tree_width or tree.size.width or 30
        self._tree_width = max(16, min(width + delta, self.size.width // 2))
        tree.styles.width = self._tree_width

    def _toast(self, message: str, severity: str = "information", timeout: float = 3) -> None:
        """One toast at a time: a new one replaces the last, so they never pile up over the panel."""
        self.clear_notifications()
        self.notify(message, severity=severity, timeout=timeout)  # type: ignore[arg-type]

    async def action_quit(self) -> None:
        """The command palette's Quit goes through the same "fixes not written" prompt as q."""
        self.action_quit_review()

    def action_quit_review(self) -> None:
        pending = bool(self.session and self.session.accepted and not self._written)
        if pending and not self._quit_armed:
            self._quit_armed = True
            self._toast("accepted fixes are not written yet: w writes the next version, q again quits", timeout=5)
            return
        self.exit(0)
