"""Folio reference and memcg-charge events on flow-engine paths (not a rule).

Shared by folio-put-uncharge (its findings) and its ``explain`` hook (the
answer to "do we need to uncharge here?").  The facts come from the
``[folio]`` table of reviewkit/kernel/lifecycle.toml: which calls charge,
uncharge, put, get, allocate and take over (hand-off) a folio, and what a
failure exit looks like (``[folio.failure]``: error return values, error
and cleanup label names).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from reviewkit.rules._csyntax import norm_object

from reviewkit.api import K_COND, K_GAP, K_GOTO, K_LABEL, K_RETURN, K_STMT, Call, CfgNode, FlowPath

_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
_PAGE_OF_RE = re.compile(r"^(?:page_folio\((.+)\)|&(.+)->page|folio_page\((.+),0\))$")
_RETURN_RE = re.compile(r"^\s*return\b\s*(.*?)\s*;\s*$", re.S)
_UNLIKELY_RE = re.compile(r"^(?:un)?likely\((.*)\)$")


class FolioCalls:
    """The ``[folio]`` table as sets of call names."""

    def __init__(self, kernel: dict[str, Any]) -> None:
        table = kernel.get("folio", {})
        self.charge = set(table.get("charge", []))
        self.uncharge = set(table.get("uncharge", []))
        self.put = set(table.get("put", []))
        self.get = set(table.get("get", []))
        self.alloc = set(table.get("alloc", []))
        self.deref_prefixes = tuple(table.get("deref_prefixes", ["folio_"]))
        self.not_deref = set(table.get("not_deref", []))
        self.handoff = set(table.get("handoff", []))
        exits = table.get("failure", {})
        self.failure_value = _any_of(exits.get("returns", []))
        self.error_label = _any_of(exits.get("error_labels", []), search=True)
        self.cleanup_label = _any_of(exits.get("cleanup_labels", []), search=True)


def _any_of(patterns: list[str], *, search: bool = False) -> re.Pattern[str]:
    """One regex for a list of them (a full match unless ``search``); matches nothing when empty."""
    if not patterns:
        return re.compile(r"(?!)")
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(body if search else f"^(?:{body})$")


def _base(text: str) -> str:
    t = norm_object(text)
    m = _PAGE_OF_RE.match(t)
    while m:
        t = norm_object(next(g for g in m.groups() if g))
        m = _PAGE_OF_RE.match(t)
    return t


def folio_arg(call: Call) -> str | None:
    return _base(call.args[0]) if call.args else None


def uses(node: CfgNode, var: str) -> bool:
    """``var`` appears as an identifier in the node's text."""
    return var in _IDENT_RE.findall(node.text)


def assigns(node: CfgNode, var: str) -> bool:
    """The node (re)assigns ``var`` itself (not ``*var`` or ``var->x``)."""
    return var in node.writes and bool(re.match(rf"^\s*{re.escape(var)}\s*=[^=]", node.text))


def returns(node: CfgNode, var: str) -> bool:
    return node.kind == K_RETURN and var in _IDENT_RE.findall(node.text)


def handed_off(node: CfgNode, var: str) -> bool:
    """``*p = var;`` / ``x->f = var;``: the folio is stored for someone else."""
    m = re.match(r"^\s*(.+?)\s*=\s*(.+?)\s*;\s*$", node.text)
    return m is not None and node.kind == K_STMT and _base(m.group(2)) == var and m.group(1).strip() != var


def hands_off(node: CfgNode, var: str, facts: FolioCalls) -> bool:
    """The node passes ``var`` to a call that takes it over (rmap, LRU, page cache, a list)."""
    return any(
        call.name in facts.handoff and any(var in _IDENT_RE.findall(a) or _base(a) == var for a in call.args)
        for call in node.calls
    )


def returned_value(node: CfgNode) -> str | None:
    """The expression of ``return X;`` without blanks (None for ``return;``)."""
    m = _RETURN_RE.match(node.text)
    if not m or not m.group(1).strip():
        return None
    return re.sub(r"\s+", "", m.group(1))


@dataclass
class Charge:
    call: Call
    node: CfgNode
    var: str


@dataclass
class Walk:
    """What happened to one folio variable along one path."""

    var: str
    alloc: Call | None = None
    charge: Charge | None = None
    charged_ok: bool = False
    gets: list[Call] = field(default_factory=list)
    put: Call | None = None
    put_node: CfgNode | None = None
    handed: CfgNode | None = None
    after_charge: list[CfgNode] = field(default_factory=list)
    failure_cond: tuple[CfgNode, bool] | None = None
    """The last branch taken after the charge, before the path jumps away or returns."""
    left_flow: bool = False
    gap_after_put: bool = False
    use_after_put: CfgNode | None = None
    exit: CfgNode | None = None


def walk(path: FlowPath, var: str, facts: FolioCalls) -> Walk:
    """Follow ``var`` along ``path``: allocation, charge (and its outcome), gets, the put, later uses."""
    w = Walk(var)
    result_of: dict[str, Charge] = {}
    for node, label in path.steps:
        if w.put is not None:
            if node.kind == K_GAP:
                w.gap_after_put = True
                break
            if assigns(node, var):
                break
            if w.use_after_put is None and _derefs(node, var, facts):
                w.use_after_put = node
            continue
        if assigns(node, var):
            w.alloc = next((c for c in node.calls if c.name in facts.alloc), None)
            w.charge, w.charged_ok, w.gets, w.handed, w.after_charge = None, False, [], None, []
            w.failure_cond, w.left_flow = None, False
            continue
        if w.charged_ok:
            w.after_charge.append(node)
        for call in node.calls:
            if call.name in facts.charge and folio_arg(call) == var:
                w.charge = Charge(call, node, var)
                m = re.match(r"^\s*(\w+)\s*=", node.text)
                if m and node.kind == K_STMT:
                    result_of[m.group(1)] = w.charge
            elif call.name in facts.get and folio_arg(call) == var:
                w.gets.append(call)
            elif call.name in facts.put and folio_arg(call) == var:
                w.put, w.put_node = call, node
        if node.kind == K_COND:
            charge = w.charge if w.charge is not None and w.charge.node is node else result_of.get(node.cond_key or "")
            if charge is not None and not w.charged_ok:
                # the atom is the charge's return value: nonzero (True) is failure
                w.charged_ok = label is False
                if w.charged_ok:
                    w.after_charge = []
            elif w.charged_ok and isinstance(label, bool) and not w.left_flow:
                w.failure_cond = (node, label)
        if w.charged_ok and node.kind in (K_GOTO, K_RETURN):
            w.left_flow = True
        if w.charged_ok and (returns(node, var) or handed_off(node, var)):
            w.handed = node
        elif w.charged_ok and hands_off(node, var, facts) and (node.kind != K_COND or label is False):
            # ``if (add_to_swap_cache(folio, ...))`` hands the folio over only when it returns 0
            w.handed = node
    w.exit = path.exit
    return w


def _derefs(node: CfgNode, var: str, facts: FolioCalls) -> bool:
    """The node reads through ``var``: ``var->x`` or passes it to a call (which may dereference it)."""
    if re.search(rf"\b{re.escape(var)}\s*->", node.text):
        return True
    for call in node.calls:
        if call.name in facts.not_deref:
            continue
        if any(_base(a) == var for a in call.args):
            return True
    return False


def failure_exit(path: FlowPath, facts: FolioCalls, no_put_labels: Collection[str] = ()) -> CfgNode | None:
    """The node a failure path leaves through, or None when the path may well be a success.

    A failure exit is a ``return`` of an error value (``NULL``, ``-ENOMEM``,
    ``VM_FAULT_OOM``, ``SCAN_..._FAIL``: ``[folio.failure] returns``), also
    through a variable assigned such a value or tested as an error on the
    path, or a variable returned after a ``goto`` to an error label; in a
    fragment, a ``goto`` to an unseen label whose name says error and not
    cleanup, or that ``no_put_labels`` (labels other paths reach after
    dropping the folio) shows does not drop it.
    """
    via = path.exit
    if via is None:
        return None
    if via.kind == K_LABEL and via.unseen:
        name = via.label or via.text
        if name in no_put_labels:
            return via
        if facts.error_label.search(name) and not facts.cleanup_label.search(name):
            return via
        return None
    if via.kind != K_RETURN:
        return None
    value = returned_value(via)
    if value is None:
        return None
    if facts.failure_value.match(value):
        return via
    if _IDENT_ONLY_RE.match(value):
        verdict = _variable_verdict(path, via, value, facts)
        if verdict is True:
            return via
        if verdict is None and any(facts.error_label.search(g) for g in gotos(path)):
            return via
    return None


_IDENT_ONLY_RE = re.compile(r"^[A-Za-z_]\w*$")


def _variable_verdict(path: FlowPath, via: CfgNode, var: str, facts: FolioCalls) -> bool | None:
    """Does ``var`` hold an error when ``via`` returns it?  None: cannot tell from the path."""
    verdict: bool | None = None
    for node, label in path.steps:
        if node is via:
            break
        value = _assigned_value(node, var)
        if value is not None:
            verdict = True if facts.failure_value.match(value) else (False if _LITERAL_RE.match(value) else None)
            continue
        if node.kind == K_COND and label is not None and verdict is None:
            tested = _error_test(node, var, facts)
            if tested is not None:
                verdict = tested if label is True else (False if tested else None)
    return verdict


_LITERAL_RE = re.compile(r"^(?:-?\d+[uUlL]*|0x[0-9a-fA-F]+|NULL|true|false|[A-Z][A-Z0-9_]*)$")


def _assigned_value(node: CfgNode, var: str) -> str | None:
    """``X`` of ``var = X;`` or ``T var = X;`` (blanks removed); None when the node does not set ``var``."""
    if node.kind != K_STMT:
        return None
    m = re.match(rf"^\s*(?:[\w\s\*]+?\s)?\**{re.escape(var)}\s*=(?!=)\s*(.+?)\s*;\s*$", node.text, re.S)
    return re.sub(r"\s+", "", m.group(1)) if m else None


def _error_test(node: CfgNode, var: str, facts: FolioCalls) -> bool | None:
    """True when the condition, taken, says ``var`` holds an error (``if (err)``, ``if (ret < 0)``)."""
    text = re.sub(r"\s+", "", node.text)
    m = _UNLIKELY_RE.match(text)
    while m:
        text = m.group(1)
        m = _UNLIKELY_RE.match(text)
    if text in (var, f"{var}<0", f"IS_ERR({var})", f"{var}!=0"):
        return True
    if text.startswith((f"{var}&", f"({var}&")) and any(facts.failure_value.match(t) for t in _IDENT_RE.findall(text)):
        return True  # ``ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)``: a mask of error bits
    m = re.match(rf"^{re.escape(var)}(==|!=)(\w+)$", text)
    if m and m.group(1) == "==" and facts.failure_value.match(m.group(2)):
        return True
    if m and m.group(1) == "!=" and _SUCCESS_RE.match(m.group(2)):
        return True
    return None


_SUCCESS_RE = re.compile(r"^(?:0|\w*SUCCE\w*|\w*_OK)$")


def gotos(path: FlowPath) -> list[str]:
    """Labels of the gotos taken on ``path``, in order."""
    return [label_of(node) for node, _ in path.steps if node.kind == K_GOTO]


def label_of(goto: CfgNode) -> str:
    target = goto.succs[0][0] if goto.succs else None
    return (target.label or target.text) if target is not None else ""


def labels_after_put(path: FlowPath, w: Walk) -> set[str]:
    """Labels ``path`` jumps to after dropping ``w.var``: their code does not drop it again."""
    if w.put_node is None:
        return set()
    after = False
    out = set()
    for node, _label in path.steps:
        if node is w.put_node:
            after = True
        elif after and node.kind == K_GOTO:
            out.add(label_of(node))
    return out
