"""C syntax highlighting with tree-sitter-c, for diff lines and text areas.

Textual has no built-in C grammar.  Diff lines are highlighted here: each
side of a file (the post-image lines a hunk shows, the pre-image lines it
removes) is parsed as one fragment, so a token split over a line break or a
multi-line comment still gets the right colour, and the captures of
``tree_sitter_c.HIGHLIGHTS_QUERY`` become rich styles.  The parse is raw (no
kernel normalisation): normalisation rewrites ``list_for_each_entry`` into
``for``, which would colour the start of the macro name as a keyword.
:func:`register_c` registers the same grammar and query with a TextArea.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import tree_sitter as ts
import tree_sitter_c as tsc
from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from textual.widgets import TextArea

TAB_SIZE = 8

CAPTURE_STYLES: dict[str, Style] = {
    "keyword": Style(color="#c678dd", bold=True),
    "type": Style(color="#e5c07b"),
    "function": Style(color="#61afef"),
    "function.special": Style(color="#61afef", italic=True),
    "string": Style(color="#98c379"),
    "number": Style(color="#d19a66"),
    "constant": Style(color="#d19a66"),
    "comment": Style(color="#7f848e", italic=True),
    "property": Style(color="#56b6c2"),
    "label": Style(color="#e06c75"),
}
"""Capture name -> style; captures not listed (variable, operator, delimiter) stay plain."""

_RANK = {"function": 2, "function.special": 2, "type": 2, "property": 2, "comment": 3, "string": 3}


@lru_cache(maxsize=1)
def _language() -> ts.Language:
    return ts.Language(tsc.language())


@lru_cache(maxsize=1)
def _query() -> ts.Query:
    return ts.Query(_language(), tsc.HIGHLIGHTS_QUERY)


def _spans(source: bytes) -> list[tuple[int, int, str]]:
    """(start byte, end byte, capture) for every styled capture, lowest rank first."""
    tree = ts.Parser(_language()).parse(source)
    captures = ts.QueryCursor(_query()).captures(tree.root_node)
    spans = [
        (node.start_byte, node.end_byte, name)
        for name, nodes in captures.items()
        if name in CAPTURE_STYLES
        for node in nodes
    ]
    spans.sort(key=lambda s: (_RANK.get(s[2], 1), s[0]))
    return spans


def highlight_lines(lines: list[str]) -> list[Text]:
    """One rich Text per line (tabs expanded), coloured as one C fragment."""
    source = "\n".join(lines).encode("utf-8", "surrogateescape")
    starts: list[int] = []
    sizes: list[int] = []
    offset = 0
    for line in lines:
        starts.append(offset)
        sizes.append(len(line.encode("utf-8", "surrogateescape")))
        offset += sizes[-1] + 1
    texts = [Text(line) for line in lines]
    ascii_only = source.isascii()
    for start, end, name in _spans(source):
        style = CAPTURE_STYLES[name]
        row = _row_of(starts, start)
        while row < len(lines) and starts[row] < end:
            line_start = starts[row]
            lo, hi = max(start, line_start) - line_start, min(end, line_start + sizes[row]) - line_start
            if not ascii_only:
                raw = lines[row].encode("utf-8", "surrogateescape")
                lo = len(raw[:lo].decode("utf-8", "replace"))
                hi = len(raw[:hi].decode("utf-8", "replace"))
            if hi > lo:
                texts[row].stylize(style, lo, hi)
            row += 1
    for text in texts:
        text.expand_tabs(TAB_SIZE)
    return texts


def _row_of(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


def register_c(area: TextArea) -> None:
    """Teach a TextArea the ``c`` language (tree-sitter-c and its highlights query)."""
    area.register_language("c", _language(), tsc.HIGHLIGHTS_QUERY)
