"""Locals set to an address inside the shrink control's memcg, and their later dereferences.

``q = &sc->memcg->queue; ... READ_ONCE(q->len)``: the assignment loads
nothing, so a memcg NULL test on the dereference's own expression finds no
``sc->memcg->`` there; the crash is at the first use of ``q``.  Kept apart
from rule.py because it follows a local through the function (bindings,
rebindings, loops), which the direct-dereference check does not need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from reviewkit.rules._csyntax import ancestors, contains, norm_object

from reviewkit.api import Applicability, FileView, Fix, FunctionView, Node, edit_on_view


@dataclass(frozen=True)
class Binding:
    local: str
    value: str
    """``&sc->memcg->queue`` as written."""
    memcg: str
    """The memcg expression inside it (``sc->memcg``): what the fix tests."""
    statement: Node
    """The expression statement or declaration that binds ``local``."""
    fallback: bool
    """``local`` had a value before (``q = &node_queue;``): guarding the rebinding keeps that value."""


@dataclass(frozen=True)
class Deref:
    deref: Node
    text: str


_BIND_TYPES = ("assignment_expression", "init_declarator")


def derived_uses(
    fv: FunctionView, body: Node, memcgs: list[str], guarded: Callable[[Node], bool]
) -> Iterator[tuple[Binding, Deref]]:
    """Dereferences of a local bound, with no memcg test, to an address inside the memcg.

    ``q = &sc->memcg->deferred_split_queue; ... READ_ONCE(q->len)``: taking the
    address loads nothing, but with a NULL memcg ``q`` is a small offset from
    0 and the first ``q->`` oopses.  Only a local bound once that way and not
    written again before the dereference counts; one that is rebound on some
    other path (``if (...) q = other;`` between) is not proved and stays quiet.
    """
    writes: dict[str, list[tuple[Node, Node | None]]] = {}
    stack = [body]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type not in _BIND_TYPES:
            continue
        if node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op = node.children[1] if len(node.children) > 1 else None
            if left is None or left.type != "identifier" or op is None or fv.parsed.text(op) != "=":
                continue
        else:
            left = node.child_by_field_name("declarator")
            right = node.child_by_field_name("value")
            while left is not None and left.type == "pointer_declarator":
                left = left.child_by_field_name("declarator")
            if left is None or left.type != "identifier":
                continue
        writes.setdefault(fv.parsed.text(left), []).append((node, right))
    for local, sites in writes.items():
        sites.sort(key=lambda s: s[0].start_byte)
        for i, (node, right) in enumerate(sites):
            found = _memcg_address(fv, right, memcgs)
            if found is None or guarded(node) or _in_loop(node, body):
                continue
            statement = _statement(node)
            later = sites[i + 1][0].start_byte if i + 1 < len(sites) else None
            fallback = i > 0 and _same_block(sites[i - 1][0], node)
            bind = Binding(local, found[0], found[1], statement, fallback)
            for deref in _derefs_of(fv, body, local, node.end_byte, later):
                if not guarded(deref):
                    yield bind, Deref(deref, fv.parsed.text(deref))
                    break


def _memcg_address(fv: FunctionView, right: Node | None, memcgs: list[str]) -> tuple[str, str] | None:
    """(``&M->a.b`` as written, ``M``) for M a memcg expression, else None."""
    while right is not None and right.type in ("parenthesized_expression", "cast_expression"):
        right = right.child_by_field_name("value") if right.type == "cast_expression" else right.named_children[0]
    if right is None or right.type != "pointer_expression" or fv.parsed.text(right)[:1] != "&":
        return None
    inner = right.child_by_field_name("argument")
    while inner is not None and inner.type == "field_expression":
        arg = inner.child_by_field_name("argument")
        op = inner.child_by_field_name("operator")
        if arg is not None and norm_object(fv.parsed.text(arg)) in memcgs:
            if op is None or fv.parsed.text(op) != "->":
                return None
            return fv.parsed.text(right), fv.parsed.text(arg)
        inner = arg
    return None


def _derefs_of(fv: FunctionView, body: Node, local: str, start: int, end: int | None) -> list[Node]:
    """``local->x`` and ``*local`` between byte ``start`` and ``end`` (None: the body's end), in order."""
    out: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or (end is not None and node.start_byte >= end):
            continue
        stack.extend(node.named_children)
        if node.start_byte < start:
            continue
        target: Node | None = None
        if node.type == "field_expression":
            op = node.child_by_field_name("operator")
            if op is not None and fv.parsed.text(op) == "->":
                target = node.child_by_field_name("argument")
        elif node.type == "pointer_expression" and fv.parsed.text(node)[:1] == "*":
            target = node.child_by_field_name("argument")
        if target is not None and target.type == "identifier" and fv.parsed.text(target) == local:
            out.append(node)
    out.sort(key=lambda n: n.start_byte)
    return out


def _statement(node: Node) -> Node:
    while node.parent is not None and node.type not in ("expression_statement", "declaration"):
        node = node.parent
    return node


def _in_loop(node: Node, body: Node) -> bool:
    """Inside a loop the source order is not the run order: not judged."""
    loops = ("for_statement", "while_statement", "do_statement")
    return any(a.type in loops for a in ancestors(node) if contains(body, a) and a.id != body.id)


def _same_block(earlier: Node, node: Node) -> bool:
    """The earlier write runs on every path to ``node``: both statements sit in one block, or it is outer."""
    block = _statement(earlier).parent
    return block is not None and contains(block, node)


def rebind_fix(fv: FunctionView, view: FileView, bind: Binding) -> Fix | None:
    """Keep the earlier value without a memcg: ``if (sc->memcg)`` around the rebinding statement."""
    line = fv.real_line(bind.statement)
    end = fv.real_line_of_row(bind.statement.end_point[0])
    if line is None or end != line or bind.statement.type != "expression_statement":
        return None
    text = view.line_text(line)
    if text is None:
        return None
    indent = text[: len(text) - len(text.lstrip())]
    memcg = bind.memcg
    new = (f"{indent}if ({memcg})", f"{indent}\t{text.lstrip()}")
    return Fix(
        f"Set `{bind.local}` from the memcg only when `{memcg}` is set",
        (edit_on_view(view, line, line + 1, new),),
        Applicability.UNSAFE,
    )
