"""What the functions of a file write into memory their callers passed in.

Two readings of the same bodies, each kept for the last file read:

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
into its second's memory): :func:`argument_stores` reads that off every function of the file, and
:func:`stored_out` the nodes of one function that do it.

Only a ``void`` function's exits are read this way (``lock-balance``): one that returns a status tells
its caller whether to unlock, and an exit reporting failure with the object stored and locked is still a
leak (:func:`reviewkit.locks.handback.object_out` keeps that discipline).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reviewkit.cparse.parse import Function, Node, Parsed, iter_calls
from reviewkit.flow.engine import CFG
from reviewkit.locks.keys import lock_key
from reviewkit.locks.syntax import _walk, function_params
from reviewkit.views.source import FunctionView

#: ``*out``, ``p->field``, ``p[i]`` (and ``p->a[i]``): memory reached through a pointer ``p``.
_THROUGH = re.compile(r"^\(*\s*\*\s*(\w+)\s*\)*$|^(\w+)\s*(?:->|\[)")

#: How far a store is followed through callees that pass the object on (each level one more function).
_DEPTH = 4

_LAST: list[tuple[Parsed, dict[str, frozenset[tuple[int, int]]]]] = []
_LAST_WRITES: list[tuple[Parsed, dict[str, frozenset[tuple[int, str]]]]] = []
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


def argument_stores(parsed: Parsed) -> dict[str, frozenset[tuple[int, int]]]:
    """For each function of the file, the ``(i, j)`` pairs of parameter positions where it stores its
    ``i``-th parameter into memory reached through its ``j``-th (itself, or a callee of the file given
    both).  Parameters the body reassigns count for neither side.  Kept for the last file read."""
    for p, got in _LAST:
        if p is parsed:
            return got
    fns: dict[str, Function] = {f.name: f for f in parsed.functions()}
    direct: dict[str, set[tuple[int, int]]] = {}
    passes: dict[str, list[tuple[str, dict[int, int], dict[int, int]]]] = {}
    for name, fn in fns.items():
        params = function_params(fn)
        moved = _reassigned(parsed, fn.body)
        index = {p: i for i, p in enumerate(params) if p and p not in moved}
        if not index:
            continue
        found: set[tuple[int, int]] = set()
        for cur in _walk(fn.body):
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
        direct[name] = found
        calls = []
        for call in iter_calls(parsed, fn.body):
            if call.name in fns and call.name != name:
                whole = {k: index[a] for k, a in enumerate(map(lock_key, call.args)) if a in index}
                rooted = {k: index[r] for k, a in enumerate(call.args) if (r := _arg_root(a)) in index}
                if whole and rooted:
                    calls.append((call.name, whole, rooted))
        passes[name] = calls
    def lift(call: tuple[str, dict[int, int], dict[int, int]], pair: tuple[int, int]) -> tuple[int, int] | None:
        _callee, whole, rooted = call
        i, j = whole.get(pair[0]), rooted.get(pair[1])
        return (i, j) if i is not None and j is not None and i != j else None

    got = _closure(direct, passes, lift)
    _LAST[:] = [(parsed, got)]
    return got


def member_writes(parsed: Parsed) -> dict[str, frozenset[tuple[int, str]]]:
    """For each function of the file, the ``(i, "->member")`` pairs it writes through its ``i``-th
    parameter (``p->m = v``, ``p->m |= v``, ``p->m++``, ``&p->m`` handed to a call such as
    ``set_bit()``), itself or through callees of the file handed the parameter itself."""
    for p, got in _LAST_WRITES:
        if p is parsed:
            return got
    fns: dict[str, Function] = {f.name: f for f in parsed.functions()}
    writes: dict[str, set[tuple[int, str]]] = {}
    passes: dict[str, list[tuple[str, dict[int, int]]]] = {}
    for name, fn in fns.items():
        moved = _reassigned(parsed, fn.body)
        index = {p: i for i, p in enumerate(function_params(fn)) if p and p not in moved}
        if not index:
            continue
        found: set[tuple[int, str]] = set()
        for cur in _walk(fn.body):
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
        writes[name] = found
        passes[name] = [
            (call.name, {k: index[a] for k, a in enumerate(map(lock_key, call.args)) if a in index})
            for call in iter_calls(parsed, fn.body)
            if call.name in fns and call.name != name
        ]
    def lift(call: tuple[str, dict[int, int]], write: tuple[int, str]) -> tuple[int, str] | None:
        i = call[1].get(write[0])
        return (i, write[1]) if i is not None else None

    got = _closure(writes, passes, lift)
    _LAST_WRITES[:] = [(parsed, got)]
    return got


def _closure(
    direct: dict[str, set[Any]], calls: dict[str, list[Any]], lift: Callable[[Any, Any], Any | None]
) -> dict[str, frozenset[Any]]:
    """``direct`` facts of each function plus those of the callees it calls (``calls``: tuples whose first
    item is the callee's name), each ``lift``-ed into the caller's terms (None: not the caller's), up to
    :data:`_DEPTH` levels of calls."""
    facts = {name: set(found) for name, found in direct.items()}
    for _ in range(_DEPTH):
        grew = False
        for name, made in calls.items():
            for call in made:
                for fact in list(facts.get(call[0], ())):
                    lifted = lift(call, fact)
                    if lifted is not None and lifted not in facts[name]:
                        facts[name].add(lifted)
                        grew = True
        if not grew:
            break
    return {name: frozenset(found) for name, found in facts.items() if found}


def returns_void(fv: FunctionView) -> bool:
    """``static void f(...)``: no result tells the caller anything (a pointer to void is a result)."""
    fn = fv.function
    if fn is None:
        return False
    kind = fn.node.child_by_field_name("type")
    decl = fn.node.child_by_field_name("declarator")
    plain = decl is not None and decl.type == "function_declarator"
    return plain and kind is not None and fv.parsed.text(kind) == "void"


def stored_out(fv: FunctionView, cfg: CFG, whole: Any) -> dict[int, frozenset[str]]:
    """The nodes of ``fv`` that leave an object in memory its caller passed in, with the objects (lock
    keys of the values stored): ``p->x = obj``, ``*p = obj``, or a call of a function of the file that
    stores that argument into the one rooted at the parameter (:func:`argument_stores`)."""
    fn = fv.function
    if fn is None:
        return {}
    moved = {w for n in cfg.nodes if n.ast is not None and n.ast.type != "declaration" for w in n.rebinds}
    params = {p for p in function_params(fn) if p and p not in moved}
    if not params:
        return {}
    stores = argument_stores(whole) if whole is not None else {}
    out: dict[int, frozenset[str]] = {}
    for n in cfg.nodes:
        if n.ast is None:
            continue
        objs: set[str] = set()
        if "=" in n.text:
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
        for call in n.calls:
            for a, b in stores.get(call.name, ()):
                if a < len(call.args) and b < len(call.args) and _arg_root(call.args[b]) in params:
                    objs.add(lock_key(call.args[a]))
        if objs:
            out[n.id] = frozenset(objs)
    return out
