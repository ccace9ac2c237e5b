"""The header: Textual's Header, whose title line is redrawn without a layout of the screen.

Textual's ``HeaderTitle`` is a Static, and a Static's new text lays the whole
screen out again; the title line is one row the width of the terminal
(``width: 100%``, ``text-wrap: nowrap``), so a new subtitle (``1 accepted``,
``2 dismissed`` after ``y`` or ``z``) changes no size: repainting it is enough.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.visual import VisualType
from textual.widgets import Header

try:  # Header's parts are private to Textual: another release may move them
    from textual.widgets._header import HeaderClock, HeaderClockSpace, HeaderIcon, HeaderTitle
except ImportError:  # pragma: no cover - then the plain Header (a new subtitle lays the screen out)
    HAVE_PARTS = False
else:
    HAVE_PARTS = True

    class _Title(HeaderTitle):
        """The title and subtitle (HeaderTitle's CSS applies: Textual matches a type by its bases)."""

        def update(self, content: VisualType = "", *, layout: bool = False) -> None:
            super().update(content, layout=False)

    class TitleBar(Header):
        """Header with the title of :class:`_Title`."""

        def compose(self) -> ComposeResult:
            yield HeaderIcon().data_bind(Header.icon)
            yield _Title()
            yield HeaderClock().data_bind(Header.time_format) if self._show_clock else HeaderClockSpace()


def title_bar() -> Header:
    """The app's header: :class:`TitleBar`, or Textual's own Header where its parts are not found."""
    return TitleBar() if HAVE_PARTS else Header()
