"""Shapes and statement runs: how the helper engine sees a function's code.

:func:`skeleton` turns a statement into its *shape* (structure and names
kept, every leaf value a hole) and :func:`statement_runs` cuts each block
into runs of visible statements; the small tree queries next to them
(:func:`has_jump`, :func:`calls_below`, :func:`leaves`) are what every later
step asks of a statement.  This is the bottom layer of the engine: it knows
nothing of scopes, types or text, so the scope, analysis and text modules
can all build on it without importing each other in a circle.

The results are memoised on the parse (:mod:`reviewkit.cparse.memo`), which is why
:func:`share` and :func:`facts` live here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reviewkit.cparse import memo
from reviewkit.cparse import parse as cparse
from reviewkit.cparse.parse import Node
from reviewkit.views.source import FunctionView

LEAF_TYPES = {
    "identifier",
    "number_literal",
    "string_literal",
    "char_literal",
    "concatenated_string",
    "true",
    "false",
    "null",
    "statement_identifier",
}
RUN_BREAKERS = {"declaration", "preproc_if", "preproc_ifdef", "preproc_call", "preproc_def", "preproc_include"}
JUMPS = {"return_statement", "goto_statement", "break_statement", "continue_statement"}


def node_text(fv: FunctionView, node: Node) -> str:
    return fv.parsed.text(node)


def share(views: list[FunctionView]) -> None:
    """Give each view the parse of an identical text seen before (see :mod:`reviewkit.cparse.memo`).

    Call it before anything parses the views: the analyses below memoise on
    the parse, so a re-run on a rebuilt context (fix verification) only
    recomputes the functions whose text the fix changed.
    """
    for fv in views:
        memo.share(fv)


def facts(fv: FunctionView, table: str) -> dict[Any, Any]:
    """Fact table ``table`` of ``fv``'s parse: for results that depend on the parse alone."""
    return memo.facts(fv.parsed, table)


def skeleton(fv: FunctionView, node: Node, holes: list[Node] | None = None, *, coarse: bool = False) -> str:
    """The shape of ``node``: structure and names kept, leaf values as ``$`` holes (collected in ``holes``)."""
    if holes is None:
        table = memo.facts(fv.parsed, "skeleton")
        key = (node.id, node.start_byte, node.end_byte, coarse)
        shape = table.get(key)
        if shape is None:
            shape = table[key] = _skeleton(fv, node, [], coarse)
        return shape
    return _skeleton(fv, node, holes, coarse)


def _skeleton(fv: FunctionView, node: Node, out: list[Node], coarse: bool) -> str:
    t = node.type
    if t == "comment":
        return ""
    if t == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        name = node_text(fv, fn) if fn is not None and fn.type == "identifier" else "?"
        parts = []
        for a in args.named_children if args is not None else []:
            if a.type == "comment":
                continue
            if coarse:
                out.append(a)
                parts.append("$")
            else:
                parts.append(_skeleton(fv, a, out, False))
        return f"{name}({','.join(parts)})"
    if t in LEAF_TYPES:
        out.append(node)
        return "$"
    if node.child_count == 0:
        return node_text(fv, node) if node.is_named else t
    inner = " ".join(s for s in (_skeleton(fv, c, out, coarse) for c in node.children) if s)
    return f"{t}({inner})"


@dataclass
class Stmt:
    """One statement of a block with its shapes and real line span."""

    fv: FunctionView
    node: Node
    coarse: str
    first: int | None
    last: int | None

    @property
    def fine(self) -> str:
        """The shape with every argument's own shape (only the few repeated sequences need it)."""
        return skeleton(self.fv, self.node)

    @property
    def visible(self) -> bool:
        return self.first is not None and self.last is not None


def real_span(fv: FunctionView, node: Node) -> tuple[int | None, int | None]:
    return fv.real_line_of_row(node.start_point[0]), fv.real_line_of_row(node.end_point[0])


def blocks(node: Node) -> Iterator[Node]:
    """Every compound statement below ``node`` (``node`` included)."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "compound_statement":
            yield cur
        stack.extend(reversed(cur.children))


def _unwrap(node: Node) -> Node:
    """A labelled statement is its statement (``next: if (...)``)."""
    while node.type == "labeled_statement" and node.named_children:
        node = node.named_children[-1]
    return node


def statement_runs(fv: FunctionView) -> Iterator[list[Stmt]]:
    """Runs of consecutive, visible statements of each block of ``fv``."""
    table = memo.facts(fv.parsed, "runs")
    key = tuple(fv.line_map)
    runs = table.get(key)
    if runs is None:
        runs = table[key] = list(_statement_runs(fv))
    for run in runs:
        yield [Stmt(fv, s.node, s.coarse, s.first, s.last) for s in run]


def _statement_runs(fv: FunctionView) -> Iterator[list[Stmt]]:
    fn = fv.function
    if fn is None:
        return
    for block in blocks(fn.body):
        run: list[Stmt] = []
        for child in block.named_children:
            if child.type == "comment":
                continue
            node = _unwrap(child)
            first, last = real_span(fv, child)
            if (
                node.type in RUN_BREAKERS
                or child.type == "labeled_statement"
                or fv.gap_index(node) is not None
                or first is None
                or last is None
            ):
                if run:
                    yield run
                run = []
                continue
            run.append(Stmt(fv, node, skeleton(fv, node, coarse=True), first, last))
        if run:
            yield run


def has_jump(node: Node, fv: FunctionView | None = None) -> bool:
    """A return, goto, break or continue below ``node`` (memoised on ``fv``'s parse when given)."""
    if fv is not None:
        table = memo.facts(fv.parsed, "jump")
        key = (node.id, node.start_byte, node.end_byte)
        found = table.get(key)
        if found is None:
            found = table[key] = has_jump(node)
        return bool(found)
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type in JUMPS:
            return True
        stack.extend(cur.children)
    return False


def calls_below(fv: FunctionView, node: Node) -> list[cparse.Call]:
    table = memo.facts(fv.parsed, "calls")
    key = (node.id, node.start_byte, node.end_byte)
    calls = table.get(key)
    if calls is None:
        calls = table[key] = tuple(cparse.iter_calls(fv.parsed, node))
    return list(calls)


def leaves(node: Node) -> Iterator[Node]:
    """Identifier leaves below ``node`` that name values (not callees, not fields)."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "identifier":
            parent = cur.parent
            if (
                parent is not None
                and parent.type == "call_expression"
                and parent.child_by_field_name("function") == cur
            ):
                continue
            yield cur
            continue
        stack.extend(reversed(cur.children))
