"""``?``: every key of the session, grouped the way the footer groups them."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Navigate (as in b4 review tui)",
        [
            ("j / k", "next / previous line (in the tree and table: next / previous row)"),
            ("n / p, ] / [", "next / previous patch"),
            (". / ,", "next / previous finding (across patches)"),
            ("space / backspace", "page down / up"),
            ("g / G", "top / bottom of the patch"),
            ("h / l", "scroll left / right"),
            ("tab / shift+tab", "cycle focus: tree, diff, findings"),
            ("enter", "open the tree node under the cursor"),
        ],
    ),
    (
        "Finding",
        [
            ("a", "accept the suggested fix (for the next version and --fix-dir)"),
            ("d", "dismiss with a reason (recorded in the baseline)"),
            ("u", "undo the last accept or dismiss"),
            ("e", "explain: the rule's rationale, the review it comes from, replies on this line"),
        ],
    ),
    (
        "Session",
        [
            ("r", "write the reply to this patch (edit, then save for git send-email / neomutt)"),
            ("w", "write the next version of the series with the accepted fixes"),
            ("c", "show / hide the replies already in the thread"),
            ("?", "this help"),
            ("q", "quit (asks once if accepted fixes are not written yet)"),
        ],
    ),
]


def help_table() -> Group:
    """One titled grid per group of keys."""
    parts: list[Text | Table] = []
    for title, keys in KEYS:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold #e5c07b", no_wrap=True, min_width=18)
        table.add_column()
        for key, what in keys:
            table.add_row(key, what)
        parts.extend([Text(title, "bold underline"), table, Text("")])
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("reviewkit tui: keys", "bold"), id="help-title")
            yield Static(help_table())
