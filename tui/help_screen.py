"""``?``: every key of the session, grouped the way the footer groups them."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType

from .keybar import KeyBar
from .paged import PagedModal, paging
from .rendered import RenderedText

HELP_KEY = "help"
KEYS: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "Navigate",
        [
            ("j / k", "next / previous line (tree, table: row)", "same"),
            ("n / p, ] / [", "next / previous patch", "same"),
            (". / ,", "next / previous finding (across patches)", "next / previous comment"),
            ("space / backspace", "page down / up", "same"),
            ("g / G", "top / bottom of the patch", "-"),
            ("h / l", "scroll left / right", "same"),
            ("tab / shift+tab", "focus: tree, diff, findings, finding details", "same"),
            ("enter", "open the tree node under the cursor", "same"),
            ("/", "search the diff (enter on an empty prompt: the next match)", "-"),
        ],
    ),
    (
        "Patch (as in b4 review)",
        [
            ("d", "mark the patch done (again: undecided)", "done"),
            ("x", "mark the patch skipped", "skip"),
            ("f", "show / hide the thread's follow-ups on the lines", "follow-ups"),
            ("c", "go to the checks (the findings table)", "checks"),
            ("r", "the reply to this patch: preview, edit, save", "reply"),
        ],
    ),
    (
        "Finding (reviewkit's own keys, unbound in b4 review)",
        [
            ("y", "accept the fix shown in the diff (unsafe ones ask twice)", "-"),
            ("z", "dismiss with a reason (./.reviewkit-baseline.json)", "-"),
            ("u", "undo the last accept or dismiss", "-"),
            ("i", "explain: rationale, the review it comes from, replies", "-  (b4: e = email mode)"),
            ("m", "put the finding in / out of the reply", "-"),
        ],
    ),
    (
        "Session",
        [
            ("w", "write the next version with the accepted fixes", "-"),
            ("ctrl+b, < / >", "hide the tree, narrower / wider tree", "-"),
            ("?", "this help", "same"),
            ("q", "quit (asks once if accepted fixes are not written)", "quit"),
        ],
    ),
]


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


class HelpScreen(PagedModal):
    """A modal list of keys; any of escape, q or ? closes it, space pages (80x24 shows a third)."""

    BOX = "help-box"
    BINDINGS: ClassVar[list[BindingType]] = paging("escape,q,question_mark")

    def compose(self) -> ComposeResult:
        yield RenderedText(HELP_KEY, help_table, id="help-box")
        yield KeyBar()
