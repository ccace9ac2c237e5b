"""Mutations of a real patch for tests: insert, delete or swap diff lines, hunk headers kept exact.

Lines are addressed the way a reviewer reads them: by file and post-image
line number.  Hunk bodies are read with their header counts (so a trailing
``-- `` signature is never mistaken for a removed line) and every header of
the mutated file is recomputed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")


@dataclass
class _Hunk:
    header_at: int
    src_start: int
    tail: str
    body: list[str] = field(default_factory=list)
    end: int = 0
    """Index (exclusive) of the body's last line in the original text."""


def _hunks(lines: list[str], path: str) -> list[_Hunk]:
    out: list[_Hunk] = []
    in_file = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("+++ "):
            in_file = line[4:].split("\t")[0] in (f"b/{path}", path)
        m = HUNK_RE.match(line)
        if m and in_file:
            src_len = int(m.group(2) or 1)
            tgt_len = int(m.group(4) or 1)
            hunk = _Hunk(i, int(m.group(1)), m.group(5))
            s = t = 0
            j = i + 1
            while (s < src_len or t < tgt_len) and j < len(lines):
                body = lines[j]
                hunk.body.append(body)
                kind = body[:1] or " "
                s += kind in "- "
                t += kind in "+ "
                j += 1
            hunk.end = j
            out.append(hunk)
            i = j
            continue
        i += 1
    return out


def _post_index(hunks: list[_Hunk], post_line: int) -> tuple[_Hunk, int]:
    delta = 0
    for h in hunks:
        new = h.src_start + delta
        for k, body in enumerate(h.body):
            kind = body[:1] or " "
            if kind in "+ " and new == post_line:
                return h, k
            new += kind in "+ "
        delta += sum((b[:1] or " ") in "+ " for b in h.body) - sum((b[:1] or " ") in "- " for b in h.body)
    raise KeyError(f"post-image line {post_line} is not in the patch")


def _render(lines: list[str], hunks: list[_Hunk]) -> str:
    out = list(lines)
    delta = 0
    replacements = []
    for h in hunks:
        s = sum((b[:1] or " ") in "- " for b in h.body)
        t = sum((b[:1] or " ") in "+ " for b in h.body)
        header = f"@@ -{h.src_start},{s} +{h.src_start + delta},{t} @@{h.tail}"
        replacements.append((h.header_at, h.end, [header, *h.body]))
        delta += t - s
    for start, end, new in sorted(replacements, reverse=True):
        out[start:end] = new
    return "\n".join(out)


def insert_before(text: str, path: str, post_line: int, new: str) -> str:
    """Add ``+new`` right before the line at ``post_line`` of ``path``."""
    lines = text.split("\n")
    hunks = _hunks(lines, path)
    h, k = _post_index(hunks, post_line)
    h.body.insert(k, "+" + new)
    return _render(lines, hunks)


def delete(text: str, path: str, post_line: int) -> str:
    """Remove the line at ``post_line``: drop an added line, turn a context line into a removal."""
    lines = text.split("\n")
    hunks = _hunks(lines, path)
    h, k = _post_index(hunks, post_line)
    if h.body[k].startswith("+"):
        del h.body[k]
    else:
        h.body[k] = "-" + h.body[k][1:]
    return _render(lines, hunks)


def swap_with_next(text: str, path: str, post_line: int) -> str:
    """Exchange the diff lines holding ``post_line`` and ``post_line + 1``."""
    lines = text.split("\n")
    hunks = _hunks(lines, path)
    h, k = _post_index(hunks, post_line)
    h2, k2 = _post_index(hunks, post_line + 1)
    if h is not h2:
        raise KeyError("lines are in different hunks")
    h.body[k], h.body[k2] = h.body[k2], h.body[k]
    return _render(lines, hunks)


def line_at(text: str, path: str, post_line: int) -> str:
    """The code at ``post_line`` of ``path`` (without the diff marker)."""
    lines = text.split("\n")
    h, k = _post_index(_hunks(lines, path), post_line)
    return h.body[k][1:]
