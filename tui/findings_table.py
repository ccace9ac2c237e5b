"""The findings of the current patch: severity, rule, file:line, message, decision."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from reviewkit.model import Finding

from .diff_view import SEVERITY_COLOUR
from .messages import FindingFocused

STATUS_MARK = {"accepted": Text("✓", "bold #7ee787"), "dismissed": Text("✗", "#6b7280"), "": Text("")}


class FindingsTable(DataTable[Text | str]):
    """One row per finding; the highlighted row follows and drives the diff cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "down", show=False),
        Binding("k", "cursor_up", "up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.findings: list[Finding] = []
        self._quiet = False

    def on_mount(self) -> None:
        # the message right after where it is: the rule id (also in the panel) comes last
        self.add_column("", key="status", width=1)
        self.add_column("sev", key="sev", width=7)
        self.add_column("file:line", key="where", width=20)
        self.add_column("message", key="message")
        self.add_column("rule", key="rule")

    def show(self, findings: list[Finding], statuses: list[str]) -> None:
        self.findings = list(findings)
        self.clear()
        # Filling the table highlights row 0; that must not pull the diff away from the top of the patch.
        self._quiet = bool(findings) and bool(self.columns)
        for n, (f, status) in enumerate(zip(findings, statuses, strict=True)):
            self.add_row(
                STATUS_MARK[status],
                Text(f.severity.value, SEVERITY_COLOUR[f.severity]),
                f"{f.file.rsplit('/', 1)[-1]}:{f.line}",
                Text(f.message.replace("`", ""), style="#6b7280 strike" if status == "dismissed" else ""),
                f.rule,
                key=str(n),
            )

    def set_in_reply(self, finding: Finding, inside: bool) -> None:
        """A finding left out of the reply shows its severity dimmed and marked with ∅."""
        if finding in self.findings:
            colour = SEVERITY_COLOUR[finding.severity] if inside else "#6b7280"
            label = finding.severity.value if inside else f"∅{finding.severity.value}"
            self.update_cell(str(self.findings.index(finding)), "sev", Text(label, colour))

    def set_status(self, finding: Finding, status: str) -> None:
        if finding in self.findings:
            self.update_cell(str(self.findings.index(finding)), "status", STATUS_MARK[status])

    @property
    def current(self) -> Finding | None:
        if not self.findings or not 0 <= self.cursor_row < len(self.findings):
            return None
        return self.findings[self.cursor_row]

    def select(self, finding: Finding) -> None:
        """Move the cursor to ``finding`` unless it is already there."""
        if finding in self.findings and self.current is not finding:
            self.move_cursor(row=self.findings.index(finding))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self._quiet:
            self._quiet = False
            return
        finding = self.current
        if finding is not None:
            self.post_message(FindingFocused(finding))
