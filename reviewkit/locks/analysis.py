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
* :mod:`reviewkit.locks.bound`: which locals name the caller's objects (a release through one before
  any acquire is of a lock the caller holds);
* this module: the drivers, :func:`analyse` (reusing results through the run's facts) and :func:`acquire_keys`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reviewkit.cparse.parse import Call
from reviewkit.flow.engine import BUDGET, CFG, CfgNode, build_cfg, run
from reviewkit.locks.bound import bound_once_from_call, bound_once_from_caller, callers, initialised_once
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
    if raw is not None and not infer and budget == raw.budget:
        return raw.result  # a summary asked again (its second round): the same run without inference
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
        local = facts.local_names(fv) - params - initialised_once(fv, cfg)
        local -= bound_once_from_caller(fv, cfg, params, local)
        callee_bound = bound_once_from_call(fv, cfg, local, model)
        local -= callee_bound
        more = {e.key for e in first.events if e.kind == "orphan-release" and callers(e.key, local)}
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
