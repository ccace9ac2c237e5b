"""What the functions of a file write into memory their callers passed in.

Two readings of the same bodies, each made for a callee when a caller asks and kept on the file's parse:

* :func:`argument_stores`: which argument a function stores into another argument's memory, itself or
  through a callee of the file;
* :func:`member_writes`: which members of its arguments a function writes (``nd->flags &= ~LOOKUP_RCU``
  in ``leave_rcu(nd)``, reached from ``try_to_unlazy(nd)``): a caller testing that member after the
  call tests its own bookkeeping, kept by the callee (:mod:`reviewkit.locks.guards`).

Objects put into the caller's memory carry the lock they hold.

A ``void`` function that locks an object and leaves it in a structure the caller passed in
(``cip->vc[sub] = vc``) has handed the object over locked: the caller, which reads the structure,
unlocks it (KVM's piggybacked vcores, collected under their locks into the core's list).  The store may
be the function's own or a callee's in the same file, given the object and the caller's structure
(``can_piggyback(pvc, cip, ...)`` calls ``can_dynamic_split(pvc, cip)``, which stores its first argument
into its second's memory): :func:`argument_stores` reads that off a callee of the file, and
:func:`stored_at` one node of the caller, for the objects whose locks it holds there.

Only a ``void`` function's exits are read this way (``lock-balance``): one that returns a status tells
its caller whether to unlock, and an exit reporting failure with the object stored and locked is still a
leak (:func:`reviewkit.locks.handback.object_out` keeps that discipline).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reviewkit.cparse.parse import Call, Function, Node, Parsed, iter_calls
from reviewkit.flow.engine import CFG
from reviewkit.locks.keys import lock_key
from reviewkit.locks.syntax import _walk, function_params
from reviewkit.views.source import FunctionView

#: ``*out``, ``p->field``, ``p[i]`` (and ``p->a[i]``): memory reached through a pointer ``p``.
_THROUGH = re.compile(r"^\(*\s*\*\s*(\w+)\s*\)*$|^(\w+)\s*(?:->|\[)")

#: How far a store is followed through callees that pass the object on (each level one more function).
_DEPTH = 4

_MEMBER = re.compile(r"^(\w+)((?:->|\.)\w+)$")


def _stripped(node: Node) -> Node:
    while node.type in ("parenthesized_expression", "cast_expression") and node.named_children:
        node = node.named_children[-1]
    return node


def _root(text: str) -> str | None:
    m = _THROUGH.match(text.strip().lstrip("&").strip())
    return (m.group(1) or m.group(2)) if m else None


def _arg_root(text: str) -> str | None:
    """The parameter whose memory a call's argument hands the callee: ``cip``, ``&cip->vc``, ``cip->vc``."""
    bare = text.strip().lstrip("&").strip()
    return bare if re.fullmatch(r"\w+", bare) else _root(bare)


def _reassigned(parsed: Parsed, body: Node) -> set[str]:
    out = set()
    for cur in _walk(body):
        if cur.type in ("assignment_expression", "update_expression"):
            left = cur.child_by_field_name("left") or cur.child_by_field_name("argument")
            if left is not None and left.type == "identifier":
                out.add(parsed.text(left))
    return out


def _functions(parsed: Parsed) -> dict[str, Function]:
    got = parsed.__dict__.get("_functions_by_name")
    if got is None:
        got = parsed.__dict__["_functions_by_name"] = {f.name: f for f in parsed.functions()}
    return got


def _whole_body(fn: Function) -> list[Node]:
    return [fn.body]


def _every_path(fn: Function) -> list[Node]:
    """The statements of a void function's own block before any ``return``/``goto``: what it does on
    every path (statements under a test, a loop or a ``switch`` are not)."""
    kind = fn.node.child_by_field_name("type")
    if kind is None or fn.parsed.text(kind) != "void":
        return []
    out = []
    for stmt in fn.body.named_children:
        if stmt.type in ("return_statement", "goto_statement"):
            break
        if stmt.type == "expression_statement":
            out.append(stmt)
    return out


def _per_function(
    parsed: Parsed,
    memo_key: str,
    name: str,
    direct: Callable[[Parsed, Node, dict[str, int]], set[Any]],
    lift: Callable[[Call, dict[str, int], Any], Any | None],
    scope: Callable[[Function], list[Node]] = _whole_body,
    depth: int = _DEPTH,
) -> frozenset[Any]:
    """``direct(parsed, node, index)`` facts of the parts ``scope`` picks of the file's function ``name``
    (``index``: its parameters the body never reassigns, by name), and each fact of the file's functions
    called there ``lift``-ed into its own terms (None: not about its parameters), :data:`_DEPTH` calls
    down.  Read when asked for (most callees never are) and kept on the parse, by name and depth (so a
    call cycle ends at depth 1, whatever the order of the functions)."""
    memo: dict[tuple[str, int], frozenset[Any]] = parsed.__dict__.setdefault(memo_key, {})
    key = (name, depth)
    if key in memo:
        return memo[key]
    fn = _functions(parsed).get(name)
    parts = scope(fn) if fn is not None else []
    moved = _reassigned(parsed, fn.body) if fn is not None else set()
    index = {p: i for i, p in enumerate(function_params(fn)) if p and p not in moved} if fn is not None else {}
    found: set[Any] = set()
    for part in parts if index else []:
        found |= direct(parsed, part, index)
        for call in iter_calls(parsed, part) if depth > 1 else ():
            if call.name != name and call.name in _functions(parsed):
                for fact in _per_function(parsed, memo_key, call.name, direct, lift, scope, depth - 1):
                    lifted = lift(call, index, fact)
                    if lifted is not None:
                        found.add(lifted)
    memo[key] = frozenset(found)
    return memo[key]


def _direct_stores(parsed: Parsed, node: Node, index: dict[str, int]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for cur in _walk(node):
        if cur.type != "assignment_expression":
            continue
        left, right = cur.child_by_field_name("left"), cur.child_by_field_name("right")
        if left is None or right is None or left.type == "identifier":
            continue
        value = _stripped(right)
        j = index.get(_root(parsed.text(left)) or "")
        i = index.get(parsed.text(value)) if value.type == "identifier" else None
        if i is not None and j is not None and i != j:
            found.add((i, j))
    return found


def _lift_store(call: Call, index: dict[str, int], pair: tuple[int, int]) -> tuple[int, int] | None:
    a, b = pair
    if a >= len(call.args) or b >= len(call.args):
        return None
    i, j = index.get(lock_key(call.args[a])), index.get(_arg_root(call.args[b]) or "")
    return (i, j) if i is not None and j is not None and i != j else None


def argument_stores(parsed: Parsed, name: str) -> frozenset[tuple[int, int]]:
    """The ``(i, j)`` pairs of parameter positions where the file's function ``name`` stores its ``i``-th
    parameter into memory reached through its ``j``-th (itself, or a callee of the file given both).
    Parameters the body reassigns count for neither side."""
    return _per_function(parsed, "_argument_stores", name, _direct_stores, _lift_store)


def sure_stores(parsed: Parsed, name: str) -> frozenset[tuple[int, int]]:
    """The stores of :func:`argument_stores` that a void function of the file makes on every path
    (:func:`_every_path`), itself or through a call of such a function there.  An untested call counts
    these."""
    return _per_function(parsed, "_sure_stores", name, _direct_stores, _lift_store, _every_path)


def _direct_writes(parsed: Parsed, node: Node, index: dict[str, int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for cur in _walk(node):
        target = None
        if cur.type == "assignment_expression":
            target = cur.child_by_field_name("left")
        elif cur.type == "update_expression" or (
            cur.type == "pointer_expression"
            and parsed.text(cur).startswith("&")
            and cur.parent is not None
            and cur.parent.type == "argument_list"
        ):
            target = cur.child_by_field_name("argument")
        m = _MEMBER.match("".join(parsed.text(target).split())) if target is not None else None
        if m and m.group(1) in index:
            found.add((index[m.group(1)], m.group(2)))
    return found


def _lift_write(call: Call, index: dict[str, int], write: tuple[int, str]) -> tuple[int, str] | None:
    i = index.get(lock_key(call.args[write[0]])) if write[0] < len(call.args) else None
    return (i, write[1]) if i is not None else None


def member_writes(parsed: Parsed, name: str) -> frozenset[tuple[int, str]]:
    """The ``(i, "->member")`` pairs the file's function ``name`` writes through its ``i``-th parameter
    (``p->m = v``, ``p->m |= v``, ``p->m++``, ``&p->m`` handed to a call such as ``set_bit()``), itself
    or through callees of the file handed the parameter itself."""
    return _per_function(parsed, "_member_writes", name, _direct_writes, _lift_write)


def returns_void(fv: FunctionView) -> bool:
    """``static void f(...)``: no result tells the caller anything (a pointer to void is a result)."""
    fn = fv.function
    if fn is None:
        return False
    kind = fn.node.child_by_field_name("type")
    decl = fn.node.child_by_field_name("declarator")
    plain = decl is not None and decl.type == "function_declarator"
    return plain and kind is not None and fv.parsed.text(kind) == "void"


def caller_params(fv: FunctionView, cfg: CFG) -> frozenset[str]:
    """The parameters of a void function its body never reassigns: memory through them is the caller's
    (empty for any other function, :mod:`reviewkit.locks.stores`'s scope)."""
    fn = fv.function
    if fn is None or fv.fragment or not returns_void(fv):
        return frozenset()
    moved = {w for n in cfg.nodes if n.ast is not None and n.ast.type != "declaration" for w in n.rebinds}
    return frozenset(p for p in function_params(fn) if p and p not in moved)


def stored_at(fv: FunctionView, n: Any, params: frozenset[str], owners: set[str]) -> frozenset[str]:
    """Which of ``owners`` (objects holding a lock, as lock keys) node ``n`` itself leaves in memory the
    caller passed in through ``params``: ``p->x = obj``, ``*p = obj``."""
    return _direct_at(fv, n, params) & owners


def stored_by_call(
    call: Call, params: frozenset[str], whole: Any, owners: set[str], tested: bool = True
) -> frozenset[str]:
    """Which of ``owners`` a call of a function of the file stores into memory rooted at ``params``
    (:func:`argument_stores`).  The callee stores on some of its paths: the caller counts it only where
    its test of the call's result says it succeeded (``if (!can_piggyback(pvc, cip, n)) { unlock;
    continue; }``), the kernel's bool-success convention; an untested call (``tested=False``) counts only
    the stores a void callee makes on every path (:func:`sure_stores`)."""
    if whole is None or not any(lock_key(a) in owners for a in call.args):
        return frozenset()  # (a callee's stores are read only for a call given a locked object)
    objs = {
        lock_key(call.args[a])
        for a, b in (argument_stores(whole, call.name) if tested else sure_stores(whole, call.name))
        if a < len(call.args) and b < len(call.args) and _arg_root(call.args[b]) in params
    }
    return frozenset(objs & owners)


def _direct_at(fv: FunctionView, n: Any, params: frozenset[str]) -> frozenset[str]:
    """The values ``n`` itself stores into memory reached through ``params``, once per node."""
    got: frozenset[str] | None = n.__dict__.get("_direct_stores")
    if got is not None:
        return got
    objs: set[str] = set()
    if "=" in n.text and n.ast is not None:
        for cur in _walk(n.ast):
            if cur.type == "assignment_expression":
                left, right = cur.child_by_field_name("left"), cur.child_by_field_name("right")
                if (
                    left is not None
                    and right is not None
                    and left.type != "identifier"
                    and _root(fv.parsed.text(left)) in params
                ):
                    objs.add(lock_key(fv.parsed.text(_stripped(right))))
    got = n.__dict__["_direct_stores"] = frozenset(objs)
    return got
