"""``i``: why a finding matters: the rule's documentation, the path, the fix, the thread.

The text is :func:`reviewkit.report.explain.finding_markdown`, the one
``reviewkit explain FILE:LINE SERIES`` prints, with the thread's replies that
quote lines near the finding under it, so the maintainer sees what other
reviewers already said there.  It is laid out by rich's Markdown renderer once
per text and width and drawn line by line (:class:`RenderedText`); Textual's
Markdown widget mounted a widget per block: seconds for a long rule
documentation on a loaded machine.
"""

from __future__ import annotations

from typing import ClassVar

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import BindingType

from reviewkit.model import Finding
from reviewkit.report.explain import finding_markdown, normalise

from .comments import Comment
from .keybar import KeyBar
from .paged import PagedModal, paging
from .prebuilt import SteadyScreen
from .rendered import RenderedText

EXPLAIN_BOX = (0.9, 110, 5)
"""#explain-box in review.tcss: width 90%, max-width 110; border 2 + padding 2 + scrollbar 1."""


def render_explain(text: str) -> Markdown:
    return Markdown(text, code_theme="ansi_dark", hyperlinks=False)


def explain_key(text: str) -> tuple[str, str]:
    return ("explain", text)


def explain_markdown(finding: Finding, comments: list[Comment]) -> str:
    """The explain text of ``finding`` with the thread's ``comments`` near it (Markdown)."""
    return normalise(finding_markdown(finding, comments))


class ExplainScreen(SteadyScreen, PagedModal):
    """The rendered :func:`explain_markdown`; escape, q or i closes it, space pages.

    The app keeps one, built ahead (see :mod:`.prebuilt`), and :meth:`explain` points it at the
    finding of each ``i``."""

    BOX = "explain-box"
    BINDINGS: ClassVar[list[BindingType]] = paging("escape,q,i")

    def __init__(self, finding: Finding | None = None, comments: list[Comment] | None = None) -> None:
        super().__init__()
        self.text = explain_markdown(finding, comments or []) if finding is not None else ""

    def compose(self) -> ComposeResult:
        # laid out once per text and width: the same finding explained again draws from the cache
        text = self.text
        yield RenderedText(explain_key(text), lambda: render_explain(text), id="explain-box")
        yield KeyBar()  # this screen's own keys, not the main screen's

    def explain(self, finding: Finding, comments: list[Comment]) -> None:
        """Show ``finding`` (with the thread's ``comments`` near it) from the top of its text."""
        text = self.text = explain_markdown(finding, comments)
        self.query_one(RenderedText).set_content(explain_key(text), lambda: render_explain(text))
