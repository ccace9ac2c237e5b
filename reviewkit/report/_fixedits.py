"""A fix's unified diff as whole-line replacements, for formats that want edits (SARIF, reviewdog).

Fix diffs apply on top of the series, so their ``-`` side numbers are
post-image lines: the lines of the file as the series leaves it, which is
what a CI checkout of the series shows and what code-scanning annotates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Replacement:
    """Replace post-image lines ``first .. first + count - 1`` of ``path`` with ``text``.

    ``count == 0`` inserts ``text`` before line ``first``.  ``text`` is whole
    lines, each ending in ``\\n`` (empty for a deletion).
    """

    path: str
    first: int
    count: int
    text: str


def _strip(name: str) -> str:
    name = name.split("\t", 1)[0].strip()
    return name[2:] if name.startswith(("a/", "b/")) else name


def replacements(diff: str) -> list[Replacement]:
    """Every change run of every hunk in ``diff``; [] if it is not a plain unified diff."""
    out: list[Replacement] = []
    path = ""
    old = 0
    run_first = 0
    removed = 0
    added: list[str] = []

    def flush() -> None:
        nonlocal removed, added
        if removed or added:
            out.append(Replacement(path, run_first, removed, "".join(t + "\n" for t in added)))
        removed, added = 0, []

    old_left = new_left = 0
    for line in diff.split("\n"):
        m = _HUNK_RE.match(line)
        if m:
            flush()
            old = int(m.group(1))
            old_left = int(m.group(2) or 1)
            new_left = int(m.group(4) or 1)
            # "-N,0" names the line after which the hunk inserts.
            if old_left == 0:
                old += 1
            continue
        if old_left <= 0 and new_left <= 0:
            flush()
            if line.startswith("+++ "):
                path = _strip(line[4:])
            continue
        kind, text = (line[0], line[1:]) if line else (" ", "")
        if kind == " ":
            flush()
            old += 1
            old_left -= 1
            new_left -= 1
        elif kind == "-":
            if not removed and not added:
                run_first = old
            removed += 1
            old += 1
            old_left -= 1
        elif kind == "+":
            if not removed and not added:
                run_first = old
            added.append(text)
            new_left -= 1
    flush()
    return [r for r in out if r.path]
