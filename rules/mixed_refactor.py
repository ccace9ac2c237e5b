"""Patch mixes a pure restructuring (inverted condition, re-nesting) with a logic change.

## What it does
Compares the pre-image and post-image trees of each changed function.  It
looks for a block `if (C) { BODY }` the patch removes and a guard clause
`if (!C) goto L;` (or `continue;`) it adds, where

- every statement and condition of BODY is still there after the guard
  (conditions compared modulo negation, whitespace ignored, gotos being
  glue), and
- the guard's target is what followed the old block (`L:` labels the
  statement that came after `}`; `continue` ends the loop body the block
  ended).

That part of the hunk is a pure restructuring.  When the same hunk also adds
conditions or statements that were not in BODY, the finding names the
restructuring lines and the logic-change lines, and asks for the split.

## Why is this bad?
A reviewer has to diff the old and new nesting in their head to find the
one line that changes behaviour, and a bisect lands on a patch doing two
things.  In the review of "[PATCH v3 7/7] mm: switch deferred split shrinker
to list_lru" Lorenzo Stoakes asked to move the `if (folio) { ...big branch...
}` -> `if (!folio) goto next;` conversion of `alloc_swap_folio()` and
`alloc_anon_folio()` (mm/memory.c) into its own patch: "Makes it easier to
see pertinent logic changes + helps review/bisectability/fixes"; the author
agreed.

## Example
```
-                if (folio) {
-                        if (!mem_cgroup_swapin_charge_folio(folio, ...))
-                                return folio;
+                if (!folio)
+                        goto next;
+                if (mem_cgroup_swapin_charge_folio(folio, ...)) {
                         count_mthp_stat(order, MTHP_STAT_SWPIN_FALLBACK_CHARGE);
                         folio_put(folio);
+                        goto next;
                 }
+                if (folio_memcg_list_lru_alloc(folio, &deferred_split_lru, gfp)) {
+                        folio_put(folio);
+                        goto fallback;
+                }
+                return folio;
+next:
```
First a patch that only turns `if (folio) {...}` into the guard, then the
patch that adds the `folio_memcg_list_lru_alloc()` check.

## Not reported
- a patch that only restructures (nothing new after the guard): that is the
  split this rule asks for;
- inverted conditions whose old body is not found intact after the guard
  (a rewrite, not a restructuring), and guards whose target is not where the
  old block ended;
- restructurings that reach into code a fragment cannot see.

## Fix safety
No fix: splitting a patch is the author's work (the finding lists the lines
of each half).

## Known limitations
Only the guard-clause inversion is recognised (`if (C) {B}` ->
`if (!C) jump; B`); other behaviour-preserving rewrites (extracting a helper,
swapping if/else branches) are not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from reviewkit.api import Finding, FunctionView, Node, ReviewContext, Severity

ID = "mixed-refactor"
TOPICS = (
    r"separat\w* (?:out|patch)",
    r"own patch",
    r"split (?:this|it) (?:out|up)",
    r"unrelated",
    r"separating out",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.INFO
SERIES_ONLY = True
"""About what a series changes: `reviewkit scan` skips it unless selected with --rule."""

_GLUE = {"goto_statement", "break_statement", "continue_statement", "comment", ";"}
_LOOPS = {"while_statement", "for_statement", "do_statement"}
_TOKEN_RE = re.compile(r"\w+|->|[^\s\w]")
_HINTS = ("likely", "unlikely")


class Unknown(Exception):
    """The region holds unseen code: nothing can be proved about it."""


@dataclass
class Elem:
    """A condition or a simple statement, compared by normalised text."""

    key: str
    node: Node
    owner: Node
    """The statement to quote for it: the whole if/loop for a condition."""


def _tokens(text: str) -> str:
    return " ".join(_TOKEN_RE.findall(text))


def _strip_parens(fv: FunctionView, node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def condition(fv: FunctionView, node: Node | None) -> tuple[bool, str]:
    """(negated, core) of a condition: `!x`, `x == NULL` and `unlikely(!x)` are (True, "x")."""
    if node is None:
        return False, ""
    node = _strip_parens(fv, node)
    negated = False
    while True:
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if fn is not None and fv.parsed.text(fn) in _HINTS and args is not None and args.named_child_count == 1:
                node = _strip_parens(fv, args.named_children[0])
                continue
        if node.type == "unary_expression" and fv.parsed.text(node).lstrip().startswith("!"):
            arg = node.child_by_field_name("argument")
            if arg is not None:
                negated = not negated
                node = _strip_parens(fv, arg)
                continue
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            right = node.child_by_field_name("right")
            left = node.child_by_field_name("left")
            if (
                op is not None
                and right is not None
                and left is not None
                and fv.parsed.text(right) == "NULL"
                and fv.parsed.text(op) in ("==", "!=")
            ):
                negated = negated != (fv.parsed.text(op) == "==")
                node = _strip_parens(fv, left)
                continue
        break
    return negated, _tokens(fv.parsed.text(node))


def elements(fv: FunctionView, node: Node) -> list[Elem]:
    """Conditions and simple statements below ``node`` in source order (gotos and labels are glue)."""
    out: list[Elem] = []
    if fv.gap_index(node) is not None:
        raise Unknown
    t = node.type
    if t in _GLUE or not node.is_named:
        return out
    if t == "compound_statement":
        for child in node.named_children:
            out.extend(elements(fv, child))
    elif t == "labeled_statement":
        for child in node.named_children[1:]:
            out.extend(elements(fv, child))
    elif t == "if_statement":
        out.append(Elem("cond:" + condition(fv, node.child_by_field_name("condition"))[1], node, node))
        for field in ("consequence", "alternative"):
            branch = node.child_by_field_name(field)
            if branch is not None:
                out.extend(elements(fv, branch))
    elif t == "else_clause":
        for child in node.named_children:
            out.extend(elements(fv, child))
    elif t in _LOOPS or t == "switch_statement":
        body = node.child_by_field_name("body")
        head = fv.parsed.text(node)[: body.start_byte - node.start_byte] if body is not None else fv.parsed.text(node)
        out.append(Elem(f"{t}:" + _tokens(head), node, node))
        if body is not None:
            out.extend(elements(fv, body))
    else:
        out.append(Elem("stmt:" + _tokens(fv.parsed.text(node)), node, node))
    return out


def _walk(node: Node, kind: str) -> Iterator[Node]:
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == kind:
            yield cur
        stack.extend(reversed(cur.children))


def _jump(fv: FunctionView, node: Node | None) -> tuple[str, str] | None:
    """("goto", label) / ("continue", "") when ``node`` is only that jump."""
    if node is not None and node.type == "compound_statement":
        inner = [c for c in node.named_children if c.type != "comment"]
        node = inner[0] if len(inner) == 1 else None
    if node is None:
        return None
    if node.type == "goto_statement":
        label = node.child_by_field_name("label")
        return ("goto", fv.parsed.text(label)) if label is not None else None
    if node.type == "continue_statement":
        return ("continue", "")
    return None


def _lines(fv: FunctionView, node: Node) -> set[int]:
    return {n for r in range(node.start_point[0], node.end_point[0] + 1) if (n := fv.real_line_of_row(r)) is not None}


def _next_sibling(node: Node) -> Node | None:
    sib = node.next_named_sibling
    while sib is not None and sib.type == "comment":
        sib = sib.next_named_sibling
    return sib


def _region(fv: FunctionView, guard: Node, jump: tuple[str, str]) -> tuple[list[Node], Node | None] | None:
    """Statements the guard now skips, and the statement it jumps to (None: end of the loop body)."""
    body: list[Node] = []
    sib = _next_sibling(guard)
    while sib is not None:
        if sib.type == "labeled_statement" and jump[0] == "goto":
            label = sib.child_by_field_name("label")
            if label is not None and fv.parsed.text(label) == jump[1]:
                return body, sib
        body.append(sib)
        sib = _next_sibling(sib)
    loop = guard.parent.parent if guard.parent is not None else None
    if jump[0] == "continue" and loop is not None and loop.type in _LOOPS:
        return body, None
    return None


def _target_matches(pre_fv: FunctionView, old: Node, fv: FunctionView, target: Node | None) -> bool:
    """The guard lands where the old block ended."""
    after = _next_sibling(old)
    if target is None:
        return (
            after is None
            and old.parent is not None
            and old.parent.parent is not None
            and (old.parent.parent.type in _LOOPS)
        )
    if after is None:
        return False
    try:
        want = [e.key for e in elements(pre_fv, after)]
        got = [e.key for e in elements(fv, target)]
    except Unknown:
        return False
    return bool(want) and want == got


def _ranges(lines: set[int]) -> str:
    out: list[tuple[int, int]] = []
    for n in sorted(lines):
        if out and out[-1][1] == n - 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in out)


def _code_lines(fv: FunctionView, lines: set[int]) -> set[int]:
    """Drop blank and comment-only lines."""
    rows = fv.text.split("\n")
    keep = set()
    for row, real in enumerate(fv.line_map):
        if real in lines and row < len(rows):
            text = rows[row].strip()
            if text and not text.startswith(("/*", "*", "//")):
                keep.add(real)
    return keep


def _analyse(ctx: ReviewContext, fv: FunctionView, pre: FunctionView) -> Iterator[Finding]:
    post_fn, pre_fn = fv.function, pre.function
    if post_fn is None or pre_fn is None:
        return
    guards = []
    for node in _walk(post_fn.body, "if_statement"):
        jump = _jump(fv, node.child_by_field_name("consequence"))
        if jump and node.child_by_field_name("alternative") is None and fv.real_line(node) in fv.changed_lines:
            guards.append((node, jump, condition(fv, node.child_by_field_name("condition"))))
    olds = []
    for node in _walk(pre_fn.body, "if_statement"):
        if node.child_by_field_name("alternative") is None and pre.real_line(node) in pre.changed_lines:
            olds.append((node, condition(pre, node.child_by_field_name("condition"))))
    used: set[int] = set()
    for guard, jump, (g_neg, g_core) in guards:
        for old, (o_neg, o_core) in olds:
            if old.start_byte in used or not g_core or g_core != o_core or g_neg == o_neg:
                continue
            finding = _compare(ctx, fv, pre, guard, jump, old)
            if finding is not None:
                used.add(old.start_byte)
                yield finding
                break


def _compare(
    ctx: ReviewContext, fv: FunctionView, pre: FunctionView, guard: Node, jump: tuple[str, str], old: Node
) -> Finding | None:
    found = _region(fv, guard, jump)
    if found is None:
        return None
    body, target = found
    consequence = old.child_by_field_name("consequence")
    if consequence is None or not _target_matches(pre, old, fv, target):
        return None
    try:
        before = elements(pre, consequence)
        after = [e for stmt in body for e in elements(fv, stmt)]
    except Unknown:
        return None
    budget = Counter(e.key for e in before)
    extra: list[Elem] = []
    for e in after:
        if budget[e.key] > 0:
            budget[e.key] -= 1
        else:
            extra.append(e)
    if +budget:
        return None  # part of the old body is gone: a rewrite, not a restructuring
    logic: set[int] = set()
    for e in extra:
        if fv.is_changed(e.node):
            logic |= _lines(fv, e.owner)
    logic &= fv.changed_lines
    if not logic:
        return None
    touched = _lines(fv, guard) | {n for stmt in body for n in _lines(fv, stmt)}
    if target is not None:
        touched.add(fv.real_line(target) or 0)
    restructure = _code_lines(fv, (touched & fv.changed_lines) - logic)
    logic = _code_lines(fv, logic)
    if not restructure or not logic:
        return None
    line = min(restructure)
    old_text = " ".join(pre.parsed.text(old.child_by_field_name("condition") or old).split())
    cond = guard.child_by_field_name("condition")
    jump_text = f"goto {jump[1]};" if jump[0] == "goto" else f"{jump[0]};"
    guard_text = f"if {' '.join(fv.parsed.text(cond).split()) if cond is not None else ''} {jump_text}"
    first = next(e for e in extra if fv.is_changed(e.node))
    what = " ".join(fv.parsed.text(first.owner).split("\n")[0].split()).removesuffix("{").strip()
    return ctx.finding(
        ID,
        SEVERITY,
        f"`if {old_text} {{...}}` becomes `{guard_text}` in {fv.name}(): lines {_ranges(restructure)} only "
        f"restructure, {_ranges(logic)} change the logic (`{what}`); split the restructuring into its own patch",
        fv.path,
        line,
        patch=fv.patch,
        function=fv.name,
        extra={"restructure": sorted(restructure), "logic": sorted(logic)},
    )


def check(ctx: ReviewContext) -> Iterator[Finding]:
    if ctx.scan:
        return
    for fv in ctx.functions("post"):
        pre = ctx.pre_function(fv)
        if pre is not None and pre.changed_lines:
            yield from _analyse(ctx, fv, pre)
