"""``/``: search the diff of the current patch, as in less and b4's pager.

A one-line prompt; enter jumps to the next row containing the text (case
folded, wrapping at the end); an empty enter repeats the last search.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Input


class SearchScreen(ModalScreen[str | None]):
    """Ask for the text to find; escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, last: str = "") -> None:
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        yield Input(placeholder=f"search (enter: {self.last!r})" if self.last else "search", id="search-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or self.last or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def find_next(texts: list[str], query: str, start: int) -> int | None:
    """Index of the next text after ``start`` containing ``query`` (wrapping), or None."""
    if not query or not texts:
        return None
    needle = query.casefold()
    n = len(texts)
    for step in range(1, n + 1):
        i = (start + step) % n
        if needle in texts[i].casefold():
            return i
    return None
