"""Annotation-only changes: a function whose only change is its lock annotations is unchanged.

Adding ``__acquires()``/``__releases()``/``__must_hold()`` (or dropping
one) documents what a function already does; its code and every path
through it are as before.  So such a function is judged as before the
patch: its view is not "touched", and no rule reviews it as changed (with
``--all`` it is reviewed like any unchanged function).

A change block (a run of ``-``/``+`` lines of a hunk) is annotation-only
when its removed and added text are the same once the annotation macros and
all whitespace are taken out: an annotation on its own line, or appended to
the signature line, or moved between the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewkit.views.source import FileView, FunctionView

_ANNOTATION_RE = re.compile(
    r"\b__(?:acquires|releases|must_hold|acquire|release|cond_acquires|cond_releases)(?:_shared)?\s*"
    r"\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)"
)
_SPACE_RE = re.compile(r"\s+")


def _bare(texts: list[str]) -> str:
    return _SPACE_RE.sub("", _ANNOTATION_RE.sub("", "".join(texts)))


def _blocks(hunk: Any) -> Iterator[tuple[list[Any], list[Any], set[int]]]:
    """(removed lines, added lines, deletion points) for each change block of ``hunk``.

    Deletion points are as :attr:`FileView.deletion_points` counts them: the
    post line right after removed lines (the first added line, or the next
    context line, or the hunk's end).
    """
    removed: list[Any] = []
    added: list[Any] = []
    points: set[int] = set()
    pending = False
    for line in [*hunk, None]:
        kind = line.line_type if line is not None else None
        if pending and kind in ("+", " ", None):
            points.add(line.target_line_no if line is not None else hunk.target_start + hunk.target_length)
            pending = False
        if kind in ("-", "+"):
            (removed if kind == "-" else added).append(line)
            pending = pending or kind == "-"
            continue
        if removed or added:
            yield removed, added, points
        removed, added, points = [], [], set()


def annotation_only(view: FileView) -> tuple[set[int], set[int], set[int]]:
    """Post lines, pre lines and deletion points of ``view``'s annotation-only change blocks."""
    post: set[int] = set()
    pre: set[int] = set()
    points: set[int] = set()
    for hunk in view.hunks:
        for removed, added, at in _blocks(hunk):
            texts = [ln.value for ln in removed] + [ln.value for ln in added]
            if not _ANNOTATION_RE.search("".join(texts)):
                continue
            if _bare([ln.value for ln in removed]) != _bare([ln.value for ln in added]):
                continue
            post.update(ln.target_line_no for ln in added)
            pre.update(ln.source_line_no for ln in removed)
            points.update(at)
    return post, pre, points


def settle(view: FileView, side: str, functions: list[FunctionView]) -> None:
    """Mark functions whose every change is annotation-only as untouched (in place)."""
    if not view.hunks or not any(fn.touched for fn in functions):
        return
    post, pre, points = annotation_only(view)
    lines = post if side == "post" else pre
    if not lines and not points:
        return
    for fn in functions:
        if fn.touched and fn.changed_lines <= lines and fn.deleted_at <= points:
            fn.changed_lines = set()
            fn.deleted_at = set()
