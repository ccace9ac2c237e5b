"""Folio reference and memcg-charge events on flow-engine paths (not a rule).

Shared by folio-put-uncharge (its findings) and its ``explain`` hook (the
answer to "do we need to uncharge here?").  The facts come from the
``[folio]`` table of reviewkit/kernel/lifecycle.toml: which calls charge,
uncharge, put, get and allocate a folio.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reviewkit.rules._csyntax import norm_object

from reviewkit.api import K_COND, K_GAP, K_LABEL, K_RETURN, K_STMT, Call, CfgNode, FlowPath

_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
_PAGE_OF_RE = re.compile(r"^(?:page_folio\((.+)\)|&(.+)->page|folio_page\((.+),0\))$")
_FAILURE_RET_RE = re.compile(r"^(?:NULL|false|-\w+|-?\d+|ERR_PTR\(.*\)|\w*(?:FAIL|ERR|OOM|SIGBUS)\w*)$")


class Facts:
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


def same_folio(a: str, b: str) -> bool:
    """``folio`` and ``&folio->page`` / ``page_folio(page)`` and ``page`` name one folio."""
    x, y = _base(a), _base(b)
    return x == y


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
    return bool(m) and node.kind == K_STMT and _base(m.group(2)) == var and m.group(1).strip() != var


def failure_return(node: CfgNode) -> bool:
    """``return NULL;``, ``return -ENOMEM;``, ``return SCAN_..._FAIL;``: a failure exit."""
    m = re.match(r"^\s*return\s*(.*?)\s*;\s*$", node.text, re.S)
    return bool(m) and bool(_FAILURE_RET_RE.match(re.sub(r"\s+", "", m.group(1))))


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
    gap_after_put: bool = False
    use_after_put: CfgNode | None = None
    exit: CfgNode | None = None


def walk(path: FlowPath, var: str, facts: Facts) -> Walk:
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
            elif w.charged_ok and label is True and node.calls:
                w.failure_cond = (node, True)
        if w.charged_ok and (returns(node, var) or handed_off(node, var)):
            w.handed = node
    w.exit = path.exit
    return w


def _derefs(node: CfgNode, var: str, facts: Facts) -> bool:
    """The node reads through ``var``: ``var->x`` or passes it to a call (which may dereference it)."""
    if re.search(rf"\b{re.escape(var)}\s*->", node.text):
        return True
    for call in node.calls:
        if call.name in facts.not_deref:
            continue
        if any(_base(a) == var for a in call.args):
            return True
    return False


def failure_exit(path: FlowPath) -> CfgNode | None:
    """The node a failure path leaves through: an error return or a goto to an unseen label."""
    via = path.exit
    if via is None:
        return None
    if via.kind == K_LABEL and via.unseen:
        return via
    if via.kind == K_RETURN and failure_return(via):
        return via
    return None


def steps_between(path: FlowPath, first: CfgNode, last: CfgNode) -> Iterator[CfgNode]:
    inside = False
    for node, _label in path.steps:
        if node is first:
            inside = True
        if inside:
            yield node
        if node is last:
            return
