"""Fixes as data: line edits on a post-image, rendered as unified diffs.

A fix is offered on top of the series (``git apply -p1`` after the series
is applied).  In fragment mode only the visible lines are known, so the
context of each hunk is taken from visible lines and kept symmetric: git
anchors a hunk with less leading than trailing context to the start of the
file, which would make a correct fix fail to apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewkit.views.source import FileView


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
        rows = view.tree_post.split("\n")
        if len(rows) > 1 and rows[-1] == "":
            rows.pop()  # what follows the final newline is not a line: never use it as context
        return dict(enumerate(rows, 1))
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


def render_text(path: str, text: str, edits: list[LineEdit], context: int = 3) -> str:
    """One unified diff for ``edits`` on a whole file's text (a tree file the series does not touch)."""
    view = FileView(path, path, None, [], [], tree_post=text)  # type: ignore[arg-type]
    return render(view, edits, context)


def render_lines(path: str, lines: dict[int, str], edits: list[LineEdit], context: int = 3) -> str:
    """One unified diff for ``edits`` on sparse visible ``lines``, nearby edits sharing a hunk.

    Unlike :func:`render`, edits whose context would touch are merged into one
    hunk (two hunks may not overlap in a diff); context stays symmetric at
    each hunk's edges, so ``git apply`` anchors it by content, not at the
    start of the file.
    """
    groups: list[list[LineEdit]] = []
    for edit in sorted(edits, key=lambda e: (e.first, e.last)):
        if groups and edit.first <= groups[-1][-1].last + 2 * context + 1 and all(
            n in lines for n in range(groups[-1][-1].last + 1, edit.first)
        ):
            groups[-1].append(edit)
        else:
            groups.append([edit])
    hunks = []
    shift = 0
    for group in groups:
        before, after = _context(lines, group[0].first, group[-1].last, context)
        body = [" " + lines[n] for n in before]
        old_len = len(before) + len(after)
        new_len = old_len
        pos = group[0].first
        for edit in group:
            for n in range(pos, edit.first):
                body.append(" " + lines[n])
                old_len += 1
                new_len += 1
            body += ["-" + lines[n] for n in range(edit.first, edit.last + 1)]
            body += ["+" + t for t in edit.new]
            old_len += edit.last - edit.first + 1
            new_len += len(edit.new)
            pos = edit.last + 1
        body += [" " + lines[n] for n in after]
        old_start = before[0] if before else group[0].first
        if old_len == 0:
            old_start -= 1
        hunks.append(f"@@ -{old_start},{old_len} +{old_start + shift},{new_len} @@\n" + "\n".join(body) + "\n")
        shift += new_len - old_len
    return f"--- a/{path}\n+++ b/{path}\n" + "".join(hunks)


def diff_edits(diff: str) -> dict[str, list[LineEdit]]:
    """The line edits of a unified diff, by path, in post-image (``-`` side) numbers.

    Raises ValueError on a diff that does not parse.
    """
    import unidiff

    try:
        patchset = unidiff.PatchSet(diff)
    except unidiff.UnidiffParseError as exc:
        raise ValueError(str(exc)) from None
    out: dict[str, list[LineEdit]] = {}
    for pf in patchset:
        path = pf.target_file[2:] if pf.target_file.startswith("b/") else pf.target_file
        edits = out.setdefault(path, [])
        for hunk in pf:
            old_no = hunk.source_start if hunk.source_length else hunk.source_start + 1
            pending_first: int | None = None
            removed = 0
            new: list[str] = []
            for line in hunk:
                if line.line_type == " ":
                    if pending_first is not None:
                        edits.append(LineEdit(pending_first, pending_first + removed - 1, tuple(new)))
                        pending_first, removed, new = None, 0, []
                    old_no += 1
                elif line.line_type == "-":
                    if pending_first is None:
                        pending_first = old_no
                    removed += 1
                    old_no += 1
                elif line.line_type == "+":
                    if pending_first is None:
                        pending_first = old_no
                    new.append(line.value.rstrip("\n"))
            if pending_first is not None:
                edits.append(LineEdit(pending_first, pending_first + removed - 1, tuple(new)))
    return out


def merge_edits(batches: list[list[LineEdit]]) -> tuple[list[LineEdit], list[int]]:
    """Edits of several fixes on one file as one list; indexes of batches that overlap an earlier one.

    Insertions at the same line are concatenated in batch order (two helpers
    inserted at one spot); a batch touching lines an earlier batch replaces is
    rejected whole, so a fix is either applied completely or not at all.
    """
    merged: list[LineEdit] = []
    rejected: list[int] = []
    for index, batch in enumerate(batches):
        clash = any(
            e.last >= e.first and m.last >= m.first and e.first <= m.last and m.first <= e.last
            for e in batch
            for m in merged
        ) or any(
            (e.last < e.first and m.first < e.first <= m.last) or (m.last < m.first and e.first < m.first <= e.last)
            for e in batch
            for m in merged
        )
        if clash:
            rejected.append(index)
            continue
        for e in batch:
            same = next((m for m in merged if m.last < m.first and e.last < e.first and m.first == e.first), None)
            if same is not None:
                merged[merged.index(same)] = LineEdit(same.first, same.last, same.new + e.new)
            else:
                merged.append(e)
    return sorted(merged, key=lambda e: (e.first, e.last)), rejected
