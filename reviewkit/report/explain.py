"""One finding explained in Markdown: where, what, the path, the suggested fix, why, the thread.

The single text behind the TUI's explain screen (``i``) and the CLI's
``reviewkit explain FILE:LINE SERIES``: both show a maintainer the same
answer to "why is this a finding?", so it is written once.  The CLI renders
it with rich on a terminal (and prints the source into a pipe); the TUI
renders it with the same rich Markdown renderer.  What other reviewers said
near the line comes from the thread, which only the TUI has at hand; the
records are duck-typed (:class:`Said`) so this layer needs nothing from the
TUI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from reviewkit.model import Finding, function_phrase

NEAR = 6
"""Replies quoting a line this close to the finding count as "near this line"."""

_RST_LITERAL = re.compile(r"``([^`\n]+)``")


class Said(Protocol):
    """What one reviewer wrote under one quoted line of the patch (the TUI's thread comments)."""

    @property
    def author(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def text(self) -> str: ...


def normalise(text: str) -> str:
    """RST ````x```` as Markdown ```x```: rule docstrings use both forms; nothing else changes."""
    return _RST_LITERAL.sub(r"`\1`", text)


def finding_markdown(f: Finding, said: Iterable[Said] = ()) -> str:
    """``f`` as Markdown: title, severity and place, the path, the suggested fix, the rule's why,
    and the thread's replies quoting a line within :data:`NEAR` lines of it."""
    where = f"`{f.file}:{f.line}`" + (f" in {function_phrase(f.function, '`')}" if f.function else "")
    doc = f.rationale.strip() or "_This rule has no documentation._"
    title, _, rest = doc.partition("\n")
    parts = [f"# {f.rule}: {title.strip()}", f"**{f.severity.value}** at {where}: {f.message}"]
    if f.path:
        parts.append("## The path\n\n" + "\n".join(f"- line {s.line}: {s.note}" for s in f.path))
    if f.fix is not None and f.fix.diff.strip():
        state = "verified" if f.fix.verified else "not verified"
        parts.append(f"## Suggested fix ({state}): {f.fix.title}\n\n```diff\n{f.fix.diff.rstrip()}\n```")
    parts.append(rest.strip())
    near = [c for c in said if c.path == f.file and abs(c.line - f.line) <= NEAR]
    if near:
        parts.append("## Said in this thread near this line")
        for c in near:
            quoted = "\n".join(f"> {line}" for line in c.text.split("\n"))
            parts.append(f"**{c.author}** ({c.date}) on line {c.line}:\n\n{quoted}")
    return "\n\n".join(p for p in parts if p)
