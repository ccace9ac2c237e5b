"""Sequence analysis: which leaves of a repeated sequence become parameters or private locals.

Given the copies of a repeated sequence, :func:`analyse` compares their
leaves site by site and decides, for each identifier, whether it is a
global (stays inside the helper), a caller local (becomes a parameter) or a
local private to the sequence (the helper declares it), or why no helper
can be written.  It is the one decision the fix's correctness rests on, so
it sits apart from the shape machinery below it and the text writing above.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewkit.cparse import parse as cparse
from reviewkit.cparse.parse import Node
from reviewkit.transform.scope import CType, Scope, declared_in
from reviewkit.transform.shape import leaves, skeleton
from reviewkit.views.source import FunctionView


@dataclass
class Param:
    name: str
    ctype: CType
    values: list[str]
    """The argument text at each site, in site order."""


@dataclass
class Analysis:
    """How a sequence becomes a helper: parameters, private locals, problems."""

    params: list[Param] = field(default_factory=list)
    private: list[tuple[str, CType]] = field(default_factory=list)
    kept_decls: list[str] = field(default_factory=list)
    """Private locals whose caller declaration must stay (unseen code may use them)."""
    drop_decls: list[tuple[FunctionView, Node]] = field(default_factory=list)
    problem: str = ""


def _written_first(fv: FunctionView, scope: Scope, nodes: list[Node], name: str) -> bool:
    """The first mention of ``name`` in ``nodes`` stores to it (assignment target or irqsave flags)."""
    for node in nodes:
        for leaf in leaves(node):
            if fv.parsed.text(leaf) != name:
                continue
            parent = leaf.parent
            if (
                parent is not None
                and parent.type == "assignment_expression"
                and parent.child_by_field_name("left") == leaf
            ):
                return True
            if parent is not None and parent.type == "pointer_expression":
                args = parent.parent
                call = args.parent if args is not None else None
                if call is not None and call.type == "call_expression" and args is not None:
                    fn = call.child_by_field_name("function")
                    index = [c for c in args.named_children if c.type != "comment"].index(parent)
                    info = cparse.Call(fv.parsed.text(fn) if fn is not None else "", (), 0, call)
                    if scope.flags_written(info) == index:
                        return True
            return False
    return False


def _mentions_outside(fv: FunctionView, name: str, nodes: list[Node]) -> bool:
    fn = fv.function
    if fn is None:
        return True
    inside = {(n.start_byte, n.end_byte) for n in nodes}
    for leaf in leaves(fn.body):
        if fv.parsed.text(leaf) != name:
            continue
        if any(s <= leaf.start_byte and leaf.end_byte <= e for s, e in inside):
            continue
        parent = leaf.parent
        if parent is not None and parent.type in ("init_declarator", "declaration", "pointer_declarator"):
            continue
        return True
    return False


def _gap_in_scope(fv: FunctionView, decl: Node) -> bool:
    """Unseen code between a declaration and the end of its block."""
    block = decl.parent
    if block is None:
        return True
    for child in block.named_children:
        if child.start_byte > decl.start_byte:
            stack = [child]
            while stack:
                cur = stack.pop()
                if fv.gap_index(cur) is not None:
                    return True
                stack.extend(cur.children)
    return not (fv.start_visible and fv.end_visible) and block == (fv.function.body if fv.function else None)


def analyse(scope: Scope, sites: list[tuple[FunctionView, list[Node]]]) -> Analysis:
    """Parameters (varying leaves, caller locals) and private locals of a repeated sequence.

    Leaves are compared site by site in shape order: a leaf whose text is the
    same everywhere and names a global stays inside the helper; a caller
    local becomes a parameter unless it is private to the sequence (written
    first inside it and never used outside it in the function), in which
    case the helper declares it.
    """
    result = Analysis()
    per_site: list[list[Node]] = []
    for fv, nodes in sites:
        holes: list[Node] = []
        for n in nodes:
            skeleton(fv, n, holes)
        per_site.append(holes)
    if len({len(h) for h in per_site}) != 1:
        result.problem = "the sites differ in shape"
        return result
    fv0 = sites[0][0]
    seen: dict[tuple[str, ...], Param] = {}
    private: set[str] = set()
    for i, leaf0 in enumerate(per_site[0]):
        values = tuple(fv.parsed.text(h[i]) for (fv, _), h in zip(sites, per_site, strict=True))
        kinds = {h[i].type for h in per_site}
        if kinds != {"identifier"}:
            if len(set(values)) > 1:
                result.problem = f"literal `{values[0]}` differs between the sites"
                return result
            continue
        if len(set(values)) == 1 and scope.is_global(values[0]):
            continue
        if values in seen or values[0] in private:
            continue
        name = values[0]
        if len(set(values)) == 1 and all(
            _written_first(fv, scope, nodes, name) and not _mentions_outside(fv, name, nodes) for fv, nodes in sites
        ):
            ct = scope.type_of(name, fv0)
            if ct is None:
                result.problem = f"the type of `{name}` is not visible"
                return result
            private.add(name)
            result.private.append((name, ct))
            for fv, _nodes in sites:
                found = declared_in(fv, name)
                if found is None:
                    continue
                if _gap_in_scope(fv, found[1]) or len(found[1].children_by_field_name("declarator")) != 1:
                    result.kept_decls.append(name)
                else:
                    result.drop_decls.append((fv, found[1]))
            continue
        if any(_assigned(fv, nodes, name) for (fv, nodes), name in zip(sites, values, strict=True)):
            result.problem = f"the sequence assigns `{name}`, which the caller still uses"
            return result
        uses = _arg_uses(fv0, leaf0)
        ct = scope.type_of(name, fv0, uses)
        if ct is None:
            result.problem = f"the type of `{name}` is not visible"
            return result
        param = Param(name, ct, list(values))
        seen[values] = param
        result.params.append(param)
    return result


def _assigned(fv: FunctionView, nodes: list[Node], name: str) -> bool:
    """``name`` is stored to inside ``nodes`` (a parameter would lose the store)."""
    for node in nodes:
        for leaf in leaves(node):
            if fv.parsed.text(leaf) != name or leaf.parent is None:
                continue
            parent = leaf.parent
            if parent.type == "assignment_expression" and parent.child_by_field_name("left") == leaf:
                return True
            if parent.type == "update_expression":
                return True
    return False


def _arg_uses(fv: FunctionView, leaf: Node) -> list[tuple[str, int]]:
    """(callee, argument index) when ``leaf`` is passed bare to a call."""
    parent = leaf.parent
    if parent is None or parent.type != "argument_list" or parent.parent is None:
        return []
    fn = parent.parent.child_by_field_name("function")
    args = [c for c in parent.named_children if c.type != "comment"]
    return [(fv.parsed.text(fn), args.index(leaf))] if fn is not None and leaf in args else []
