"""Which locals of a function name its caller's objects.

A release of ``x->lock`` before any acquire of it is of a lock the caller holds when ``x`` is the caller's
object: a parameter, a global, or a local that is only another name for one (initialised once from the
caller's state, assigned once from it after its declaration, or given one call's result, which is the
callee's object as a declaration's initialiser would be).  :func:`reviewkit.locks.analysis.analyse` asks
these readings only for a function with such a release.
"""

from __future__ import annotations

from reviewkit.cparse.parse import Node
from reviewkit.flow.cfg import reached
from reviewkit.flow.engine import CFG, CfgNode
from reviewkit.locks.model import LockModel
from reviewkit.locks.syntax import _VAR
from reviewkit.views.source import FunctionView


def callers(key: str, local: set[str]) -> bool:
    """A key the caller can hold: no local in it, or a slot of a global table indexed by locals
    (``hugetlb_fault_mutex_table[hash]``: the caller took the slot its own ``hash`` names)."""
    ids = _VAR.findall(key)
    return not set(ids) & local or (bool(ids) and ids[0] not in local and "[" in key)


def initialised_once(fv: FunctionView, cfg: CFG) -> set[str]:
    """Locals given their value in their declaration and never assigned again."""
    declared: set[str] = set()
    for n in cfg.nodes:
        if n.ast is None or n.ast.type != "declaration":
            continue
        for decl in n.ast.children_by_field_name("declarator"):
            if decl.type == "init_declarator":
                name = decl.child_by_field_name("declarator")
                while name is not None and name.type != "identifier":
                    name = name.child_by_field_name("declarator")
                if name is not None:
                    declared.add(fv.parsed.text(name))
    again = {w for n in cfg.nodes if n.ast is not None and n.ast.type != "declaration" for w in n.rebinds}
    return declared - again


_MAX_DEFS = 8
"""Assignments of one local :func:`bound_once_from_caller` follows (the walks grow with their square)."""


def bound_once_from_caller(fv: FunctionView, cfg: CFG, params: set[str], local: set[str]) -> set[str]:
    """Locals assigned once, after their declaration, from the caller's objects: ``dev = ep->dev;``,
    ``xhci = hcd_to_xhci(hcd);`` (with ``hcd = port->rhub->hcd;`` before it).

    Such a local is another name for memory the caller passed in, like one initialised in its
    declaration: a lock the function releases through it before taking it is the caller's (the gadget
    ``done()`` callbacks drop ``dev->lock`` around the giveback).  The value must be built from
    parameters (never reassigned), globals and other such locals only, so ``p = kzalloc(...)`` or a
    value read from a local's own memory stays local.  A parameter reassigned later still counts where
    no reassignment reaches the binding, and so does a local assigned more than once where the binding
    sees only one of its values and that value is the caller's (``dev = cl->dev;`` with ``cl =
    file->private_data;`` before it and ``cl = pos;`` only after it).
    """
    count, assigned = _plain_assignments(fv, cfg)
    value = {n.id: (name, _value_names(fv, right)) for name, right, n in assigned}
    defs: dict[str, list[CfgNode]] = {}
    for n in cfg.nodes:
        for name in n.rebinds:
            defs.setdefault(name, []).append(n)
    moved = {p for p in params if count.get(p)}
    params = params - moved
    nodes = {n.id: n for _name, _right, n in assigned}
    derived_at: set[int] = set()
    derived: set[str] = set()

    seen: dict[tuple[int, str], int | None] = {}
    walks: dict[tuple[int, frozenset[int]], set[int]] = {}

    def walk(start: CfgNode, avoid: frozenset[int]) -> set[int]:
        got = walks.get((start.id, avoid))
        if got is None:
            got = walks[(start.id, avoid)] = reached([start], avoid)
        return got

    def seen_from(at: CfgNode, name: str) -> int | None:
        """The one assignment of a reassigned local whose value ``at`` sees: it reaches ``at`` past no
        other, and no other reaches ``at`` but through it (``dev = cl->dev;`` before ``cl = pos;``).  The
        walks depend on the assignments only, so each is made once; a local assigned in more than
        :data:`_MAX_DEFS` places is not followed."""
        if (at.id, name) not in seen:
            seen[(at.id, name)] = None
            made = defs.get(name, [])
            for d in made if len(made) <= _MAX_DEFS else []:
                rest = [o for o in made if o is not d]
                if at.id in walk(d, frozenset(o.id for o in rest)) and not any(
                    at.id in walk(o, frozenset([d.id])) for o in rest
                ):
                    seen[(at.id, name)] = d.id
                    break
        return seen[(at.id, name)]

    def derives(n: CfgNode) -> bool:
        name, ids = value[n.id]
        if not ids or name in ids:
            return False
        good = False
        for v in ids:
            if v in params or v in derived:
                good = True
            elif v in moved:
                # ``wl = dev->wl;`` before any ``dev = wl->current_dev;`` can reach it (a loop back below the
                # binding): there the parameter is still what the caller passed
                if _reaches_from_rebind(cfg, v, n):
                    return False
                good = True
            elif v in local:
                d = seen_from(n, v)
                if d is None or d not in derived_at:
                    return False
                good = True
        return good

    grew = True
    while grew:
        grew = False
        for nid, n in nodes.items():
            if nid not in derived_at and derives(n):
                derived_at.add(nid)
                name = value[nid][0]
                if name in local and count.get(name) == 1:
                    derived.add(name)
                grew = True
    return derived


def bound_once_from_call(fv: FunctionView, cfg: CFG, local: set[str], model: LockModel) -> set[str]:
    """Locals assigned once, after their declaration, the result of a call: ``s = sget(...);``.

    The same object as ``struct super_block *s = sget(...);``, which :func:`initialised_once` already
    counts: the callee's object, not one this function made.  A lock the function releases through it
    before taking it was handed over held by the callee (``mount_bdev()`` drops and retakes the
    ``s_umount`` that ``sget()`` returns held), so the retake is balanced and a second release is a
    double release.  How the declaration and the value are written apart must not change the analysis.
    An allocator's result (``kzalloc()``: ``fresh`` in locks.toml) is a new object, nobody's, and so is
    each value of an assignment in a loop (``page = find_or_create_page(...)`` per index)."""
    count, assigned = _plain_assignments(fv, cfg)
    calls: set[str] = set()
    for name, right, n in assigned:
        while right.type in ("parenthesized_expression", "cast_expression"):
            inner = right.child_by_field_name("value") if right.type == "cast_expression" else right.named_children[0]
            if inner is None:
                break
            right = inner
        if right.type == "call_expression":
            callee = right.child_by_field_name("function")
            if (callee is None or not model.fresh.fullmatch(fv.parsed.text(callee))) and n.id not in reached([n]):
                calls.add(name)  # not in a loop: each turn would give another object
    return {name for name in calls if name in local and count.get(name) == 1}


def _plain_assignments(fv: FunctionView, cfg: CFG) -> tuple[dict[str, int], list[tuple[str, Node, CfgNode]]]:
    """How often each name is reassigned outside its declaration, and every ``name = value;`` statement
    (a plain ``=`` to an identifier) with its value and node, in node order: what the bound-once
    readings above start from."""
    count: dict[str, int] = {}
    out: list[tuple[str, Node, CfgNode]] = []
    for n in cfg.nodes:
        if n.ast is None or n.ast.type == "declaration":
            continue
        for name in n.rebinds:
            count[name] = count.get(name, 0) + 1
        expr = n.ast.named_children[0] if n.ast.type == "expression_statement" and n.ast.named_children else None
        if expr is None or expr.type != "assignment_expression":
            continue
        left, right, op = (expr.child_by_field_name(f) for f in ("left", "right", "operator"))
        plain = op is None or fv.parsed.text(op) == "="
        if left is not None and right is not None and left.type == "identifier" and plain:
            out.append((fv.parsed.text(left), right, n))
    return count, out


def _reaches_from_rebind(cfg: CFG, name: str, target: CfgNode) -> bool:
    """Some node that reassigns ``name`` has a path to ``target`` (so ``target`` may see a new value)."""
    rebinds = [n for n in cfg.nodes if name in n.rebinds and n.ast is not None and n.ast.type != "declaration"]
    return target.id in reached(rebinds)


def _value_names(fv: FunctionView, node: Node) -> set[str]:
    """The variables an expression reads: identifiers, not the names of the functions it calls."""
    callees = set()
    out = set()
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "call_expression":
            fn = cur.child_by_field_name("function")
            if fn is not None:
                callees.add(fn.id)
        if cur.type == "identifier" and cur.id not in callees:
            out.add(fv.parsed.text(cur))
        stack.extend(cur.named_children)
    return out
