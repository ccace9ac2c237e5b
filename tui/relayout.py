"""Changing what a pane holds without laying out the whole screen again.

Textual treats a new virtual size of a scrolling widget, and a new content
size of any widget, as a layout change: the next frame reflows every widget
of the screen and repaints all of it (35-45 ms at 220x60 on a loaded
machine).  A key that moved to another finding paid for two or three such
frames.

The diff and the findings table are sized by the screen
(``1fr``), never by what they hold: only their scrollbars depend on it, and
when a scrollbar appears or goes Textual lays out the screen on its own
(``show_vertical_scrollbar`` is a layout reactive).  So a new content size
only needs the scrollbars updated and the pane repainted.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


def set_virtual_size(widget: Widget, size: Size) -> None:
    """Give ``widget`` (a scrolling pane sized by the screen) a new virtual size: its scrollbars
    follow and it repaints; the screen is laid out again only when a scrollbar comes or goes."""
    if size == widget.virtual_size:
        return
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)
    widget.refresh()
