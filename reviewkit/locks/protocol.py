"""Functions that take a lock in one call and drop it in a later call, chosen by a parameter.

A notifier or a gate callback is called once per step of a protocol: ``PRE_RATE_CHANGE`` takes the
mutex and returns, ``POST_RATE_CHANGE`` or ``ABORT_RATE_CHANGE`` drops it; ``gate_ctrl(fe, 1)`` grabs
the bus lock and ``gate_ctrl(fe, 0)`` releases it.  The function's own text shows the contract: an
acquire under one value of a parameter the function never writes, and a release of the same lock under
another value of that parameter, in an arm that does not take the lock first.  The held return of the
acquiring arm is the protocol, not a missed unlock; ``lock-balance`` counts it
(``lock-balance.parameter-protocol``).

A test of a parameter the body assigns, or of anything else (a field, a callee's result), says nothing
about the caller's sequence of calls and never makes a protocol.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import cast

from reviewkit.cparse.parse import Node, iter_calls
from reviewkit.locks.guards import _stores
from reviewkit.locks.model import LockModel
from reviewkit.locks.syntax import _params
from reviewkit.views.source import FunctionView

_EQ = re.compile(r"^(\w+)\s*(==|!=)\s*(\w+)$")

_Case = tuple[int, int, frozenset[str]]
"""A case arm's value: the switch's node id, the case's node id, its labels."""
Arm = tuple[str, str, object]
"""(parameter, kind, value): ``("enable", "if", True)``, ``("action", "case", <case node id>)``,
``("mode", "eq", "MODE_A")``."""


def parameter_protocol(fv: FunctionView, model: LockModel, key: str, acquire_lines: Iterable[int]) -> bool:
    """Is ``key`` taken under one value of a read-only parameter and released, without being taken in
    that arm, under another value of the same parameter?"""
    fn = fv.function
    if fn is None:
        return False
    params = set(_params(fv)) - _written(fv) - {""}
    if not params:
        return False
    lines = set(acquire_lines)
    calls = list(iter_calls(fn.parsed, fn.node))
    taking = [c.node for c in calls if c.line in lines and c.name in model.acquires]
    releases = [c.node for c in calls if key in model.release_keys(c.name, c.args)]
    if not taking or not releases:
        return False
    # any acquire naming the lock's last member: an arm that takes it before dropping it is no protocol
    member = re.split(r"->|\.", key)[-1]
    acquires = [c.node for c in calls if c.name in model.acquires and any(member in a for a in c.args)]
    for acq in taking:
        for a_arm, _a_node in _arms(fv, acq, params):
            for rel in releases:
                for r_arm, r_node in _arms(fv, rel, params):
                    if _exclusive(a_arm, r_arm) and not any(_inside(x, r_node) for x in acquires):
                        return True
    return False


def _written(fv: FunctionView) -> set[str]:
    """Names the body assigns, steps or hands by address to a call (``mode = ...``, ``action++``,
    ``fixup(&enable)``): a parameter among them is local state, not the caller's step."""
    return {fv.parsed.text(left) for t, left, _v in _stores(fv) if t != "init_declarator" and left.type == "identifier"}


def _arms(fv: FunctionView, node: Node, params: set[str]) -> list[tuple[Arm, Node]]:
    """Each test of a single parameter ``node`` sits under, with the arm (branch or case) holding it."""
    out: list[tuple[Arm, Node]] = []
    child, cur = node, node.parent
    while cur is not None and cur.type != "function_definition":
        if cur.type == "if_statement":
            arm = _if_arm(fv, cur, child, params)
            if arm is not None:
                out.append((arm, child))
        elif cur.type == "case_statement":
            switch = _switch_of(cur)
            cond = switch.child_by_field_name("condition") if switch is not None else None
            name = _bare(fv, cond) if cond is not None else None
            if name in params and switch is not None:
                out.append(((name, "case", (switch.id, cur.id, _labels(fv, cur))), cur))
        child, cur = cur, cur.parent
    return out


def _if_arm(fv: FunctionView, stmt: Node, child: Node, params: set[str]) -> Arm | None:
    cond = stmt.child_by_field_name("condition")
    then = stmt.child_by_field_name("consequence")
    alt = stmt.child_by_field_name("alternative")
    if cond is None or (child != then and child != alt):
        return None
    text = _bare(fv, cond)
    truth = child == then
    while text.startswith("!"):
        text, truth = text[1:].strip(), not truth
    if text in params:
        return (text, "if", truth)
    m = _EQ.match(text)
    if m and m.group(1) in params:
        equal = (m.group(2) == "==") == truth
        return (m.group(1), "eq" if equal else "ne", m.group(3))
    return None


def _exclusive(a: Arm, b: Arm) -> bool:
    """Can no single call be in both arms?"""
    if a[0] != b[0]:
        return False
    if a[1] == b[1] == "if":
        return a[2] != b[2]
    if a[1] == b[1] == "case":
        (sa, ca, la), (sb, cb, lb) = cast(_Case, a[2]), cast(_Case, b[2])
        if sa == sb:
            return ca != cb
        # two switches on the same parameter: only cases with disjoint labels, no ``default``
        return bool(la and lb and not (la & lb))
    if a[1] == b[1] == "eq":
        return a[2] != b[2]
    return {a[1], b[1]} == {"eq", "ne"} and a[2] == b[2]


def _labels(fv: FunctionView, case: Node) -> frozenset[str]:
    """The labels that reach ``case``'s statements: its own and those of the empty cases just above it
    (``case A: case B: ...``); empty for ``default``, which matches what no label names."""
    out = []
    cur: Node | None = case
    while cur is not None and cur.type == "case_statement":
        value = cur.child_by_field_name("value")
        if value is None:
            return frozenset()
        out.append(fv.parsed.text(value))
        cur = cur.prev_named_sibling
        if cur is None or cur.type != "case_statement" or len(cur.named_children) > 1:
            break
    return frozenset(out)


def _switch_of(case: Node) -> Node | None:
    cur = case.parent
    while cur is not None and cur.type != "switch_statement":
        cur = cur.parent
    return cur


def _bare(fv: FunctionView, cond: Node) -> str:
    """A condition's text without its outer parentheses, spaces folded: ``(action)`` -> ``action``."""
    text = re.sub(r"\s+", " ", fv.parsed.text(cond)).strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


def _inside(node: Node, arm: Node) -> bool:
    return arm.start_byte <= node.start_byte and node.end_byte <= arm.end_byte
