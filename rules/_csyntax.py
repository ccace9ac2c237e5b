"""Small syntax helpers shared by the lifecycle rules (not a rule: the name starts with "_").

They answer questions about one tree-sitter node of a stitched function
view: which calls it makes, which object an argument names, which
statements enclose it.  Objects are compared by their normalised text
(``&foo->bar`` and ``foo->bar`` are the same object), which is what a
reviewer does when reading a patch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from reviewkit.api import Call, FunctionView, Node, declarator_name, iter_calls

_WS_RE = re.compile(r"\s+")


def norm_object(text: str) -> str:
    """``&s->s_shrink`` -> ``s->s_shrink``; whitespace and outer parentheses dropped."""
    t = _WS_RE.sub("", text)
    while True:
        if t.startswith("&"):
            t = t[1:]
        elif t.startswith("(") and t.endswith(")") and _balanced(t[1:-1]):
            t = t[1:-1]
        else:
            return t


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def arg(call: Call, index: int) -> str | None:
    """Argument ``index`` of ``call`` (negative counts from the end), or None."""
    try:
        return call.args[index]
    except IndexError:
        return None


def calls_in(fv: FunctionView, node: Node) -> Iterator[Call]:
    return iter_calls(fv.parsed, node)


def mentions_call(fv: FunctionView, node: Node | None, names: set[str]) -> bool:
    return node is not None and any(c.name in names for c in calls_in(fv, node))


def ancestors(node: Node) -> Iterator[Node]:
    cur = node.parent
    while cur is not None:
        yield cur
        cur = cur.parent


def contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def has_jump(node: Node) -> bool:
    """``node`` contains a return, goto, break or continue."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type in ("return_statement", "goto_statement", "break_statement", "continue_statement"):
            return True
        stack.extend(cur.children)
    return False


def rows(node: Node) -> tuple[int, int]:
    """First and last 0-based rows of ``node`` in the stitched text."""
    return node.start_point[0], node.end_point[0]


def real_span(fv: FunctionView, node: Node) -> tuple[int, int] | None:
    """First and last real lines of ``node`` when every row of it is visible."""
    first, last = rows(node)
    reals = [fv.real_line_of_row(r) for r in range(first, last + 1)]
    if any(r is None for r in reals):
        return None
    return reals[0], reals[-1]  # type: ignore[return-value]


def declared_names(fv: FunctionView) -> set[str]:
    """Parameters and locals of ``fv``: names that mean something else in any other function."""
    fn = fv.function
    if fn is None:
        return set()
    out: set[str] = set()
    decl = fn.node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    params = decl.child_by_field_name("parameters") if decl is not None else None
    for p in params.named_children if params is not None else []:
        name = declarator_name(p.child_by_field_name("declarator"))
        if name:
            out.add(name)
    stack = [fn.body]
    while stack:
        node = stack.pop()
        if node.type == "declaration":
            for d in node.children_by_field_name("declarator"):
                name = declarator_name(d)
                if name:
                    out.add(name)
        stack.extend(node.named_children)
    return out


def guarded(node: Node, decides: Callable[[Node | None], bool]) -> bool:
    """A condition ``decides`` accepts controls whether ``node`` runs.

    That is an enclosing ``if``/``while``/``?:`` condition, the left side of an
    enclosing ``&&``/``||``, or an earlier ``if`` in an enclosing block whose
    body leaves (an early exit), up to the function definition.
    """
    child = node
    for anc in ancestors(node):
        if anc.type in ("if_statement", "while_statement", "conditional_expression"):
            cond = anc.child_by_field_name("condition")
            if cond is not None and not contains(cond, child) and decides(cond):
                return True
        elif anc.type == "binary_expression":
            left = anc.child_by_field_name("left")
            op = anc.child_by_field_name("operator")
            if (
                left is not None
                and op is not None
                and op.type in ("&&", "||")
                and not contains(left, child)
                and decides(left)
            ):
                return True
        elif anc.type == "compound_statement":
            for stmt in anc.named_children:
                if stmt.start_byte >= child.start_byte:
                    break
                if stmt.type == "if_statement":
                    body = stmt.child_by_field_name("consequence")
                    if body is not None and has_jump(body) and decides(stmt.child_by_field_name("condition")):
                        return True
        if anc.type == "function_definition":
            break
        child = anc
    return False
