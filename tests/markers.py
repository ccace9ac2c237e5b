"""Inline expectations in fixtures, the semgrep way.

``/* ruleid: RULE */`` at the end of a line: RULE must report that line.
``/* ruleid: RULE "text" */`` also says what the message must contain
(clang-tidy's CHECK-MESSAGES, as a substring).  ``/* ok: RULE */``: RULE
must not.  ``todoruleid``/``todook``: known gaps,
kept visible instead of deleted.  A comment holding only markers applies
to the next line.  In .patch/.mbox fixtures the marker sits on the diff line
(``+``, ``-`` or context); it refers to that line's post-image number (a
removed line maps to the post-image line that follows it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MARKER_RE = re.compile(
    r'\b(todoruleid|todook|ruleid|ok):\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)(?:\s+"((?:[^"\\]|\\.)*)")?'
)
ONLY_MARKER_RE = re.compile(
    r'^\s*/\*(?:\s*(?:todoruleid|todook|ruleid|ok):\s*[a-z0-9, -]+(?:"(?:[^"\\]|\\.)*")?;?)+\s*\*/\s*$'
)
HEADER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*: ")
HUNK_RE = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass
class Expectations:
    """(file, line) -> {kind -> {rule ids}}."""

    marks: dict[tuple[str, int], dict[str, set[str]]] = field(default_factory=dict)
    messages: dict[tuple[str, int, str], list[str]] = field(default_factory=dict)

    def add(self, file: str, line: int, kind: str, rules: list[str], message: str | None = None) -> None:
        slot = self.marks.setdefault((file, line), {})
        slot.setdefault(kind, set()).update(rules)
        if message is not None and kind == "ruleid":
            for rule in rules:
                self.messages.setdefault((file, line, rule), []).append(message)

    def rules_with_messages(self) -> set[str]:
        return {rule for (_f, _n, rule) in self.messages}

    def rules_marked(self) -> set[str]:
        return {r for kinds in self.marks.values() for rs in kinds.values() for r in rs}

    def check(self, findings: list[tuple[str, str, int, str]]) -> list[str]:
        """Mismatches between findings (rule, file, line, message) and the markers."""
        errors = []
        got = {(r, f, n) for r, f, n, _m in findings}
        for (file, line, rule), wanted in self.messages.items():
            said = [m for r, f, n, m in findings if (r, f, n) == (rule, file, line)]
            for text in wanted:
                if said and not any(text in m for m in said):
                    errors.append(f"{file}:{line}: [{rule}] message {said!r} does not contain {text!r}")
        for (file, line), kinds in self.marks.items():
            for rule in kinds.get("ruleid", set()):
                if (rule, file, line) not in got:
                    errors.append(f"{file}:{line}: expected [{rule}] finding, none reported")
        for rule, file, line in sorted(got):
            kinds = self.marks.get((file, line), {})
            if rule in kinds.get("ruleid", set()) | kinds.get("todook", set()) | kinds.get("todoruleid", set()):
                continue
            errors.append(f"{file}:{line}: unexpected [{rule}] finding (line not marked ruleid: {rule})")
        return errors


Marker = tuple[str, list[str], str | None]


def _markers(text: str) -> list[Marker]:
    out: list[Marker] = []
    for m in MARKER_RE.finditer(text):
        message = m.group(3).replace('\\"', '"') if m.group(3) is not None else None
        out.append((m.group(1), [r.strip() for r in m.group(2).split(",")], message))
    return out


def parse_c(text: str, file: str) -> Expectations:
    exp = Expectations()
    pending: list[Marker] = []
    for n, line in enumerate(text.split("\n"), 1):
        if ONLY_MARKER_RE.match(line):
            pending.extend(_markers(line))
            continue
        for kind, rules, message in pending + _markers(line):
            exp.add(file, n, kind, rules, message)
        pending = []
    return exp


def _parse_changelog(text: str, exp: Expectations) -> None:
    """Markers in the commit message: file ``COMMIT_MSG``, line 1 = first line after the headers."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and (lines[start].startswith("From ") or not lines[start].strip()):
        start += 1
    if start >= len(lines) or not HEADER_RE.match(lines[start]):
        return  # a bare diff has no commit message
    while start < len(lines) and lines[start].strip():
        start += 1
    for row, line in enumerate(lines[start + 1 :], 1):
        if line.rstrip() == "---" or line.startswith("diff --git "):
            break
        for kind, rules, message in _markers(line):
            exp.add("COMMIT_MSG", row, kind, rules, message)


def parse_patch(text: str) -> Expectations:
    exp = Expectations()
    _parse_changelog(text, exp)
    file = ""
    old = new = 0
    pending: list[Marker] = []
    removed_marks: list[Marker] = []
    in_hunk = False
    for line in text.split("\n"):
        if line.startswith("+++ "):
            file = line[4:].split("\t")[0]
            file = file[2:] if file.startswith("b/") else file
            in_hunk = False
            continue
        m = HUNK_RE.match(line)
        if m:
            old, new = int(m.group(1)), int(m.group(2))
            in_hunk = True
            continue
        if not in_hunk or not line or line[0] not in "+- ":
            in_hunk = in_hunk and line.startswith("\\")
            continue
        body = line[1:]
        if ONLY_MARKER_RE.match(body):
            pending.extend(_markers(body))
        elif line[0] == "-":
            removed_marks.extend(pending + _markers(body))
            pending = []
        else:
            for kind, rules, message in removed_marks + pending + _markers(body):
                exp.add(file, new, kind, rules, message)
            pending, removed_marks = [], []
        if line[0] in "+ ":
            new += 1
        if line[0] in "- ":
            old += 1
    return exp
