"""Lock semantics for the flow engine: the API model, the transfer function, summaries.

Clients: ``lock-balance`` (pairing on every path) and ``rcu-folio-memcg``
(is a call inside an RCU read-side section?).  The model comes from
``reviewkit/kernel/locks.toml`` merged with the user's configuration, so the
code here knows *how* locks behave, never *which* calls are locks.

Facts carried per path: the locks held (:class:`Held`, keyed by the
normalised lock expression, ``&`` and ``*`` stripped so ``&flags`` and
``flags`` are one variable), conditional acquires waiting for the test of
the variable their result went to (:class:`Pending`), and whether the path
crossed code the view does not show (then a release with no acquire proves
nothing).

The pieces live in their own modules, re-exported here so callers keep
importing from this one:

* :mod:`reviewkit.locks.model`: the lock model and the facts (data only);
* :mod:`reviewkit.locks.syntax`: questions asked of the C syntax tree;
* :mod:`reviewkit.locks.transfer`: :class:`LockAnalysis`, the transfer function;
* :mod:`reviewkit.locks.summary`: summaries of lock wrappers (:func:`summarise`), built on
  :func:`analyse` (so it imports this module, never the reverse);
* this module: the drivers, :func:`analyse` (reusing results through the run's facts) and :func:`acquire_keys`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reviewkit.cparse.parse import Call, Node
from reviewkit.flow.cfg import reached
from reviewkit.flow.engine import BUDGET, CFG, CfgNode, build_cfg, run
from reviewkit.locks.model import (
    Event,
    ExitRecord,
    Facts,
    Family,
    Held,
    LockModel,
    LockResult,
    Pending,
    Summary,
    lock_key,
)
from reviewkit.locks.syntax import (
    _VAR,
    SRC_MAX,
    FactSource,
    Uncached,
    _assigned_to,
    _params,
    _subst,
    call_source,
    local_names,
    lock_annotations,
)
from reviewkit.locks.transfer import NEST_CAP, LockAnalysis
from reviewkit.views.source import FunctionView

__all__ = [
    "NEST_CAP",
    "SRC_MAX",
    "Event",
    "ExitRecord",
    "Facts",
    "Family",
    "Held",
    "LockAnalysis",
    "LockModel",
    "LockResult",
    "Pending",
    "Summary",
    "acquire_keys",
    "analyse",
    "call_source",
    "local_names",
    "lock_annotations",
    "lock_key",
]


def analyse(
    fv: FunctionView,
    kernel: dict[str, Any],
    model: LockModel,
    summaries: dict[str, Summary] | None = None,
    new_keys: set[str] | None = None,
    budget: int | None = None,
    observe: Callable[[CfgNode, Call, frozenset[Held], bool], None] | None = None,
    infer: bool = True,
    assume_held: frozenset[str] = frozenset(),
    facts: FactSource | None = None,
) -> LockResult:
    """Run the lock analysis over one function view.

    With ``infer``, a caller's lock the function releases before ever taking
    it (a parameter's or a global's) is assumed held on entry and the
    function is analysed again: that is what an unannotated
    "called with the lock held" function does.  ``assume_held`` adds keys
    known from elsewhere to be held on entry (the pre-image of the same
    function released them: a patch that deletes the only release leaves
    nothing here to infer it from).

    ``facts`` supplies the graph, the locals and the per-view memo of earlier
    results (``ctx.facts`` in a run; without it nothing is reused).
    """
    facts = facts if facts is not None else Uncached(kernel)
    cfg = facts.cfg(fv)
    plain = new_keys is None and observe is None and not assume_held
    # the summaries this function calls are all that can change its analysis: a result computed while
    # summarising (fewer summaries known, no inference) is reused by the check when they are the same
    memo_key = _summaries_called(cfg, summaries or {}) if plain else None
    memo = facts.lock_memo(fv)
    hit = memo.get(memo_key) if memo_key is not None else None
    if hit is not None and (budget is None or budget >= hit.budget) and (infer or not hit.result.inferred):
        return hit.result
    short = memo.get((memo_key, "short", infer)) if memo_key is not None and budget is not None else None
    if short is not None and budget == short.budget:
        return short.result  # the same run ran out of the same budget before (a summary asked twice)
    raw = memo.get((memo_key, "raw")) if memo_key is not None else None
    if raw is not None and infer and (budget is None or budget >= raw.budget):
        # the summary pass ran this without inference: only the re-run with the caller's locks is left
        first, complete = raw.result, raw.result.complete
    else:
        la = LockAnalysis(fv, model, summaries, new_keys, observe, cfg=cfg)
        res = run(cfg, la, budget) if budget else run(cfg, la)
        inferred_now = set(assume_held)
        if assume_held:
            la = LockAnalysis(fv, model, summaries, new_keys, observe, cfg=cfg)
            la.inferred = inferred_now
            res = run(cfg, la, budget) if budget else run(cfg, la)
        first, complete = _result(fv, la, res.complete, inferred_now, assume_held), res.complete
    more: set[str] = set()
    callee_bound: set[str] = set()
    if complete and fv.start_visible and any(e.kind == "orphan-release" for e in first.events):
        # ``nn = net_generic(net, id)`` once, never reassigned: a view of the caller's state, so a release of
        # ``nn->client_lock`` before any acquire is of a lock the caller holds (nfs_match_client())
        params = set(_params(fv))
        local = facts.local_names(fv) - params - _initialised_once(fv, cfg)
        local -= _bound_once_from_caller(fv, cfg, params, local)
        callee_bound = _bound_once_from_call(fv, cfg, local, model)
        local -= callee_bound
        more = {e.key for e in first.events if e.kind == "orphan-release" and _callers(e.key, local)}
    inferable = bool(more - first.inferred)
    out = first
    if infer and inferable:
        la = LockAnalysis(fv, model, summaries, new_keys, observe, cfg=cfg)
        la.inferred = first.inferred | more
        la.callee_bound = frozenset(callee_bound)
        res = run(cfg, la, budget) if budget else run(cfg, la)
        out = _result(fv, la, res.complete, la.inferred, assume_held)
        complete = res.complete
    if memo_key is not None and not complete and budget is not None:
        memo[(memo_key, "short", infer)] = _Memo(out, budget)
    if memo_key is not None and (complete or budget is None):
        if infer or not inferable:
            # without inference to do, the infer=False result is the infer=True one
            memo[memo_key] = _Memo(out, budget or BUDGET)
        else:
            memo[(memo_key, "raw")] = _Memo(out, budget or BUDGET)
    return out


def _callers(key: str, local: set[str]) -> bool:
    """A key the caller can hold: no local in it, or a slot of a global table indexed by locals
    (``hugetlb_fault_mutex_table[hash]``: the caller took the slot its own ``hash`` names)."""
    ids = _VAR.findall(key)
    return not set(ids) & local or (bool(ids) and ids[0] not in local and "[" in key)


def _initialised_once(fv: FunctionView, cfg: CFG) -> set[str]:
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
"""Assignments of one local :func:`_bound_once_from_caller` follows (the walks grow with their square)."""


def _bound_once_from_caller(fv: FunctionView, cfg: CFG, params: set[str], local: set[str]) -> set[str]:
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


def _bound_once_from_call(fv: FunctionView, cfg: CFG, local: set[str], model: LockModel) -> set[str]:
    """Locals assigned once, after their declaration, the result of a call: ``s = sget(...);``.

    The same object as ``struct super_block *s = sget(...);``, which :func:`_initialised_once` already
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


def _result(
    fv: FunctionView, la: LockAnalysis, complete: bool, inferred: set[str], assumed: frozenset[str]
) -> LockResult:
    out = LockResult(
        fv, la.exits, sorted(la.events.values(), key=lambda e: e.line), complete, la.acquired_keys, la.annotations
    )
    out.inferred = set(inferred)
    out.assumed = assumed
    return out


def _summaries_called(cfg: CFG, summaries: dict[str, Summary]) -> tuple[tuple[str, int], ...]:
    """The summaries of functions ``cfg`` calls, by identity (a summary is never changed once made)."""
    if not summaries:
        return ()
    names = cfg.callees()
    return tuple(sorted((name, id(summaries[name])) for name in names & summaries.keys()))


@dataclass
class _Memo:
    """A finished analysis of a view (same summaries, no observer, no fragment keys): reused."""

    result: LockResult
    budget: int


def acquire_keys(
    fv: FunctionView,
    kernel: dict[str, Any],
    model: LockModel,
    summaries: dict[str, Summary],
    lines: set[int],
    facts: FactSource | None = None,
) -> set[str]:
    """Lock keys acquired by calls on ``lines`` of ``fv`` (e.g. the lines a patch added)."""
    cfg = facts.cfg(fv) if facts is not None else build_cfg(fv, kernel)
    la = LockAnalysis(fv, model, summaries, cfg=cfg)
    out: set[str] = set()
    for n in cfg.nodes:
        for call in n.calls:
            if call.line not in lines:
                continue
            fam = model.acquires.get(call.name)
            if fam is not None:
                out.update(h.key for h in la._holds_for(call, fam, n))
            elif call.name in summaries and summaries[call.name].kind == "acquire":
                s = summaries[call.name]
                mapping = {p: a for p, a in zip(s.params, call.args, strict=False) if p}
                target = _assigned_to(call, fv)
                if s.ret_var and target:
                    mapping[s.ret_var] = target
                out.add(_subst(s.key, mapping))
    return out
