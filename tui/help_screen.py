"""``?``: every key of the session (the table in :mod:`.keys`), grouped the way the footer groups them."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType

from .keybar import KeyBar
from .keys import KEYS
from .paged import PagedModal, paging
from .prebuilt import SteadyScreen
from .rendered import RenderedText

HELP_KEY = "help"


def help_table() -> Group:
    """One titled grid per group of keys: reviewkit's meaning next to b4 review's."""
    parts: list[Text | Table] = [Text("reviewkit tui: keys", "bold"), Text("")]
    for title, keys in KEYS:
        table = Table(box=None, padding=(0, 2), show_header=True, header_style="#6b7280")
        table.add_column("key", style="bold #e5c07b", no_wrap=True, min_width=16)
        table.add_column("reviewkit")
        table.add_column("b4 review", style="#6b7280")
        for key, what, b4 in keys:
            table.add_row(key, what, b4)
        parts.extend([Text(title, "bold underline"), table, Text("")])
    return Group(*parts)


HELP_BOX = (0.96, 110, 7)
"""#help-box in review.tcss: width 96%, max-width 110; border 2 + padding 4 + scrollbar 1."""


class HelpScreen(SteadyScreen, PagedModal):
    """A modal list of keys; any of escape, q or ? closes it, space pages (80x24 shows a third).

    The app keeps one, built ahead (see :mod:`.prebuilt`); :meth:`from_top` on each ``?``."""

    BOX = "help-box"
    BINDINGS: ClassVar[list[BindingType]] = paging("escape,q,question_mark")

    def compose(self) -> ComposeResult:
        yield RenderedText(HELP_KEY, help_table, id="help-box")
        yield KeyBar()

    def from_top(self) -> None:
        """Opened again: from the first line, as a new one would be."""
        self.query_one(RenderedText).scroll_to(y=0, animate=False, immediate=True)
