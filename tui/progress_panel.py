"""The bar at the bottom while the series is checked in a worker."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class ProgressPanel(Horizontal):
    """``checking <what>`` and a bar; indeterminate until the worker knows a total."""

    def compose(self) -> ComposeResult:
        yield Label("checking…", id="progress-label")
        yield ProgressBar(total=None, show_eta=False, id="progress-bar")

    def report(self, done: int, total: int | None, what: str) -> None:
        self.query_one("#progress-label", Label).update(f"checking {what}")
        self.query_one("#progress-bar", ProgressBar).update(total=total, progress=done)
