"""Blank line added or removed next to unchanged code, unrelated to the change.

## What it does
Flags a run of added (or removed) lines that are all blank when the lines
on both sides of it are unchanged context: the blank line does not belong
to any change the patch makes.

## Why is this bad?
Noise in a diff costs every reviewer time, makes the patch conflict with
others touching the same spot and hides the real change.  In the review of
"[PATCH v3 7/7] mm: switch deferred split shrinker to list_lru" a stray
blank line added at mm/khugepaged.c:1084, before the unchanged
``mem_cgroup_charge()`` check, was called out as unrelated to the patch.

## Example
```
        count_vm_event(THP_COLLAPSE_ALLOC);
+
        if (unlikely(mem_cgroup_charge(folio, mm, gfp))) {
```
Drop the added line (or move it into the patch that restructures that code).

## Not reported
- blank lines next to added or removed code (they are part of the change);
- removing a blank line before ``}`` or after ``{``, or one of two blank
  lines in a row (checkpatch asks for these clean-ups);
- adding the blank line checkpatch wants after a block of declarations (read on
  the syntax tree: `int i, r;`, a two-line initialiser and the kernel's
  `DECLARE_*`/`DEFINE_*` macros are declarations too).

## Fix safety
Safe: the fix removes the added blank line; no code changes.  It is verified
(applies to the post-image, parses, the finding goes away) before it is
offered.  A removed blank line gets no fix: restoring it is one keystroke.

## Known limitations
Only whole blank lines; re-indentation of an unchanged line is not flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from reviewkit.api import FileView, Finding, Fix, FunctionView, Node, ReviewContext, Severity, edit_on_view

ID = "whitespace-noise"
TOPICS = (
    r"newline",
    r"whitespace",
    r"blank line",
    r"spurious",
    r"unrelated change",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.WARNING
SERIES_ONLY = True
"""About what a series changes: `reviewkit scan` skips it unless selected with --rule."""

_DECL_RE = re.compile(
    r"^\s+(?:(?:const|static|unsigned|signed|struct|union|enum|volatile|register)\s+)*"
    r"[A-Za-z_]\w*(?:\s+\**\s*|\s*\*+\s*)[A-Za-z_]\w*(?:\[[^\]]*\])?\s*(?:=.*)?;\s*$"
)


def _is_blank(text: str) -> bool:
    return not text.strip()


def _is_decl(text: str) -> bool:
    return bool(_DECL_RE.match(text)) and not text.lstrip().startswith(("return", "goto"))


_DECL_MACRO = re.compile(r"^(?:DECLARE|DEFINE)_[A-Z0-9_]+$|^LIST_HEAD$")
"""Kernel macros that declare a variable (``DECLARE_WAITQUEUE(wait, current);``): a statement to the parser."""


def _declares(fv: FunctionView, node: Node) -> bool:
    if node.type == "declaration":
        return True
    call = node.named_children[0] if node.type == "expression_statement" and node.named_children else None
    fn = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
    return fn is not None and bool(_DECL_MACRO.match(fv.parsed.text(fn)))


def _ends_declarations(view: FileView, prev: int, nxt: int) -> bool:
    """Is the blank line between post-image lines ``prev`` and ``nxt`` the one checkpatch wants
    after a block's declarations?  Read on the syntax tree, so that ``int i, r;``,
    ``unsigned long long *hi;``, a declaration whose initialiser runs over two lines and the
    kernel's declaring macros count as the declarations they are."""
    fv = view.function_at(nxt) if view.is_c else None
    if fv is None:
        return False
    stack = [fv.parsed.root]
    while stack:
        node = stack.pop()
        kids = node.named_children
        if node.type == "compound_statement":
            for a, b in pairwise(kids):
                if fv.real_line_of_row(a.end_point[0]) == prev and fv.real_line(b) == nxt:
                    return _declares(fv, a) and not _declares(fv, b)
        stack.extend(kids)
    return False


def _runs(hunk: list) -> Iterator[tuple[int, int]]:
    """(start, end) index ranges of maximal runs of changed lines in a hunk."""
    start = None
    for i, line in enumerate(hunk):
        changed = line.line_type in ("+", "-")
        if changed and start is None:
            start = i
        elif not changed and start is not None:
            yield start, i
            start = None
    if start is not None:
        yield start, len(hunk)


def _cleanup(prev: str | None, nxt: str | None) -> bool:
    """Removing a blank line here is a style clean-up checkpatch asks for."""
    if nxt is not None and nxt.strip().startswith("}"):
        return True
    if prev is not None and prev.rstrip().endswith("{"):
        return True
    return (prev is not None and _is_blank(prev)) or (nxt is not None and _is_blank(nxt))


def _check_file(ctx: ReviewContext, view: FileView) -> Iterator[Finding]:
    for hunk in view.hunks:
        lines = [ln for ln in hunk if ln.line_type in ("+", "-", " ")]
        for start, end in _runs(lines):
            run = lines[start:end]
            if start == 0 or end == len(lines):
                continue  # the other side is outside the hunk: unknown
            if not all(_is_blank(ln.value) for ln in run):
                continue
            prev, nxt = lines[start - 1].value.rstrip("\n"), lines[end].value.rstrip("\n")
            added = [ln for ln in run if ln.is_added]
            removed = [ln for ln in run if ln.is_removed]
            if added and removed:
                continue  # whitespace replaced by whitespace: not a blank-line change
            if added:
                first, last = added[0].target_line_no, added[-1].target_line_no
                if (_is_decl(prev) and not _is_decl(nxt)) or _ends_declarations(view, first - 1, last + 1):
                    continue
                fix = Fix(
                    "Drop the unrelated blank line",
                    (edit_on_view(view, first, last + 1, ()),),
                )
                yield ctx.finding(
                    ID,
                    SEVERITY,
                    f"blank line{'s' if len(added) > 1 else ''} added at {_span(first, last)} between unchanged lines "
                    f"{first - 1} and {last + 1}, unrelated to the change",
                    view.path,
                    first,
                    patch=view.patch,
                    function=_function_name(view, first),
                    fix=fix,
                    extra={"context": [prev, nxt]},
                )
            elif not _cleanup(prev, nxt):
                line = lines[end].target_line_no or 0
                yield ctx.finding(
                    ID,
                    SEVERITY,
                    f"blank line{'s' if len(removed) > 1 else ''} removed before unchanged line {line} "
                    f"(pre-image {_span(removed[0].source_line_no, removed[-1].source_line_no)}), "
                    "unrelated to the change",
                    view.path,
                    line,
                    patch=view.patch,
                    function=_function_name(view, line),
                    extra={"context": [prev, nxt]},
                )


def _span(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}-{last}"


def _function_name(view: FileView, line: int) -> str | None:
    fv = view.function_at(line) if view.is_c else None
    return fv.name if fv else None


def _findings(ctx: ReviewContext) -> Iterator[Finding]:
    for _pc, view in ctx.files():
        yield from _check_file(ctx, view)


def check(ctx: ReviewContext) -> Iterator[Finding]:
    if ctx.scan:
        return
    yield from _findings(ctx)
