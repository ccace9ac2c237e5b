"""A long rich renderable (the help tables, an explain text) drawn line by line from a cache.

A Static renders its whole renderable whenever it is shown and again for
every refresh of the screen; the help is about 150 lines of tables and an
explain text as long, of which a modal shows forty.  Here the renderable is
turned into lines once per width and kept (by a key the caller gives: the
help's, a finding's), and only the lines on screen are drawn: opening the
help or the same finding's explanation again costs the lines it shows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from rich.console import Console, RenderableType
from rich.segment import Segment
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .relayout import set_virtual_size

_KEPT: OrderedDict[tuple[Hashable, int], list[list[Segment]]] = OrderedDict()
KEEP = 96
"""Renderings kept (help and explain texts at the widths seen or warmed): a few MB at most."""


def prerender(console: Console, key: Hashable, make: Callable[[], RenderableType], width: int) -> list[list[Segment]]:
    """The lines of ``make()`` at ``width``, rendered now unless kept (also from a worker thread:
    rendering only reads the console's options)."""
    lines = _KEPT.get((key, width))
    if lines is None:
        lines = console.render_lines(make(), console.options.update_width(max(width, 1)), pad=False)
        _KEPT[(key, width)] = lines
        while len(_KEPT) > KEEP:
            _KEPT.popitem(last=False)
    else:
        _KEPT.move_to_end((key, width))
    return lines


def box_text_widths(screen_width: int, share: float, most: int, chrome: int) -> list[int]:
    """Text widths a box of ``share`` of the screen (at most ``most`` columns, ``chrome`` of border,
    padding and scrollbar) may get: the one computed and its neighbours, for rounding."""
    width = min(int(screen_width * share), most) - chrome
    return [width - 1, width, width + 1]


class RenderedText(ScrollView, can_focus=True):
    """``make()``'s renderable, laid out at the widget's width, drawn from cached lines."""

    def __init__(self, key: Hashable, make: Callable[[], RenderableType], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key = key
        self.make = make
        self._lines: list[list[Segment]] = []
        self._width = -1

    def set_content(self, key: Hashable, make: Callable[[], RenderableType]) -> None:
        """Show another renderable (a kept screen opened on another finding), from its top."""
        if key != self.key:
            self.key = key
            self.make = make
            if self._width > 0:
                width, self._width = self._width, -1
                self._layout_at(width)
            self.refresh()
        self.scroll_to(y=0, animate=False, immediate=True)

    def lines_at(self, width: int) -> list[list[Segment]]:
        """The renderable's lines at ``width`` (rendered once per key and width)."""
        return prerender(self.app.console, self.key, self.make, width)

    def _layout_at(self, width: int) -> None:
        if width != self._width:
            self._width = width
            self._lines = self.lines_at(width)
            set_virtual_size(self, Size(width, len(self._lines)))

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        """Lay the text out at the width the layout gives, before the scrollbars are set from it:
        laid out when first drawn, the text's length was a layout of the screen of its own, and
        the scrollbar it brings another (two frames more for ``i`` and ``?``)."""
        gutter = self.styles.gutter.width + self.styles.scrollbar_size_vertical
        if size.width > gutter:
            width = size.width - gutter
            if width != self._width:
                self._width = width
                self._lines = self.lines_at(width)
                self.set_reactive(ScrollView.virtual_size, Size(width, len(self._lines)))
        return super()._size_updated(size, virtual_size, container_size, layout)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines_at(self._text_width(width)))

    def _text_width(self, width: int) -> int:
        """The text's width inside ``width``: the vertical scrollbar's gutter is always kept."""
        return max(width - self.styles.scrollbar_size_vertical, 1)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        self._layout_at(width)
        index = self.scroll_offset.y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return Strip(self._lines[index]).crop(0, width).extend_cell_length(width, self.rich_style)
