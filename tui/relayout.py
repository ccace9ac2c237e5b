"""Changing what a pane holds without laying out the whole screen again.

Textual treats a new virtual size of a scrolling widget, and a new content
size of any widget, as a layout change: the next frame reflows every widget
of the screen and repaints all of it (35-45 ms at 220x60 on a loaded
machine), and the sizes that reflow assigns are set again as layout
reactives, which asks for one more full layout that finds the same sizes.
A key that moved to another finding paid for two or three such frames.

The diff and the findings table are sized by the screen
(``1fr``), never by what they hold: only their scrollbars depend on it, and
when a scrollbar appears or goes Textual lays out the screen on its own
(``show_vertical_scrollbar`` is a layout reactive).  So a new content size
only needs the scrollbars updated and the pane repainted.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from textual.geometry import Size
from textual.widget import Widget

if TYPE_CHECKING:
    _Mixin = Widget
else:
    _Mixin = object
    """Not a Widget at run time: a Widget class in the bases would give the classes using it its
    class settings (can_focus False, its DEFAULT_CSS) ahead of their own widget's."""


_LAYOUT_FLAG = "layout" in inspect.signature(getattr(Widget, "_size_updated", lambda: None)).parameters
"""Textual's ``Widget._size_updated`` takes ``layout=`` (8.x does)."""


def private_hooks_present() -> bool:
    """Textual's private hooks this module leans on are there (tests/test_tui.py checks it, so a
    Textual release that renames them fails the suite instead of quietly costing the fast path)."""
    return callable(getattr(Widget, "_scroll_update", None)) and _LAYOUT_FLAG


def set_virtual_size(widget: Widget, size: Size) -> None:
    """Give ``widget`` (a scrolling pane sized by the screen) a new virtual size: its scrollbars
    follow and it repaints; the screen is laid out again only when a scrollbar comes or goes.

    Without Textual's private ``_scroll_update`` (another Textual release) the public reactive is
    set instead: correct, one layout slower."""
    if size == widget.virtual_size:
        return
    update = getattr(widget, "_scroll_update", None)
    if not callable(update):
        widget.virtual_size = size
        return
    widget.set_reactive(Widget.virtual_size, size)
    update(size)
    widget.refresh()


class QuietSize(_Mixin):
    """Mixed into a widget sized by its content (the key bar, the reply screen's boxes): the sizes a
    layout assigns are taken as they are, not set as layout reactives.

    The layout that computed them has already placed every widget by them; setting them as
    layout reactives asks for a second layout of the screen, which finds the same sizes (one
    more frame, 10-30 ms, after every change of the panel's text).  A scrollbar that comes or
    goes still lays the screen out (``show_vertical_scrollbar`` is a layout reactive)."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        if not _LAYOUT_FLAG:  # a Textual release without the ``layout`` flag: its own behaviour
            return super()._size_updated(size, virtual_size, container_size)
        return super()._size_updated(size, virtual_size, container_size, layout=False)
