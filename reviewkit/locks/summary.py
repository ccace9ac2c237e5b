"""Summaries of lock wrappers defined next to their callers.

A function of the same file or series that takes or drops a lock for its
caller (``lock_page_lruvec()``, a ``__releases`` annotated helper, a
trylock wrapper) becomes a :class:`~reviewkit.locks.model.Summary`,
which the analysis of its callers applies at the call like a lock API.
Finding them is its own pass over the views, with its own heuristics
(which exits hold what, what a wrapper returns on success), run before the
analysis the checks see.
"""

# size: one pass that reads a wrapper's exits (held, dropped, retaken, result-coded); the pieces share those readings

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from reviewkit.flow.cfg import COPY
from reviewkit.flow.engine import K_RETURN, build_cfg
from reviewkit.locks.aliases import call_aliases, expanded
from reviewkit.locks.analysis import analyse
from reviewkit.locks.model import CALLED, LockModel, LockResult, Summary, lock_key, member_key
from reviewkit.locks.syntax import (
    _IDENT,
    _TAKING_NAME,
    _VAR,
    FactSource,
    Uncached,
    _params,
    annotated,
    canonical,
    lock_annotations,
)
from reviewkit.locks.transfer import ASSERTED, LockAnalysis
from reviewkit.views.source import FunctionView

SUMMARY_MAX_LINES = 250
"""Lock wrappers are short: longer functions are not summarised (they are still analysed)."""


def _returned_var(res: LockResult) -> str | None:
    names = set()
    for ex in res.exits:
        if ex.via.kind != K_RETURN or ex.via.ast is None:
            return None
        value = ex.via.ast.named_children[0] if ex.via.ast.named_children else None
        if value is None or value.type != "identifier":
            return None
        names.add(res.fv.parsed.text(value))
    return names.pop() if len(names) == 1 else None


def summarise(
    views: list[FunctionView],
    kernel: dict[str, Any],
    model: LockModel,
    rounds: int = 2,
    facts: FactSource | None = None,
    called_only: bool = True,
    base: dict[str, Summary] | None = None,
) -> dict[str, Summary]:
    """Acquire/release wrappers among ``views`` (whole functions only), annotations included.

    ``facts``: where graphs and earlier analyses come from (``ctx.facts`` in a
    run, which also keeps the result: see :meth:`reviewkit.facts.Facts.summaries`).
    ``base``: summaries known already (the headers'), used by the wrappers here and overridden by a
    definition of the same name; ``called_only=False`` summarises a header's wrappers whoever calls them.
    """
    facts = facts if facts is not None else Uncached(kernel)
    summaries: dict[str, Summary] = dict(base or {})
    local_names = {fv.name for fv in views}
    for name in list(summaries):
        if name in local_names:
            del summaries[name]  # this file's own definition decides
    # a wrapper of a header's wrapper (``f2fs_gc()`` ends in ``f2fs_up_write()``, defined in f2fs.h) is a
    # wrapper too: the known summaries' names count as lock calls
    known = frozenset(summaries)

    def touches(fv: FunctionView) -> bool:
        return bool(annotated(fv.text) or model.mentioned(fv.text) or (known and model.calls_any(fv.text, known)))

    # text checks first: touching fv.function parses the function
    whole = [fv for fv in views if not fv.fragment and touches(fv)]
    whole = [fv for fv in whole if fv.function is not None]
    for fv in whole:
        if not annotated(fv.text):
            continue
        s = annotated_summary(fv, model.contexts)
        if s is not None:
            s = _caller_named(fv, s, model, summaries, facts)
        if s is not None and not _names_locals(s, _unnamed_locals(fv, facts)):
            summaries[fv.name] = s
    # only functions someone here calls can matter to a caller
    called = called_names(views, model)
    candidates = [
        fv
        for fv in whole
        if (fv.name in called or not called_only) and fv.name not in summaries and len(fv.line_map) <= SUMMARY_MAX_LINES
    ]
    fresh: set[str] | None = None  # None: the first round looks at every candidate
    unsure: set[str] = set()
    for _ in range(rounds):
        added: set[str] = set()
        if fresh is not None:  # a caller of a wrapper found in the last round is a candidate now
            again = frozenset(fresh)
            have = {id(fv) for fv in candidates}
            candidates += [
                fv
                for fv in views
                if id(fv) not in have
                and not fv.fragment
                and (fv.name in called or not called_only)
                and fv.name not in summaries
                and model.calls_any(fv.text, again)
                and len(fv.line_map) <= SUMMARY_MAX_LINES
                and fv.function is not None
            ]
        for fv in candidates:
            if fresh is not None and not any(f"{name}(" in fv.text for name in fresh):
                continue
            if fv.name in summaries and not (fresh is not None and fv.name in unsure):
                continue
            s = _summary_of(fv, kernel, model, summaries, facts)
            if s is not None and s != summaries.get(fv.name):
                summaries[fv.name] = s
                added.add(fv.name)
                # a wrapper read before the wrappers it calls were known (``do_shm_rmid()`` before
                # ``shm_destroy()``) is read again once they are
                unsure.discard(fv.name)
                if any(e.try_ == MAYBE for e in s.effects()):
                    unsure.add(fv.name)
        if not added:
            break
        fresh = added
    for fv in whole:
        s = summaries.get(fv.name)
        if s is not None and s.group == "any" and len(fv.line_map) <= SUMMARY_MAX_LINES:
            summaries[fv.name] = _refined(fv, s, kernel, model, summaries, facts)
    return summaries


def _with_annotations(fv: FunctionView, s: Summary | None, model: LockModel, facts: FactSource) -> Summary | None:
    """The body's summary of a function whose annotations name a lock through a local (see
    :func:`_names_locals`), with the annotations' other keys: ``__releases(RCU)`` makes RCU held on
    entry, so its ``rcu_read_unlock()`` is no release the body shows by itself."""
    ann = annotated_summary(fv, model.contexts)
    if ann is None:
        return s
    ann = _caller_named(fv, ann, model, {}, facts)
    local = _unnamed_locals(fv, facts)
    effects = [e for e in (replace(e, more=()) for e in ann.effects()) if not _names_locals(e, local)]
    keys = {e.key for e in effects}
    effects += [replace(e, more=()) for e in (s.effects() if s is not None else []) if e.key not in keys]
    if not effects:
        return None
    effects[0].more = tuple(effects[1:])
    return effects[0]


def _unnamed_locals(fv: FunctionView, facts: FactSource) -> set[str]:
    """Locals no caller can name a lock by: not parameters, and not the pointer the function returns
    (``__acquires(&wb->list_lock)`` on a function that ends in ``return wb;``: the caller's result)."""
    local = facts.local_names(fv) - set(_params(fv))
    return {name for name in local if not re.search(rf"\breturn\s+\(?{re.escape(name)}\)?\s*;", fv.text)}


def _caller_named(
    fv: FunctionView, s: Summary, model: LockModel, summaries: dict[str, Summary], facts: FactSource
) -> Summary:
    """The annotation's keys as a caller names them: ``__releases(ci->i_ceph_lock)`` with ``ci =
    ceph_inode(inode)`` is ``ceph_inode(inode)->i_ceph_lock``, which the caller's own ``ci`` reaches too.
    A key that stays rooted in a local, or that names the object rather than a lock in it (a bare
    pointer: ``&msq->q_perm`` with ``msq = container_of(ipcp, ...)`` is ``ipcp`` itself), is kept as
    written, and :func:`_names_locals` leaves it to the body."""
    local = _unnamed_locals(fv, facts)
    if not _names_locals(s, local):
        return s
    aliases = _accessor_aliases(fv, model, summaries, facts)
    out = []
    for eff in s.effects():
        eff = replace(eff, more=())
        root = _IDENT.match(eff.key)
        if root is not None and root.group() in local and root.group() in aliases:
            named = expanded(eff.key, aliases)
            lead = _IDENT.match(named)
            if lead is not None and lead.group() not in local and named != lead.group():
                eff = replace(eff, key=named)
        out.append(eff)
    out[0].more = tuple(out[1:])
    return out[0]


def _names_locals(s: Summary, local: set[str]) -> bool:
    """An annotation that names the lock through the function's own local (``__releases(&msq->q_perm)``
    with ``msq = container_of(ipcp, ...)``, and the object, not its lock): no caller can name that key,
    so the body, which reads the local as what it aliases, says what the function releases."""
    return any((m := _IDENT.match(e.key)) is not None and m.group() in local for e in s.effects())


def _refined(
    fv: FunctionView,
    s: Summary,
    kernel: dict[str, Any],
    model: LockModel,
    summaries: dict[str, Summary],
    facts: FactSource | None = None,
) -> Summary:
    """An annotated wrapper's effects with the variant and flags its body shows.

    ``rq_lock_irqsave()`` is ``__acquires(rq->lock)``; its body saves the interrupt state in ``rf->flags``,
    which the caller's ``local_irq_restore(rf.flags)`` restores: the annotation names the lock, the body
    says how it is taken.  An effect the body does not confirm keeps the annotation's word.
    """
    from reviewkit.locks.analysis import analyse

    others = {k: v for k, v in summaries.items() if k != fv.name}
    model = _body_model(fv, s, model)
    res = analyse(fv, kernel, model, others, budget=4000, infer=False)
    if not res.complete or not res.exits:
        return s
    out = []
    for eff in s.effects():
        better = eff
        if eff.kind == "acquire":
            common = None
            for ex in res.exits:
                got = {(h.group, h.variant, h.flags) for h in ex.state.facts.held if h.key == eff.key and h.count}
                common = got if common is None else common & got
            if common and len(common) == 1:
                group, variant, flags = next(iter(common))
                better = Summary("acquire", eff.key, eff.params, group, variant, eff.ret_var, flags, eff.try_)
            elif not common and not eff.try_:
                # __acquires() on a body that drops it again on its failure exits
                # (ufs_debugfs_get_user_access(): -EBUSY unlocked, 0 held): taken when the result says so
                when = _result_condition(res, eff.key)
                if when is not None:
                    better = replace(eff, try_=when)
        elif eff.kind == "release":
            # the annotation makes the lock held on entry: the body's release calls of that key say how
            calls = {
                c.name
                for n in (facts.cfg(fv) if facts is not None else build_cfg(fv, kernel)).nodes
                for c in n.calls
                if c.name in model.releases and _released_key(c, model.releases[c.name][0]) == eff.key
            }
            fams = [f for c in calls for f in model.releases.get(c, [])]
            if len({(f.group, f.variant) for f in fams}) == 1:
                better = Summary(
                    "release", eff.key, eff.params, fams[0].group, fams[0].variant, eff.ret_var, None, eff.try_
                )
            if not eff.try_:
                # __releases() on a function that keeps the lock on some exits (do_signal_stop() returns
                # false holding the siglock): conditional on the result, or unknown
                entry = _entry_run(fv, kernel, model, others, {eff.key}, facts)
                if entry is not None and any(
                    h.key == eff.key and h.count and not h.stale for ex in entry.exits for h in ex.state.facts.held
                ):
                    cond = _failure_release(entry, eff.params)
                    better = replace(better, try_=cond.try_ if cond is not None else MAYBE)
        out.append(better)
    first = out[0]
    first.more = tuple(out[1:])
    return first


_DECLARED_ARG = re.compile(r"\b([A-Za-z_]\w*)\s*\(\s*([^(),;]+?)\s*\)")


def _body_model(fv: FunctionView, s: Summary, model: LockModel) -> LockModel:
    """The model to read an annotated wrapper's body with: with the declared families (counting
    semaphores, ``[[locks.declared]]``) when the body calls one on a key the annotation names.

    ``ufs_debugfs_get_user_access()`` is ``__acquires(&hba->host_sem)`` and takes it with ``down()``, drops
    it with ``up()`` before ``return -EBUSY``: read without the semaphore API, the annotation's word makes
    the acquire unconditional and every caller's ``if (... || get(hba)) return;`` a leak.  Semaphores
    nothing annotates stay out of the model (they count credits more often than they lock)."""
    names = {n for fam in model.declared for n in fam.acquire | fam.release}
    if not names or not model.calls_any(fv.text, names):
        return model
    keys = {e.key for e in s.effects()}
    for m in _DECLARED_ARG.finditer(fv.text):
        if m.group(1) in names and lock_key(m.group(2)) in keys:
            return model.declared_model
    return model


def _result_condition(res: LockResult, key: str) -> str | None:
    """``"zero"`` when every exit holding ``key`` returns ``0`` and every other exit an error code, and
    ``"nonzero"`` when the holding exits return ``1``/``true`` and the others ``0``/``false``; else None."""
    held: set[str] = set()
    dropped: set[str] = set()
    for ex in res.exits:
        via = ex.via
        if via.kind != K_RETURN or via.ast is None or not via.ast.named_children:
            return None
        value = " ".join(res.fv.parsed.text(via.ast.named_children[0]).split())
        keeps = any(h.key == key and h.count and not h.stale for h in ex.state.facts.held)
        (held if keeps else dropped).add(value)
    if not held or not dropped:
        return None
    if held == {"0"} and all(_ERRORISH.match(v) for v in dropped):
        return "zero"
    if held <= {"1", "true"} and dropped <= {"0", "false"}:
        return "nonzero"
    return None


def called_names(views: list[FunctionView], model: LockModel | None = None) -> set[str]:
    """Names some view calls (``name(`` in its text), a function's own declarator not counted.

    Counting the declarator made every function "called", so every function
    of a scanned file was summarised whether or not anything calls it (the
    largest cost of a scan); a recursive call still counts.  ``model``: read
    each text's called names from its memo (the check reads the same texts).
    """
    out: set[str] = set()
    for fv in views:
        names = model.called(fv.text) if model is not None else frozenset(CALLED.findall(fv.text))
        out |= names - {fv.name}
        if fv.name in names and fv.name not in out:
            body = fv.text.find("{")
            if body >= 0 and fv.text.find(fv.name, body) >= 0 and _calls_itself(fv.name, fv.text[body:]):
                out.add(fv.name)  # recursive
    return out


def _calls_itself(name: str, body: str) -> bool:
    return any(m.group(1) == name for m in CALLED.finditer(body))


def _released_key(call: Any, fam: Any) -> str | None:
    rk = fam.release_key
    if not isinstance(rk, int):
        return str(rk)
    if rk >= len(call.args):
        return None
    return member_key(call.args[rk], fam.member)


def annotated_summary(fv: FunctionView, contexts: frozenset[str] = frozenset()) -> Summary | None:
    """Every ``__acquires``/``__releases`` of the header, in any order, as one summary with more effects.

    ``__releases(x) __acquires(x)`` drops and retakes the caller's lock (ceph, gfs2, fuse): held after.
    """
    ann = lock_annotations(fv, contexts)
    params = _params(fv)
    acquires, releases = ann.get("__acquires", []), ann.get("__releases", [])
    effects = [Summary("acquire", key, params, "any", "plain") for key in acquires if key not in releases]
    # __cond_acquires(x): taken exactly when the function returns nonzero (refcount_dec_and_lock())
    effects += [Summary("acquire", k, params, "any", "plain", try_="nonzero") for k in ann.get("__cond_acquires", [])]
    effects += [Summary("retake" if key in acquires else "release", key, params, "any", "plain") for key in releases]
    if not effects:
        return None
    first = effects[0]
    first.more = tuple(effects[1:])
    return first


def _summary_of(
    fv: FunctionView, kernel: dict[str, Any], model: LockModel, summaries: dict[str, Summary], facts: FactSource
) -> Summary | None:
    """What ``fv`` does to its callers' locks; a lock it is called holding is never "acquired" by it.

    ``__must_hold(x)`` (or a leading ``lockdep_assert_held(x)``) says ``x`` is held on entry: a body that
    drops and retakes it (``xhci_set_port_power()`` around an ACPI call) is a retake, and one that
    leaves it dropped on some exits is a release, conditional on the result or unknown (see
    :func:`_held_on_entry`).
    """
    s = _body_summary(fv, kernel, model, summaries, facts)
    if annotated(fv.text):
        s = _with_annotations(fv, s, model, facts)
    if s is None:
        return None
    if "__must_hold" not in fv.text and not any(a in fv.text for a in model.held_asserts):
        return s
    # the analysis' own reading: ``__must_hold`` keys plus those of a leading ``lockdep_assert_held()``
    entry = set(LockAnalysis(fv, model, summaries, cfg=facts.cfg(fv)).annotations.get("__must_hold", []))
    return _held_on_entry(s, entry) if entry else s


def _held_on_entry(s: Summary, entry: set[str]) -> Summary:
    """``s`` with every acquire of a key held on entry made a retake (unconditional) or unknown (``MAYBE``
    release: held on some exits only, or only when the result says so, decided by no test we trust)."""
    out = []
    for eff in s.effects():
        if eff.kind == "acquire" and eff.key in entry:
            if eff.try_ is None:
                eff = replace(eff, kind="retake", more=(), ret_var=None)
            else:
                eff = replace(eff, kind="release", try_=MAYBE, more=(), ret_var=None)
        else:
            eff = replace(eff, more=())
        out.append(eff)
    out[0].more = tuple(out[1:])
    return out[0]


def _body_summary(
    fv: FunctionView, kernel: dict[str, Any], model: LockModel, summaries: dict[str, Summary], facts: FactSource
) -> Summary | None:
    params = _params(fv)
    trysum = _try_summary(fv, model, summaries, params, facts)
    if trysum is not None:
        return trysum
    res = analyse(fv, kernel, model, summaries, budget=4000, infer=False, facts=facts)
    if not res.complete or not res.exits:
        return None
    local = facts.local_names(fv) - set(params)
    ret = _returned_var(res)
    common: set[tuple[str, str, str, str | None]] | None = None
    for ex in res.exits:
        keys = {
            (h.key, h.group, h.variant, h.flags)
            for h in ex.state.facts.held
            if h.line is not None and not h.stale and h.count
        }
        common = keys if common is None else common & keys
    dropped_first = {e.key for e in res.events if e.kind == "orphan-release"}
    taken: list[Summary] = []
    aliases: dict[str, str] | None = None
    for key, group, variant, flags in sorted(common or ()):
        ids = set(_VAR.findall(key))
        named = key
        if ids & local and not (ret and ret in ids):
            # ``sbi = hpfs_sb(s); mutex_lock(&sbi->hpfs_mutex)``: the caller names it ``hpfs_sb(s)->hpfs_mutex``
            # (as the release wrapper beside it does, :func:`_caller_keys`)
            aliases = _accessor_aliases(fv, model, summaries, facts) if aliases is None else aliases
            named = _caller_keys({key}, local, aliases).get(key, key)
            ids = set(_VAR.findall(named))
        if ids & local and not (ret and ret in ids and not (ids & local) - {ret}):
            continue
        if any(t.key == named for t in taken):
            continue
        # released first, then taken again on every exit: drops and retakes the caller's lock
        # (or held on entry by its annotation: the renamed key no longer matches :func:`_held_on_entry`)
        kind = "retake" if key in dropped_first or key in res.annotations.get("__must_hold", []) else "acquire"
        handoff = all(h.handoff for ex in res.exits for h in ex.state.facts.held if h.key == key and h.count)
        taken.append(Summary(kind, named, params, group, variant, ret if ret in ids else None, flags, handoff=handoff))
    if taken:  # every lock it returns holding (mutex_lock_double() takes two)
        taken[0].more = tuple(taken[1:])
        return taken[0]
    # the aliases are read only when a dropped key starts from a name that is not a parameter
    aliased = any((m := _IDENT.match(k)) is not None and m.group() not in params for k in dropped_first)
    dropped = _caller_keys(dropped_first, local, _accessor_aliases(fv, model, summaries, facts) if aliased else None)
    if any(h.key in dropped and h.count for ex in res.exits for h in ex.state.facts.held):
        # drops the caller's lock and takes it again on some exits: which ones, the entry run says
        return _caller_releases(fv, kernel, model, summaries, res, params, dropped, facts)
    ontry = _success_summary(res, params, local) or _failure_release(res, params)
    if ontry is not None:
        return ontry
    some = sorted(
        {
            (h.key, h.group, h.variant)
            for ex in res.exits
            for h in ex.state.facts.held
            if h.count and not h.stale and h.line is not None and not set(_VAR.findall(h.key)) & local
        }
    )
    if some and not any(e.kind == "orphan-release" for e in res.events):
        key, group, variant = some[0]  # a caller's lock taken on some exits only: a "maybe"
        return Summary("acquire", canonical(fv, key, facts), params, group, variant, None, None, MAYBE)
    if dropped:
        # a release wrapper: releases a caller's lock (a parameter's or a global's) it never took first
        return _caller_releases(fv, kernel, model, summaries, res, params, dropped, facts)
    return _entry_released(res, model, params, local, facts)


_HELD_ON_ENTRY = (ASSERTED, "__must_hold")
"""``Held.entry`` of a caller's lock the function says it is called holding."""


def _entry_released(
    res: LockResult, model: LockModel, params: list[str], local: set[str], facts: FactSource
) -> Summary | None:
    """Called holding the caller's lock (a leading ``lockdep_assert_held()``) and released on every exit.

    ``vgic_queue_irq_unlock(kvm, irq, flags)`` asserts ``irq->irq_lock`` held, then drops it on each
    return (after dropping and retaking it around another lock): a release wrapper.  Without this the
    held-on-entry record is no "orphan" release and no exit holds it, so the function had no summary
    and every caller was told its lock leaks.  Each exit must show the release itself (a record the
    function released, not one a callee may have retaken), and the release calls must be of one lock type.
    """
    keys = {
        h.key
        for ex in res.exits
        for h in ex.state.facts.held
        if h.entry in _HELD_ON_ENTRY and not set(_VAR.findall(h.key)) & local
    }
    effects: list[Summary] = []
    for key in sorted(keys):
        lines: set[int] = set()
        for ex in res.exits:
            hs = [h for h in ex.state.facts.held if h.key == key]
            if len(hs) != 1 or hs[0].count or hs[0].stale or hs[0].line is None:
                break
            lines.add(hs[0].line)
        else:
            fams = {
                (f.group, f.variant)
                for n in facts.cfg(res.fv).nodes
                for c in n.calls
                if c.line in lines
                for f in model.releases.get(c.name, ())
                if key in {lock_key(a) for a in c.args}
            }
            if len(fams) == 1:
                group, variant = next(iter(fams))
                effects.append(Summary("release", key, params, group, variant))
            elif len({g for g, _v in fams}) == 1:
                # plainly on one exit, restoring the interrupt state on another (it was retaken under a
                # lock released with the flags): which lock, not how, as an annotation says it
                effects.append(Summary("release", key, params, "any", "plain"))
    if not effects:
        return None
    effects[0].more = tuple(effects[1:])
    return effects[0]


def _accessor_aliases(
    fv: FunctionView, model: LockModel, summaries: dict[str, Summary], facts: FactSource
) -> dict[str, str]:
    """Locals that are another name for an accessor of the parameters (``iinfo = UDF_I(inode)``), not for
    what a lock call returns (``mtx = bp_constraints_lock(bp)``: the lock it took, not a view of ``bp``)."""
    out = {}
    for name, text in call_aliases(fv, facts.cfg(fv)).items():
        callee = _IDENT.match(text)
        if callee is None:
            continue
        fn = callee.group()
        if fn in model.acquires or fn in model.releases or fn in summaries or _TAKING_NAME.search(fn):
            continue
        out[name] = text
    return out


def _caller_keys(keys: set[str], local: set[str], aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Orphan-released keys the caller can name: key -> the key as the caller matches it.

    ``s->lock`` with ``s`` a parameter is itself; ``hugetlb_fault_mutex_table[hash]`` with ``hash`` a local
    (a global table indexed by the callee's own computation) is ``hugetlb_fault_mutex_table[*]``: the caller
    names the same slot through its own locals, so any hold of the table becomes unknown at the call.
    ``iinfo->i_data_sem`` with ``iinfo = UDF_I(inode)`` (``aliases``: a local that is only another name
    for a call of the parameters) is ``UDF_I(inode)->i_data_sem``, which the caller's own
    ``iinfo = UDF_I(inode)`` names too.
    """
    out: dict[str, str] = {}
    for key in sorted(keys):
        ids = _VAR.findall(key)
        if aliases and set(ids) & set(aliases):
            seen = expanded(key, aliases)
            if not set(_VAR.findall(seen)) & local:
                out[key] = seen
                continue
        if not set(ids) & local:
            out[key] = key
        elif ids and ids[0] not in local and "[" in key:
            out[key] = _VAR.sub(lambda m: "*" if m.group() in local else m.group(), key)
    return out


def _caller_releases(
    fv: FunctionView,
    kernel: dict[str, Any],
    model: LockModel,
    summaries: dict[str, Summary],
    res: LockResult,
    params: list[str],
    dropped: dict[str, str],
    facts: FactSource | None = None,
) -> Summary:
    """What a function that releases its caller's locks does to them, from a run with them held on entry.

    Per lock: held again on every exit (not through an unknown callee): a retake; held on no exit: a
    release; held on some: released exactly when the result is nonzero (or zero), else unknown
    (``MAYBE``).  A lock it also hands back through its result (it returns a pointer of the lock owner's
    type: ``timer = timer_wait_running(timer, &flags)`` unlocks and returns the timer locked again) is
    unknown, and so is every lock when the entry run cannot finish.
    """
    entry = _entry_run(fv, kernel, model, summaries, set(dropped), facts)
    rows = [e for e in res.events if e.kind == "orphan-release" and e.key in dropped]
    if entry is not None and not res.acquired_keys & set(dropped) and not any("*" in k for k in dropped.values()):
        cond = _failure_release(entry, params)
        if cond is not None and not _relocks_returned(fv, cond.key):
            return replace(cond, key=dropped.get(cond.key, cond.key))
    effects: list[Summary] = []
    for key, caller_key in dropped.items():
        e = next((x for x in rows if x.key == key), None)
        fams = model.releases.get(e.call) or [] if e is not None else []
        group = fams[0].group if fams else "any"
        variant = fams[0].variant if fams else "plain"
        if entry is None or "*" in caller_key or _relocks_returned(fv, key):
            effects.append(Summary("release", caller_key, params, group, variant, None, None, MAYBE))
            continue
        holds = [[h for h in ex.state.facts.held if h.key == key and h.count] for ex in entry.exits]
        if all(hs and not any(h.stale for h in hs) for hs in holds):
            effects.append(Summary("retake", caller_key, params, group, variant))
        elif not any(holds):
            effects.append(Summary("release", caller_key, params, group, variant))
        else:
            cond = _failure_release(entry, params, only=key)
            effects.append(
                replace(cond, key=caller_key)
                if cond is not None
                else Summary("release", caller_key, params, group, variant, None, None, MAYBE)
            )
    effects[0].more = tuple(effects[1:])
    return effects[0]


_OWNER_TYPE = r"struct\s+(\w+)\s*\*"


def _relocks_returned(fv: FunctionView, key: str) -> bool:
    """Returns a pointer of the type that owns ``key``: the object may come back locked again."""
    fn = fv.function
    root = _IDENT.match(key)
    if fn is None or root is None:
        return False
    head = " ".join(fn.parsed.source[fn.node.start_byte : fn.body.start_byte].decode("utf-8", "replace").split())
    ret = re.match(r"(?:\w+\s+)*?" + _OWNER_TYPE + r"\s*" + re.escape(fv.name) + r"\s*\(", head)
    if ret is None:
        return False
    param = re.search(_OWNER_TYPE + r"\s*(?:const\s+)?" + re.escape(root.group()) + r"\b", head[ret.end() :])
    return param is not None and param.group(1) == ret.group(1)


MAYBE = "maybe"
"""``Summary.try_`` of a release on some exits only, not told by the result: the hold becomes unknown."""


def _entry_run(
    fv: FunctionView,
    kernel: dict[str, Any],
    model: LockModel,
    summaries: dict[str, Summary],
    keys: set[str],
    facts: FactSource | None = None,
) -> LockResult | None:
    """The function analysed with ``keys`` held on entry: which exits still hold them.

    The graph is the run's (``facts``): built once per function, not again per question asked of it.
    """
    from reviewkit.flow.engine import run

    cfg = facts.cfg(fv) if facts is not None else build_cfg(fv, kernel)
    la = LockAnalysis(fv, model, summaries, cfg=cfg)
    annotated = set(la.annotations.get("__must_hold", [])) | set(la.annotations.get("__releases", []))
    la.inferred = set(keys) - annotated  # an annotated one is held on entry already
    la.result_var = _one_returned(cfg, fv)
    out = run(cfg, la, 4000)
    if not out.complete or not la.exits:
        return None
    res = LockResult(fv, la.exits, list(la.events.values()), True, la.acquired_keys, la.annotations)
    res.inferred = set(keys)
    return res


def _one_returned(cfg: Any, fv: FunctionView) -> str | None:
    """The one variable every ``return`` of ``fv`` returns (``return __ret;``), else None."""
    names = set()
    for n in cfg.nodes:
        if n.kind != K_RETURN:
            continue
        value = n.ast.named_children[0] if n.ast is not None and n.ast.named_children else None
        if value is None or value.type != "identifier":
            return None
        names.add(fv.parsed.text(value))
    return names.pop() if len(names) == 1 else None


def _try_summary(
    fv: FunctionView, model: LockModel, summaries: dict[str, Summary], params: list[str], facts: FactSource
) -> Summary | None:
    """``return spin_trylock(&x->lock);``: a trylock wrapper, acquired when it returns nonzero."""
    la = LockAnalysis(fv, model, summaries, cfg=facts.cfg(fv))
    local = facts.local_names(fv) - set(params)
    for n in facts.cfg(fv).nodes:
        if n.kind != K_RETURN or n.ast is None or not n.ast.named_children:
            continue
        value = n.ast.named_children[0]
        call = next((c for c in n.calls if c.node == value), None)
        fam = model.acquires.get(call.name) if call is not None else None
        if call is None or fam is None or fam.try_ not in ("nonzero", "zero"):
            continue
        hold = la._held_for(call, fam, n)
        if hold is not None and not set(_VAR.findall(hold.key)) & local:
            return Summary("acquire", hold.key, params, fam.group, fam.variant, None, hold.flags, fam.try_)
    return None


_NULLISH_RET = {"NULL", "false", "0"}
_ERRORISH = re.compile(r"^(?:-\s*E[A-Z0-9]+|-\d+|ERR_PTR\(.*\)|ERR_CAST\(.*\))$")
"""A return that holds the lock and says "failed" is a missed unlock, not a hand-back on success."""


def _success_summary(res: LockResult, params: list[str], local: set[str]) -> Summary | None:
    """Returns with the lock held exactly when it succeeds: ``return ptl;`` held, ``return NULL;`` not.

    The function's own exits say so (every exit holding the lock returns a non-NULL/true value, every
    other exit returns ``NULL``/``false``/``0``), so no name list is needed; the caller's test of the
    result then decides, as for ``spin_trylock()``.
    """
    per_exit: list[tuple[str | None, set[tuple[str, str, str, str | None]]]] = []
    for ex in res.exits:
        via = ex.via
        if via.kind != K_RETURN or via.ast is None or not via.ast.named_children:
            return None
        value = lock_key(res.fv.parsed.text(via.ast.named_children[0]))
        value = next((v for name, v in ex.state.vals if name == value and not v.startswith(COPY)), value)
        keys = {
            (h.key, h.group, h.variant, h.flags)
            for h in ex.state.facts.held
            if h.line is not None and not h.stale and h.count
        }
        per_exit.append((value, keys))
    held_any = set().union(*(k for _v, k in per_exit)) if per_exit else set()
    for key, group, variant, flags in sorted(held_any):
        ok = [v for v, k in per_exit if (key, group, variant, flags) in k]
        bad = [v for v, k in per_exit if (key, group, variant, flags) not in k]
        if (
            not bad
            or not all(v in _NULLISH_RET for v in bad)
            or any(v in _NULLISH_RET or _ERRORISH.match(v or "") for v in ok)
        ):
            continue
        ids = set(_VAR.findall(key))
        rets = {v for v in ok if v and _IDENT.fullmatch(v)}
        ret = rets.pop() if len(rets) == 1 and len(set(ok)) == 1 else None
        if ids & local and not (ret and ret in ids and not (ids & local) - {ret}):
            continue
        when = "nonnull" if ret is not None else "nonzero"
        return Summary("acquire", key, params, group, variant, ret if ret in ids else None, flags, when)
    return None


def _failure_release(res: LockResult, params: list[str], only: str | None = None) -> Summary | None:
    """``__must_hold(&resv->lock)`` and returns ``-ENOMEM`` having dropped it, ``0`` holding it.

    A caller's lock (annotated or inferred held on entry) that the function's own exits drop exactly
    when the result is nonzero (or exactly when it is zero): a conditional release, decided at the
    caller by its test of the result.
    """
    ann = res.annotations
    entry = set(ann.get("__must_hold", [])) | set(ann.get("__releases", [])) | set(res.inferred)
    for key in sorted(entry if only is None else entry & {only}):
        kept: list[str] = []
        dropped: list[str] = []
        for ex in res.exits:
            via = ex.via
            if via.kind != K_RETURN or via.ast is None or not via.ast.named_children:
                return None
            value = lock_key(res.fv.parsed.text(via.ast.named_children[0]))
            value = next((v for name, v in ex.state.vals if name == value and not v.startswith(COPY)), value)
            if not _LITERAL.match(value) and value not in _ZERO and ex.state.facts.result is not None:
                value = _NONZERO if ex.state.facts.result else "0"  # the path's last test of it says
            holds = any(h.key == key and h.count and not h.stale for h in ex.state.facts.held)
            (kept if holds else dropped).append(value)
        if not kept or not dropped:
            continue
        zero = _ZERO
        if all(v in zero for v in kept) and all(v not in zero and _LITERAL.match(v) for v in dropped):
            return Summary("release", key, params, "any", "plain", None, None, "nonzero")
        if all(v in zero for v in dropped) and all(v not in zero and _LITERAL.match(v) for v in kept):
            return Summary("release", key, params, "any", "plain", None, None, "zero")
    return None


_NONZERO = "!0"
"""A returned variable the path tested nonzero, not a constant."""
_ZERO = frozenset({"0", "false", "NULL"})
_LITERAL = re.compile(r"^(?:-?E[A-Z0-9]+|-?\d+|true|[A-Z][A-Z0-9_]*|!0)$")
