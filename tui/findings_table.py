"""The findings of the current patch: decision, severity, file:line, message, rule.

A Line-API widget like the diff view, not a DataTable: a DataTable renders
every cell through rich again whenever it is refilled (each patch), gains or
loses focus, or changes width, which cost a few hundred milliseconds a key on
a loaded machine.  Here each row is drawn once per width into a strip and
kept; the cursor redraws two rows.  The highlighted row follows and drives the
diff cursor (:class:`FindingFocused`), as the DataTable's RowHighlighted did.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Click, Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reviewkit.model import Finding

from .diff_view import SEVERITY_COLOUR
from .messages import FindingFocused
from .relayout import set_virtual_size

STATUS_MARK = {"accepted": Text("✓", "bold #7ee787"), "dismissed": Text("✗", "#6b7280"), "": Text("")}
COLUMNS = (
    ("status", "", 1),
    ("sev", "sev", 8),
    ("where", "file:line", 20),
    ("message", "message", 0),
    ("rule", "rule", 0),
)
"""(key, header, width): 0 is sized to the terminal (message takes what the rule id leaves)."""
MIN_MESSAGE = 30
"""Below this the rule column (also in the finding panel) is left out for the message."""
COMPACT = 70
"""Narrower than this (80x24: the table gets about 48 columns), severities are one letter (E, W, I)
and file:line as wide as the longest: the message keeps what it can."""

_HEADER = Style(color="#6b7280", bold=True)
_CURSOR = Style(bgcolor="#3e4a60")
_CURSOR_BLURRED = Style(bgcolor="#2c3442")
_ZEBRA = Style(bgcolor="#1c1f26")


class FindingsTable(ScrollView, can_focus=True):
    """One row per finding under a header line; a cursor row."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor(1)", "down", show=False),
        Binding("k,up", "cursor(-1)", "up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("home", "edge(0)", "first", show=False),
        Binding("end", "edge(1)", "last", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.findings: list[Finding] = []
        self._cells: list[dict[str, Text]] = []
        self.cursor_row = 0
        self._strips: dict[tuple[int, bool], Strip] = {}

    # ------------------------------------------------------------------
    # Content

    def show(self, findings: list[Finding], statuses: list[str]) -> None:
        """Fill the table; the cursor on the first row, without moving the diff (nothing announced)."""
        self.findings = list(findings)
        self._cells = [self._row_cells(f, s) for f, s in zip(findings, statuses, strict=True)]
        self.cursor_row = 0
        self._strips.clear()
        set_virtual_size(self, Size(self.size.width, len(self.findings) + 1))
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    @staticmethod
    def _row_cells(f: Finding, status: str) -> dict[str, Text]:
        return {
            "status": STATUS_MARK[status],
            "sev": Text(f.severity.value, SEVERITY_COLOUR[f.severity]),
            "where": Text(f"{f.file.rsplit('/', 1)[-1]}:{f.line}"),
            "message": Text(f.message.replace("`", ""), style="#6b7280 strike" if status == "dismissed" else ""),
            "rule": Text(f.rule),
        }

    def get_cell(self, row: str, column: str) -> Text:
        """The cell of row ``row`` (its index) and column ``column`` (a key of :data:`COLUMNS`)."""
        return self._cells[int(row)][column]

    def _set_cell(self, finding: Finding, column: str, value: Text) -> None:
        if finding in self.findings:
            index = self.findings.index(finding)
            self._cells[index][column] = value
            self._forget(index)

    def set_in_reply(self, finding: Finding, inside: bool) -> None:
        """A finding left out of the reply shows its severity dimmed and marked with ∅."""
        colour = SEVERITY_COLOUR[finding.severity] if inside else "#6b7280"
        label = finding.severity.value if inside else f"∅{finding.severity.value}"
        self._set_cell(finding, "sev", Text(label, colour))

    def set_status(self, finding: Finding, status: str) -> None:
        self._set_cell(finding, "status", STATUS_MARK[status])
        if finding in self.findings:
            self._cells[self.findings.index(finding)]["message"].style = (
                "#6b7280 strike" if status == "dismissed" else ""
            )

    def _forget(self, index: int) -> None:
        self._strips.pop((index, False), None)
        self._strips.pop((index, True), None)
        self.refresh_line(index + 1)

    # ------------------------------------------------------------------
    # Cursor

    @property
    def current(self) -> Finding | None:
        if not self.findings or not 0 <= self.cursor_row < len(self.findings):
            return None
        return self.findings[self.cursor_row]

    def select(self, finding: Finding, *, announce: bool = True) -> None:
        """Move the cursor to ``finding`` unless it is already there."""
        if finding in self.findings and self.current is not finding:
            self.move_cursor(row=self.findings.index(finding), announce=announce)

    def move_cursor(self, *, row: int, announce: bool = True) -> None:
        """Put the cursor on ``row`` and announce the finding there (the diff follows), unless the
        caller has shown it already."""
        if not self.findings:
            return
        row = max(0, min(row, len(self.findings) - 1))
        if row == self.cursor_row:
            return
        old, self.cursor_row = self.cursor_row, row
        self.refresh_line(old + 1)
        self.refresh_line(row + 1)
        self._scroll_to_cursor()
        if announce:
            self.post_message(FindingFocused(self.findings[row]))

    def _scroll_to_cursor(self) -> None:
        rows = max(1, self.size.height - 1)
        y = self.scroll_offset.y
        if self.cursor_row < y:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= y + rows:
            self.scroll_to(y=self.cursor_row - rows + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(row=self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(row=self.cursor_row + direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self.move_cursor(row=len(self.findings) - 1 if end else 0)

    def on_click(self, event: Click) -> None:
        if event.y >= 1:
            self.move_cursor(row=self.scroll_offset.y + event.y - 1)

    def on_focus(self) -> None:
        self._strips = {k: v for k, v in self._strips.items() if k[0] != self.cursor_row}

    def on_blur(self) -> None:
        self.on_focus()

    def on_resize(self, event: Resize) -> None:
        self._strips.clear()
        set_virtual_size(self, Size(event.size.width, len(self.findings) + 1))

    # ------------------------------------------------------------------
    # Rendering

    @property
    def compact(self) -> bool:
        return self.size.width < COMPACT

    def _widths(self) -> dict[str, int]:
        """Column widths for this width: fixed ones, the rule id's, the message the rest."""
        widths = {key: width for key, _h, width in COLUMNS}
        if self.compact:
            widths["sev"] = 1
            widths["where"] = min(widths["where"], max((c["where"].cell_len for c in self._cells), default=9))
        fixed = sum(widths.values()) + len(COLUMNS)  # a space after each column
        rule = max((len(f.rule) for f in self.findings), default=4)
        message = self.size.width - fixed - rule - 1
        if message < MIN_MESSAGE:
            rule, message = 0, self.size.width - fixed
        widths["rule"], widths["message"] = rule, max(message, 8)
        return widths

    def _line(self, cells: dict[str, Text], base: Style) -> Strip:
        line = Text(style=base, no_wrap=True, end="")
        for key, width in self._widths().items():
            if not width:
                continue
            cell = cells[key].copy()
            if key == "sev" and width == 1:
                cell = Text(cell.plain.lstrip("∅")[:1].upper(), style=cell.style)
            cell.truncate(width, overflow="ellipsis", pad=True)
            line.append_text(cell)
            line.append(" ")
        return Strip(list(line.render(self.app.console))).extend_cell_length(self.size.width, base)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            header = {key: Text(title) for key, title, _w in COLUMNS}
            return self._line(header, _HEADER).crop(0, width)
        index = self.scroll_offset.y + y - 1
        if index >= len(self.findings):
            return Strip.blank(width)
        at_cursor = index == self.cursor_row
        strip = self._strips.get((index, at_cursor))
        if strip is None:
            base = Style()
            if at_cursor:
                base = _CURSOR if self.has_focus else _CURSOR_BLURRED
            elif index % 2:
                base = _ZEBRA
            strip = self._strips[(index, at_cursor)] = self._line(self._cells[index], base)
        return strip.crop(0, width)
