"""``d``: ask why a finding is dismissed; the reason goes into the baseline."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from reviewkit.model import Finding


class DismissScreen(ModalScreen[str | None]):
    """Returns the reason, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, finding: Finding, baseline: str) -> None:
        super().__init__()
        self.finding = finding
        self.baseline = baseline

    def compose(self) -> ComposeResult:
        f = self.finding
        with Vertical(id="dismiss-box"):
            yield Static(Text.assemble(("Dismiss ", "bold"), (f"[{f.rule}] ", "bold"), f"{f.file}:{f.line}"))
            yield Static(Text(f.message, "#9ca3af"))
            yield Input(value="false positive", placeholder="why is this not a problem?", id="dismiss-reason")
            yield Static(Text(f"enter: record in {self.baseline} · escape: cancel", "#6b7280"))

    def on_mount(self) -> None:
        box = self.query_one("#dismiss-reason", Input)
        box.focus()
        box.action_select_all()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
