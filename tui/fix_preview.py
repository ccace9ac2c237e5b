"""A finding's fix drawn in the diff itself: previewed before ``y``, applied after it.

The finding panel shows a fix as a diff, which the maintainer has to apply in
their head.  Here the rows a fix changes are shown as the code will read:
while a finding with a fix is selected, the lines it removes are struck out
and the lines it writes follow them (``fix`` in the gutter); once accepted,
the removed lines are gone and the written ones stay (``fixed``), so the
diff view shows the code the next version will carry.

A fix's edits are on the series' post-image (the new-side numbers the diff
rows carry), so a run of edited lines maps onto rows directly.  A run on
lines this diff does not show (a file or a context line outside the hunks)
is drawn as a block under the finding's note instead: the resulting code,
as :func:`after_lines` reads it from the fix's diff.

Kept free of Textual, like :mod:`.diffmodel`: which row goes where is tested
on the rows.
"""

from __future__ import annotations

from dataclasses import replace

from reviewkit.fixes.diff import runs
from reviewkit.model import Finding

from .diffmodel import Row, highlighted_lines

PREVIEW = "add"
"""Row.fix of a line the selected (not yet accepted) fix writes."""
DONE = "done"
"""Row.fix of a line an accepted fix wrote."""


def after_lines(diff: str) -> list[tuple[str, str]]:
    """The resulting code of a fix's diff: ``(sign, line)`` of its context (`` ``) and added (``+``) lines."""
    return [
        (line[0], line[1:])
        for line in diff.rstrip("\n").split("\n")
        if line and not line.startswith(("---", "+++", "@@", "-", "\\"))
    ]


def with_fixes(rows: list[Row], accepted: list[Finding], preview: Finding | None) -> list[Row]:
    """``rows`` with the ``accepted`` findings' fixes applied and ``preview``'s fix shown beside its lines.

    The rows themselves are never changed (they are cached per patch): a row the
    preview strikes out is a copy, and a row an accepted fix removes is left out.
    """
    work = [(f, DONE) for f in accepted if f.fix is not None]
    if preview is not None and preview.fix is not None and preview not in accepted:
        work.append((preview, PREVIEW))
    if not work:
        return rows
    at = {(r.path, r.new): i for i, r in enumerate(rows) if r.is_code and r.kind != "del" and r.new is not None}
    drop: dict[int, str] = {}
    before: dict[int, list[Row]] = {}
    after: dict[int, list[Row]] = {}
    notes: dict[int, Finding] = {}
    for finding, state in work:
        note = next((i for i, r in enumerate(rows) if r.kind == "finding" and r.findings[0] is finding), None)
        if state == DONE and note is not None:
            notes[note] = finding
        fix = finding.fix
        assert fix is not None
        placed = [_place(at, run.path, run.start, run.end) for run in runs(fix)]
        if any(p is None for p in placed):
            if note is not None:  # lines this diff does not show: the resulting code under the note
                after.setdefault(note, []).extend(_block(fix.title, fix.diff, finding, state))
            continue
        for run, where in zip(runs(fix), placed, strict=True):
            assert where is not None
            gone, side, index = where
            written = _fix_rows(run.path, list(run.lines), finding, state)
            if gone and not written:
                written = [_removed(len(gone), run.path, finding, state)]
            drop.update(dict.fromkeys(gone, state))
            (before if side == "before" else after).setdefault(index, []).extend(written)
    out: list[Row] = []
    for i, row in enumerate(rows):
        out.extend(before.get(i, ()))
        if i in notes:
            out.append(replace(row, fix=DONE))
        elif drop.get(i) == PREVIEW:
            row.highlighted()  # the copy keeps the colours of its file
            out.append(replace(row, fix="drop"))
        elif i not in drop:
            out.append(row)
        out.extend(after.get(i, ()))
    return out


def _place(at: dict[tuple[str, int], int], path: str, start: int, end: int) -> tuple[list[int], str, int] | None:
    """Where a run replacing post-image lines ``[start, end)`` of ``path`` goes: the rows it removes,
    and the row its lines are written after (or before, for an insertion at the top of a hunk)."""
    gone = [at.get((path, n)) for n in range(start, end)]
    if None in gone:
        return None
    rows = [i for i in gone if i is not None]
    if rows:
        return rows, "after", rows[-1]
    if (path, start - 1) in at:
        return rows, "after", at[(path, start - 1)]
    if (path, start) in at:
        return rows, "before", at[(path, start)]
    return None


def _fix_rows(path: str, lines: list[str], finding: Finding, state: str) -> list[Row]:
    codes = highlighted_lines(path, lines)
    return [
        Row("fix", text, path=path, findings=[finding], code=code, fix=state)
        for text, code in zip(lines, codes, strict=True)
    ]


def _removed(count: int, path: str, finding: Finding, state: str) -> Row:
    """Where a fix removes lines and writes none (a blank line dropped): say so, or a struck-out
    blank line is all there is to see, and after ``y`` nothing at all."""
    lines = f"{count} line{'s' if count != 1 else ''}"
    if state == DONE:
        return Row("fix", f"({lines} removed)", path=path, findings=[finding], fix="gone")
    return Row("fix", f"(the fix removes {lines})", path=path, findings=[finding], fix="cut")


def _block(title: str, diff: str, finding: Finding, state: str) -> list[Row]:
    """The resulting code of a fix on lines this diff does not show, as the finding panel's after-text."""
    rows = [Row("fix", f"{title}: the code after the fix", path=finding.file, findings=[finding], fix="note")]
    for sign, text in after_lines(diff):
        rows.append(Row("fix", text, path=finding.file, findings=[finding], fix=state if sign == "+" else "keep"))
    return rows
