"""Changelog names a function that exists neither in the series nor in the tree.

## What it does
With `--tree DIR`, collects the function-like names of each commit message
(`foo()`, `foo(arg)`, the steps of a call chain, indented pseudo-code) and
reports those that the series does not mention in any diff line and that
the tree neither defines, declares (`foo(` at column 0, `#define foo(`,
`SYSCALL_DEFINEn(foo`) nor calls anywhere.  The tree only serves as the
symbol index: it does not have to be one the series applies to.

A finding points into the changelog: file `COMMIT_MSG` (as Gerrit names it)
and the line within the commit message (line 1 is the first line after the
Subject); `patch_line` is the line of the mbox, so editors jump to it.

## Why is this bad?
A changelog is read long after review, by people bisecting or backporting.
A call chain through a function that does not exist sends them looking for
it.  In the review of "[PATCH v3 7/7] mm: switch deferred split shrinker to
list_lru" Lorenzo Stoakes stopped at `if test_shrinker_bit(memcg, node,
deferred_shrinker_id)` in the call chain: "Hmm there's no such function is
this kind of pseudocode, essentially?"; it was, and he asked for "a little
note to say 'simplified for clarity'".

## Example
```
          shrink_slab_memcg(node, memcg)
            if test_shrinker_bit(memcg, node, deferred_shrinker_id)
```
Say the chain is simplified (`... on other nodes (simplified):`), or name
the real code (`test_bit(shrinker_id, info->map)`).

## Not reported
- anything without `--tree` (an unknown name is not a wrong name);
- names the series itself adds, removes or shows in context;
- names inside quotes (commit titles in `Fixes:`/`commit abc ("...")`),
  trailers, URLs, paths, member calls (`shrinker->scan_objects()`), and
  plural asides such as `node(s)`;
- C keywords (`if (x)`, `sizeof(x)`).

## Fix safety
Display only: the suggestion adds "(simplified)" to the line that introduces
an indented call chain; wording is the author's call.

## Known limitations
Names produced only by token pasting and never called literally anywhere in
the tree are reported.  The index is a regex scan (cached per tree), not a
build: a function compiled out by every configuration still "exists".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewkit.api import Applicability, Edit, Finding, Fix, ReviewContext, Severity, symbol_index

ID = "changelog-symbol"
TOPICS = (
    r"no such (?:function|symbol)",
    r"doesn't exist",
    r"does not exist",
    r"changelog",
    r"commit message",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.INFO
SERIES_ONLY = True
"""About what a series changes: `reviewkit scan` skips it unless selected with --rule."""
FILE = "COMMIT_MSG"

_NAME_RE = re.compile(r"(?<![\w.>$%/\\-])([A-Za-z_]\w*)\((?!s\))")
_QUOTED_RE = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")
_URL_RE = re.compile(r"\b\w+://\S+")
_TRAILER_RE = re.compile(r"^\s*[A-Z][A-Za-z0-9-]*[A-Za-z0-9]:\s")
_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
_KEYWORDS = frozenset(
    [
        "if",
        "for",
        "while",
        "switch",
        "return",
        "sizeof",
        "typeof",
        "alignof",
        "do",
        "else",
        "case",
        "goto",
        "defined",
        "__attribute__",
        "likely",
        "unlikely",
    ]
)


def changelog_names(message: str) -> list[tuple[int, str]]:
    """(1-based line, name) of every function-like name a commit message mentions."""
    out: list[tuple[int, str]] = []
    for row, raw in enumerate(message.split("\n"), 1):
        if _TRAILER_RE.match(raw):
            continue
        text = _URL_RE.sub(" ", _QUOTED_RE.sub(" ", raw))
        for m in _NAME_RE.finditer(text):
            name = m.group(1)
            if name in _KEYWORDS:
                continue
            pseudo = raw[:1] in ("\t", " ")
            if "_" in name or text[m.end() : m.end() + 1] == ")" or pseudo:
                out.append((row, name))
    return out


def series_names(ctx: ReviewContext) -> set[str]:
    """Every identifier of every diff line (and hunk header) of the series."""
    names: set[str] = set()
    if ctx.series is not None:
        for patch in ctx.series.patches:
            names.update(_IDENT_RE.findall(patch.diff_text))
    return names


def _simplified_fix(message: str, row: int) -> Fix | None:
    """Add "(simplified)" to the line introducing the indented block holding ``row``."""
    lines = message.split("\n")
    if lines[row - 1][:1] not in ("\t", " "):
        return None
    intro = row - 1
    while intro > 0 and (lines[intro - 1][:1] in ("\t", " ") or not lines[intro - 1].strip()):
        intro -= 1
    if intro == 0:
        return None
    text = lines[intro - 1]
    if "simplified" in text:
        return None
    new = text[:-1] + " (simplified):" if text.endswith(":") else text + " (simplified)"
    edit = Edit(FILE, intro, intro + 1, (new,), old=(text,))  # no context: the message is not code
    return Fix("Say the call chain is simplified", (edit,), Applicability.DISPLAY)


def check(ctx: ReviewContext) -> Iterator[Finding]:
    if ctx.tree is None or ctx.series is None:
        return
    known = series_names(ctx)
    tree_index = symbol_index(ctx.tree)
    for patch in ctx.series.patches:
        mentioned = [(row, name) for row, name in changelog_names(patch.commit_message) if name not in known]
        missing = tree_index.missing({name for _row, name in mentioned})
        lines = patch.commit_message.split("\n")
        reported: set[str] = set()
        for row, name in mentioned:
            if name not in missing or name in reported:
                continue
            reported.add(name)
            pseudo = lines[row - 1][:1] in ("\t", " ")
            advice = "if the chain is pseudo-code, say it is simplified" if pseudo else "name the real function"
            f = ctx.finding(
                ID,
                SEVERITY,
                f"changelog line {row} names `{name}()`, but there is no such function in {ctx.tree.name} "
                f"or in the series: {advice}",
                FILE,
                row,
                patch=patch,
                fix=_simplified_fix(patch.commit_message, row),
                extra={"name": name, "tree": str(ctx.tree)},
            )
            f.snippet = lines[row - 1]
            if patch.message.body_line:
                f.patch_line = patch.message.body_line + row - 1
            yield f
