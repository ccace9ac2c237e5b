"""Making fixes: edits on a view's, a file's or a set of lines' post-image, and merging them.

A fix is offered on top of the series (``git apply -p1`` after the series
is applied).  Each edit captures the visible lines around it when it is
made (:func:`reviewkit.fixes.diff.capture`), so the fix renders without the
view.  In fragment mode only the visible lines are known: context never
comes from a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reviewkit.fixes.diff import CONTEXT, capture
from reviewkit.model import Edit
from reviewkit.views.source import FileView

__all__ = ["CONTEXT", "edit_on_lines", "edit_on_text", "edit_on_view", "merge_edits", "visible"]


def visible(view: FileView) -> dict[int, str]:
    """The post-image lines of ``view`` a fix may show: the whole file in tree mode, else the hunks."""
    if view.tree_post is not None:
        return _text_lines(view.tree_post)
    return {ln.number: ln.text for ln in view.post}


def _text_lines(text: str) -> dict[int, str]:
    rows = text.split("\n")
    if len(rows) > 1 and rows[-1] == "":
        rows.pop()  # what follows the final newline is not a line: never use it as context
    return dict(enumerate(rows, 1))


def edit_on_view(view: FileView, start: int, end: int, new: Iterable[str]) -> Edit:
    """Replace post-image lines ``[start, end)`` of ``view`` with ``new`` (``start == end`` inserts)."""
    return capture(view.path, visible(view), start, end, new)


def edit_on_text(path: str, text: str, start: int, end: int, new: Iterable[str]) -> Edit:
    """Like :func:`edit_on_view` on a whole file's text (a tree file the series does not touch)."""
    return capture(path, _text_lines(text), start, end, new)


def edit_on_lines(
    path: str, lines: Mapping[int, str], start: int, end: int, new: Iterable[str], reach: int = 2 * CONTEXT
) -> Edit:
    """Like :func:`edit_on_view` on sparse visible ``lines`` by real number.

    ``reach``: how many context lines to capture each side; edits of one fix
    share a hunk when they are at most ``2 * CONTEXT`` lines apart and the
    lines between were captured, so a smaller reach keeps edits apart.
    """
    return capture(path, lines, start, end, new, reach)


def merge_edits(batches: list[list[Edit]]) -> tuple[list[Edit], list[int]]:
    """Edits of several fixes on one file as one list; indexes of batches that overlap an earlier one.

    Insertions at the same line are concatenated in batch order (two helpers
    inserted at one spot); a batch touching lines an earlier batch replaces is
    rejected whole, so a fix is either applied completely or not at all.
    The result has no context: capture it again on the lines it applies to.
    """
    merged: list[Edit] = []
    rejected: list[int] = []
    for index, batch in enumerate(batches):
        clash = any(
            e.end > e.start and m.end > m.start and e.start < m.end and m.start < e.end for e in batch for m in merged
        ) or any(
            (e.end == e.start and m.start < e.start < m.end) or (m.end == m.start and e.start < m.start < e.end)
            for e in batch
            for m in merged
        )
        if clash:
            rejected.append(index)
            continue
        for e in batch:
            same = next((m for m in merged if m.end == m.start and e.end == e.start and m.start == e.start), None)
            if same is not None:
                merged[merged.index(same)] = Edit(same.path, same.start, same.end, same.lines + e.lines)
            else:
                merged.append(Edit(e.path, e.start, e.end, e.lines))
    return sorted(merged, key=lambda e: (e.start, e.end)), rejected
