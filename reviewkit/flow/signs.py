"""The sign of an integer variable, as far as the branches a path took tell it.

``if (ret) unlock(); if (ret < 0) goto error; if (ret > 0) break;`` leaves
no path that unlocked and went on: ``ret`` nonzero and neither negative nor
positive is impossible.  The truth of each test alone (what
:attr:`CfgNode.cond_key` remembers) cannot say so, since the three tests are
three different conditions; the sign of ``ret`` (one of ``-``, ``0``, ``+``)
relates them.  Only variables tested by two or more such atoms, one of them
an ordering against zero, are tracked: other tests are already correlated
by their truth, and tracking more would only multiply the states.
"""

from __future__ import annotations

import re
from typing import Any

ALL = frozenset("-0+")
_TRUE_WHEN = {
    "<": frozenset("-"),
    ">": frozenset("+"),
    "<=": frozenset("-0"),
    ">=": frozenset("0+"),
    "==": frozenset("0"),
    "!=": frozenset("-+"),
}
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def sign_atom(parsed: Any, expr: Any) -> tuple[str, frozenset[str]] | None:
    """``(variable, the signs that make the atom true)`` for ``x``, ``x < 0``, ``0 >= x``...; else None."""
    if expr.type == "identifier":
        return parsed.text(expr), frozenset("-+")
    if expr.type != "binary_expression":
        return None
    op_node = expr.child_by_field_name("operator")
    op = parsed.text(op_node) if op_node is not None else ""
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    if op not in _TRUE_WHEN or left is None or right is None:
        return None
    if left.type == "identifier" and parsed.text(right).strip() == "0":
        return parsed.text(left), _TRUE_WHEN[op]
    if right.type == "identifier" and parsed.text(left).strip() == "0":
        return parsed.text(right), _TRUE_WHEN[_MIRROR[op]]
    return None


def keep_useful(nodes: list[Any]) -> None:
    """Clear :attr:`sign` on atoms whose variable no ordering test relates to another test."""
    atoms: dict[str, list[Any]] = {}
    for n in nodes:
        if n.sign is not None:
            atoms.setdefault(n.sign[0], []).append(n)
    for group in atoms.values():
        ordered = any(
            n.sign[1] in (_TRUE_WHEN["<"], _TRUE_WHEN[">"], _TRUE_WHEN["<="], _TRUE_WHEN[">="]) for n in group
        )
        if len(group) < 2 or not ordered:
            for n in group:
                n.sign = None


def narrow(
    signs: frozenset[tuple[str, frozenset[str]]], sign: tuple[str, frozenset[str]], truth: bool
) -> frozenset[tuple[str, frozenset[str]]] | None:
    """The known signs after the atom ``sign`` took ``truth``; None: the edge is impossible."""
    var, when = sign
    known = next((s for v, s in signs if v == var), ALL)
    now = known & (when if truth else ALL - when)
    if not now:
        return None
    if now == known:
        return signs
    return frozenset(x for x in signs if x[0] != var) | {(var, now)}


def forget(signs: frozenset[tuple[str, frozenset[str]]], written: Any) -> frozenset[tuple[str, frozenset[str]]]:
    if not signs or not written:
        return signs
    return frozenset(x for x in signs if x[0] not in written)


def stored(signs: frozenset[tuple[str, frozenset[str]]], assigns: Any) -> frozenset[tuple[str, frozenset[str]]]:
    """``ret = 0;`` / ``ret = -EIO;`` / ``ret = 1;``: the sign the stored constant has."""
    for var, value in assigns:
        text = value.replace(" ", "")
        sign = "0" if text in ("0", "false") else "-" if re.fullmatch(r"-(?:\d+|E[A-Z0-9]+)", text) else None
        if sign is None and re.fullmatch(r"[1-9]\d*|true", text):
            sign = "+"
        if sign is not None:
            signs = frozenset(x for x in signs if x[0] != var) | {(var, frozenset(sign))}
    return signs
