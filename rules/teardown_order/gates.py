"""Early-return gates in callbacks, and the writes that close them (not a rule).

A callback that starts with ``if (ctx->stopped) return IRQ_NONE;`` cannot
touch anything below that test once teardown has set ``stopped``; one that
reads ``status = readl(&ctx->regs->cause) & readl(&ctx->regs->enable)`` and
returns when ``status`` is zero cannot once teardown has written 0 to the
enable register.  A *gate* is such a test, as a key relative to the
callback's context:

- ``("set", "stopped", "")``: returns while ``ctx->stopped`` is set
  (``ctx->status & STATUS_EXIT`` gives bit ``STATUS_EXIT``; ``test_bit(B, &ctx->f)``);
- ``("clear", "ready", "")``: returns while it is clear (``!ctx->ready``);
- ``("zero", "regs->enable", "")``: returns while a value read from it is zero.

A *setter* is a write in the same key space: ``p->status |= STATUS_EXIT``,
``set_bit(B, &p->f)``, ``p->ready = 0``, ``iowrite32(0, &p->regs->enable)``.
Which call families set or clear bits, and which calls write a register,
is data (``[lifecycle.gates]`` in reviewkit/kernel/lifecycle.toml).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from reviewkit.rules._csyntax import norm_object

from reviewkit.api import FunctionView, Node

Gate = tuple[str, str, str]
"""(mode, member chain, bit): see the module docstring."""

_ZERO = ("0", "0U", "0u", "0UL", "0ul", "false", "NULL")
_NAME_RE = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class GateCalls:
    """Call families from the lifecycle tables."""

    set_bit: frozenset[str]
    clear_bit: frozenset[str]
    test_bit: frozenset[str]
    register_write: re.Pattern[str]


def top_level_gates(
    fv: FunctionView, body: Node, ctx_vars: set[str], calls: GateCalls
) -> list[tuple[int, frozenset[Gate]]]:
    """(start byte, gates in force) for each top-level statement of ``body``, in order.

    A gate is in force from the statement after its ``if (...) return ...;``.
    Locals assigned at top level before the test carry the members they read
    (``intr = ioread32(&u3d->regs->enable); status &= intr;``).
    """
    out: list[tuple[int, frozenset[Gate]]] = []
    gates: set[Gate] = set()
    deps: dict[str, set[str]] = {}
    for stmt in body.named_children:
        out.append((stmt.start_byte, frozenset(gates)))
        if stmt.type == "if_statement" and stmt.child_by_field_name("alternative") is None and _returns(stmt):
            cond = stmt.child_by_field_name("condition")
            if cond is not None:
                gates.update(_cond_gates(fv, cond, ctx_vars, deps, calls, negated=False))
            continue
        _track_locals(fv, stmt, ctx_vars, deps)
    return out


def gates_at(table: list[tuple[int, frozenset[Gate]]], byte: int) -> frozenset[Gate]:
    found: frozenset[Gate] = frozenset()
    for start, gates in table:
        if start > byte:
            break
        found = gates
    return found


def _returns(stmt: Node) -> bool:
    body = stmt.child_by_field_name("consequence")
    if body is None:
        return False
    if body.type == "return_statement":
        return True
    if body.type == "compound_statement" and body.named_children:
        return body.named_children[-1].type == "return_statement"
    return False


def _track_locals(fv: FunctionView, stmt: Node, ctx_vars: set[str], deps: dict[str, set[str]]) -> None:
    """``x = <reads of ctx->m>`` / ``x &= y`` at top level: x depends on those members."""
    nodes: list[Node] = []
    if stmt.type == "declaration":
        nodes = [d for d in stmt.children_by_field_name("declarator") if d.type == "init_declarator"]
    elif stmt.type == "expression_statement" and stmt.named_children:
        nodes = [stmt.named_children[0]]
    for node in nodes:
        if node.type == "init_declarator":
            left, right = node.child_by_field_name("declarator"), node.child_by_field_name("value")
        elif node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        else:
            continue
        if left is None or right is None:
            continue
        name = fv.parsed.text(left).lstrip("*").strip()
        if not _NAME_RE.fullmatch(name):
            continue
        read = set(_member_reads(fv, right, ctx_vars))
        for ident in _identifiers(right):
            read |= deps.get(fv.parsed.text(ident), set())
        op = fv.parsed.text(node.children[1]) if node.type == "assignment_expression" else "="
        deps[name] = (deps.get(name, set()) | read) if op != "=" else read


def _member_reads(fv: FunctionView, node: Node, ctx_vars: set[str]) -> Iterator[str]:
    for sub in _walk(node):
        if sub.type == "field_expression" and (sub.parent is None or sub.parent.type != "field_expression"):
            root, chain = split_chain(norm_object(fv.parsed.text(sub)))
            if root in ctx_vars and chain:
                yield chain


def _identifiers(node: Node) -> Iterator[Node]:
    for sub in _walk(node):
        if sub.type == "identifier":
            yield sub


def _cond_gates(
    fv: FunctionView, cond: Node, ctx_vars: set[str], deps: dict[str, set[str]], calls: GateCalls, negated: bool
) -> set[Gate]:
    """Gates of a condition whose truth makes the function return (``negated``: its falsity does)."""
    node = cond
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    text = fv.parsed.text
    if node.type == "unary_expression" and text(node.children[0]) == "!":
        arg = node.child_by_field_name("argument")
        return _cond_gates(fv, arg, ctx_vars, deps, calls, not negated) if arg is not None else set()
    if node.type == "binary_expression":
        op = text(node.children[1])
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return set()
        if (op == "||" and not negated) or (op == "&&" and negated):
            # either side alone makes it return
            sides = (left, right)
            return {g for side in sides for g in _cond_gates(fv, side, ctx_vars, deps, calls, negated)}
        if op in ("==", "!=") and text(right).strip() in _ZERO:
            return _cond_gates(fv, left, ctx_vars, deps, calls, negated == (op == "!="))
        if op == "&":
            for flag, bit in ((left, right), (right, left)):
                chain = _ctx_chain(fv, flag, ctx_vars)
                if chain and _NAME_RE.fullmatch(text(bit).strip()):
                    return {("clear" if negated else "set", chain, text(bit).strip())}
        return set()
    if node.type == "call_expression":
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if callee is not None and args is not None and text(callee) in calls.test_bit and len(args.named_children) == 2:
            chain = _ctx_chain(fv, args.named_children[1], ctx_vars)
            if chain:
                return {("clear" if negated else "set", chain, text(args.named_children[0]).strip())}
        return set()
    chain = _ctx_chain(fv, node, ctx_vars)
    if chain:
        return {("clear" if negated else "set", chain, "")}
    if node.type == "identifier" and negated:
        return {("zero", m, "") for m in deps.get(text(node), set())}
    return set()


def _ctx_chain(fv: FunctionView, node: Node, ctx_vars: set[str]) -> str | None:
    root, chain = split_chain(norm_object(fv.parsed.text(node)))
    return chain if root in ctx_vars and chain and "(" not in chain and "[" not in chain else None


def split_chain(text: str) -> tuple[str | None, str]:
    """``p->a.b`` -> (``p``, ``a.b``); (None, "") when ``text`` is not a member chain of a name."""
    m = _NAME_RE.match(text)
    if m is None:
        return None, ""
    rest = text[m.end() :]
    if rest.startswith("->"):
        return m.group(0), rest[2:]
    if rest.startswith("."):
        return m.group(0), rest[1:]
    return None, ""


def setters(fv: FunctionView, node: Node, calls: GateCalls) -> Iterator[tuple[str, Gate]]:
    """(root, key) of each write below ``node`` that closes a gate of that key."""
    text = fv.parsed.text
    for sub in _walk(node):
        if sub.type == "assignment_expression":
            left, right = sub.child_by_field_name("left"), sub.child_by_field_name("right")
            if left is None or right is None:
                continue
            root, chain = split_chain(norm_object(text(left)))
            if root is None:
                continue
            op, value = text(sub.children[1]), " ".join(text(right).split())
            if op == "|=":
                yield root, ("set", chain, value)
            elif op == "&=" and value.startswith("~"):
                yield root, ("clear", chain, value[1:].strip("() "))
            elif op == "=" and value in _ZERO:
                yield root, ("clear", chain, "")
                yield root, ("zero", chain, "")
            elif op == "=" and (value == "true" or value.isdigit()):
                yield root, ("set", chain, "")
        elif sub.type == "call_expression":
            callee = sub.child_by_field_name("function")
            args = sub.child_by_field_name("arguments")
            if callee is None or args is None:
                continue
            name, argv = text(callee), [norm_object(text(a)) for a in args.named_children]
            if name in calls.set_bit or name in calls.clear_bit:
                if len(argv) == 2:
                    root, chain = split_chain(argv[1])
                    if root is not None:
                        yield root, ("set" if name in calls.set_bit else "clear", chain, argv[0])
            elif calls.register_write.search(name) and any(a in _ZERO for a in argv):
                for a in argv:
                    root, chain = split_chain(a)
                    if root is not None:
                        yield root, ("zero", chain, "")


def closes(gate: Gate, keys: Iterable[Gate]) -> bool:
    """Whether one of the setter ``keys`` makes ``gate`` return."""
    mode, chain, bit = gate
    for k_mode, k_chain, k_bit in keys:
        if k_chain != chain:
            continue
        if mode == "set" and k_mode == "set" and (k_bit == bit or not bit):
            return True
        if mode == "clear" and k_mode == "clear" and (k_bit == bit or not k_bit):
            return True
        if mode == "zero" and k_mode in ("zero", "clear") and not k_bit:
            return True
    return False


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(reversed(cur.named_children))
