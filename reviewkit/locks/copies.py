"""Pointer copies of a held lock's object: ``locked = cur`` after ``mutex_lock(&cur->lock)``.

A loop that remembers which object it locked (``if (cur != locked) { if
(locked) unlock(locked); lock(cur); locked = cur; }``, then ``if (locked)
unlock(locked)`` after the loop) holds one lock under two names.  Without
the copy the analysis sees ``cur->lock`` held at an ``if (locked)`` whose
false branch skips the release, and reports a path that cannot run: a
pointer whose lock is held is not NULL.  So a hold remembers the plain
pointer copies of its root made while it is held (``Held.also``), forgets
a copy the moment that name is written again, answers a release through
a copy, and when its own root is reassigned it is renamed to a copy still
pointing at the object instead of becoming unprovable.

Only ``x = y`` of two plain names is a copy, and only a lock reached
through the pointer (``y->lock``): copying a structure that holds a lock
by value makes another lock.
"""

from __future__ import annotations

from dataclasses import replace

from reviewkit.cparse.parse import Node, Parsed
from reviewkit.flow.engine import CfgNode
from reviewkit.locks.model import Held

_WRAPPERS = ("parenthesized_expression", "cast_expression")


def copy_of(n: CfgNode, parsed: Parsed) -> tuple[str, str] | None:
    """``(dst, src)`` when ``n`` is the statement ``dst = src;`` (or a declaration ``T *dst = src;``)."""
    ast = n.ast
    if ast is None:
        return None
    if ast.type == "expression_statement" and len(ast.named_children) == 1:
        ast = ast.named_children[0]
    left: Node | None
    right: Node | None
    if ast.type == "assignment_expression":
        op = ast.child_by_field_name("operator")
        if op is None or parsed.text(op) != "=":
            return None
        left, right = ast.child_by_field_name("left"), ast.child_by_field_name("right")
    elif ast.type == "declaration":
        inits = [c for c in ast.named_children if c.type == "init_declarator"]
        if len(inits) != 1:
            return None
        left, right = inits[0].child_by_field_name("declarator"), inits[0].child_by_field_name("value")
        while left is not None and left.type == "pointer_declarator":
            left = left.child_by_field_name("declarator")
    else:
        return None
    while right is not None and right.type in _WRAPPERS:
        right = right.child_by_field_name("value") or (right.named_children[-1] if right.named_children else None)
    if left is None or right is None or left.type != "identifier" or right.type != "identifier":
        return None
    dst, src = parsed.text(left), parsed.text(right)
    return (dst, src) if dst != src else None


def _split(key: str) -> tuple[str, str] | None:
    """``cur->lock`` -> (``cur``, ``->lock``); None unless the lock is reached through the pointer."""
    head, sep, _rest = key.partition("->")
    return (head, key[len(head) :]) if sep and head.isidentifier() else None


def through_copies(h: Held, written: frozenset[str], copy: tuple[str, str] | None) -> Held:
    """``h`` after a node that writes ``written`` (and is the copy ``copy``, if any)."""
    if not h.count or h.stale:
        return h if not h.also else replace(h, also=frozenset())
    parts = _split(h.key)
    if parts is None:
        return h
    root, rest = parts
    also = h.also - written
    if root in written and also:
        # the root now names another object; a copy still names this one: the lock is known by it
        alias = min(also)
        return replace(h, key=alias + rest, also=also - {alias})
    if copy is not None and copy[1] == root and copy[0] not in (root,):
        also = also | {copy[0]}
    return h if also == h.also else replace(h, also=also)


def named_by(h: Held, key: str) -> bool:
    """Does ``key`` (a release's lock) name ``h`` through one of its copies?"""
    parts = _split(h.key)
    return parts is not None and any(a + parts[1] == key for a in h.also)
