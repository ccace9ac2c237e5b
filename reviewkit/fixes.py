"""Fixes as data: line edits on a post-image, rendered as unified diffs.

A fix is offered on top of the series (``git apply -p1`` after the series
is applied).  In fragment mode only the visible lines are known, so the
context of each hunk is taken from visible lines and kept symmetric: git
anchors a hunk with less leading than trailing context to the start of the
file, which would make a correct fix fail to apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewkit.source import FileView


@dataclass(frozen=True)
class LineEdit:
    """Replace post-image lines ``first..last`` (inclusive) with ``new``.

    ``last == first - 1`` inserts ``new`` before ``first``.
    """

    first: int
    last: int
    new: tuple[str, ...]


def _visible(view: FileView) -> dict[int, str]:
    if view.tree_post is not None:
        return dict(enumerate(view.tree_post.split("\n"), 1))
    return {ln.number: ln.text for ln in view.post}


def _context(lines: dict[int, str], first: int, last: int, want: int) -> tuple[list[int], list[int]]:
    before = []
    n = first - 1
    while len(before) < want and n in lines:
        before.insert(0, n)
        n -= 1
    after = []
    n = last + 1
    while len(after) < want and n in lines:
        after.append(n)
        n += 1
    keep = min(len(before), len(after))
    return before[len(before) - keep :], after[:keep]


def render(view: FileView, edits: list[LineEdit], context: int = 3) -> str:
    """One unified diff for ``edits`` (non-overlapping) on ``view``'s post-image."""
    lines = _visible(view)
    hunks = []
    shift = 0
    for edit in sorted(edits, key=lambda e: e.first):
        before, after = _context(lines, edit.first, edit.last, context)
        old = [lines[n] for n in range(edit.first, edit.last + 1)]
        body = [" " + lines[n] for n in before]
        body += ["-" + t for t in old]
        body += ["+" + t for t in edit.new]
        body += [" " + lines[n] for n in after]
        old_start = before[0] if before else edit.first
        old_len = len(before) + len(old) + len(after)
        new_len = len(before) + len(edit.new) + len(after)
        if old_len == 0:
            old_start -= 1
        hunks.append(f"@@ -{old_start},{old_len} +{old_start + shift},{new_len} @@\n" + "\n".join(body) + "\n")
        shift += len(edit.new) - len(old)
    path = view.path
    return f"--- a/{path}\n+++ b/{path}\n" + "".join(hunks)


def apply_to_lines(lines: dict[int, str], edits: list[LineEdit]) -> list[str]:
    """Apply edits to a contiguous line map; used to verify a fix on a fragment."""
    out = []
    numbers = sorted(lines)
    by_first = {e.first: e for e in edits}
    skip_until = 0
    for n in numbers:
        if n in by_first:
            e = by_first[n]
            out.extend(e.new)
            skip_until = e.last
            if e.last < e.first:
                out.append(lines[n])
            continue
        if n <= skip_until:
            continue
        out.append(lines[n])
    return out
