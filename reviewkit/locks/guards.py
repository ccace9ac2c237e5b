"""Lock operations under a test that stands for the lock's state ("lock-state guards").

``if (rl) up_read(&ni->runlist.lock);``, ``if (tx_info->pending_close)
spin_unlock_bh(&tx_info->lock); else kvfree(tx_info);``, ``if (!locked) {
lock(); locked = true; }``: the test is how the author records whether the
lock is held, through a pointer set under it, a flag a callee or another
path sets, a bit in a flags word.  The engine cannot relate most such
tests to the lock, so it explores both edges, and one of them looks like a
leak (the guard false with the lock held) or a second release (the guard
true with the lock already dropped).  Neither is proved: the path exists
only if the author's bookkeeping is wrong, which the engine did not show.

A guard here is one branch of an ``if`` that runs and falls through: no
``return``, ``goto``, ``break`` or ``continue`` in it (an error branch that
unlocks and leaves is not a guard: its test is an error check, and skipping
it is how real leaks look).  The judgement is on the finding:

A guard's test must read something the function itself writes (``rl = ...``,
``tx_info->pending_close = true``, ``set_bit(..., &ls->ls_flags)``): the
function's own bookkeeping, not the state of the object the lock protects
(``if (k->gone) unlock(...); else k->users++;`` hands the lock back on one
branch, and is judged as any other exit).

- a leak whose path tested a guard after taking the lock and skipped the
  guard's release of that lock;
- a second acquire or release inside a guard that the first one is outside
  of (or the same operation again, on a loop's next pass): the guard was
  tested in between.

These findings are counted (``lock-balance.guard-correlated``), not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import attrgetter
from typing import Any

from reviewkit.cparse.parse import Node, descendants, iter_calls
from reviewkit.flow.engine import K_COND
from reviewkit.locks.model import LockModel, lock_key
from reviewkit.locks.stores import member_writes
from reviewkit.locks.syntax import _RELEASING_NAME, _TAKING_NAME
from reviewkit.views.source import FunctionView


def _jumps(node: Node) -> bool:
    """Does ``node`` leave its branch?  (A ``break`` of a loop or ``switch`` wholly inside it does not.)"""
    stack = [(node, False)]
    while stack:
        cur, inner = stack.pop()
        t = cur.type
        if t in ("return_statement", "goto_statement"):
            return True
        if t in ("break_statement", "continue_statement") and not inner:
            return True
        nested = inner or t in ("for_statement", "while_statement", "do_statement", "switch_statement")
        stack.extend((c, nested) for c in cur.named_children)
    return False


def guards(fv: FunctionView) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``(condition bytes, branch bytes)`` of every branch of ``fv`` that runs and falls through.

    Read only for a finding about to be reported, so not cached."""
    fn = fv.function
    if fn is None:
        return []
    out = []
    results = _call_results(fv)
    stored = _stored(fv)
    tracked = _tracked(fv)
    for node in sorted(descendants(fn.body, ("if_statement",)), key=attrgetter("start_byte")):  # (in source order)
        cond = node.child_by_field_name("condition")
        if cond is None or _not_state(fv, cond, results) or not (_subjects(fv, cond) & stored) - tracked:
            continue
        for field in ("consequence", "alternative"):
            branch = node.child_by_field_name(field)
            if branch is not None and branch.type == "else_clause":
                branch = branch.named_children[0] if branch.named_children else None
            if branch is None or branch.type == "if_statement" or _jumps(branch):
                continue
            out.append(((cond.start_byte, cond.end_byte), (branch.start_byte, branch.end_byte)))
    return out


_COMPARED = frozenset({"==", "!=", "<", ">", "<=", ">="})
_CONSTANT = re.compile(r"^(?:-?\d+[uUlL]*|0x[0-9a-fA-F]+|NULL|true|false|-?E[A-Z0-9]+|[A-Z][A-Z0-9_]*)$")


def _body(fv: FunctionView) -> Node:
    return fv.function.body if fv.function is not None else fv.parsed.tree.root_node


_STORING = ("assignment_expression", "init_declarator", "update_expression", "pointer_expression")


def _stores(fv: FunctionView) -> Iterator[tuple[str, Node, Node | None]]:
    """Every store of the function: ``(node type, target, value)`` for ``x = v``, ``T x = v``, ``x++``
    (no value), and ``&path`` handed to a call (``pointer_expression``, no value)."""
    for node in descendants(_body(fv), _STORING):
        t = node.type
        if t == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        elif t == "init_declarator":
            left, right = node.child_by_field_name("declarator"), node.child_by_field_name("value")
        elif t == "update_expression":
            left, right = node.child_by_field_name("argument"), None
        elif t == "pointer_expression" and fv.parsed.text(node).startswith("&"):
            if node.parent is None or node.parent.type != "argument_list":
                continue
            left, right = node.child_by_field_name("argument"), None
        else:
            continue
        if left is not None:
            yield t, left, right


def _from_call(left: Node, right: Node | None) -> bool:
    return left.type == "identifier" and right is not None and right.type == "call_expression"


def _call_results(fv: FunctionView) -> frozenset[str]:
    """Locals the function stores a call's result in (``err = gz_expand(inode);``)."""
    return frozenset(
        fv.parsed.text(left)
        for t, left, right in _stores(fv)
        if t in ("assignment_expression", "init_declarator") and _from_call(left, right)
    )


def _path_of(fv: FunctionView, node: Node) -> str:
    return "".join(fv.parsed.text(node).split())


def _stored(fv: FunctionView) -> frozenset[str]:
    """What the function itself writes: assigned lvalues, ``++``/``--``, ``&path`` handed to a call
    (``set_bit(LSFL_RECOVER_LOCK, &ls->ls_flags)``).  A test of one of these is bookkeeping the
    function keeps; a test of state nothing here writes (``if (k->gone)``) is about the object."""
    own = {
        _path_of(fv, left)
        for t, left, right in _stores(fv)
        if t != "init_declarator" and not (t == "assignment_expression" and _from_call(left, right))
    }
    whole = fv._whole
    if whole is None:
        return frozenset(own)
    # ``try_to_unlazy(nd)`` clears ``nd->flags``'s LOOKUP_RCU (in ``leave_rcu()``) as it leaves RCU: a
    # member a callee of the file writes through the argument it is given is bookkeeping too
    for call in iter_calls(fv.parsed, _body(fv)):
        for i, member in member_writes(whole[0], call.name):
            if i < len(call.args) and re.fullmatch(r"\w+", call.args[i].strip()):
                own.add(call.args[i].strip() + member)
    return frozenset(own)


def _tracked(fv: FunctionView) -> frozenset[str]:
    """Locals only ever given constants (``bool locked = true; ... locked = false;``): the engine knows
    their value on every path, so a test of one is decided, not a guard it could not relate."""
    consts: dict[str, bool] = {}
    for t, left, right in _stores(fv):
        if t == "pointer_expression" or left.type != "identifier":
            continue
        name = fv.parsed.text(left)
        const = right is not None and _CONSTANT.match("".join(fv.parsed.text(right).split())) is not None
        consts[name] = consts.get(name, True) and const
    return frozenset(n for n, ok in consts.items() if ok)


def _subjects(fv: FunctionView, cond: Node) -> frozenset[str]:
    """What a condition reads: its variables and whole member paths (``k->gone``, not ``k``), and what
    a call in it is handed by address (``test_bit(X, &ls->ls_flags)``); not a call's plain arguments."""
    out = set()
    stack = [cond]
    while stack:
        node = stack.pop()
        t = node.type
        if t in ("field_expression", "subscript_expression"):
            out.add(_path_of(fv, node))
        elif t == "identifier":
            out.add(fv.parsed.text(node))
        elif t == "call_expression":
            args = node.child_by_field_name("arguments")
            for arg in args.named_children if args is not None else []:
                inner = arg.child_by_field_name("argument") if arg.type == "pointer_expression" else None
                if inner is not None and fv.parsed.text(arg).startswith("&"):
                    out.add(_path_of(fv, inner))
        else:
            stack.extend(node.named_children)
    return frozenset(out)


def _not_state(fv: FunctionView, cond: Node, results: frozenset[str]) -> bool:
    """Tests that say something other than whether a lock is held: a configuration (``#ifdef`` read as
    ``if (_)``) and a callee's result (``if (!err)``, ``if (ret == -EEXIST)``: an error check, whose
    skipped release is how a real leak looks)."""
    expr = cond
    while True:
        if expr.type in ("parenthesized_expression", "condition_clause") and expr.named_children:
            expr = expr.named_children[0]
        elif expr.type == "unary_expression" and fv.parsed.text(expr).lstrip().startswith("!"):
            arg = expr.child_by_field_name("argument")
            if arg is None:
                break
            expr = arg
        elif expr.type == "binary_expression":
            op = expr.child_by_field_name("operator")
            left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
            if op is None or fv.parsed.text(op) not in _COMPARED or left is None or right is None:
                break
            if _CONSTANT.match(fv.parsed.text(right).replace(" ", "")):
                expr = left
            elif _CONSTANT.match(fv.parsed.text(left).replace(" ", "")):
                expr = right
            else:
                break
        else:
            break
    text = fv.parsed.text(expr).strip()
    return text == "_" or (expr.type == "identifier" and text in results)


def _inside(at: int, span: tuple[int, int]) -> bool:
    return span[0] <= at < span[1]


def _names_key(model: LockModel, summaries: dict[str, Any], call: Any, key: str) -> bool:
    """Could ``call`` be a lock operation on ``key``?  (Loosely: it only ever quiets a finding.)"""
    name = call.name
    if name in model.releases:
        if key in model.release_keys(name, call.args):
            return True
    elif not (name in model.acquires or name in summaries or _RELEASING_NAME.search(name) or _TAKING_NAME.search(name)):
        return False
    if not call.args:
        return name in model.releases or name in model.acquires  # rcu_read_unlock(): the family decides
    for arg in call.args:
        k = lock_key(arg)
        if k and (key == k or key.startswith((k + "->", k + "."))):
            return True
    return False


def _calls_in(cfg: Any, span: tuple[int, int]) -> list[Any]:
    return [c for n in cfg.nodes for c in n.calls if _inside(c.node.start_byte, span)]


def guarded_leak(
    fv: FunctionView,
    cfg: Any,
    model: LockModel,
    summaries: dict[str, Any],
    steps: list[Any],
    key: str,
    acquired: int | None,
) -> bool:
    """Did this leak's path (``steps``, the exit state's trail) skip a guard's release of ``key``, testing
    the guard after the lock was taken at line ``acquired``?"""
    blocks = guards(fv)
    if not blocks:
        return False
    seen = {c.node.start_byte for node, _label in steps for c in node.calls}
    after = False
    for node, _label in steps:
        if not after:
            after = acquired is None or any(c.line == acquired for c in node.calls)
            continue
        if node.ast is None or node.kind != K_COND:
            continue
        at = node.ast.start_byte
        for cond, branch in blocks:
            if not _inside(at, cond):
                continue
            inner = _calls_in(cfg, branch)
            if any(_names_key(model, summaries, c, key) for c in inner) and not any(
                c.node.start_byte in seen for c in inner
            ):
                return True
    return False


def guarded_again(fv: FunctionView, cfg: Any, call: str, line: int, first: int | None) -> bool:
    """Is the ``call`` at ``line`` (a second acquire or release) inside a guard that the operation it
    repeats, at line ``first``, is outside of (or the very same operation, reached again)?"""
    blocks = guards(fv)
    if not blocks or first is None:
        return False
    ops = [c for n in cfg.nodes for c in n.calls if c.line == line and c.name == call]
    firsts = [c for n in cfg.nodes for c in n.calls if c.line == first]
    if not ops or not firsts:
        return False
    for op in ops:
        at = op.node.start_byte
        for _cond, branch in blocks:
            if _inside(at, branch) and (first == line or not any(_inside(f.node.start_byte, branch) for f in firsts)):
                return True
    return False
