"""Per-function control-flow graphs and a path-sensitive state engine.

One engine for every rule that reasons about paths (lock-balance,
rcu-folio-memcg, teardown-order, folio-put-uncharge): rules supply the
meaning of statements, the engine supplies paths, branch correlation and a
bound, so no rule writes its own walker.

API (stable; import it through :mod:`reviewkit.api`)
----------------------------------------------------
``build_cfg(fv, kernel=None) -> CFG``
    CFG of a :class:`~reviewkit.views.source.FunctionView` (fragment or whole).
    ``kernel`` is ``ctx.kernel``; its ``[flow] noreturn`` list names calls
    that end a path (``BUG()``, ``panic()``...).  Cached per view.

``CFG``: ``entry``, ``exit`` (synthetic), ``nodes`` (every :class:`CfgNode`),
``fv``, ``labels`` (goto label -> node), ``errors`` (count of tree-sitter
ERROR/MISSING nodes: a rule may refuse to judge such a function).

``CfgNode``: ``id``, ``kind`` (see ``K_*`` below), ``ast`` (tree-sitter node:
the statement, or the condition atom of a ``cond`` node), ``line`` (real
post/pre-image line, None for synthetic nodes), ``text`` (original text),
``succs`` (list of ``(CfgNode, label)``; label is None, True/False for a
``cond``, ``"case X"``/``"default"`` for a ``switch``), ``gap`` (gap index for
a ``gap`` node), ``gap_to_end`` (the gap runs to the unseen end of the
function), ``calls`` (``cparse.Call`` records in source order, ``Call.line``
being the *real* line), ``writes`` (identifiers the node may assign),
``cond_key`` (normalised condition text of a ``cond`` node when it is a plain
condition whose truth may be remembered; None otherwise), ``remember`` (the
engine keeps that truth: the key is tested more than once), ``compare``
(``(var, "truth"|"=="|"!=", CONST)`` for atoms a stored constant can decide),
``assigns`` (``x = CONST`` stores of the node), ``loop_writes`` (for a
``loop`` head: what the loop body may assign), ``unseen`` (a goto label the
view does not show), ``loop`` (a cond atom testing a loop: the loop's name,
``list_for_each_entry``/``while``/``for``/``do-while``) with ``loop_edges``
(``(label, "runs"|"ends")`` for its edges into the body and past the loop):
a path message says "the loop body runs", not "`list_for_each...` is true".

Conditions are decomposed: ``if (a && !b)`` is two ``cond`` nodes, ``a`` then
``b`` with swapped edges; ``x == NULL``/``x != 0`` become the atom ``x``.
Loops get a ``loop`` join node; iterator macros (``list_for_each_entry(...)``,
rewritten to ``while`` by the normaliser) are ``cond`` nodes with no key.

``run(cfg, analysis, budget=BUDGET) -> RunResult``
    Worklist over ``(node, State)``.  ``State.facts`` belongs to the rule
    (any hashable value), ``State.conds``/``State.vals`` to the engine: the
    truth of plain conditions already branched on and the constants stored
    in variables (``locked = 1``), dropped when a node writes one of their
    identifiers (and at a loop head for what the loop body writes), so
    ``if (x) lock(); ... if (x) unlock();`` yields only the two consistent
    paths.  ``State.trail`` (not part of equality) is the first path that
    reached the state: use :func:`trail_steps`.  ``analysis`` implements:

    - ``initial(cfg) -> facts``
    - ``node(n, facts) -> facts | None`` (None ends the path)
    - ``branch(n, label, facts) -> facts | None`` (each edge of cond/switch)
    - ``exit(via, state) -> None`` (a path left the function; ``via`` is
      the ``return`` node, the last statement before the closing brace, or
      the ``gap`` node running to the unseen end)
    - optional ``barrier(n) -> bool``: after ``n`` (e.g. a lock acquire)
      other CPUs' stores become visible: a condition on shared memory that
      the very next ``if`` tests again is re-read, not remembered (the
      double-check idiom ``if (p->on) { lock(); if (!p->on) ...``); later
      tests keep their correlation (``if (vma->vm_file) lock(); ...
      if (vma->vm_file) unlock();``), locals always do.

    ``RunResult.complete`` is False when ``budget`` (processed node/state
    pairs) ran out: the rule must then say so (``ctx.bump``) and not guess.

``paths(cfg, start=None, *, limit=256, max_steps=4000) -> PathSet``
    Acyclic paths (each edge once per path, so a loop body is taken zero or
    one time) from ``start`` (default entry) to an exit, pruned with the
    same condition correlation; each :class:`FlowPath` has ``steps``
    (``(node, label)`` pairs), ``exit`` (the ``via`` node, None for a
    noreturn end), ``conditions()`` and ``calls()``.  ``PathSet.complete`` is
    False when ``limit`` cut the enumeration.

``calls_on_path(path, names=None) -> list[Call]``: calls in path order,
optionally only those named in ``names``.
"""

# size: the engine's state, exploration and budgeted restart are one loop; the CFG and signs are split out

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from reviewkit.cparse.parse import Call
from reviewkit.flow import signs
from reviewkit.flow.cfg import (
    CFG,
    COPY,
    K_COND,
    K_ENTRY,
    K_EXIT,
    K_GAP,
    K_GOTO,
    K_LABEL,
    K_LOOP,
    K_NORETURN,
    K_RETURN,
    K_STMT,
    K_SWITCH,
    CfgNode,
    build_cfg,
    case_keys,
    case_truths,
    const_truth,
    node_derefs,
    switch_edges,
)

__all__ = [
    "BUDGET",
    "CFG",
    "K_COND",
    "K_ENTRY",
    "K_EXIT",
    "K_GAP",
    "K_GOTO",
    "K_LABEL",
    "K_LOOP",
    "K_NORETURN",
    "K_RETURN",
    "K_STMT",
    "K_SWITCH",
    "Analysis",
    "CfgNode",
    "FlowPath",
    "PathSet",
    "RunResult",
    "State",
    "build_cfg",
    "calls_on_path",
    "paths",
    "run",
    "trail_steps",
]

BUDGET = 10000
"""Default bound on processed (node, state) pairs per function."""
EXACT_SHARE = 4
"""The exact-loop exploration gets ``budget // EXACT_SHARE`` before the coarse one takes over."""

Trail = tuple[Any, "CfgNode", Any] | None
"""Cons list ``(previous, node, label)`` of the steps that reached a state."""


F = TypeVar("F", bound=Hashable)
"""The analysis' own facts (the locks held, say): the engine only hashes and compares them."""


@dataclass(unsafe_hash=True, slots=True)
class State(Generic[F]):
    """Rule facts plus remembered branch truths; the trail is not compared.

    Generic over the facts so an analysis reads ``state.facts.held`` typed; a bare ``State`` is
    ``State[Any]``.  Never change one (use ``dataclasses.replace``): it is hashed where it was seen.  It
    is not declared frozen because the engine makes one per edge it follows, and a frozen dataclass's
    constructor costs four times as much.
    """

    facts: F
    conds: frozenset[tuple[str, bool]] = frozenset()
    vals: frozenset[tuple[str, str]] = frozenset()
    """Variables known to hold a constant (``locked = 1``), from assignments on the path."""
    signs: frozenset[tuple[str, frozenset[str]]] = frozenset()
    """Variables whose sign the path's tests narrowed (:mod:`reviewkit.flow.signs`)."""
    trail: Trail = field(default=None, compare=False, hash=False)

    def knows(self, key: str) -> bool | None:
        if (key, True) in self.conds:
            return True
        if (key, False) in self.conds:
            return False
        return None


def trail_steps(state: State) -> list[tuple[CfgNode, Any]]:
    """The ``(node, label)`` steps of the path that first reached ``state``, in order."""
    out = []
    cur = state.trail
    while cur is not None:
        prev, node, label = cur
        out.append((node, label))
        cur = prev
    out.reverse()
    return out


class Analysis(Protocol):
    def initial(self, cfg: CFG) -> Hashable: ...

    def node(self, n: CfgNode, facts: Any) -> Any | None: ...

    def branch(self, n: CfgNode, label: Any, facts: Any) -> Any | None: ...

    def exit(self, via: CfgNode, state: State) -> None: ...


@dataclass
class RunResult:
    complete: bool
    processed: int


def _forget(
    conds: frozenset[tuple[str, bool]], cfg: CFG, rebinds: frozenset[str], steps: frozenset[str] = frozenset()
) -> frozenset[tuple[str, bool]]:
    """The remembered conditions a node (or a loop body) rebinding ``rebinds`` leaves true.

    ``steps``: pointers the node only steps (``rl++``): "``rl`` is not NULL" survives it.
    """
    if not conds or not rebinds:
        return conds
    return frozenset(c for c in conds if (c[1] and c[0] in steps) or not cfg.forgotten(c[0], rebinds))


def run(cfg: CFG, analysis: Analysis, budget: int = BUDGET) -> RunResult:
    """Explore every path of ``cfg`` with ``analysis`` (see the module docstring).

    An analysis that can ``restart()`` is first run with loop heads keeping what the back edge knows (a
    loop-carried flag), on a quarter of the budget; when that runs out, it restarts and the function is
    explored again with loop heads forgetting what the body assigns (fewer states, less precise) on the
    whole budget, so a long function is still judged at little more than the old cost.  Analyses without
    ``restart()`` get the coarse exploration only.
    """
    restart = getattr(analysis, "restart", None)
    if restart is None:
        return _run(cfg, analysis, budget, exact_loops=False)
    out = _run(cfg, analysis, max(budget // EXACT_SHARE, 1), exact_loops=True)
    if out.complete:
        return out
    restart()
    return _run(cfg, analysis, budget, exact_loops=False)


def _run(cfg: CFG, analysis: Analysis, budget: int, exact_loops: bool) -> RunResult:
    # (the loop runs once per state, 10^5 times a directory: the node's fixed properties are read into
    # locals, and a helper is called only when its input is not empty)
    start = State(analysis.initial(cfg))
    work: deque[tuple[CfgNode, State, CfgNode | None]] = deque([(cfg.entry, start, None)])
    seen: dict[tuple[int, Any, Any, Any], list[frozenset[tuple[str, bool]]]] = {}
    exits_seen: set[tuple[int, State]] = set()
    barrier = getattr(analysis, "barrier", None)
    transfer, on_branch = analysis.node, analysis.branch
    live = cfg.live()
    recorded = _recorded(cfg)
    processed = 0
    pop, push = work.popleft, work.append
    while work:
        node, state, prev = pop()
        kind = node.kind
        if kind == K_EXIT:
            # one record per (exit statement, state): which return keeps a lock matters to the rules
            via = prev or node
            if (via.id, state) not in exits_seen:
                exits_seen.add((via.id, state))
                analysis.exit(via, state)
            continue
        # a state that knows at least the branch truths of one already explored here, all else equal, can
        # only reach a subset of what that one reaches (more truths prune more edges): nothing to add
        core = (node.id, state.facts, state.vals, state.signs)
        explored = seen.get(core)
        if explored is None:
            seen[core] = [state.conds]
        elif any(map(state.conds.issuperset, explored)):  # (``k <= conds`` for each, without a Python frame)
            continue
        else:
            explored.append(state.conds)
        processed += 1
        if processed > budget:
            return RunResult(False, processed)
        if not exact_loops and kind == K_LOOP and node.loop_writes:
            # (exact: the back edge arrives through the body's nodes, each of which forgot what it
            # assigns, so a loop-carried flag such as ``mmap_locked`` keeps its meaning)
            state = State(
                state.facts,
                _forget(state.conds, cfg, node.loop_rebinds),
                _forget_vals(state.vals, node.loop_writes),
                signs.forget(state.signs, node.loop_writes),
                state.trail,
            )
        conds, vals = state.conds, state.vals
        if (
            (conds or vals)
            and (derefs := node.derefs if node.derefs is not None else node_derefs(cfg, node))
            and any((d, False) in conds or (d, "NULL") in vals or (d, "0") in vals for d in derefs)
        ):
            continue  # ``pcp->lock`` where the path knows ``pcp`` is NULL: no such path runs
        facts = transfer(node, state.facts)
        if facts is None:
            continue
        if conds and node.rebinds:
            conds = _forget(conds, cfg, node.rebinds, node.steps)
        if conds and barrier is not None and barrier(node):
            retest = _retested(node, ends=getattr(analysis, "ends_barrier", None))
            conds = frozenset(c for c in conds if c[0] not in retest or cfg.is_private(c[0]))
        # unseen code may store anything: a constant stored before a gap says nothing after it
        if kind == K_GAP:
            vals = frozenset()
        elif node.writes:
            vals = _assign(vals, node)
        known = state.signs
        if known and node.writes:
            known = signs.forget(known, node.writes)
        if node.assigns:
            known = signs.stored(known, node.assigns)
        branching = kind in (K_COND, K_SWITCH)
        record = recorded[node.id]
        for succ, label in _feasible(node, conds, vals) if branching else node.succs:
            edge_signs = known
            if node.sign is not None and kind == K_COND:
                narrowed = signs.narrow(known, node.sign, bool(label))
                if narrowed is None:
                    continue  # ``ret`` nonzero, not negative and not positive: no such path
                edge_signs = narrowed
            out = facts
            if branching:
                out = on_branch(node, label, facts)
                if out is None:
                    continue
            new_conds = conds
            if kind == K_COND and node.remember and node.cond_key is not None:
                new_conds = conds | {(node.cond_key, bool(label) != node.negated)}
            elif node.assume is not None and (node.assume[0], not node.assume[1]) not in conds:
                new_conds = conds | {node.assume}  # a break out of a counted loop: it had not run out
            elif kind == K_SWITCH and node.compare is not None:
                new_conds = conds | case_truths(node, label)
            keep = live[succ.id]
            push(
                (
                    succ,
                    State(
                        out,
                        _live(new_conds, keep) if new_conds else new_conds,
                        _live(vals, keep) if vals else vals,
                        _live(edge_signs, keep) if edge_signs else edge_signs,
                        (state.trail, node, label) if record else state.trail,
                    ),
                    node,
                )
            )
    return RunResult(True, processed)


def _recorded(cfg: CFG) -> dict[int, bool]:
    """Per node: does a path's trail record it (:func:`_worth_recording`)?  Read once per graph."""
    got = cfg.readings.get("recorded")
    if got is None:
        got = cfg.readings["recorded"] = {n.id: _worth_recording(n) for n in cfg.nodes}
    return got


def _live(facts: frozenset[tuple[str, Any]], keep: frozenset[str]) -> frozenset[tuple[str, Any]]:
    """``facts`` whose key a node from here on reads (see :meth:`reviewkit.flow.cfg.CFG.live`)."""
    if not facts:
        return facts
    for f in facts:
        if f[0] not in keep:
            return frozenset(g for g in facts if g[0] in keep)
    return facts


def _retested(node: CfgNode, limit: int = 12, ends: Callable[[CfgNode], bool] | None = None) -> frozenset[str]:
    """Condition keys tested right after ``node`` (the atoms of the next ``if``): the double-check idiom
    ``lock(); if (!p->on) { unlock(); ... }`` re-reads under the lock what was tested before it.

    "Right after" passes over straight-line statements (``lock(); now = read_clock(); if (!p->on)``):
    the first test reached under the lock is the re-check, however many plain statements precede it.
    It does not pass a statement ``ends`` says closes the section (the analysis' release: ``spin_lock();
    ...; spin_unlock(); if (!db->in_timeout) mutex_unlock();`` tests again what it tested before taking
    the mutex, no longer under the spinlock: a correlated test, not a re-read).
    """
    keys: set[str] = set()
    block = node.ast.parent if node.ast is not None else None
    todo = [(s, False) for s, _label in node.succs]
    seen: set[int] = set()
    while todo and len(seen) < limit:
        cur, passed = todo.pop()
        if cur.id in seen:
            continue
        seen.add(cur.id)
        if cur.kind == K_STMT:
            if ends is not None and ends(cur):
                continue
            if len(cur.succs) == 1 and _in_block(cur, block, 1):
                todo.append((cur.succs[0][0], True))  # a plain statement of the same block: the test after
            continue  # it is still the first one under the lock
        if cur.kind != K_COND or (passed and not _in_block(cur, block, 6)):
            continue  # (a test after the block that took the lock ends is a correlated one, not a re-read)
        if cur.cond_key is not None:
            keys.add(cur.cond_key)
        # the other atoms of the same condition (``a && b``), never a test nested in its branches: that
        # one runs later, after the branch's own statements, and keeps its correlation
        whole = _condition_of(cur)
        todo.extend((s, passed) for s, _label in cur.succs if s.kind == K_COND and _within(s, whole))
    return frozenset(keys)


_TESTS = ("if_statement", "while_statement", "for_statement", "do_statement", "conditional_expression")


def _condition_of(n: CfgNode) -> Any:
    """The whole condition expression a ``cond`` atom belongs to (None: not found in the syntax)."""
    atom = cur = n.ast
    while atom is not None and cur is not None and cur.parent is not None:
        parent = cur.parent
        if parent.type in _TESTS:
            cond = parent.child_by_field_name("condition")
            if cond is not None and cond.start_byte <= atom.start_byte and atom.end_byte <= cond.end_byte:
                return cond
        cur = parent
    return None


def _within(n: CfgNode, whole: Any) -> bool:
    return (
        whole is not None
        and n.ast is not None
        and whole.start_byte <= n.ast.start_byte
        and n.ast.end_byte <= whole.end_byte
    )


def _in_block(n: CfgNode, block: Any, depth: int) -> bool:
    """Is ``n``'s syntax (or an ancestor of it, at most ``depth`` up) a statement of ``block``?"""
    cur = n.ast
    for _ in range(depth):
        if cur is None or block is None:
            return False
        parent = cur.parent
        if parent is not None and (parent.start_byte, parent.end_byte, parent.type) == (
            block.start_byte,
            block.end_byte,
            block.type,
        ):
            return True
        cur = parent
    return False


def _worth_recording(node: CfgNode) -> bool:
    return node.kind in (K_COND, K_SWITCH, K_GAP, K_RETURN, K_GOTO) or bool(node.calls)


def _forget_vals(
    vals: frozenset[tuple[str, str]], written: Collection[str], rebound: Collection[str] | None = None
) -> frozenset[tuple[str, str]]:
    """Values no longer known after ``written`` are stored: the variable's own, and a copy of a path that
    was stored to.  ``rebound`` is the narrower list where given: ``of = next`` or ``of->prealloc_buf =
    NULL`` store to the copy's path and ``buf = p`` to the variable, ``of->event = 1`` or ``buf[len] = 0``
    to neither."""
    if not vals or not written:
        return vals
    paths = written if rebound is None else rebound
    return frozenset(
        v
        for v in vals
        if v[0] not in paths
        and not (v[1].startswith(COPY) and _copy_written(v[1], paths))
        and not (("-" in v[0] or "." in v[0]) and _copy_written(COPY + v[0], paths))  # ``p = q`` moves ``p->x``
    )


def _copy_written(value: str, written: Collection[str]) -> bool:
    path = value[len(COPY) :]
    return any(path == w or path.startswith((w + "->", w + ".")) for w in written)


def _assign(vals: frozenset[tuple[str, str]], node: CfgNode) -> frozenset[tuple[str, str]]:
    if not node.writes:
        return vals
    out = _forget_vals(vals, node.writes, node.rebinds)
    return out | frozenset(node.assigns) if node.assigns else out


def _feasible(
    node: CfgNode, conds: frozenset[tuple[str, bool]], vals: frozenset[tuple[str, str]] = frozenset()
) -> list[tuple[CfgNode, Any]]:
    if node.kind == K_SWITCH and node.compare is not None and vals:
        value = next((v for name, v in vals if name == node.compare[0]), None)
        picked = switch_edges(node.succs, value) if value is not None else None
        if picked is not None:
            return picked
    if node.kind == K_SWITCH and node.compare is not None and conds:
        keys = case_keys(node)
        hit = [lab for key, lab in keys if (key, True) in conds]
        if hit:  # an earlier switch (or if) on the variable took this case
            return [(s, lab) for s, lab in node.succs if lab == hit[0]]
        ruled_out = {lab for key, lab in keys if (key, False) in conds}
        return [(s, lab) for s, lab in node.succs if lab not in ruled_out]
    if node.kind == K_SWITCH:
        return node.succs
    if node.kind != K_COND:
        return node.succs
    if node.compare is not None and vals:
        value = next((v for name, v in vals if name == node.compare[0]), None)
        truth = const_truth(node.compare, value) if value is not None else None
        if truth is not None:
            return [(s, lab) for s, lab in node.succs if lab is truth]
    if node.cond_key is None:
        return node.succs
    # (the key of ``a != b`` is ``a==b``, remembered negated: the two tests of one value agree)
    if (node.cond_key, True) in conds:
        return [(s, lab) for s, lab in node.succs if lab is not node.negated]
    if (node.cond_key, False) in conds:
        return [(s, lab) for s, lab in node.succs if lab is node.negated]
    return node.succs


# --------------------------------------------------------------------------
# Path enumeration (event sequences for teardown/charge rules)


@dataclass
class FlowPath:
    """One acyclic path: the steps taken and how it ended."""

    steps: list[tuple[CfgNode, Any]]
    exit: CfgNode | None
    """The node the path left through (return, last statement, gap to end); None: noreturn."""

    def conditions(self) -> list[tuple[str, bool, int | None]]:
        """``(condition text, truth taken, real line)`` of every cond/switch step."""
        out = []
        for node, label in self.steps:
            if node.kind == K_COND:
                out.append((node.text, bool(label), node.line))
            elif node.kind == K_SWITCH:
                out.append((f"{node.text}: {label}", True, node.line))
        return out

    def calls(self) -> list[Call]:
        return calls_on_path(self)

    @property
    def lines(self) -> list[int]:
        return [n.line for n, _ in self.steps if n.line is not None]


@dataclass
class PathSet:
    paths: list[FlowPath]
    complete: bool

    def __iter__(self) -> Iterator[FlowPath]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def paths(cfg: CFG, start: CfgNode | None = None, *, limit: int = 256, max_steps: int = 4000) -> PathSet:
    """Acyclic paths from ``start`` to the function's exits (see the module docstring)."""
    found: list[FlowPath] = []
    budget = [max_steps * max(limit, 1)]
    complete = True

    def walk(
        node: CfgNode,
        steps: list[tuple[CfgNode, Any]],
        used: set[tuple[int, int]],
        conds: frozenset,
        vals: frozenset,
        leaving: bool = False,
        left: frozenset[int] = frozenset(),
    ) -> bool:
        nonlocal complete
        budget[0] -= 1
        if budget[0] < 0 or len(found) >= limit:
            complete = False
            return False
        if node.kind == K_EXIT:
            found.append(FlowPath(list(steps), steps[-1][0] if steps else None))
            return True
        if node.kind == K_NORETURN or not node.succs:
            found.append(FlowPath([*steps, (node, None)], None))
            return True
        conds = _forget(conds, cfg, node.rebinds, node.steps)
        vals = _assign(vals, node)
        if node.kind == K_LOOP and node.loop_writes:
            conds = _forget(conds, cfg, node.loop_rebinds)
            vals = _forget_vals(vals, node.loop_writes)
        back = node.kind == K_LOOP and not leaving and node.id not in left
        if back and all((node.id, s.id) in used for s, _ in node.succs):
            # back at the head after one pass through the body: the path leaves the loop from here (one
            # iteration stands for any number; without this, every path through a loop body was dropped)
            leaving, left = True, left | {node.id}
        if leaving and node.kind == K_COND and node.loop_edges and node.cond_key:
            conds = frozenset(c for c in conds if c[0] != node.cond_key)  # the body may have changed it
        for succ, label in _feasible(node, conds, vals):
            edge = (node.id, succ.id)
            runs = leaving and node.kind == K_COND and (label, "runs") in node.loop_edges
            if runs or (edge in used and not leaving):
                continue
            still = leaving and not (node.kind == K_COND and (label, "ends") in node.loop_edges)
            remember = node.kind == K_COND and node.remember and node.cond_key
            new = conds | {(node.cond_key, bool(label) != node.negated)} if remember else conds
            if node.assume is not None and (node.assume[0], not node.assume[1]) not in new:
                new = new | {node.assume}
            if node.kind == K_SWITCH and node.compare is not None:
                new = new | case_truths(node, label)
            fresh = edge not in used
            used.add(edge)
            steps.append((node, label))
            ok = walk(succ, steps, used, new, vals, still and succ.kind == K_COND, left)
            steps.pop()
            if fresh:
                used.discard(edge)
            if not ok:
                return False
        return True

    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        walk(start or cfg.entry, [], set(), frozenset(), frozenset())
    finally:
        sys.setrecursionlimit(old)
    return PathSet(found, complete)


def calls_on_path(path: FlowPath, names: Collection[str] | Callable[[str], bool] | None = None) -> list[Call]:
    """Calls made along ``path`` in order; ``names``: a set of callee names or a predicate."""
    out: list[Call] = []
    for node, _label in path.steps:
        for call in node.calls:
            if names is None or (names(call.name) if callable(names) else call.name in names):
                out.append(call)
    return out
