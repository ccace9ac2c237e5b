"""The lock transfer function: how each CFG node and branch changes the locks held.

:class:`LockAnalysis` is the client of :func:`reviewkit.flow.engine.run` that
applies acquires, releases, trylocks, summaries of wrappers and hand-offs
to a callee, and records what is wrong at a node whatever the path
(:class:`~reviewkit.locks.model.Event`).  It is the one stateful part
of the lock analysis, kept apart from the data it works on and from the
drivers (:func:`reviewkit.locks.analysis.analyse`, the summaries) that run it.
"""

# size: one dispatch over call kinds sharing the held-set algebra; the API data is kernel/locks.toml

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any

from reviewkit.cparse.parse import Call, Node
from reviewkit.flow.engine import CFG, K_COND, K_ENTRY, K_GAP, K_LABEL, K_LOOP, CfgNode, State
from reviewkit.locks.aliases import call_aliases, expanded
from reviewkit.locks.copies import copy_of, named_by, through_copies
from reviewkit.locks.elements import Elements
from reviewkit.locks.model import (
    Event,
    ExitRecord,
    Facts,
    Family,
    Held,
    LockModel,
    Pending,
    Summary,
    _ordered,
    _same_group,
    held_witness,
    lock_key,
    member_key,
    part_keys,
    part_object,
)
from reviewkit.locks.stores import caller_params, stored_at, stored_by_call
from reviewkit.locks.syntax import (
    _HANDS_OFF,
    _IDENT,
    _LOCKED_FLAG,
    _RELEASING_NAME,
    _TAKING_NAME,
    _assigned_negated,
    _assigned_to,
    _in_ternary,
    _is_atom_call,
    _rebound,
    _subst,
    call_source,
    local_names,
    lock_annotations,
)
from reviewkit.views.source import FunctionView

NEST_CAP = 3
UNLOCKED = "unlocked@"
"""``Held.entry`` of the interrupt state an irqsave lock's plain unlock left saved (then the unlock line)."""
_ROOT = re.compile(r"[A-Za-z_]\w*")
_NULL_ROOT = re.compile(r"^\(*\s*(?:NULL|0)\s*\)*(?:->|\.|$)")
_CALLEE = re.compile(r"[A-Za-z_]\w*\s*(?=\()")
"""A called name (``enc_to_intel_dp`` in ``enc_to_intel_dp(encoder)``): not a value the expression reads."""
ASSERTED = "lockdep_assert_held"
UNTAKEN = "untaken:"
"""``Held.entry`` of the record a failed trylock leaves (count 0); ``Event.detail`` prefix of its release."""
INFERRED = "inferred"
"""``Held.entry`` of a caller's lock assumed held on entry because the function releases it before taking it."""
GUARDED = "guard"
"""``Held.entry`` of a lock a ``guard()`` holds until its block ends."""
"""``Held.entry`` of a caller's lock a leading ``lockdep_assert_held()`` names."""
_RWSEM = {"rwsem-read", "rwsem-write"}
_LAST_MEMBER = re.compile(r"(?:->|\.)\w+$")
_CALL_BASE = re.compile(r"^\(*[A-Za-z_]\w*\s*\(")
"""A lock key whose object is a call's result (``(rx_ring(mac))->lock``)."""
_VARS = re.compile(r"(?<![\w>.])[A-Za-z_]\w*")


def _top_level(call: Call, fv: FunctionView) -> bool:
    """Is ``call`` a statement of the function body itself (run on every path from the entry)?"""
    fn = fv.function
    stmt = call.node.parent
    if fn is None or stmt is None or stmt.type != "expression_statement" or stmt.parent is None:
        return False
    return (stmt.parent.start_byte, stmt.parent.end_byte) == (fn.body.start_byte, fn.body.end_byte)


_CAST = re.compile(r"^\(\s*(?:unsigned\s+|signed\s+)?\w+\s*\)\s*")
_LEVEL = re.compile(r"^(?:[A-Z][A-Z0-9_]*|\d+|0x[0-9a-fA-F]+)$")
"""A flags argument that is a constant: an interrupt level, not a state some save put in a variable."""


_Step = tuple["Facts | None", tuple[tuple[Any, Any], ...]]
"""A memoised transfer step: its result and what it recorded (``(key, event)``; ``(None, key)`` acquired)."""


class LockAnalysis:
    """Transfer function of lock facts (see :mod:`reviewkit.flow.engine` for the protocol)."""

    def __init__(
        self,
        fv: FunctionView,
        model: LockModel,
        summaries: dict[str, Summary] | None = None,
        new_keys: set[str] | None = None,
        observe: Callable[[CfgNode, Call, frozenset[Held], bool], None] | None = None,
        cfg: CFG | None = None,
    ) -> None:
        self.fv = fv
        self._cfg = cfg
        """The graph the run explores (the run's ``facts.cfg``); built once here when not given."""
        self.observe = observe
        """Called before each call with the locks held at that point (and whether the path crossed a gap)."""
        self.model = model
        self.summaries = summaries or {}
        self.exits: list[ExitRecord] = []
        self.events: dict[tuple, Event] = {}
        self.acquired_keys: set[str] = set()
        self.annotations = lock_annotations(fv, model.contexts)
        declared = {*self.annotations.get("__must_hold", []), *self.annotations.get("__releases", [])}
        self.asserted = [k for k in self._asserted_held() if k not in declared]
        """Keys a leading ``lockdep_assert_held()`` names: held on entry, and a lock (taking it again is a bug)."""
        if self.asserted:
            self.annotations = {**self.annotations}
            self.annotations["__must_hold"] = [*self.annotations.get("__must_hold", []), *self.asserted]
        self.fragment = fv.fragment
        self.nesting = {f.group for f in model.acquires.values() if f.nests}
        self.inferred: set[str] = set()
        self.callee_bound: frozenset[str] = frozenset()
        """Locals given one call's result after their declaration (set by the check's inference run): an
        inferred hold named through one is not renamed away at that assignment, as at a declaration."""
        self._relevance: dict[int, bool] = {}
        self._rebind_memo: dict[int, frozenset[str]] = {}
        self._srcs: dict[tuple[int, str | None], str] = {}
        """Keys assumed held on entry because the function releases them before taking them."""
        self.new_keys = new_keys
        """Fragment mode: lock keys introduced by the patch (None: every lock counts as new)."""
        self._restale_memo: dict[tuple[int, str, bool, bool], bool] = {}
        """Whether a node renames a hold's key, by (node, key, held on entry, inferred): asked per state."""
        self._node_memo: dict[tuple[int, Facts, Hashable], _Step] = {}
        self._branch_memo: dict[tuple[int, Any, Facts, Hashable], _Step] = {}
        """The transfer's results per (node, facts) and (node, label, facts): see :meth:`node`."""
        self._log: list[tuple[Any, Any]] | None = None
        """What the step being memoised records (:meth:`_event`, :meth:`_acquired`), None outside one."""
        self._caller_params: frozenset[str] | None = None
        """A void function's parameters the body never reassigns (:func:`caller_params`), read once."""
        self._bodies: dict[str, str] | None = None
        """Scan and tree mode: the file's function texts by name, read when a callee's body is asked about."""
        self.result_var: str | None = None
        """The one variable every ``return`` returns, when a summary asks which result each exit has
        (:attr:`Facts.result`); None in the analysis the checks see, whose states it would only split."""

    # -- the protocol ------------------------------------------------------

    def _asserted_held(self) -> list[str]:
        """Keys of ``lockdep_assert_held(x)`` made before any lock call of the function, as a statement of
        its body (on every path, not under an ``if``): held on entry.

        (After an acquire the assertion only restates it: ``lock(x); lockdep_assert_held(x)``.)
        """
        if not self.model.held_asserts or not any(a in self.fv.text for a in self.model.held_asserts):
            return []

        first_lock: int | None = None
        asserted: list[tuple[int, str]] = []
        for n in self._graph().nodes:
            for c in n.calls:
                line = c.line or 0
                if c.name in self.model.held_asserts and c.args:
                    if _top_level(c, self.fv):
                        asserted.append((line, lock_key(c.args[0])))
                elif c.name in self.model.acquires or c.name in self.model.releases or c.name in self.summaries:
                    first_lock = line if first_lock is None else min(first_lock, line)
        return list(dict.fromkeys(k for line, k in asserted if first_lock is None or line < first_lock))

    def _graph(self) -> CFG:
        if self._cfg is None:
            from reviewkit.flow.engine import build_cfg

            self._cfg = build_cfg(self.fv)
        return self._cfg

    def restart(self) -> None:
        """Forget what a run that ran out of budget recorded: the engine explores again, coarser."""
        self.exits = []
        self.events = {}
        self.acquired_keys = set()
        # (the transfer's memo stays: a step replays what it recorded, so the coarse pass meets the
        # exact pass's steps again at the cost of a lookup)

    def initial(self, cfg: Any) -> Hashable:
        held = set()
        for kind in ("__must_hold", "__releases"):
            for key in self.annotations.get(kind, []):
                entry = ASSERTED if kind == "__must_hold" and key in self.asserted else kind
                held.add(Held(key, "any", "plain", None, "", entry=entry))
        for key in self.inferred:
            held.add(Held(key, "any", "plain", None, "", entry=INFERRED))
        return Facts(frozenset(held), frozenset(), unseen=not self.fv.start_visible)

    def node(self, n: CfgNode, facts: Facts) -> Facts | None:
        """The facts after ``n``: a function of the node and the facts alone, so computed once per pair.

        The engine reaches a node with the same lock facts many times (the states differ in branch
        truths and stored constants, which this transfer never reads): about two calls in three repeat
        one already made.  What a call records (events, first writer wins; acquired keys) is kept with
        its result and recorded again on a repeat, so the memo outlives a restart of the run (the
        coarse pass after the exact one); an observer sees every call, so it turns this off.
        The key includes each hold's witnesses (where it was taken, as written), which equality leaves
        out: a message quotes the path's own acquire, never an equal one's.
        """
        if self.observe is not None:
            return self._node(n, facts)
        memo = (n.id, facts, _witnesses(facts))
        hit = self._node_memo.get(memo)
        if hit is not None:
            return self._replayed(hit)
        got = self._recorded(self._node, n, facts)
        self._node_memo[memo] = got
        return got[0]

    def _node(self, n: CfgNode, facts: Facts) -> Facts | None:
        if n.kind == K_GAP:
            # unseen unchanged code: it does not touch a lock the patch introduced
            # (a release before it proves nothing after it: the unseen code may return or retake)
            kept = frozenset(h for h in facts.held if h.new and h.count)
            return Facts(kept, frozenset(), True)
        if n.kind == K_ENTRY:
            return facts
        if facts.result is not None and self.result_var in n.writes:
            facts = replace(facts, result=None)  # stored again: the last test no longer tells
        if n.kind in (K_LOOP, K_LABEL) and any(not h.count and h.entry == INFERRED and not h.stale for h in facts.held):
            # a caller's lock inferred held on entry and dropped in the loop: the next iteration may hold it
            # again through code we do not follow (a retaking callee), so its release is no longer proof
            old = facts.held
            stale = frozenset(
                replace(h, stale=True, maybe_dropped=False) if not h.count and h.entry == INFERRED else h for h in old
            )
            facts = replace(facts, held=stale)
        if n.kind == K_LOOP and facts.held and self._elements().releases:
            # array elements locked by a lock-all loop, and this loop unlocks elements of the same array:
            # how many of them stay locked depends on how often each loop runs (reviewkit.locks.elements)
            elements = self._elements()
            marked = frozenset(
                replace(h, stale=True, maybe_dropped=False)
                if h.count and not h.stale and elements.unprovable_at(n.line, h.key, h.line)
                else h
                for h in facts.held
            )
            if marked != facts.held:
                facts = replace(facts, held=marked)
        if facts.held and self._caller_params != frozenset() and (objs := self._stored_here(n, facts.held)):
            # a void function leaving a locked object in its caller's structure (``cip->vc[sub] = vc``): the
            # object went out locked, for the caller to unlock (a callee's store: :meth:`branch`)
            facts = replace(facts, held=self._mark_stored(facts.held, objs))
        if n.calls and any(h.count and h.key == "irq" and h.entry.startswith(UNLOCKED) for h in facts.held):
            facts = self._flags_handed(n, facts)
        if not self._relevant(n):
            if self.observe is not None:
                for call in n.calls:
                    self.observe(n, call, facts.held, facts.unseen)
            if not n.writes or not (facts.held or facts.pending):
                return facts
        held: set[Held] = set(facts.held)
        pending: set[Pending] = set(facts.pending)
        unseen = facts.unseen
        if n.writes:
            if held and (n.rebinds or any(h.also for h in held) or self._copy(n) is not None):
                # (otherwise no hold changes: nothing renamed, no copy made or forgotten)
                copy = self._copy(n)
                written = frozenset(n.rebinds or ())
                held = {self._restale(through_copies(h, written, copy), n) for h in held}
            if pending:
                pending = {p for p in pending if p.var not in n.writes}
        commands = self._commands(n) if len(n.calls) > 2 else frozenset()
        for call in n.calls:
            if self.observe is not None:
                self.observe(n, call, frozenset(held), unseen)
            if id(call.node) in commands:
                continue
            if self._call(n, call, held, pending, unseen):
                # a callee may have dropped or retaken locks behind our back
                # (and a release recorded before the call proves nothing about a later one)
                held = {
                    replace(h, stale=True, maybe_dropped=False)
                    if (h.count and not self._nests(h.group)) or not h.count
                    else h
                    for h in held
                }
                unseen = True
        if n.writes and n.calls:
            # ``timer = timer_wait_running(timer, &flags)``: released through the old value, and the name
            # is rebound after the call; what a later release of ``timer->it_lock`` names is another lock
            held = {self._restale(h, n) if not h.count else h for h in held}
        return Facts(frozenset(held), frozenset(pending), unseen, facts.result)

    def _commands(self, n: CfgNode) -> frozenset[int]:
        """Lock calls given as arguments to a macro that runs them as commands: ``__SLEEP_COND(wq, cond,
        LOGGC_LOCK(log), LOGGC_UNLOCK(log))``, ``wait_event_cmd(wq, c, spin_unlock(l), spin_lock(l))``.
        The macro drops and retakes around its wait (how often, this text cannot say); read as two calls
        in a row they would be a release of a lock just taken.  Two or more lock calls among one
        call's own arguments make them such commands (their nodes' ids; skipped)."""
        by_outer: dict[int, list[int]] = {}
        for c in n.calls:
            parent = c.node.parent
            while parent is not None and parent.type == "parenthesized_expression":
                parent = parent.parent
            if parent is None or parent.type != "argument_list" or parent.parent is None:
                continue
            if c.name in self.model.acquires or c.name in self.model.releases or c.name in self.summaries:
                by_outer.setdefault(parent.parent.id, []).append(id(c.node))
        return frozenset(i for ids in by_outer.values() if len(ids) >= 2 for i in ids)

    def _flags_handed(self, n: CfgNode, facts: Facts) -> Facts:
        """Saved interrupt flags passed to a callee outside the lock model (``__call_rcu_nocb_wake(rdp, true,
        flags)``, a restoring macro): the callee restores them, as far as this function can tell."""
        args = {
            lock_key(a)
            for c in n.calls
            if c.name not in self.model.acquires and c.name not in self.model.releases
            for a in c.args
        }
        held = frozenset(
            h
            for h in facts.held
            if not (h.count and h.key == "irq" and h.entry.startswith(UNLOCKED) and h.flags in args)
        )
        return facts if held == facts.held else replace(facts, held=held)

    def barrier(self, n: CfgNode) -> bool:
        """Taking a lock orders this CPU after the previous holder's stores (see :func:`reviewkit.flow.engine.run`).
        A property of the node, asked per state: read once."""
        memo = self.__dict__.setdefault("_barrier_memo", {})
        got = memo.get(n.id)
        if got is None:
            got = memo[n.id] = any(c.name in self.model.acquires for c in n.calls)
        return got

    def ends_barrier(self, n: CfgNode) -> bool:
        """A release: a test after it is no longer the re-check under the lock just taken."""
        return any(c.name in self.model.releases for c in n.calls)

    def _relevant(self, n: CfgNode) -> bool:
        """Does any call of ``n`` touch locks (model, summaries, hand-offs)?  Cached per node."""
        rel = self._relevance.get(n.id)
        if rel is None:
            rel = n.id in self._model_relevant() or any(c.name in self.summaries for c in n.calls)
            self._relevance[n.id] = rel
        return rel

    def _model_relevant(self) -> frozenset[int]:
        """The nodes whose calls touch locks by the model alone (:func:`_model_relevant`), read for the
        whole graph once per model and kept with it: every analysis of the function asks."""
        got = self.__dict__.get("_model_relevant_ids")
        if got is None:
            cfg = self._graph()
            hit = cfg.readings.get(("lock-relevant", id(self.model)))
            if hit is None or hit[0] is not self.model:
                ids = frozenset(n.id for n in cfg.nodes if n.calls and _model_relevant(n, self.model))
                hit = cfg.readings[("lock-relevant", id(self.model))] = (self.model, ids)
            got = self.__dict__["_model_relevant_ids"] = hit[1]
        return got

    def _nests(self, group: str) -> bool:
        return group in self.nesting

    def branch(self, n: CfgNode, label: Any, facts: Facts) -> Facts | None:
        """The facts on edge ``label`` of ``n``, once per (node, label, facts): see :meth:`node`."""
        if self.observe is not None:
            return self._branch(n, label, facts)
        memo = (n.id, label, facts, _witnesses(facts))
        hit = self._branch_memo.get(memo)
        if hit is not None:
            return self._replayed(hit)
        got = self._recorded(self._branch, n, label, facts)
        self._branch_memo[memo] = got
        return got[0]

    def _recorded(self, step: Callable[..., Facts | None], *args: Any) -> _Step:
        """``step(*args)`` with what it recorded (events, acquired keys), for :meth:`_replayed`."""
        outer, self._log = self._log, []
        try:
            got = step(*args)
            log = tuple(self._log)
        finally:
            if outer is not None:
                outer.extend(self._log)
            self._log = outer
        return got, log

    def _replayed(self, hit: _Step) -> Facts | None:
        """A memoised step: what it recorded is recorded again (a no-op unless a restart forgot it)."""
        got, log = hit
        for key, value in log:
            if key is None:
                self._acquired(value)
            else:
                self._event(key, value)
        return got

    def _event(self, key: tuple[Any, ...], event: Event) -> None:
        """Record ``event`` under ``key`` unless one is there (the first path to it names it)."""
        self.events.setdefault(key, event)
        if self._log is not None:
            self._log.append((key, event))

    def _acquired(self, key: str) -> None:
        self.acquired_keys.add(key)
        if self._log is not None:
            self._log.append((None, key))

    def _branch(self, n: CfgNode, label: Any, facts: Facts) -> Facts | None:
        if n.kind != K_COND or n.ast is None:
            return facts
        if self.result_var is not None and n.cond_key == self.result_var:
            facts = replace(facts, result=bool(label) != n.negated)
        tried = self._tried(n)
        if not facts.held and not facts.pending and tried is None:
            return facts  # nothing held or pending, and the test takes no lock: no edge changes anything
        truth = bool(label)
        if truth and facts.held and n.calls and self._caller_params != frozenset():
            # ``if (can_piggyback(pvc, cip, n))`` true: the callee put ``pvc`` into ``cip``'s memory
            atom = n.ast
            while atom.type == "parenthesized_expression" and atom.named_children:
                atom = atom.named_children[0]
            call = next((c for c in n.calls if c.node == atom), None)
            if call is not None and (objs := self._stored_here(n, facts.held, call)):
                facts = replace(facts, held=self._mark_stored(facts.held, objs))
        held, pending = set(facts.held), set(facts.pending)
        if not truth and n.compare is not None and n.compare[1] == "truth":
            root = n.compare[0]
            if any(
                h.count and not h.stale and (((m := _ROOT.match(h.key)) and m.group() == root) or root in h.also)
                for h in held
            ):
                return None  # the lock lives in *root (or in what a copy of root points at): a NULL root crashes
        for p in list(pending):
            if n.cond_key == p.var:
                pending.discard(p)
                if p.when.startswith(DROPS):
                    self._dropped_if(p, truth == (p.when == DROPS + "nonzero"), held)
                elif p.when == "nonnull-checked":
                    if not truth:
                        held.discard(next((h for h in _ordered(held) if h.key == p.held.key and h.count), p.held))
                elif truth == (p.when in ("nonzero", "nonnull")):
                    self._acquire(n, p.held, held)
                elif p.dropped_at is None and p.when != "maybe":
                    self._untaken(p.held, held)
                elif p.dropped_at is not None and p.held.line is not None and not self._nests(p.held.group):
                    # the callee dropped the lock this function took: released at the call, so a release
                    # of it now is a second one, never the caller's lock
                    held.add(replace(p.held, count=0, line=p.dropped_at, stale=False, maybe_dropped=False))
        if not truth and n.cond_key and any(h.key == n.cond_key and h.count and not h.stale for h in held):
            return None  # "if (ptl)" with spin_lock(ptl) held: a held lock's pointer is not NULL
        if not truth and n.cond_key and n.ast.type == "identifier":
            # ``if (lock_mode) xfs_iunlock(ip, lock_mode)``: the flags variable that named the sub-locks
            # taken is zero here, and zero flags name no lock: nothing was taken under that name
            zero = "@" + n.cond_key
            for h in [h for h in held if h.count and h.key.endswith(zero) and h.line is not None]:
                held.discard(h)
        if tried is not None:
            call, fam, summary, when, negate = tried
            success = truth if when in ("nonzero", "nonnull") else not truth
            if negate:
                success = not truth
            if fam is not None:  # one hold per sub-lock its flags name, as an acquire outside a test
                holds = self._holds_for(call, fam, n)
            else:
                one = self._summary_hold(call, summary)
                holds = [one] if one is not None else []
            for hold in holds:
                if summary is not None and summary.kind == "release":
                    if success:  # "returns nonzero having dropped the lock": it did
                        for h in [h for h in held if h.key == hold.key and h.count]:
                            held.discard(h)
                elif success:
                    self._acquire(n, hold, held)
                elif fam is not None:
                    self._untaken(hold, held)
        return Facts(frozenset(held), frozenset(pending), facts.unseen, facts.result)

    def _tried(self, n: CfgNode) -> tuple[Call, Any, Summary | None, str, bool] | None:
        """The trylock a test decides (``if (!spin_trylock(&l))``, ``if (mutex_lock_interruptible(m) < 0)``):
        (call, family, summary, when, negated), or None.  A property of the node: computed once."""
        memo = self.__dict__.setdefault("_tried_memo", {})
        if n.id in memo:
            return memo[n.id]
        got = None
        atom: Node | None = n.ast
        negate = False
        if atom is not None and atom.type == "binary_expression" and self._op(atom) == "<":
            right = atom.child_by_field_name("right")
            if right is not None and self.fv.parsed.text(right).strip() == "0":
                atom, negate = atom.child_by_field_name("left"), True
        if atom is not None and atom.type == "call_expression":
            call = next((c for c in n.calls if c.node == atom), None)
            fam = self.model.acquires.get(call.name) if call is not None else None
            summary = self.summaries.get(call.name) if call is not None and fam is None else None
            when = fam.try_ if fam is not None else (summary.try_ if summary is not None else None)
            if call is not None and when and when not in ("nonnull-checked", "maybe"):
                got = (call, fam, summary, when, negate)
        memo[n.id] = got
        return got

    def _dropped_if(self, p: Pending, dropped: bool, held: set[Held]) -> None:
        """The test of what a conditional release returned (``p``): dropped at its call, or still held.
        Only the unknown hold the call left is decided: anything since that changed it keeps it unknown."""
        unsure = _unsure(p.held)
        if unsure not in held:
            return
        held.discard(unsure)
        if not dropped:
            held.add(p.held)
        elif p.held.count > 1:
            held.add(replace(p.held, count=p.held.count - 1))
        else:
            held.add(replace(p.held, count=0, line=p.dropped_at))

    def _untaken(self, hold: Held, held: set[Held]) -> None:
        """A trylock of this function failed on this path: the lock is not held here, whoever holds it,
        so a release of it before it is taken again is this function's bug, never the caller's lock
        (``if (!down_read_trylock(&s)) goto done; ... done: up_read(&s);``)."""
        if hold.call not in self.model.acquires or self._nests(hold.group):
            return  # a wrapper's "failure" (a summary read off its exits) says less than a trylock's
        if any(h.key == hold.key and h.count for h in held):
            return
        held.add(replace(hold, count=0, stale=False, maybe_dropped=False, entry=UNTAKEN))

    def _summary_hold(self, call: Call, s: Summary | None) -> Held | None:
        if s is None:
            return None
        mapping = {p: a for p, a in zip(s.params, call.args, strict=False) if p}
        key = _subst(s.key, mapping)
        return Held(
            key,
            s.group,
            s.variant,
            call.line,
            call.name,
            None,
            self._is_new(key, call.line),
            src=self._src(call, None),
            handoff=s.handoff,
        )

    def exit(self, via: CfgNode, state: State) -> None:
        facts = state.facts
        if isinstance(facts, Facts) and any(h.entry == GUARDED for h in facts.held):
            # leaving the function ends every guard's scope: released, whatever the exit
            facts = replace(facts, held=frozenset(h for h in facts.held if h.entry != GUARDED))
            state = replace(state, facts=facts)
        rests = self._element_releases()
        if rests and isinstance(facts, Facts):
            # a per-element lock (rooted at a loop cursor) that a loop over the same elements releases: the
            # loop may run any number of times, so which elements are still locked cannot be proved
            held = frozenset(
                replace(h, stale=True, maybe_dropped=False)
                if h.count and not h.stale and self._other_loop(h.key)
                else h
                for h in facts.held
            )
            if held != facts.held:
                state = replace(state, facts=replace(facts, held=held))
        self.exits.append(ExitRecord(via, state))

    def _elements(self) -> Elements:
        """The function's lock-all/unlock-all loops (a reading of the syntax and the model): kept on the
        graph, which every analysis of the function shares."""
        got = self.__dict__.get("_indexed_elements")
        if got is None:
            readings = self._graph().readings
            hit = readings.get(("lock-elements", id(self.model)))
            if hit is None or hit[0] is not self.model:
                hit = readings[("lock-elements", id(self.model))] = (self.model, Elements(self.fv, self.model))
            got = self.__dict__["_indexed_elements"] = hit[1]
        return got

    def _stored_here(self, n: CfgNode, held: frozenset[Held], call: Call | None = None) -> frozenset[str]:
        """Objects of held locks ``n`` leaves in the caller's memory, in a void function: by its own
        store, or by ``call`` (the tested call of a cond node, on its success edge)
        (:mod:`reviewkit.locks.stores`)."""
        params = self._caller_params
        if params is None:
            params = self._caller_params = caller_params(self.fv, self._graph())
        if not params or n.ast is None or not ("=" in n.text or n.calls):
            return frozenset()
        owners = {o for h in held if h.count and not h.stale for o in _objects_of(h.key)}
        if not owners:
            return frozenset()
        whole = self.fv._whole
        if call is None:
            # its own stores, and those of void callees that store on every path
            objs = stored_at(self.fv, n, params, owners)
            if whole is not None and n.kind != K_COND:
                for c in n.calls:
                    objs |= stored_by_call(c, params, whole[0], owners, tested=False)
            return objs
        return stored_by_call(call, params, whole[0] if whole else None, owners)

    def _mark_stored(self, held: frozenset[Held], objs: frozenset[str]) -> frozenset[Held]:
        owned = tuple(o + sep for o in objs for sep in ("->", "."))
        return frozenset(
            replace(h, stored=True) if h.count and not h.stale and h.key.startswith(owned) else h for h in held
        )

    def _element_rest(self, key: str) -> str | None:
        root = _ROOT.match(key)
        if root is None or root.group() not in self._cursors() or key[root.end() :][:1] not in ("-", "."):
            return None
        return key[root.end() :]

    def _other_loop(self, key: str) -> bool:
        """Is the per-element lock ``key`` released by another loop over the elements (another cursor, or
        a cursor more than one loop walks)?  Released in its own loop's body, an exit in between that
        body holds the current element's lock for certain (``return`` after ``spin_lock(&un->lock)``)."""
        rest = self._element_rest(key)
        root = _ROOT.match(key)
        if rest is None or root is None:
            return False
        cursor = self._base_cursor(root.group())
        return any(
            r == rest and (self._base_cursor(c) != cursor or self._cursor_loops(cursor) > 1)
            for r, c in self._element_releases()
        )

    def _base_cursor(self, name: str) -> str:
        """The iterator cursor an element name stands for (itself, or the cursor its value is made from)."""
        return self._derived_cursors().get(name, name)

    def _cursor_loops(self, cursor: str) -> int:
        return sum(
            1
            for n in self._graph().nodes
            if n.kind == K_COND
            and n.loop
            and not n.opener
            and n.loop not in ("while", "for", "do-while")
            and cursor in n.writes
        )

    def _element_releases(self) -> frozenset[tuple[str, str]]:
        """(rest, cursor) of every release of a per-element lock: ``("->self_group.lock", "s1")``."""
        got = self.__dict__.get("_element_rests")
        if got is None:
            out = set()
            for n in self._graph().nodes:
                for c in n.calls:
                    fams = self.model.releases.get(c.name)
                    rk = fams[0].release_key if fams else None
                    if isinstance(rk, int) and rk < len(c.args):
                        key = lock_key(c.args[rk])
                        rest = self._element_rest(key)
                        root = _ROOT.match(key)
                        if rest and root is not None:
                            out.add((rest, root.group()))
            got = self.__dict__["_element_rests"] = frozenset(out)
        return got

    # -- events ------------------------------------------------------------

    def _op(self, expr: Node) -> str:
        op = expr.child_by_field_name("operator")
        return self.fv.parsed.text(op) if op is not None else ""

    def _restale(self, h: Held, n: CfgNode) -> Held:
        if h.stale or not n.rebinds:
            return h
        memo = (n.id, h.key, h.line is None, h.entry == INFERRED)  # (all the answer depends on)
        renamed = self._restale_memo.get(memo)
        if renamed is None:
            renamed = self._restale_memo[memo] = self._renamed(h, n)
        return replace(h, stale=True, maybe_dropped=False) if renamed else h

    def _renamed(self, h: Held, n: CfgNode) -> bool:
        """Does ``n`` make the name of ``h`` name something else?"""
        if h.line is None and n.ast is not None and n.ast.type == "declaration":
            return False  # held on entry, named through a local the function declares: the name starts here
        if h.line is None and h.entry == INFERRED and self._bound_once(h.key, n):
            return False  # the same, when the local gets its one value after its declaration (``s = sget(...);``)
        rebinds = self._rebinds(n)
        root = _ROOT.match(h.key)
        if (
            root is not None
            and root.group() in rebinds
            and h.key[root.end() :][:1] in ("", ".")
            and root.group() in self._addressed_only(n)
        ):
            # ``xas_create_range(&xas)`` with ``xas`` locked: the lock is in the variable's own storage,
            # which a callee given its address may fill but never moves; only an assignment renames it
            rebinds = rebinds - {root.group()}
        return bool(rebinds) and _rebound(h.key, rebinds)

    def _bound_once(self, key: str, n: CfgNode) -> bool:
        """Is ``n`` the one assignment of the callee-bound local ``key`` is rooted at (:attr:`callee_bound`)?"""
        root = _ROOT.match(key)
        return root is not None and root.group() in self.callee_bound and root.group() in n.rebinds

    def _addressed_only(self, n: CfgNode) -> frozenset[str]:
        """Names ``n`` rebinds only by passing their address (``f(&xas)``), never by assigning them."""
        text = n.text
        out = set()
        for w in n.rebinds:
            if not _IDENT.fullmatch(w) or not re.search(rf"&\s*{re.escape(w)}\b(?!\s*(?:->|\.|\[))", text):
                continue
            name = re.escape(w)
            if re.search(
                rf"(?<![\w>.]){name}\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|(?<![\w>.]){name}\s*(?:\+\+|--)"
                rf"|(?:\+\+|--)\s*{name}\b",
                text,
            ):
                continue
            out.add(w)
        return frozenset(out)

    def _copy(self, n: CfgNode) -> tuple[str, str] | None:
        """:func:`copy_of` of ``n``, once per node."""
        memo = self.__dict__.setdefault("_copy_memo", {})
        if n.id not in memo:
            memo[n.id] = copy_of(n, self.fv.parsed)
        return memo[n.id]

    def _rebinds(self, n: CfgNode) -> frozenset[str]:
        """``n.rebinds`` less the ``&lock`` arguments of lock calls: ``spin_unlock(&foo_lock)`` takes the
        address of a global to release it, it does not make ``foo_lock`` name another lock."""
        got = self._rebind_memo.get(n.id)
        if got is None:
            api = {
                lock_key(a)
                for c in n.calls
                if c.name in self.model.acquires or c.name in self.model.releases or c.name in self.summaries
                for a in c.args
            }
            got = self._rebind_memo[n.id] = frozenset(r for r in n.rebinds if r not in api)
        return got

    def _src(self, call: Call, handle: str | None) -> str:
        """:func:`call_source`, once per call site (it runs for every state reaching the call)."""
        memo = (call.node.start_byte, handle)
        text = self._srcs.get(memo)
        if text is None:
            text = self._srcs[memo] = call_source(call, self.fv, handle)
        return text

    def _is_new(self, key: str, line: int | None) -> bool:
        if not self.fragment or self.new_keys is None:
            return True
        return key in self.new_keys and line is not None and line in self.fv.changed_lines

    def _holds_for(self, call: Call, fam: Family, n: CfgNode) -> list[Held]:
        """The holds an acquire makes: one, or one per sub-lock its flags name (:func:`part_keys`)."""
        hold = self._held_for(call, fam, n)
        if hold is None or fam.parts is None:
            return [] if hold is None else [hold]
        if fam.parts == "ret":
            flags = _assigned_to(call, self.fv)
        else:
            flags = call.args[fam.parts] if isinstance(fam.parts, int) and fam.parts < len(call.args) else None
        keys = part_keys(hold.key, flags, fam.part_names) if flags else None
        return [replace(hold, key=k, new=self._is_new(k, call.line)) for k in keys or ()]

    def _held_for(self, call: Call, fam: Family, n: CfgNode) -> Held | None:
        if fam.key == "ret":
            key = _assigned_to(call, self.fv)
        elif isinstance(fam.key, int):
            key = member_key(call.args[fam.key], fam.member) if fam.key < len(call.args) else None
        else:
            key = str(fam.key)
        if not key:
            return None
        flags = None
        if fam.flags is not None and fam.flags < len(call.args):
            flags = lock_key(call.args[fam.flags])
        return Held(
            key,
            fam.group,
            fam.variant,
            call.line or n.line,
            call.name,
            flags,
            self._is_new(key, call.line),
            src=self._src(call, key if fam.key == "ret" else None),
            handoff=fam.handoff,
        )

    def _call(self, n: CfgNode, call: Call, held: set[Held], pending: set[Pending], unseen: bool) -> bool:
        """Apply one call; True when the call may change locks we cannot see (``&locked``, unlock callbacks)."""
        fam = self.model.acquires.get(call.name)
        if fam is not None and fam.scoped:
            self._guard(call, held)
            return False
        if fam is not None and not fam.scoped:
            if _in_ternary(call):
                return False  # cond ? pte_offset_kernel() : pte_offset_map_lock(): we cannot tell which ran
            for hold in self._holds_for(call, fam, n):
                if fam.try_:
                    self._try(n, call, hold, fam.try_, pending, held)
                else:
                    self._acquire(n, hold, held)
            return False
        if call.name in self.model.irq_disables:
            # interrupts off again: the restore of a saved state that follows is a restore, not a release
            for h in [h for h in held if h.key == "irq" and not h.count and not h.stale]:
                held.discard(h)
                held.add(replace(h, stale=True, maybe_dropped=False))
            return False
        if call.name in self.model.markers:
            # ``__acquire(&nfp->bar_lock)`` after a wait whose callee hands the lock back held: whether it is
            # held now the code does not say (a marker may as well "fake out sparse"), so nothing of it is
            # provable from here, neither a second release nor a leak
            keys = {lock_key(a) for a in call.args}
            for h in [h for h in held if not h.stale and any(self._same_key(h.key, k) for k in keys)]:
                held.discard(h)
                held.add(replace(h, stale=True, maybe_dropped=False))
            return False
        fams = self.model.releases.get(call.name)
        if fams:
            args = {lock_key(a) for a in call.args}
            for p in [p for p in pending if p.when != "nonnull-checked" and p.held.key in args]:
                pending.discard(p)  # released before "locked" was tested: the function knew it still held it
                held.add(p.held)
            self._release(n, call, fams, held, unseen)
            return False
        member = self.model.may_drop.get(call.name)
        if member is not None:
            # fault = handle_mm_fault(vma, ...): the mmap lock may be gone when VM_FAULT_RETRY came back
            for h in [h for h in held if h.count and h.key.endswith(("->" + member, "." + member))]:
                held.discard(h)
                held.add(replace(h, stale=True, maybe_dropped=not h.stale or h.maybe_dropped))
            return False
        summary = self.summaries.get(call.name)
        if summary is not None:
            return self._summary_call(n, call, summary, held, pending, unseen)
        if _RELEASING_NAME.search(call.name):
            # migration_entry_wait_on_locked(entry, ptep, ptl): drops the lock it is given; and
            # mddev_unlock(mddev), defined in another .c file, drops the lock inside the object it is
            # given (``mddev->reconfig_mutex``, taken by the header's mddev_lock()): kernel code names
            # the release of a structure's lock ``<structure>_unlock()``
            args = {lock_key(a) for a in call.args}
            # not ``..._unlocked()``, which runs under the caller's lock, and only what the matching
            # ``<structure>_lock*()`` took (``ocfs2_downconvert_on_unlock()`` is a hook, not a release), or
            # a lock of the object it is given together with the interrupt state its irqsave saved:
            # ``vgic_queue_irq_unlock(kvm, irq, flags)`` restores ``flags``, so it releases ``irq->irq_lock``
            pair = call.name[: -len("unlock")] if call.name.endswith("unlock") else None
            for h in [
                h
                for h in held
                if h.count
                and (
                    h.key in args
                    or self._helper_object(h) in args
                    or (
                        pair
                        and _given(part_object(h.key), args)
                        and (h.call.startswith((pair + "lock", pair + "trylock")) or (h.flags and h.flags in args))
                    )
                )
            ]:
                held.discard(h)
        elif (
            "lock" in call.name
            and _TAKING_NAME.search(call.name)
            and call.name not in self.model.queries
            and any(not h.count and not h.stale for h in held)
        ):
            # ``xchk_ilock_inverted(dp, XFS_IOLOCK_SHARED)`` after a failed trylock or a release: a helper
            # that by its name takes a lock of the object it is given may have taken this one again, so
            # a later release of it proves no double release (and no failed trylock)
            args = {lock_key(a) for a in call.args}
            for h in [h for h in held if not h.count and not h.stale and _given(part_object(h.key), args)]:
                held.discard(h)
                held.add(replace(h, stale=True, maybe_dropped=False))
        flag = next((m.group(1) for a in call.args if (m := _LOCKED_FLAG.match(a))), None)
        if flag is not None and self._touches_no_lock(call.name):
            return False  # ttm_bo_evict_swapout_allowable(..., &locked, ...): its own trylock's flag, not ours
        if flag is not None and not any(_HANDS_OFF.search(a) for a in call.args if not _LOCKED_FLAG.match(a)):
            # __get_user_pages_locked(..., &locked): the callee may drop the caller's lock and says so
            # by clearing "locked"; what is held afterwards is what "if (locked)" finds
            for h in [h for h in held if h.count and not h.stale and not self._nests(h.group)]:
                held.discard(h)
                pending.add(Pending(flag, h, "nonzero", call.line or n.line))
            return False
        if call.name in self.model.queries:
            return False  # lockdep_is_held(&foo_lock): asks about the lock, hands nothing over
        return any(_HANDS_OFF.search(a) for a in call.args)

    def _touches_no_lock(self, name: str) -> bool:
        """Is ``name`` defined in this file (scan and tree mode) with a body that calls no lock API of the
        model and no wrapper?  Such a callee cannot drop the caller's lock, whatever flag it is handed."""
        whole = self.fv._whole
        if whole is None:
            return False
        bodies = self._bodies
        if bodies is None:
            parsed = whole[0]
            bodies = self._bodies = {f.name: parsed.text(f.node) for f in parsed.functions()}
        text = bodies.get(name)
        if text is None:
            return False
        # (``dma_resv_unlock()`` of its own trylock is no model API: the caller's spinlock is not it)
        return not (self.model.mentioned(text) or self.model.calls_any(text, self.summaries))

    def _helper_object(self, h: Held) -> str | None:
        """The object a member family's helper was given: ``inode`` for ``inode_lock(inode)``'s hold of
        ``inode->i_rwsem``, so ``unlock_two_nondirectories(inode, other)`` is still a release of it."""
        fam = self.model.acquires.get(h.call)
        if fam is None or not fam.member:
            return None
        for sep in ("->", "."):
            if h.key.endswith(sep + fam.member):
                return h.key[: -len(sep + fam.member)]
        return None

    def _guard(self, call: Call, held: set[Held]) -> None:
        """``guard(mutex)(&m)``: ``m`` is held until the enclosing block ends (see :meth:`exit`, :meth:`_drop`)."""
        group = self.model.guard_classes.get(lock_key(call.args[0])) if call.args else None
        outer = call.node.parent
        if group is None or outer is None or outer.type != "call_expression":
            return  # scoped_guard(...) { } and unknown classes: not followed
        if outer.child_by_field_name("function") != call.node:
            return
        group, _sep, fixed = group.partition(":")
        args = outer.child_by_field_name("arguments")
        if fixed:
            key = fixed
        elif args is not None and args.named_children:
            key = lock_key(self.fv.parsed.text(args.named_children[0]))
        else:
            return
        block = outer.parent
        while block is not None and block.type != "compound_statement":
            block = block.parent
        if block is None:
            return
        src = " ".join(self.fv.parsed.text(outer).split())
        held.add(
            Held(
                key,
                group,
                "plain",
                call.line,
                "guard",
                entry=GUARDED,
                scope=(block.start_byte, block.end_byte),
                src=src,
            )
        )

    def _try(self, n: CfgNode, call: Call, hold: Held, when: str, pending: set[Pending], held: set[Held]) -> bool:
        if when == "nonnull-checked":
            # taken now; a later "if (!pte)" on the returned pointer says it was not
            self._acquire(n, hold, held)
            var = _assigned_to(call, self.fv)
            if var:
                pending.add(Pending(var, hold, when))
            return False
        if n.kind == K_COND and any(c.node == call.node for c in n.calls) and _is_atom_call(n, call):
            return False  # decided by branch()
        var = _assigned_to(call, self.fv)
        if var:
            pending.add(Pending(var, hold, when))
            return False
        var = _assigned_negated(call, self.fv)
        if var and when in ("nonzero", "zero"):
            pending.add(Pending(var, hold, "zero" if when == "nonzero" else "nonzero"))
            return False
        # WARN_ON(trylock(x)), return trylock(x): maybe held; only this lock becomes unknown
        held.add(replace(hold, stale=True, maybe_dropped=False))
        return False

    def _acquire(self, n: CfgNode, hold: Held, held: set[Held]) -> None:
        self._acquired(hold.key)
        at = next((c.node.start_byte for c in n.calls if c.line == hold.line), None)
        for h in [h for h in held if h.entry == GUARDED and h.key == hold.key and h.scope is not None]:
            if at is None or h.scope is None or not h.scope[0] <= at < h.scope[1]:
                held.discard(h)  # the guard's block has ended
        for h in [h for h in held if self._same_key(h.key, hold.key) and h.count == 0]:
            held.discard(h)
        same = next(
            (
                h
                for h in _ordered(held)
                if self._same_key(h.key, hold.key) and _same_group(h.group, hold.group) and not h.stale and h.count
            ),
            None,
        )
        if same is None:
            held.add(hold)
            return
        if same.entry == INFERRED and same.line is None and not self._nests(hold.group):
            # on top of a caller's lock only inferred from a release elsewhere: the function's own acquire is
            # its own fact (a release matches it first), so a path that keeps it is this function's leak,
            # not "the caller's lock" (taken under one test, released under another)
            held.add(hold)
            return
        if self._nests(hold.group) or (same.group == "any" and same.entry != ASSERTED):
            held.discard(same)
            held.add(replace(same, count=min(same.count + 1, NEST_CAP)))
            return
        line = hold.line or 0
        self._event(
            ("double", hold.key, line), Event("double-acquire", line, hold.key, hold.call, same.line, src=hold.src)
        )

    def _release(self, n: CfgNode, call: Call, fams: list[Family], held: set[Held], unseen: bool) -> None:
        fam = fams[0]
        rk = fam.release_key
        if isinstance(rk, int):
            if rk >= len(call.args):
                return
            key = member_key(call.args[rk], fam.member)
        else:
            key = str(rk)
        groups = {f.group for f in fams}
        flags = None
        if fam.release_flags is not None and fam.release_flags < len(call.args):
            flags = lock_key(call.args[fam.release_flags])
            if key == "irq" and _LEVEL.match(_CAST.sub("", flags)):
                # ``local_irq_restore(PIL_NMI)`` (sparc64) sets an interrupt level: no saved state restored
                return
        for part in self._release_parts(call, fam, key, held):
            self._drop(n, call, part, groups, {f.variant for f in fams}, flags, held, unseen)

    def _release_parts(self, call: Call, fam: Family, key: str, held: set[Held]) -> list[str]:
        """The keys a release drops: its own, or one per sub-lock its flags name.  A part that no hold
        has, while the object holds others (``ip@lock_mode`` released as ``XFS_ILOCK_SHARED``, a
        demoted lock), may be one of them under another name: those become unknown, never reported."""
        rp = fam.release_parts
        if rp is None:
            return [key]
        parts = part_keys(key, call.args[rp], fam.part_names) if rp < len(call.args) else None
        others = [h for h in held if h.count and "@" in h.key and part_object(h.key) == key]
        if parts is None:
            parts = []
        named = {h.key for h in held}
        out = [part for part in parts if part in named or not others]
        if len(out) < len(parts) or not parts:
            for h in others:
                if h.key not in out:
                    held.discard(h)
                    held.add(replace(h, stale=True))
        return out

    def _drop(
        self,
        n: CfgNode,
        call: Call,
        key: str,
        groups: set[str],
        variants: set[str],
        flags: str | None,
        held: set[Held],
        unseen: bool,
    ) -> None:
        line = call.line or n.line or 0
        if groups & _RWSEM:
            groups = groups | _RWSEM  # mmap_write_downgrade() in a callee: a read unlock ends a write hold
        candidates = [
            h
            for h in _ordered(held)
            if (h.key == key or (h.also and named_by(h, key)))
            and (h.group in groups or h.group == "any" or "any" in groups)
        ]
        if not candidates and self._aliases():
            canon = self._canon(key)
            candidates = [
                h
                for h in _ordered(held)
                if h.key != key
                and self._canon(h.key) == canon
                and (h.group in groups or h.group == "any" or "any" in groups)
            ]
        if not candidates:
            candidates = self._alias(key, groups, held)
        match = next((h for h in candidates if h.count), None)
        if match is None and not any(not h.stale for h in candidates):
            maybe = self._may_alias(key, groups, held)
            if maybe:
                # ``pwq = worker->current_pwq`` after taking ``last_pool->lock``: the release of
                # ``pwq->pool->lock`` may be of that very lock; neither hold nor release is provable
                for h in maybe:
                    held.discard(h)
                    held.add(replace(h, stale=True, maybe_dropped=False))
                return
        if match is None:
            done = next((h for h in candidates if not h.stale), None)
            if done is not None:
                # released on this very path, nothing since could have retaken it (a callee that may makes
                # the record stale): provable even after unseen code earlier on the path
                self._event(
                    ("double-release", key, line),
                    Event(
                        "double-release",
                        line,
                        key,
                        call.name,
                        done.line,
                        f"{UNTAKEN}{done.call}" if done.entry == UNTAKEN else "",
                        src=self._src(call, None),
                    ),
                )
            elif not unseen and not candidates:
                self._event(
                    ("orphan", key, line), Event("orphan-release", line, key, call.name, src=self._src(call, None))
                )
            return
        if match.entry == GUARDED:
            held.discard(match)
            if match.scope is not None and match.scope[0] <= call.node.start_byte < match.scope[1]:
                self._event(
                    ("double-release", key, line),
                    Event("double-release", line, key, call.name, match.line, GUARDED, src=self._src(call, None)),
                )
                return
            return self._drop(n, call, key, groups, variants, flags, held, unseen)  # its block has ended
        held.discard(match)
        if match.count > 1:
            held.add(replace(match, count=match.count - 1))
        elif not match.stale:
            # released here: a second release is a bug, for a counter (rcu_read_unlock() once too often) and
            # for the caller's lock held on entry as much as for a lock this function took (see node() for
            # loops)
            held.add(replace(match, count=0, line=line))
        elif match.maybe_dropped and match.line is not None and not self._nests(match.group):
            # this function took it and a callee may have dropped it (held or free, never twice): free now
            # for certain, so a second release is this function's double release, never the caller's lock
            held.add(replace(match, count=0, line=line, stale=False, maybe_dropped=False))
        if match.group == "any" or "any" in groups or match.line is None or match.group == "irq":
            return  # an annotation says which lock, not how; a caller's lock: its flags are the caller's
        self._irq_state(call, line, key, match, variants, flags, held)

    def _alias(self, key: str, groups: set[str], held: set[Held]) -> list[Held]:
        """The one hold the release names through another path: ``unlock_hrtimer_base(timer)`` releases
        ``timer->base->cpu_base->lock`` taken as ``base->cpu_base->lock`` after ``base = lock_hrtimer_base()``
        (one path is the other with a pointer in front).  The shorter must still be a member path, and
        exactly one hold may match: otherwise the release stays unmatched."""
        found = []
        elements = []
        root = _ROOT.match(key)
        cursors = self._cursors()
        for h in held:
            if not h.count or h.stale or not (h.group in groups or h.group == "any" or "any" in groups):
                continue
            short, long_ = sorted((h.key, key), key=len)
            if "->" in short and short != long_ and long_.endswith("->" + short):
                found.append(h)
            hroot = _ROOT.match(h.key)
            if (
                root is not None
                and hroot is not None
                and root.group() in cursors
                and hroot.group() in cursors
                and key[root.end() :][:1] in ("-", ".")
                and key[root.end() :] == h.key[hroot.end() :]
            ):
                elements.append(h)
        if len(found) == 1:
            return found
        # per-element locks: taken in a loop over ``s``, released in a loop over ``s1`` (the same elements)
        return elements

    def _may_alias(self, key: str, groups: set[str], held: set[Held]) -> list[Held]:
        """Holds the release may name through a pointer the function reassigns: the same member
        (``->lock``) of the same lock group, the release's base a variable assigned in the body, or an
        accessor's result reached back from the held lock's own object (:meth:`_back_roots`)."""
        member = _LAST_MEMBER.search(key)
        root = _ROOT.match(key)
        if member is None:
            return []
        back: set[str] | None = None
        if root is None or root.group() not in self._reassigned():
            if not _CALL_BASE.match(key):
                return []
            back = self._back_roots(key[: member.start()])
        return [
            h
            for h in held
            if h.count
            and not h.stale
            and h.key != key
            and h.group in groups
            and (m := _LAST_MEMBER.search(h.key)) is not None
            and m.group() == member.group()
            and (back is None or ((r := _ROOT.match(h.key)) is not None and r.group() in back))
        ]

    def _back_roots(self, base: str) -> set[str]:
        """The objects an accessor call may hand back: the roots of the paths its arguments were read from.

        ``mac = rx->mac`` then ``spin_unlock(&rx_ring(mac)->lock)`` after ``spin_lock(&rx->lock)``: the ring's
        owner's ring may be the very ring, so the hold is not proved leaked.  ``to_hw(dev)`` with ``dev`` a
        parameter read from nothing says nothing about ``hw = to_hw(hw_default)``: that hold stays.
        """
        head = _CALL_BASE.match(base)
        roots: set[str] = set()
        for var in _VARS.findall(base[head.end() :] if head is not None else ""):
            alias = self._aliases().get(var)
            r = _ROOT.match(alias) if alias else None
            if r is not None and r.group() != var:
                roots.add(r.group())
        return roots

    def _aliases(self) -> dict[str, str]:
        """:func:`call_aliases` of the function, once."""
        got = self.__dict__.get("_call_aliases")
        if got is None:
            got = self.__dict__["_call_aliases"] = call_aliases(self.fv, self._graph())
        return got

    def _same_key(self, a: str, b: str) -> bool:
        """One lock for an acquire: the same text, or the same through an alias whose own variables the
        function never assigns (``ctx = iocb->ki_ctx`` then ``iocb = NULL`` may name another object later:
        good enough to match a release, never to call a second acquire a double one)."""
        return a == b or (bool(self._aliases()) and self._canon(a, True) == self._canon(b, True))

    def _canon(self, key: str, fixed: bool = False) -> str:
        """``mdev->cap_mask_mutex`` -> ``to_mdev(ibdev)->cap_mask_mutex`` (see :func:`call_aliases`); again
        while the result starts with another alias (``obj->perm.lock`` with ``obj = container_of(ipp, ...)``
        is ``ipp->lock``, and ``ipp = gz_find(id)`` makes both ``gz_find(id)->lock``)."""
        aliases = self._aliases()
        if fixed:
            aliases = {k: v for k, v in aliases.items() if not set(_VARS.findall(v)) & self._reassigned()}
        return expanded(key, aliases) if aliases else key

    def _reassigned(self) -> frozenset[str]:
        """Variables some statement other than their declaration assigns."""
        got = self.__dict__.get("_reassigned_names")
        if got is None:
            nodes = self._graph().nodes
            got = frozenset(
                w for n in nodes if n.ast is not None and n.ast.type != "declaration" for w in self._rebinds(n)
            )
            self.__dict__["_reassigned_names"] = got
        return got

    def _cursors(self) -> frozenset[str]:
        """The cursors of the function's iterator loops (``snd_pcm_group_for_each_entry(s, ...)``)."""
        got = self.__dict__.get("_cursor_names")
        if got is None:
            got = frozenset(
                w
                for n in self._graph().nodes
                if n.kind == K_COND and n.loop and n.loop not in ("while", "for", "do-while")
                for w in n.writes
            )  # iterator macros only: ``while ((src = next_src(c)))`` and ``dst`` are two objects, not elements
            got = self.__dict__["_cursor_names"] = got | frozenset(self._derived_from(got))
        return got

    def _derived_cursors(self) -> dict[str, str]:
        """:meth:`_derived_from` of the iterator cursors (computed with :meth:`_cursors`)."""
        self._cursors()
        got: dict[str, str] = self.__dict__["_derived_cursor_names"]
        return got

    def _derived_from(self, cursors: frozenset[str]) -> dict[str, str]:
        """Locals whose every value is made from one iterator cursor and nothing else the function owns:
        ``struct intel_dp *intel_dp = enc_to_intel_dp(encoder);`` in each loop over ``encoder`` names the
        element the cursor names (its lock is a per-element lock), mapped to that cursor."""
        if not cursors:
            self.__dict__["_derived_cursor_names"] = {}
            return {}
        values: dict[str, list[set[str]]] = {}
        fv = self.fv
        for n in self._graph().nodes:
            ast = n.ast
            if ast is None:
                continue
            pairs: list[tuple[Any, Any]] = []
            if ast.type == "declaration":
                for d in ast.children_by_field_name("declarator"):
                    if d.type == "init_declarator":
                        pairs.append((d.child_by_field_name("declarator"), d.child_by_field_name("value")))
            elif ast.type == "expression_statement" and ast.named_children:
                e = ast.named_children[0]
                if e.type == "assignment_expression":
                    pairs.append((e.child_by_field_name("left"), e.child_by_field_name("right")))
            for left, right in pairs:
                while left is not None and left.type == "pointer_declarator":
                    left = left.child_by_field_name("declarator")
                if left is None or right is None or left.type != "identifier":
                    continue
                ids = set(_IDENT.findall(_CALLEE.sub("", fv.parsed.text(right))))
                values.setdefault(fv.parsed.text(left), []).append(ids)
        local = local_names(fv, self._graph())
        out: dict[str, str] = {}
        for name, sets in values.items():
            if name in cursors or name not in local:
                continue
            bases = {c for ids in sets for c in ids & cursors}
            if len(bases) == 1 and all(ids & cursors and not (ids - cursors) & local for ids in sets):
                out[name] = next(iter(bases))
        self.__dict__["_derived_cursor_names"] = out
        return out

    def _irq_state(
        self, call: Call, line: int, key: str, match: Held, variants: set[str], flags: str | None, held: set[Held]
    ) -> None:
        """The interrupt state is its own fact (key ``irq``), apart from who holds which lock.

        ``spin_lock_irqsave(&a, f); spin_unlock(&a); spin_lock(&b); spin_unlock_irqrestore(&b, f)`` is
        right (``__mod_timer()`` moving between bases): the plain unlock leaves the saved state open as an
        ``irq`` hold, which the restore of the same flags closes, whichever lock it names.  So does
        ``local_irq_save(f); spin_lock(&a); ... spin_unlock_irqrestore(&a, f)``.  Reported: restoring a
        different flags variable than the one saved, ``spin_unlock_irq()`` ending an irqsave section, and
        (as a leak of ``irq``) a saved state never restored.
        """
        saved = match.variant == "irqsave"
        restores = "irqsave" in variants
        if saved and restores:
            if match.flags and flags and match.flags != flags:
                self._flags_event(call, line, key, match, flags)
            return
        if saved and "irq" in variants:
            self._event(("variant", key, line), Event("wrong-variant", line, key, call.name, match.line, match.call))
            return
        if saved:  # a plain unlock: interrupts stay as they are until the flags are restored
            if not any(h.key == "irq" and h.count and h.flags == match.flags for h in held):
                held.add(replace(match, key="irq", group="irq", count=1, entry=f"{UNLOCKED}{line}", stale=False))
            return
        if not restores:
            return
        irq = next((h for h in _ordered(held) if h.key == "irq" and h.group == "irq" and h.count), None)
        if irq is None:
            return  # saved by a caller (a parameter's flags) or in code we do not follow
        held.discard(irq)
        if irq.count > 1:
            held.add(replace(irq, count=irq.count - 1))
        if irq.flags and flags and irq.flags != flags:
            self._flags_event(call, line, key, irq, flags)

    def _flags_event(self, call: Call, line: int, key: str, saved: Held, flags: str) -> None:
        self._event(
            ("flags", key, line),
            Event("flags-mismatch", line, key, call.name, saved.line, f"{saved.flags}|{flags}"),
        )

    def _summary_call(
        self, n: CfgNode, call: Call, s: Summary, held: set[Held], pending: set[Pending], unseen: bool
    ) -> bool:
        """Apply every effect of the callee's summary (several annotations: all of them, any order)."""
        changed = False
        for effect in s.effects():
            changed = self._summary_effect(n, call, effect, held, pending, unseen) or changed
        return changed

    def _summary_effect(
        self, n: CfgNode, call: Call, s: Summary, held: set[Held], pending: set[Pending], unseen: bool
    ) -> bool:
        mapping = {p: a for p, a in zip(s.params, call.args, strict=False) if p}
        if s.ret_var:
            target = _assigned_to(call, self.fv)
            if not target:
                return s.kind == "acquire"
            mapping[s.ret_var] = target
        key = _subst(s.key, mapping)
        flags = _subst(s.flags, mapping) if s.flags else None
        if s.kind == "retake":
            return False
        if _NULL_ROOT.match(key):
            # ``switch_tl_lock(NULL, rq)``: the wrapper tests the pointer it was given; no lock lives at NULL
            return False
        if "*" in key:
            # a slot of a global table the callee indexes with its own locals: whichever slot the caller
            # holds may be the one it drops (hugetlb_no_page() and the fault mutex): unknown from here
            pattern = re.compile(".+".join(map(re.escape, key.split("*"))) + "$")
            for h in [h for h in held if h.count and not h.stale and pattern.match(h.key)]:
                held.discard(h)
                held.add(replace(h, stale=True, maybe_dropped=False))
            return False
        if s.kind == "acquire":
            hold = Held(
                key,
                s.group,
                s.variant,
                call.line,
                call.name,
                flags,
                self._is_new(key, call.line),
                src=self._src(call, lock_key(mapping[s.ret_var]) if s.ret_var else None),
                handoff=s.handoff,
            )
            if s.try_ == "maybe":
                # takes it on some exits only, not told by the result (do_page_mkwrite() relocks the page
                # when the handler did not): held or not is unknown from here
                for h in [h for h in held if h.key == key]:
                    held.discard(h)
                held.add(replace(hold, stale=True, maybe_dropped=False))
                return False
            if s.try_:
                return self._try(n, call, hold, s.try_, pending, held)
            self._acquire(n, hold, held)
        elif s.try_:
            if s.try_ != "maybe" and n.kind == K_COND and _is_atom_call(n, call):
                return False  # decided by branch()
            canon = self._canon(key) if self._aliases() else key
            var = _assigned_to(call, self.fv) if s.try_ in ("nonzero", "zero") else None
            for h in [
                h for h in held if (h.key == key or named_by(h, key) or self._canon(h.key) == canon) and h.count
            ]:  # dropped or not: unknown (``inode->i_lock`` with ``inode = dentry->d_inode`` as much)
                held.discard(h)
                held.add(_unsure(h))
                if var and not h.stale:
                    # ``ret = spufs_wait(...); if (ret) goto out;``: the test of ``ret`` tells (branch())
                    pending.add(Pending(var, h, DROPS + s.try_, dropped_at=call.line))
        else:
            self._drop(n, call, key, {s.group}, {s.variant}, flags, held, unseen)
        return False


DROPS = "drops-"
"""``Pending.when`` prefix of a conditional release (``drops-nonzero``: dropped when the result is nonzero)."""


def _objects_of(key: str) -> set[str]:
    """Each object a lock key goes through: ``a->b->lock`` gives ``a`` and ``a->b``."""
    parts = re.split(r"(->|\.)", key)
    return {"".join(parts[:i]) for i in range(1, len(parts) - 1, 2)}


def _unsure(h: Held) -> Held:
    """``h`` after a call that may have dropped it: held or not is unknown."""
    return replace(h, stale=True, maybe_dropped=not h.stale or h.maybe_dropped)


def _given(obj: str, args: set[str]) -> bool:
    """Is the lock's object ``obj`` (or an object it is a member of) one of the call's arguments?"""
    return any(obj == a or obj.startswith((a + "->", a + ".")) for a in args if a)


def _witnesses(facts: Facts) -> Hashable:
    """What :class:`Held` equality leaves out (:func:`held_witness`) for each hold of ``facts``, pending
    ones included: equal facts with other witnesses lead to other messages."""
    if not facts.held and not facts.pending:
        return None
    got = facts.__dict__.get("_witnesses")  # (the engine passes one facts object to many states)
    if got is not None:
        return got
    held = frozenset((h, held_witness(h)) for h in facts.held) if facts.held else None
    got = held
    if facts.pending:
        got = (held, frozenset((q, held_witness(q.held)) for q in facts.pending))
    object.__setattr__(facts, "_witnesses", got)  # facts are immutable: their witnesses do not change
    return got


def _model_relevant(n: CfgNode, model: LockModel) -> bool:
    """Does a call of ``n`` touch locks by the model alone (the lock API, interrupt and context calls, a
    releasing or taking name, a lock handed off in an argument)?"""
    return any(
        c.name in model.acquires
        or c.name in model.releases
        or c.name in model.irq_disables
        or c.name in model.markers
        or c.name in model.may_drop
        or _RELEASING_NAME.search(c.name)
        or ("lock" in c.name and _TAKING_NAME.search(c.name) is not None)
        or (c.name not in model.queries and any(_HANDS_OFF.search(a) for a in c.args))
        for c in n.calls
    )
