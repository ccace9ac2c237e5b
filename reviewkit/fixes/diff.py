"""The one renderer and the one parser of unified diffs: a fix's edits to text and back.

A fix is edits (:class:`reviewkit.model.Edit`); it becomes diff text only at
the edges (reporters, ``--fix-dir``, ``git apply --check``), and diff text
from outside (a hand-written fix in a test, an old report) becomes edits
here.  The fix's own types (:class:`Applicability`, :class:`Edit`,
:class:`Fix`) are defined here, beside what renders them, and re-exported by
:mod:`reviewkit.model`: this module imports nothing of reviewkit, so the
model can render a fix without an import cycle.  Everything else that wants the hunks of a fix (fold, amend, SARIF
and reviewdog replacements) reads :func:`hunks` or :func:`runs`, so there is
one notion of what a fix's diff says.

Hunks: edits of one file, sorted, share a hunk when at most ``2 * CONTEXT``
lines lie between them and the fix captured all of those lines as context
(GNU diff's rule; hunks whose context overlapped would not apply).  Leading
and trailing context of a hunk are kept equal: git anchors a hunk with less
leading than trailing context to the start of the file, which would make a
correct fix on a fragment fail to apply.  Paths are ``a/``/``b/`` (-p1).

This module also writes the hunks of a folded *patch* (:func:`hunk_body`,
:func:`file_hunks`), so all diff text reviewkit writes comes from here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Applicability(StrEnum):
    """How far a fix may be trusted (ruff's ``Applicability``).

    ``safe``: behaviour-preserving or clearly the intended fix; ``unsafe``:
    changes behaviour, a human must agree; ``display``: shown, never applied
    automatically (and never verified).
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY = "display"


@dataclass(frozen=True)
class Edit:
    """Replace post-image lines ``[start, end)`` of ``path`` with ``lines``.

    ``start == end`` inserts ``lines`` before line ``start``.  Numbers are
    post-image lines (the file as the series leaves it): a fix applies on top
    of the series.  ``old`` is the text of the replaced lines and ``before``
    / ``after`` the visible lines right around them (consecutive, nearest
    last / first), captured when the fix is made: they are all a diff needs,
    so rendering never goes back to a view.  How far the context reaches
    decides which edits share a hunk (:func:`file_hunks`).
    """

    path: str
    start: int
    end: int
    lines: tuple[str, ...]
    old: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        """Inverse of :func:`dataclasses.asdict` after a JSON round trip (lists back to tuples)."""
        return cls(
            str(data["path"]),
            int(data["start"]),
            int(data["end"]),
            tuple(data["lines"]),
            tuple(data["old"]),
            tuple(data["before"]),
            tuple(data["after"]),
        )


@dataclass(frozen=True)
class Fix:
    """A suggested change: edits on the post-image, a title and an applicability level.

    It becomes a unified diff (paths ``a/``/``b/``, apply with -p1) only at
    the edges: reporters, ``--fix-dir``, verification's ``git apply
    --check``.  ``verified`` is set only after the fix applied, the result
    parsed without new errors and the finding went away.
    """

    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    verified: bool = False

    @property
    def diff(self) -> str:
        """The fix as a unified diff (rendered on every call: it is an edge, not state)."""
        return render(self)

    @property
    def safety(self) -> str:
        """The applicability as the JSON report spells it."""
        return self.applicability.value

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "diff": self.diff, "safety": self.safety, "verified": self.verified}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fix:
        """Inverse of :func:`dataclasses.asdict` after a JSON round trip."""
        return cls(
            str(data["title"]),
            tuple(Edit.from_dict(e) for e in data["edits"]),
            Applicability(data["applicability"]),
            bool(data["verified"]),
        )


CONTEXT = 3
"""Context lines a hunk shows on each side of its changes."""


class DiffError(ValueError):
    """Diff text that does not parse as a unified diff."""


@dataclass(frozen=True)
class Hunk:
    """One rendered hunk: its header numbers and body, ``(kind, text)`` with kind `` ``, ``-`` or ``+``."""

    path: str
    old_start: int
    new_start: int
    body: tuple[tuple[str, str], ...]

    @property
    def old_len(self) -> int:
        return sum(1 for kind, _t in self.body if kind != "+")

    @property
    def new_len(self) -> int:
        return sum(1 for kind, _t in self.body if kind != "-")

    @property
    def first(self) -> int:
        """Post-image line of the hunk's first old-side line (the line it inserts before when none)."""
        return self.old_start if self.old_len else self.old_start + 1

    def old_lines(self) -> list[tuple[int, str]]:
        """(post-image line, text) of every context and removed line."""
        rows = [t for kind, t in self.body if kind != "+"]
        return [(self.first + i, t) for i, t in enumerate(rows)]

    def new_lines(self) -> list[str]:
        return [t for kind, t in self.body if kind != "-"]

    def text(self) -> str:
        header = f"@@ -{self.old_start},{self.old_len} +{self.new_start},{self.new_len} @@\n"
        return header + "\n".join(kind + t for kind, t in self.body) + "\n"


def capture(
    path: str, lines: Mapping[int, str], start: int, end: int, new: Iterable[str], reach: int = 2 * CONTEXT
) -> Edit:
    """An edit replacing ``lines[start:end)`` by ``new``, with up to ``reach`` visible context lines each side.

    ``lines`` are the visible post-image lines by real number; the default
    reach lets nearby edits share a hunk (see the module docstring), a
    smaller one keeps them apart.
    """
    before: list[str] = []
    n = start - 1
    while len(before) < reach and n in lines:
        before.insert(0, lines[n])
        n -= 1
    after: list[str] = []
    n = end
    while len(after) < reach and n in lines:
        after.append(lines[n])
        n += 1
    old = tuple(lines[n] for n in range(start, end))
    return Edit(path, start, end, tuple(new), old, tuple(before), tuple(after))


def by_path(edits: Iterable[Edit]) -> dict[str, list[Edit]]:
    """Edits grouped by file, files in order of first appearance, each file's edits sorted."""
    out: dict[str, list[Edit]] = {}
    for e in edits:
        out.setdefault(e.path, []).append(e)
    return {path: sorted(group, key=lambda e: (e.start, e.end)) for path, group in out.items()}


def _groups(edits: list[Edit]) -> list[list[Edit]]:
    groups: list[list[Edit]] = []
    for e in edits:
        if groups:
            prev = groups[-1][-1]
            gap = e.start - prev.end
            if gap <= 2 * CONTEXT and len(prev.after) >= gap:
                groups[-1].append(e)
                continue
        groups.append([e])
    return groups


def file_hunks(path: str, edits: list[Edit]) -> list[Hunk]:
    """The hunks of the (sorted) edits of one file."""
    out: list[Hunk] = []
    shift = 0
    for group in _groups(edits):
        first, last = group[0], group[-1]
        keep = min(len(first.before), len(last.after), CONTEXT)
        body: list[tuple[str, str]] = [(" ", t) for t in first.before[len(first.before) - keep :]]
        for i, e in enumerate(group):
            if i:
                prev = group[i - 1]
                body += [(" ", t) for t in prev.after[: max(e.start - prev.end, 0)]]
            body += [("-", t) for t in e.old]
            body += [("+", t) for t in e.lines]
        body += [(" ", t) for t in last.after[:keep]]
        old_start = first.start - keep
        old_len = sum(1 for kind, _t in body if kind != "+")
        new_len = sum(1 for kind, _t in body if kind != "-")
        if old_len == 0:
            old_start -= 1
        out.append(Hunk(path, old_start, old_start + shift, tuple(body)))
        shift += new_len - old_len
    return out


def hunks(fix: Fix) -> dict[str, list[Hunk]]:
    """The hunks of ``fix`` by file, files in the order the fix names them."""
    return {path: file_hunks(path, edits) for path, edits in by_path(fix.edits).items()}


def render(fix: Fix) -> str:
    """``fix`` as one unified diff, applicable with ``git apply -p1`` on top of the series."""
    return "".join(
        f"--- a/{_name(path)}\n+++ b/{_name(path)}\n" + "".join(h.text() for h in file)
        for path, file in hunks(fix).items()
    )


def _name(path: str) -> str:
    """The path as a diff names it: an absolute one (``scan /abs/file.c``) without its leading ``/``.

    ``a//work/x.c`` is no name git or patch accept; ``a/work/x.c`` applies with ``-p1`` from ``/``.
    """
    return path.lstrip("/")


def _hunk_edits(path: str, first: int, body: Iterable[tuple[str, str]], split: bool = False) -> list[Edit]:
    """The change runs of one hunk as edits, the context between them as their before/after.

    ``split``: a removed line after an added one starts a new edit, as the
    renderer writes adjacent edits (``-a +a' -b +b'``); otherwise a run lasts
    until the next context line (the diff's own view, what formats show).
    """
    edits: list[Edit] = []
    context: list[str] = []
    run: tuple[int, list[str], list[str], tuple[str, ...]] | None = None  # start, old, new, before
    n = first
    last_kind = " "

    def flush() -> None:
        nonlocal run
        if run is not None:
            start, old, new, before = run
            edits.append(Edit(path, start, start + len(old), tuple(new), tuple(old), before))
            run = None

    for kind, text in body:
        if split and kind == "-" and last_kind == "+":
            flush()
            context = []
        last_kind = kind
        if kind == " ":
            if run is not None:
                flush()
                context = []
            context.append(text)
            n += 1
            continue
        if run is None:
            run = (n, [], [], tuple(context))
        if kind == "-":
            run[1].append(text)
            n += 1
        else:
            run[2].append(text)
    flush()
    # each edit's after is the context up to the next change run (or the hunk's end)
    rows = list(body)
    out: list[Edit] = []
    for i, e in enumerate(edits):
        following = edits[i + 1].before if i + 1 < len(edits) else tuple(_trailing(rows))
        out.append(Edit(e.path, e.start, e.end, e.lines, e.old, e.before, following))
    return out


def _trailing(rows: list[tuple[str, str]]) -> list[str]:
    tail: list[str] = []
    for kind, text in reversed(rows):
        if kind != " ":
            break
        tail.insert(0, text)
    return tail


def runs(fix: Fix) -> list[Edit]:
    """The change runs of the rendered fix: edits no context line separates are one run.

    What a format that wants replacements (SARIF, reviewdog) shows: the
    diff's own view of the fix, so adjacent edits read as one replacement.
    """
    out: list[Edit] = []
    for path, file in hunks(fix).items():
        for h in file:
            out.extend(_hunk_edits(path, h.first, h.body))
    return out


def replacement_text(edit: Edit) -> str:
    """The edit's new lines as a replacement text: whole lines, each ending in a newline (empty: deletion)."""
    return "".join(t + "\n" for t in edit.lines)


def parse(text: str) -> list[Edit]:
    """The edits of unified diff ``text`` (post-image numbers on its ``-`` side).

    ``render(Fix(..., parse(render(fix))))`` is ``render(fix)``.  Raises
    DiffError on text that is not a unified diff or names no file.
    """
    import unidiff

    try:
        patchset = unidiff.PatchSet(text)
    except (unidiff.UnidiffParseError, ValueError, IndexError) as exc:
        raise DiffError(str(exc)) from None
    if not len(patchset):
        raise DiffError("no file in the diff")
    out: list[Edit] = []
    for pf in patchset:
        path = pf.target_file[2:] if pf.target_file.startswith("b/") else pf.target_file
        for hunk in pf:
            first = hunk.source_start if hunk.source_length else hunk.source_start + 1
            body = [(ln.line_type, ln.value.rstrip("\n")) for ln in hunk if ln.line_type in (" ", "-", "+")]
            out.extend(_hunk_edits(path, first, body, split=True))
    return out


def fix_from_diff(
    title: str, text: str, applicability: Applicability = Applicability.SAFE, verified: bool = False
) -> Fix:
    """A fix from unified diff text (raises DiffError): a hand-written fix, a fix read back from a report."""
    return Fix(title, tuple(parse(text)), applicability, verified)


# --------------------------------------------------------------------------
# Hunks of a folded patch (pre-image to post-image of the series itself)


def hunk_body(old: list[str], new: list[str]) -> str:
    """The body of one hunk turning ``old`` into ``new`` (minimal, by difflib)."""
    out: list[str] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(" " + t for t in old[a1:a2])
        else:
            out.extend("-" + t for t in old[a1:a2])
            out.extend("+" + t for t in new[b1:b2])
    return "".join(line + "\n" for line in out)


def text_hunks(pre: str, post: str) -> str:
    """The hunks (no file header) of a whole-file diff from ``pre`` to ``post``."""
    diff = difflib.unified_diff(pre.split("\n"), post.split("\n"), lineterm="", n=CONTEXT)
    rows = list(diff)[2:]  # drop the ---/+++ lines
    return "".join(r + "\n" for r in rows)
