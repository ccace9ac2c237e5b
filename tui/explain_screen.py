"""``i``: why a finding matters, from the rule's own documentation and the thread.

The rule docstring (what it does, why it is bad, the review it comes from,
known limitations, fix safety) is the same text ``reviewkit explain`` prints;
replies of the thread that quote lines near the finding are shown under it,
so the maintainer sees what other reviewers already said there.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

from reviewkit.model import Finding

from .comments import Comment

NEAR = 6
"""Replies quoting a line this close to the finding count as "on this line"."""


def explain_markdown(finding: Finding, comments: list[Comment]) -> str:
    where = f"`{finding.file}:{finding.line}`" + (f" in `{finding.function}()`" if finding.function else "")
    doc = finding.rationale.strip() or "_This rule has no documentation._"
    title, _, rest = doc.partition("\n")
    parts = [
        f"# {finding.rule}: {title.strip()}",
        f"**{finding.severity.value}** at {where}: {finding.message}",
    ]
    if finding.path:
        parts.append("## The path\n" + "\n".join(f"- line {s.line}: {s.note}" for s in finding.path))
    parts.append(rest.strip())
    near = [c for c in comments if c.path == finding.file and abs(c.line - finding.line) <= NEAR]
    if near:
        parts.append("## Said in this thread near this line")
        for c in near:
            quoted = "\n".join(f"> {line}" for line in c.text.split("\n"))
            parts.append(f"**{c.author}** ({c.date}) on line {c.line}:\n\n{quoted}")
    return "\n\n".join(p for p in parts if p)


class ExplainScreen(ModalScreen[None]):
    """Markdown view of :func:`explain_markdown`; escape, q or e closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,i", "dismiss", "close"),
        Binding("space", "page(1)", "page down"),
        Binding("backspace", "page(-1)", "page up"),
        Binding("j", "scroll(1)", "down", show=False),
        Binding("k", "scroll(-1)", "up", show=False),
    ]

    def __init__(self, finding: Finding, comments: list[Comment]) -> None:
        super().__init__()
        self.text = explain_markdown(finding, comments)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="explain-box"):
            yield Markdown(self.text, id="explain-text")
        yield Footer()  # this screen's own keys, not the main screen's

    def action_page(self, direction: int) -> None:
        box = self.query_one("#explain-box", VerticalScroll)
        step = max(box.size.height - 2, 1)
        box.scroll_to(y=box.scroll_offset.y + direction * step, animate=False)

    def action_scroll(self, delta: int) -> None:
        box = self.query_one("#explain-box", VerticalScroll)
        box.scroll_to(y=box.scroll_offset.y + delta, animate=False)
