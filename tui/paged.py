"""The keys of a modal text screen (help, explain): page and line through it, close it.

b4's pager and less page with space and backspace and move by line with j/k;
both the help (``?``) and the explain screen (``i``) are long at 80x24, so
both take the same keys and show them in their own key bar.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView


def paging(close: str) -> list[BindingType]:
    """The bindings of a paged modal closed by ``close`` (comma-separated keys): close first."""
    return [
        Binding(close, "dismiss", "close", key_display="esc"),
        Binding("space", "page(1)", "page down"),
        Binding("backspace", "page(-1)", "page up"),
        Binding("j,down", "scroll(1)", "down", show=False),
        Binding("k,up", "scroll(-1)", "up", show=False),
    ]


class PagedModal(ModalScreen[None]):
    """A modal whose scrolling ``#BOX`` pages with space and moves by line with j/k."""

    BOX: ClassVar[str] = ""

    def _box(self) -> ScrollView:
        return self.query_one(f"#{self.BOX}", ScrollView)

    def action_page(self, direction: int) -> None:
        box = self._box()
        step = max(box.size.height - 2, 1)
        box.scroll_to(y=box.scroll_offset.y + direction * step, animate=False)

    def action_scroll(self, delta: int) -> None:
        box = self._box()
        box.scroll_to(y=box.scroll_offset.y + delta, animate=False)
