"""A patch as the rows the diff view draws: email header, changelog, hunks, notes.

Kept free of Textual so the layout (which row a finding or a reply lands on,
which line numbers a row carries) is tested directly.  Code rows carry real
line numbers: the post-image number for added and context lines, the
pre-image number for removed ones, exactly as findings report them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rich.text import Text

from reviewkit.load.series import Message, Patch
from reviewkit.model import Finding

from .comments import Comment
from .highlight import highlight_lines

CODE_KINDS = ("add", "del", "ctx")
COMMIT_MSG = "COMMIT_MSG"
"""The pseudo-file of findings about the changelog (line = 1-based line of the commit message)."""


@dataclass
class Row:
    """One line of the diff view."""

    kind: str
    """meta, msg, file, hunk, add, del, ctx, finding, comment, fix (a line of a suggested fix)."""
    text: str
    path: str = ""
    old: int | None = None
    new: int | None = None
    findings: list[Finding] = field(default_factory=list)
    """Code rows: findings reported on this line.  Finding rows: the one finding."""
    comment: Comment | None = None
    code: Text | None = None
    """Highlighted code (tabs expanded) of code rows, once :meth:`highlighted` ran."""
    file_rows: list[Row] | None = field(default=None, repr=False, compare=False)
    """Code rows: all rows of the same file, highlighted together the first time one is drawn."""
    fix: str = ""
    """How a fix shows on this row (see :mod:`.fix_preview`): ``drop`` on a code row the selected
    fix removes; on a ``fix`` row, ``add`` (the selected fix writes it), ``done`` (an accepted fix
    wrote it), ``cut``/``gone`` (the selected/an accepted fix removes lines here), ``keep``/``note``
    (a fix shown as a block); ``done`` on a finding's note row: its fix is accepted."""

    def highlighted(self) -> Text | None:
        """The highlighted code of this row (None for a file that is not C), parsing its file on first use.

        A patch's files are parsed when first drawn, not when the rows are built: the first paint
        parses only the files on screen (a 700-row patch took 0.3 s to highlight whole)."""
        if self.code is None and self.file_rows is not None:
            rows, self.file_rows = self.file_rows, None
            _highlight(rows)
            for row in rows:
                row.file_rows = None
        return self.code

    @property
    def is_code(self) -> bool:
        return self.kind in CODE_KINDS

    @property
    def is_anchor(self) -> bool:
        """A line a finding can be reported on: code, or a line of the commit message."""
        return self.is_code or (self.kind == "msg" and self.new is not None)


def _strip(name: str) -> str:
    return name[2:] if name.startswith(("a/", "b/")) else name


def cover_rows(cover: Message, total: int) -> list[Row]:
    """The cover letter (0/N), as b4 shows it first: headers and the letter itself."""
    rows = [
        Row("meta", f"From: {cover.author}"),
        Row("meta", f"Date: {cover.date}"),
        Row("meta", f"Subject: {cover.subject.raw}"),
        Row("msg", ""),
    ]
    body = cover.body.split("\n-- \n", 1)[0].rstrip("\n")
    rows += [Row("msg", line, path=COMMIT_MSG, new=n) for n, line in enumerate(body.split("\n"), 1)]
    rows.append(Row("msg", ""))
    rows.append(Row("meta", f"n: patch 1/{total}"))
    return rows


def build_rows(patch: Patch, findings: list[Finding], comments: list[Comment] | None = None) -> list[Row]:
    """Rows for ``patch`` with ``findings`` and thread ``comments`` placed under their lines."""
    comments = comments or []
    rows: list[Row] = [
        Row("meta", f"From: {patch.author}"),
        Row("meta", f"Date: {patch.date}"),
        Row("meta", f"Subject: {patch.subject.raw}"),
        Row("msg", ""),
    ]
    code_rows: dict[tuple[str, int], Row] = {}
    head: list[Row] = []
    for n, text in enumerate(patch.commit_message.rstrip("\n").split("\n"), 1):
        head.append(Row("msg", text, path=COMMIT_MSG, new=n))
        code_rows[(COMMIT_MSG, n)] = head[-1]
    body: list[Row] = []
    for pf in patch.patchset:
        path = _strip(pf.target_file) if not pf.is_removed_file else _strip(pf.source_file)
        body.append(Row("file", f"{path}  (+{pf.added} -{pf.removed})", path=path))
        if pf.is_binary_file:
            continue
        file_rows: list[Row] = []
        for hunk in pf:
            header = f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} @@"
            file_rows.append(Row("hunk", f"{header} {hunk.section_header}".rstrip(), path=path))
            for line in hunk:
                kind = {"+": "add", "-": "del", " ": "ctx"}.get(line.line_type)
                if kind is None:
                    continue
                row = Row(kind, line.value.rstrip("\n"), path, line.source_line_no, line.target_line_no)
                file_rows.append(row)
                if kind != "del" and row.new is not None:
                    code_rows[(path, row.new)] = row
        if path.endswith((".c", ".h")):
            code = [r for r in file_rows if r.is_code]
            for r in code:
                r.file_rows = file_rows
        body.extend(file_rows)
    unplaced: list[Finding] = []
    for f in findings:
        anchor = code_rows.get((f.file, f.line))
        if anchor is None:
            unplaced.append(f)
        else:
            anchor.findings.append(f)
    rows.extend(Row("finding", f.message, path=f.file, new=f.line or None, findings=[f]) for f in unplaced)
    for row in [*head, Row("msg", "---"), *body]:
        rows.append(row)
        for f in row.findings:
            rows.append(Row("finding", f.message, path=row.path, new=row.new, findings=[f]))
        if row.kind != "del" and row.is_anchor and row.new is not None:
            rows.extend(_comment_rows(comments, row.path, row.new))
    return rows


def _comment_rows(comments: list[Comment], path: str, line: int) -> list[Row]:
    out: list[Row] = []
    for c in comments:
        if c.path == path and c.line == line:
            out.extend(Row("comment", text, path=path, new=line, comment=c) for text in c.text.split("\n"))
    return out


def _highlight(rows: list[Row]) -> None:
    """Colour each side of one file as a C fragment (headers and docs stay plain)."""
    if not rows or not rows[0].path.endswith((".c", ".h")):
        return
    for side in _SIDES:
        picked = [r for r in rows if r.kind in side]
        texts = _highlighted(tuple(r.text for r in picked))
        for row, text in zip(picked, texts, strict=True):
            if row.kind != "ctx" or side[0] == "add":
                row.code = text


def warm_highlight(patch: Patch) -> int:
    """Colour ``patch``'s C files ahead (in a worker thread): the sides :func:`_highlight` will ask
    for when a row of them is first drawn are then in :func:`_highlighted`'s cache, and the first
    jump to a finding in another file does not parse it on the key (30-50 ms).  Works on rows of
    its own, never on the app's.  Returns the sides coloured."""
    done: set[int] = set()
    sides = 0
    for row in build_rows(patch, []):
        rows = row.file_rows
        if rows is None or id(rows) in done:
            continue
        done.add(id(rows))
        for side in _SIDES:
            _highlighted(tuple(r.text for r in rows if r.kind in side))
            sides += 1
    return sides


_SIDES = (("add", "ctx"), ("del", "ctx"))
"""The two sides of a file's hunks, each coloured as one fragment: the post-image, the pre-image."""


def find_row(rows: list[Row], finding: Finding) -> int | None:
    """Index of the line a finding is reported on, else of its note row."""
    note = None
    for i, row in enumerate(rows):
        if finding in row.findings:
            if row.is_anchor:
                return i
            if row.kind == "finding" and note is None:  # not a line of its fix
                note = i
    return note


def file_row(rows: list[Row], path: str) -> int | None:
    return next((i for i, r in enumerate(rows) if r.kind == "file" and r.path == path), None)


def comment_row(rows: list[Row], message_id: str) -> int | None:
    return next(
        (i for i, r in enumerate(rows) if r.comment is not None and r.comment.message_id == message_id),
        None,
    )


def highlighted_lines(path: str, lines: list[str]) -> list[Text | None]:
    """The coloured lines of a fragment of ``path`` (None each for a file that is not C)."""
    if not path.endswith((".c", ".h")) or not lines:
        return [None] * len(lines)
    return list(_highlighted(tuple(lines)))


@lru_cache(maxsize=256)
def _highlighted(lines: tuple[str, ...]) -> tuple[Text, ...]:
    """The coloured lines of one side of one file, kept: rows are rebuilt when the findings arrive
    and on every comment toggle, and parsing the same hunks again cost a third of the first paint.
    The Texts are shared, never changed (rendering copies them into each line)."""
    return tuple(highlight_lines(list(lines)))


@dataclass(frozen=True)
class Place:
    """Where a row sits in the patch (file, old and new line), not its index in the list.

    The rows are rebuilt when the findings arrive and on every ``f``: thread replies
    and finding notes come and go above the cursor, so an index kept across the rebuild
    lands on another line (new-side 928 became old-side 1207 on the seed thread)."""

    kind: str
    path: str
    old: int | None
    new: int | None
    text: str
    comment: str | None
    nth: int
    """Which of the rows with this same key (two blank context lines of a file can share one)."""

    @property
    def key(self) -> tuple[str, str, int | None, int | None, str, str | None]:
        return (self.kind, self.path, self.old, self.new, self.text, self.comment)


def _key(row: Row) -> tuple[str, str, int | None, int | None, str, str | None]:
    return (row.kind, row.path, row.old, row.new, row.text, row.comment.message_id if row.comment else None)


def place_of(rows: list[Row], index: int) -> Place | None:
    """The place of ``rows[index]`` (None off the list)."""
    if not 0 <= index < len(rows):
        return None
    key = _key(rows[index])
    nth = sum(1 for r in rows[:index] if _key(r) == key)
    return Place(*key, nth=nth)


def locate(rows: list[Row], place: Place) -> int | None:
    """The row at ``place`` in rebuilt ``rows``: the same row if it is still there, else the line
    it was placed under (a reply or a finding note that is now hidden), else None."""
    same = [i for i, r in enumerate(rows) if _key(r) == place.key]
    if same:
        return same[min(place.nth, len(same) - 1)]
    if place.kind in ("comment", "finding") and place.new is not None:
        under = (place.path, place.new)
        anchors = (i for i, r in enumerate(rows) if r.is_anchor and r.kind != "del" and (r.path, r.new) == under)
        return next(anchors, None)
    return None
