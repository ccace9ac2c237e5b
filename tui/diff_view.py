"""The patch under review: coloured diff, real line numbers, findings and replies inline.

A Line-API widget: only the rows on screen are rendered, so a 5,000-line
patch scrolls as fast as a 50-line one.  A cursor row (``j``/``k``) is what
the maintainer is looking at; moving it onto a line with findings selects
them in the findings table, and selecting a finding there moves it here.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reviewkit.model import Finding, Severity

from .diffmodel import Row, comment_row, file_row, find_row, locate, place_of
from .highlight import TAB_SIZE
from .messages import LineFocused
from .relayout import set_virtual_size

GUTTER = 14
"""``old`` (5) + space + ``new`` (5) + space + mark + space."""

_BG = {
    "add": Style(bgcolor="#14301c"),
    "del": Style(bgcolor="#3a1a1c"),
    "file": Style(bgcolor="#24344f", bold=True),
    "hunk": Style(color="#56b6c2", bgcolor="#1b2430"),
    "meta": Style(bold=True),
    "finding": Style(bgcolor="#2d2714"),
    "comment": Style(color="#c8a2e8", bgcolor="#221d2b", italic=True),
}
_FIX_BG = {
    "add": Style(bgcolor="#10313a"),
    "done": Style(bgcolor="#1d3b17"),
    "gone": Style(color="#7ee787", bgcolor="#1d3b17", italic=True),
    "cut": Style(color="#56d4dd", bgcolor="#10313a", italic=True),
    "keep": Style(bgcolor="#161d22"),
    "note": Style(color="#56d4dd", bgcolor="#161d22", italic=True),
    "drop": Style(bgcolor="#3b2616"),
}
"""A fix in the diff (see fix_preview): teal where the selected fix writes, green where an accepted one
wrote, brown where the selected fix removes a line; different from the series' own +/- colours."""
_FIX_GUTTER = {
    "add": ("fix", "#56d4dd"),
    "cut": ("fix", "#56d4dd"),
    "done": ("fixed", "#7ee787"),
    "gone": ("fixed", "#7ee787"),
}
KEEP_ROWS = 20_000
"""Rows whose strips and widths are kept (the patches seen, both ways of showing the replies):
beyond it the cache starts again."""
_CURSOR = Style(bgcolor="#3e4a60")
_PREFIX = {"add": ("+", "#7ee787"), "del": ("-", "#ff7b72"), "ctx": (" ", "")}
SEVERITY_COLOUR = {Severity.ERROR: "#ff5f5f", Severity.WARNING: "#e5c07b", Severity.INFO: "#61afef"}
_NUMBER = Style(color="#6b7280")


def _mark(findings: list[Finding]) -> Text:
    if not findings:
        return Text(" ")
    worst = max(findings, key=lambda f: f.severity.rank)
    return Text("●", Style(color=SEVERITY_COLOUR[worst.severity], bold=True))


class DiffView(ScrollView, can_focus=True):
    """Rows of one patch; a cursor row linked to the findings table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor(1)", "line down", show=False),
        Binding("k,up", "cursor(-1)", "line up", show=False),
        Binding("space,pagedown", "page(1)", "page down", show=False),
        Binding("backspace,pageup", "page(-1)", "page up", show=False),
        Binding("g,home", "edge(0)", "top", show=False),
        Binding("G,end", "edge(1)", "bottom", show=False),
        Binding("h,left", "pan(-8)", "scroll left", show=False),
        Binding("l,right", "pan(8)", "scroll right", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self._width = 0
        self._strips: dict[tuple[int, bool, bool], tuple[Row, Strip]] = {}
        """Each row drawn once (uncropped), and again only when the cursor lands on or leaves it:
        by the row itself (its id, the row kept beside the strip), not its index, so the rows a
        reshow keeps (a fix previewed or accepted, replies toggled, the findings arriving) and
        those of a patch seen before are not drawn again."""
        self.announced: list[Finding] | None = None
        """The findings of the line the last :meth:`show` put the cursor on, when it told the app
        (LineFocused; None when it did not): the app selects the same finding at once."""
        self._widths: dict[int, tuple[Row, int]] = {}
        """The cells of each row's text, by the row (as :attr:`_strips`)."""
        self._comment_widths: dict[tuple[int, bool], tuple[Row, int]] = {}
        """The same for a reply's rows, by the row and whether it is the reply's first (the author)."""

    # ------------------------------------------------------------------
    # Content

    def show(self, rows: list[Row], cursor: int = 0) -> None:
        self.rows = rows
        if len(self._strips) + len(rows) > KEEP_ROWS:
            self._strips.clear()
            self._widths.clear()
            self._comment_widths.clear()
        self._width = GUTTER + 2 + max((self._text_width(r, i) for i, r in enumerate(rows)), default=0)
        set_virtual_size(self, Size(self._width, len(rows)))
        self.announced = None
        self.set_cursor(cursor, scroll="top" if cursor == 0 else "jump")
        self.refresh()

    def reshow(self, rows: list[Row]) -> bool:
        """Rebuilt rows of the same patch (replies toggled, findings arrived, a fix applied): the
        cursor stays on the same source line, at the same height on screen, whatever came or went
        above it.  False when that line is gone (an accepted fix removed it)."""
        place = place_of(self.rows, self.cursor)
        offset = self.cursor - self.scroll_offset.y
        index = locate(rows, place) if place is not None else None
        found = index is not None
        if index is None:
            index = min(self.cursor, max(0, len(rows) - 1))
        self.show(rows, index)
        if self.size.height and 0 <= offset < self.rows_on_screen:
            self.scroll_to(y=max(0, index - offset), animate=False, immediate=True)
        return found

    def _text_width(self, row: Row, index: int) -> int:
        """Cells of a row's text; a code row's without highlighting it (the colours add no cells)."""
        if row.kind == "comment":  # its author is written on the first of its rows only
            first = self._first_of_comment(index)
            said = self._comment_widths.get((id(row), first))
            if said is not None and said[0] is row:
                return said[1]
            width = self._row_text(row, index).cell_len
            self._comment_widths[(id(row), first)] = (row, width)
            return width
        kept = self._widths.get(id(row))
        if kept is not None and kept[0] is row:
            return kept[1]
        if row.is_code or row.kind == "fix":
            width = cell_len(row.text.expandtabs(TAB_SIZE))
        else:
            width = self._row_text(row, index).cell_len
        self._widths[id(row)] = (row, width)
        return width

    def _first_of_comment(self, index: int) -> bool:
        row = self.rows[index]
        return row.comment is not None and (index == 0 or self.rows[index - 1].comment is not row.comment)

    def _row_text(self, row: Row, index: int) -> Text:
        if row.is_code:
            code = row.highlighted()
            text = code if code is not None else Text(row.text.expandtabs(TAB_SIZE))
            if row.fix == "drop":  # the selected fix removes this line
                text = text.copy()
                text.stylize(Style(strike=True, dim=True))
            return text
        if row.kind == "fix":
            code = row.code if row.fix in ("add", "done", "keep") else None
            return code if code is not None else Text(row.text.expandtabs(TAB_SIZE))
        if row.kind == "finding":
            f = row.findings[0]
            accepted = row.fix == "done"
            colour = "#7ee787" if accepted else SEVERITY_COLOUR[f.severity]
            return Text.assemble(
                ("✓ fix accepted: " if accepted else "▲ ", Style(color=colour, bold=True)),
                (f"{f.severity.value} ", Style(color=SEVERITY_COLOUR[f.severity])),
                (f"[{f.rule}] ", Style(bold=True)),
                f.message,
            )
        if row.kind == "comment" and row.comment is not None:
            first = self._first_of_comment(index)
            who = f"{row.comment.author}: " if first else " " * (len(row.comment.author) + 2)
            return Text.assemble(("┃ ", "#c8a2e8"), (who, Style(bold=True)), row.text.expandtabs(TAB_SIZE))
        return Text(row.text.expandtabs(TAB_SIZE))

    # ------------------------------------------------------------------
    # Rendering

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if index >= len(self.rows):
            return Strip.blank(width)
        at_cursor = index == self.cursor
        row = self.rows[index]
        key = (id(row), at_cursor, row.kind == "comment" and self._first_of_comment(index))
        kept = self._strips.get(key)
        if kept is not None and kept[0] is row:
            strip = kept[1]
        else:
            strip = self._draw(index, at_cursor)
            self._strips[key] = (row, strip)
        base = self._base(row, at_cursor)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, base).crop(0, width)

    @staticmethod
    def _base(row: Row, at_cursor: bool) -> Style:
        base = _FIX_BG.get(row.fix) if row.fix and row.kind != "finding" else None
        base = base or _BG.get(row.kind, Style())
        return base + _CURSOR if at_cursor else base

    def _draw(self, index: int, at_cursor: bool) -> Strip:
        """Row ``index`` as one uncropped strip: gutter, sign, the (highlighted) text."""
        row = self.rows[index]
        line = Text(style=self._base(row, at_cursor), no_wrap=True, end="")
        line.append_text(self._gutter(row, at_cursor))
        if row.is_code:
            sign, colour = ("✗", "#e0a060") if row.fix == "drop" else _PREFIX[row.kind]
            line.append(sign, Style(color=colour, bold=True) if colour else None)
        elif row.kind == "fix" and row.fix in _FIX_GUTTER:
            line.append("+" if row.fix in ("add", "done") else " ", Style(color=_FIX_GUTTER[row.fix][1], bold=True))
        else:
            line.append(" ")
        line.append_text(self._row_text(row, index))
        return Strip(list(line.render(self.app.console)))

    def _gutter(self, row: Row, at_cursor: bool) -> Text:
        if row.is_code:
            old = f"{row.old:>5}" if row.old is not None and row.kind == "del" else " " * 5
            new = f"{row.new:>5}" if row.new is not None and row.kind != "del" else " " * 5
            if row.kind == "ctx" and row.old is not None:
                old = f"{row.old:>5}"
            return Text.assemble((f"{old} {new} ", _NUMBER), _mark(row.findings), ("▶" if at_cursor else " "))
        if row.kind == "fix" and row.fix in _FIX_GUTTER:
            label, colour = _FIX_GUTTER[row.fix]
            return Text.assemble((f"{label:>11} ", Style(color=colour)), " ", "▶" if at_cursor else " ")
        mark = _mark(row.findings) if row.is_anchor else " "
        return Text.assemble(" " * (GUTTER - 2), mark, "▶" if at_cursor else " ")

    # ------------------------------------------------------------------
    # Cursor

    @property
    def current(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def set_cursor(self, index: int, *, scroll: str = "edge", announce: bool = True) -> None:
        """Move the cursor; ``scroll`` is ``edge`` (minimal), ``jump`` (a third down if off screen) or ``top``."""
        if not self.rows:
            return
        index = max(0, min(index, len(self.rows) - 1))
        changed = index != self.cursor
        self.cursor = index
        self._scroll_to_cursor(scroll)
        if announce and (changed or scroll == "top"):
            self._announce()

    @property
    def rows_on_screen(self) -> int:
        """Rows the view shows: without the horizontal scrollbar, which a wide patch adds at the bottom."""
        return max(1, self.scrollable_content_region.height)

    def reveal(self, first: int, last: int) -> None:
        """Scroll as little as needed to show rows ``first..last`` (a fix's lines) with the cursor still
        on screen: at 80x24 a fix a few lines below its finding is otherwise out of sight."""
        height = self.rows_on_screen
        y = self.scroll_offset.y
        if last >= y + height:
            target = min(last - height + 1, first, self.cursor)
        elif first < y:
            target = max(first, self.cursor - height + 1)
        else:
            return
        if target != y:
            self.scroll_to(y=max(0, target), animate=False, immediate=True)

    def _scroll_to_cursor(self, how: str) -> None:
        height = self.rows_on_screen
        y = self.scroll_offset.y
        visible = y <= self.cursor < y + height
        if how == "top":
            target = self.cursor
        elif how == "jump" and not visible:
            target = self.cursor - height // 3
        elif self.cursor < y:
            target = self.cursor
        elif self.cursor >= y + height:
            target = self.cursor - height + 1
        else:
            return
        self.scroll_to(y=max(0, target), animate=False, immediate=True)

    def _announce(self) -> None:
        row = self.current
        if row is None:
            return
        line = row.new if row.kind != "del" else None
        self.announced = list(row.findings)
        self.post_message(LineFocused(row.path, line, list(row.findings)))

    def watch_cursor(self, old: int, new: int) -> None:
        # only the two rows whose look changed; a scroll (set_cursor) repaints the rest from the cache
        self.refresh_line(old)
        self.refresh_line(new)

    def action_cursor(self, delta: int) -> None:
        self.set_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.set_cursor(self.cursor + direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self.set_cursor(len(self.rows) - 1 if end else 0)

    def action_pan(self, delta: int) -> None:
        self.scroll_to(x=max(0, self.scroll_offset.x + delta), animate=False)

    def on_click(self, event: Click) -> None:
        self.set_cursor(self.scroll_offset.y + event.y)

    # ------------------------------------------------------------------
    # Jumps from other widgets

    def goto_finding(self, finding: Finding) -> None:
        """Put the cursor on the finding's line unless it is already there."""
        row = self.current
        if row is not None and finding in row.findings:
            return
        index = find_row(self.rows, finding)
        if index is not None:
            self.set_cursor(index, scroll="jump", announce=False)

    def goto_file(self, path: str) -> None:
        index = file_row(self.rows, path)
        if index is not None:
            self.set_cursor(index, scroll="top")

    def goto_comment(self, message_id: str) -> None:
        index = comment_row(self.rows, message_id)
        if index is not None:
            self.set_cursor(index, scroll="jump")

    def next_finding_row(self, start: int, step: int) -> int | None:
        """The next row (in ``step`` direction) a finding is reported on."""
        i = start + step
        while 0 <= i < len(self.rows):
            row = self.rows[i]
            unplaced_note = row.kind == "finding" and find_row(self.rows, row.findings[0]) == i
            if row.findings and (row.is_anchor or unplaced_note):
                return i
            i += step
        return None
