"""Lock or RCU read-side section not released exactly once on every path.

## What it does
Follows every path through each changed function (the flow engine, with
the truth of plain conditions remembered, so ``if (x) lock(); ... if (x)
unlock();`` is proved balanced) and reports:
- a path that returns (or, in a patch fragment, leaves the visible code
  for unseen code that runs to the end of the function) with a lock still
  held, naming the acquire line, the branch conditions taken and the exit;
- a release on a path where the lock the same function takes is not held:
  released twice (also after a callee that may have dropped it, or that
  dropped it through ``&locked``), or after its trylock failed on that path;
  the function's own earlier acquire on the path means it is never taken for
  "the caller's lock";
- taking a lock that is already held (not for counters such as
  ``rcu_read_lock()`` or ``preempt_disable()``, which nest);
- an ``irqsave`` acquire released by a call that does not restore the
  flags (or the reverse), and a restore from a different flags variable;
- an explicit release of a lock a ``guard(CLASS)(&x)`` holds in the same
  block (the guard releases it again when the block ends), and taking a lock
  that a ``lockdep_assert_held(x)`` statement of the body says the caller holds.

Locks are the families of ``reviewkit/kernel/locks.toml`` (spinlocks,
rwlocks, mutexes, rwsems, RCU, SRCU, ``local_irq_save()``,
``preempt_disable()``, xarray, folio and ``list_lru`` locks: the handle a
``list_lru_lock*()`` returns is what the unlock takes; ``atomic_dec_and_lock()``
and friends, held when they return true), functions of the same file or
series that return with a lock held or release their caller's lock, and
``__acquires()``/``__releases()``/``__must_hold()`` annotations (a helper
annotated both ``__releases(x)`` and ``__acquires(x)`` drops and retakes the
caller's lock: it is held after the call).  An annotation naming neither a
parameter nor anything the body uses (a misspelt ``__releases(&idprv->m)``)
is read by its member path against the parameters, or left to the body.  A
local declared as a member path (``ctx = iocb->ki_ctx``) or set once to a
call of the parameters (``mdev = to_mdev(ibdev)``) names the same lock as
that expression.

The message names a sub-lock as a reviewer does ("the ILOCK of `ip`", labels
in locks.toml; the internal key ``ip@XFS_ILOCK_EXCL`` stays in the JSON ``lock``
field) and quotes the acquire as written (``spin_lock(&q->lock)``,
``l = list_lru_lock(...)``, or "``walk->ptl`` taken by ``gadget_map(walk)``"
for a wrapper), the exit, and the branch conditions that decide the path
(the ``if`` around the exit, and conditions tested more than once); the
finding's path steps list every branch and loop on the way.

## Why is this bad?
A lock left held deadlocks the next taker; an RCU read-side section left
open is a "suspicious RCU usage"/scheduling-while-atomic splat; a wrong
variant corrupts the interrupt state.  In the review of "[PATCH v3 7/7]
mm: switch deferred split shrinker to list_lru" (linux-mm, March 2026)
Lorenzo Stoakes called the conditional ``rcu_read_lock(); l =
list_lru_lock(...)`` in ``__folio_freeze_and_split_unmapped()`` "almost
hidden": it is taken only ``if (dequeue_deferred)`` and must be dropped
``if (dequeue_deferred)`` on both the success and the ``-EAGAIN`` path.

## Example
```
        if (dequeue_deferred) {
                rcu_read_lock();
                l = list_lru_lock(&deferred_split_lru, nid, memcg);
        }
        if (!folio_ref_freeze(folio, 1)) {
                if (dequeue_deferred)
                        list_lru_unlock(l);
                return -EAGAIN;		/* rcu_read_lock() is still held here */
        }
```
Release in the reverse order of acquisition on every path:
``list_lru_unlock(l); rcu_read_unlock();``.

## Not reported
- correlated conditions: a lock taken and dropped under the same plain
  condition (a local or an expression not assigned in between; a macro test
  of a by-value name, ``PMSG_IS_AUTO(message)``, is not re-read after an
  acquire), and a flags variable as the test of its release (``if
  (lock_mode) xfs_iunlock(ip, lock_mode)``: zero flags take no lock);
- paths that end in a function that never returns, declared so in the file or in
  the headers it includes (``#include "..."`` next to it, ``<linux/...>`` and the
  architecture's ``<asm/...>`` of the tree it sits in: ``reiserfs_panic()``,
  ``parisc_terminate()``; scan and tree mode);
- ``local_irq_restore(PIL_NMI)``: a constant sets an interrupt level, it restores
  no saved state;
- paths the function's own values rule out: a ``switch`` on a variable that
  holds one of its case constants on that path (``int stage = 1; if (...)
  stage = 2; switch (stage)``: the missing ``default`` never runs), and an
  ``if (locked)`` after ``locked = cur`` while ``cur->lock`` is held (a plain
  pointer copy names the same lock; a release through either name releases it);
- a release after a failed trylock or an earlier release when a helper whose
  name says it locks (``xchk_ilock_inverted(dp, ...)``) was given the lock's
  object in between (it may have taken it again);
- functions that hand the lock to their caller: they hold a lock the caller
  can name (a parameter's, a global's or the returned object's) on every
  exit and their name says so (``*lock*``, ``*get*``...), they are
  annotated ``__acquires()``, or they return it held exactly on success
  (the other exits return ``NULL``/``false``/an error);
- in a patch, what the pre-image of the same function already did;
- what the function cannot prove (counted as ``lock-balance.unproved-hold``):
  a callee that drops the caller's lock on some exits in a way its result does
  not tell, drops a slot of a global table it names through its own locals, or
  returns a pointer of the lock owner's type (it may come back locked); a
  release through a pointer reassigned after the acquire that may name the held
  lock (``pwq = worker->current_pwq``), or through an accessor's result whose
  argument was read from the held lock's own object (``mac = rx->mac;
  spin_unlock(&rx_ring(mac)->lock)`` after ``spin_lock(&rx->lock)``);
- hand-offs the function itself shows: ``*_non_owner`` acquires (``handoff`` in
  locks.toml, counted ``lock-balance.non-owner``), a result that says which
  (every exit keeping the lock returns one constant, the others another:
  ``lock-balance.result-coded-hand-back``; or one variable whose test guards
  every release: ``if (!ok) mutex_unlock(m); return ok;``), a comment above
  the function saying it returns with the lock held, or one above the acquire
  saying who drops it or expects it held ("``ubifs_write_end()`` expects the
  @ui_mutex to be locked", "release the lock in ``..._free_tx_fd()``"; a comment
  that names another lock does not count: ``lock-balance.documented-hand-back``),
  a take/drop protocol chosen by a parameter the body never writes (a notifier's
  ``PRE_RATE_CHANGE`` takes it, ``POST_``/``ABORT_RATE_CHANGE`` drop it; a gate's
  ``if (enable)`` takes it and ``if (!enable)`` drops it:
  ``lock-balance.parameter-protocol``), a flag bit in the result that says so
  (``v |= FDPUT_POS_UNLOCK`` next to the acquire, ``return ret | VM_FAULT_LOCKED``:
  ``lock-balance.flag-bit-hand-back``), a ``pre_X`` callback whose table's (or
  whose ``obj->pre_X = fn; obj->post_X = other;`` stores')
  ``post_X`` releases the lock (``lock-balance.paired-callback``), a
  ``..._suspend()`` whose ``..._resume()`` in the same file releases it (the
  ``partners`` pairs of locks.toml: ``lock-balance.partner-releases``),
  ``__cond_acquires()``, an acquire whose token goes to the caller through a
  pointer parameter (``*idx = srcu_read_lock(...)``: ``lock-balance.token-handed-out``),
  the object holding the lock stored through a pointer parameter on every path
  that keeps it, which reports success while the others report failure
  (``*lsp = ls; return 0;``, or one ``return rc;`` shared by every path when no
  error is stored in ``rc`` after the hand-out: ``lock-balance.object-handed-out``),
  a void function's exits past a store of the locked object into its caller's
  structure, its own or a callee's of the file (``cip->vc[sub] = vc``:
  ``lock-balance.stored-in-caller``), a lock sparse's ``__acquire()``/``__release()``
  marks (its state is then unprovable),
  an operation through a pointer named as an unlock (``fiq->ops->wake_forget_and_unlock(fiq)``)
  on every path from the acquire, given the lock's object (``lock-balance.released-by-callee``),
  saved interrupt flags copied out through a pointer parameter (``*irqflags = flags``),
  a whole function that never releases the lock itself and gives it, or the
  object holding it, to a callee outside the model after taking it
  (``f2fs_down_write(&sbi->gc_lock); f2fs_gc(sbi, ...)``:
  ``lock-balance.released-by-callee``; also no double acquire on such a path,
  nor after a callee outside the model was given the lock itself, as a page
  is given to a write-back helper: ``lock-balance.retaken-after-callee``), a
  wrapper given ``NULL`` for the object whose lock it would take or drop
  (it tests the pointer), and, in a
  whole-file scan, a lock the function never releases on any path nor any other
  lock of its group (``lock-balance.never-released``: held until an unmap or
  stop function by contract; an early ``return`` above the first acquire does
  not count against it, unless the function is a ``pre_X`` callback whose
  ``post_X`` partner releases nothing).

## From the diff alone
In a fragment (no ``--tree``, no repository) each path of a changed function
is also paired with its pre-image counterpart (same decisions on the
conditions both sides test; :mod:`reviewkit.locks.prepost`): a path that now
releases a lock fewer times than before it leaves (a new ``return``, a
deleted or moved release), releases it a second time, or drops it before
going to a label or unseen code that ran under it before the patch is
reported on the exit with the pre-image path as evidence; a path that no
longer goes to a label the patch does not show is a warning that says so.
Pairs that are unclear are counted (``lock-balance.prepost-*``), not reported.

## Known limitations
In a fragment (no ``--tree``) unseen code between hunks is assumed not to
touch a lock the patch introduced; outside the pre/post comparison, locks
that existed before the patch are judged only where their acquire and
release are both visible, and a goto to a label the patch does not show
ends the analysis of that path.  Locks
passed through pointers into helpers that are not in the file are not
followed.  A function whose analysis exceeds the state budget is skipped and
counted in the run's stats (``lock-balance.budget-exceeded``).

## Fix safety
No automatic fix: where the release belongs is a design decision (the
seed's reviewers discussed restructuring the function instead).
"""

# size: a third is the rule's documentation (`reviewkit explain`); the rest is one judge of the engine's result

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from reviewkit.api import (
    K_COND,
    K_GAP,
    K_RETURN,
    K_SWITCH,
    Finding,
    FunctionView,
    LockModel,
    LockResult,
    PathStep,
    ReviewContext,
    Severity,
    condition_taken,
    lock_consumed_by_callee,
    lock_declared_hand_back,
    lock_documented,
    lock_given_away,
    lock_guarded_again,
    lock_guarded_leak,
    lock_header_summaries,
    lock_included,
    lock_included_in_repo,
    lock_key,
    lock_label,
    lock_macro_summaries,
    lock_object_out,
    lock_ops_unlocked,
    lock_prepost,
    lock_sibling_summaries,
    lock_text_header_summaries,
    lock_token_out,
    lock_unknown_tail,
    lock_unpaired_callback,
    lock_value_out,
    trail_steps,
)

ID = "lock-balance"
TOPICS = (
    r"\bunlock",
    r"\block(?:ed|ing)?\b",
    r"irqsave",
    r"\bspin_",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.ERROR

_WRAPPER_NAME = re.compile(r"lock|acquire|get|begin|start|enter|grab|hold|take|pin|disable|save|down|prepare|try")
_FAILURE = re.compile(r"^(NULL|false|0|-E[A-Z0-9]+|ERR_PTR\(.*\)|-\d+|ret|err|error|rc)$")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_VAR = re.compile(r"(?<![\w>.])[A-Za-z_]\w*")
"""Variables of a lock expression: ``pvmw`` in ``pvmw->ptl``, not the member ``ptl``."""
_ERROR_VALUE = re.compile(r"^(?:NULL|false|-E[A-Z0-9]+|ERR_PTR\(.*\)|-\d+)$")
_OBJECT_GROUPS = {"folio"}
_UNTAKEN = "untaken:"
"""The :class:`~reviewkit.locks.model.Event` detail of a release after a failed trylock (see transfer)."""
_UNLOCKED = "unlocked@"
"""The marker :mod:`reviewkit.locks.transfer` gives the interrupt state a plain unlock left saved."""
_LOCAL_NAME = re.compile(r"\b(?!return\b)[a-z_]\w*")
"""Lower-case names in a returned value: a renamed local (``ret`` -> ``ret_val``) is the same exit
before and after the patch; constants (``-EINVAL``, ``NULL``) still tell exits apart."""
_LOCK_WRAPPER = re.compile(r"(?<!un)lock(?!less)")
_MAY_RELEASE = re.compile(r"put|release|unlock|drop|relse", re.IGNORECASE)
"""A helper outside the model that, by its name, may release what it is given (``f2fs_put_page(p, 1)``)."""
_NAMED_LOCKER = re.compile(r"(?:^|_)(?:try)?lock(?:_|$)")
"""A name with ``lock`` as a word of its own (``refill_pools_and_lock``, not ``block_write``)."""
"""Locks that belong to an object passed around (a locked folio is routinely handed to the caller)."""


def check(ctx: ReviewContext) -> Iterator[Finding]:
    model = ctx.facts.lock_model
    sides = ("post",) if ctx.scan else ("post", "pre")
    all_views = [
        v for _pc, fv in ctx.c_files() if fv.patch is not None or ctx.scan for side in sides for v in fv.functions(side)
    ]
    summaries = ctx.facts.summaries(all_views, base=_header_summaries(ctx, ctx.kernel, model))
    for fv in _touched_functions(ctx):
        found = list(_check_function(ctx, fv, model, summaries))
        # pair each path with its pre-image counterpart (issue 14); it may move a leak of ``found`` onto
        # the patch's goto that skips the release
        more = [] if ctx.scan else list(lock_prepost(ctx, fv, ctx.kernel, model, summaries, ID, found))
        yield from found
        yield from more


def _header_summaries(ctx: ReviewContext, kernel: dict[str, Any], model: LockModel) -> dict[str, Any]:
    """Lock wrappers of the ``#include "..."`` headers next to each file (on disk in a scan, in the tree)."""
    from pathlib import Path

    out: dict[str, Any] = {}
    repo = getattr(ctx.preimages, "repo", None)
    for _pc, fv in ctx.c_files():
        text = _file_text(fv)
        if ctx.tree is not None and not ctx.scan:
            source = Path(ctx.tree) / fv.path
        elif ctx.scan:
            source = Path(fv.path)
        elif repo is not None:  # repo mode: the headers at the revision the file's context came from
            for rev in (r for r in (ctx.preimages.base, "HEAD") if r is not None):
                if headers := lock_included_in_repo(repo, rev, fv.path, text):
                    for name, s in lock_text_header_summaries(headers, kernel, model).items():
                        out.setdefault(name, s)
                    break
            continue
        else:
            continue
        tree = Path(ctx.tree) if ctx.tree is not None and not ctx.scan else None
        for name, s in lock_header_summaries(lock_included(source, text, tree), kernel, model).items():
            out.setdefault(name, s)
    for _pc, fv in ctx.c_files():
        # the file's own lock macros (``#define shm_unlock(shp) ipc_unlock(&(shp)->shm_perm)``), over its headers'
        for name, s in lock_macro_summaries(fv.path, _file_text(fv), kernel, model, out).items():
            out.setdefault(name, s)
    return out


def _file_text(fv: Any) -> str:
    """The file as far as it is visible: the tree's or scan's whole text, else the hunks' post lines."""
    return fv.tree_post if fv.tree_post is not None else "\n".join(ln.text for ln in fv.post)


def _touched_functions(ctx: ReviewContext) -> Iterator[FunctionView]:
    """Functions the series changed, including those it only deleted lines from."""
    if ctx.scan:
        yield from ctx.functions("post")
        return
    removed_in = {(fv.path, id(fv.patch), fv.name) for fv in ctx.functions("pre")}
    for fv in ctx.functions("post", changed_only=False):
        if fv.changed_lines or (fv.path, id(fv.patch), fv.name) in removed_in:
            yield fv


def _check_function(
    ctx: ReviewContext, fv: FunctionView, model: LockModel, summaries: dict[str, Any]
) -> Iterator[Finding]:
    if fv.function is None:
        return
    pre = None if ctx.scan else ctx.pre_function(fv)
    if not _mentions_locks(ctx, fv, model, summaries) and not (
        pre is not None
        and not pre.fragment
        and pre.function is not None
        and _mentions_locks(ctx, pre, model, summaries)
    ):
        return  # (a patch deleting a function's only unlock leaves no lock call in the post-image)
    new_keys = None
    if fv.fragment:
        added = ctx.facts.acquire_keys(fv, summaries, fv.changed_lines)
        removed = ctx.facts.acquire_keys(pre, summaries, pre.changed_lines) if pre is not None else set()
        new_keys = added - removed - _converted(ctx, fv, pre, summaries)
    old = None
    if pre is not None and pre.function is not None and not pre.fragment and not fv.fragment:
        old = ctx.facts.locks(pre, summaries, None)
        old = old if old.complete else None
    entry = _held_on_entry(ctx, pre, old, model, summaries)
    res = ctx.facts.locks(fv, summaries, new_keys, assume_held=entry)
    if not res.complete:
        ctx.bump(f"{ID}.budget-exceeded")
        return
    if _cfg_errors_near_locks(ctx, res, model):
        ctx.bump(f"{ID}.parse-error-skipped")
        return
    found = list(_judge(ctx, res, _kept_by(old), _held_at_exits(ctx, old), _known_to(old), summaries))
    if found and (more := _sibling_helpers(ctx, fv, summaries)):
        # before saying so, read the helpers it calls from the files next to it, as a reviewer would
        wider = {**summaries, **more}
        old2 = old
        if old is not None and pre is not None:
            # the pre-image is read with the same helpers: otherwise an unchanged hold looks introduced
            again = ctx.facts.locks(pre, wider, None)
            old2 = again if again.complete else None
        entry2 = _held_on_entry(ctx, pre, old2, model, wider) if old2 is not old else entry
        res2 = ctx.facts.locks(fv, wider, new_keys, assume_held=entry2)
        if res2.complete and (old is None or old2 is not None):
            summaries, old, res = wider, old2, res2
            found = list(_judge(ctx, res, _kept_by(old), _held_at_exits(ctx, old), _known_to(old), summaries))
            if not found:
                ctx.bump(f"{ID}.explained-by-sibling-helper")
        else:
            # the helpers make the function too big to follow: what it showed without them stands
            ctx.bump(f"{ID}.sibling-helpers-budget")
    if pre is not None and pre.function is not None:
        found = ctx.introduced.new(found, lambda: _pre_signatures(ctx, pre, old, summaries))
    for _sig, f in found:
        yield f


def _held_on_entry(
    ctx: ReviewContext, pre: FunctionView | None, old: LockResult | None, model: LockModel, summaries: dict[str, Any]
) -> frozenset[str]:
    """The caller's locks the pre-image only released: deleting that release leaves nothing to infer
    them from in the post-image."""
    entry = frozenset(old.inferred - old.acquired_keys) if old is not None else frozenset()
    if entry and pre is not None:
        entry = frozenset(k for k in entry if not _acquire_maybe_removed(ctx, pre, k, model, summaries))
    return entry


def _sibling_helpers(ctx: ReviewContext, fv: FunctionView, summaries: dict[str, Any]) -> dict[str, Any]:
    """Summaries of the callees of ``fv`` that neither its file, its headers nor the lock model explain,
    from the other ``.c`` files of its directory (in a scan, and in tree mode)."""
    from pathlib import Path

    if ctx.scan:
        source = Path(fv.path)
    elif ctx.tree is not None:
        source = Path(ctx.tree) / fv.path
    else:
        return {}
    model = ctx.facts.lock_model
    defined = _defined(ctx, fv.path)
    names = {
        c.name
        for n in ctx.facts.cfg(fv).nodes
        for c in n.calls
        if c.name not in summaries
        and c.name not in defined
        and c.name not in model.acquires
        and c.name not in model.releases
        and not model.neutral.fullmatch(c.name)
        and c.args
    }
    return lock_sibling_summaries(source, names, ctx.kernel, model, summaries)


def _converted(ctx: ReviewContext, fv: FunctionView, pre: FunctionView | None, summaries: dict[str, Any]) -> set[str]:
    """Locks whose acquire replaces one the same change block removes, on an object computed from the
    old one (``trylock_page(page)`` -> ``folio_trylock(folio)`` with ``folio = page_folio(page)``): the same
    lock renamed, not introduced, so unseen code may release it as before."""
    view = ctx.file_view(fv.path, fv.patch)
    if pre is None or view is None:
        return set()
    out: set[str] = set()
    for hunk in view.hunks:
        removed: set[int] = set()
        added: set[int] = set()
        for line in [*hunk, None]:
            kind = line.line_type if line is not None else " "
            if kind == "-" and line is not None and line.source_line_no:
                removed.add(line.source_line_no)
            elif kind == "+" and line is not None and line.target_line_no:
                added.add(line.target_line_no)
            elif removed or added:
                old = ctx.facts.acquire_keys(pre, summaries, removed) if removed and added else set()
                if old:
                    out |= {k for k in ctx.facts.acquire_keys(fv, summaries, added) if _derived(ctx, fv, k, old)}
                removed, added = set(), set()
    return out


def _derived(ctx: ReviewContext, fv: FunctionView, key: str, old: set[str]) -> bool:
    """``folio = page_folio(page)``: the new lock's object is computed from the old one's."""
    new_root, olds = _IDENT.match(key), {m.group() for k in old if (m := _IDENT.match(k))}
    if new_root is None or not olds:
        return False
    assign = re.compile(r"\b" + re.escape(new_root.group()) + r"\s*=(?!=)(.*)", re.S)
    for n in ctx.facts.cfg(fv).nodes:
        m = assign.search(n.text or "")
        if m and any(re.search(r"\b" + re.escape(o) + r"\b", m.group(1)) for o in olds):
            return True
    return False


def _acquire_maybe_removed(
    ctx: ReviewContext, pre: FunctionView, key: str, model: LockModel, summaries: dict[str, Any]
) -> bool:
    """The pre-image releases ``key`` with no acquire in view, after a call the patch removed or changed
    that is no known lock call (``d = kern_path_locked(...)`` ... ``inode_unlock(...)``): that call may
    have been the acquire, so the release proves no caller's lock held on entry."""
    names = model.acquires.keys() | model.releases.keys()
    nodes = ctx.facts.cfg(pre).nodes
    releases = [
        c.line
        for n in nodes
        for c in n.calls
        if c.name in model.releases and c.line and key in model.release_keys(c.name, c.args)
    ]
    if not releases:
        return False
    return any(
        c.line < max(releases) and c.name not in names and c.name not in summaries
        for n in nodes
        for c in n.calls
        if c.line in pre.changed_lines
    )


def _pre_signatures(
    ctx: ReviewContext, pre: FunctionView, old: LockResult | None, summaries: dict[str, Any]
) -> set[tuple]:
    """The finding keys the pre-image of the function already had (none when its analysis was cut)."""
    if old is None:
        old = ctx.facts.locks(pre, summaries, None)
    return {sig for sig, _f in _judge(ctx, old, None, summaries=summaries)} if old.complete else set()


def _mentions_locks(ctx: ReviewContext, fv: FunctionView, model: LockModel, summaries: dict[str, Any]) -> bool:
    names = model.acquires.keys() | model.releases.keys() | summaries.keys()
    if not model.calls_any(fv.text, names):
        # (a wrapper's name as a word only, given as a callback or in a comment, builds no graph: the
        # headers' wrappers made such words common; a call the parser sees is a call of the text)
        return False
    return any(c.name in names for n in ctx.facts.cfg(fv).nodes for c in n.calls)


def _cfg_errors_near_locks(ctx: ReviewContext, res: LockResult, model: LockModel) -> bool:
    """Tree-sitter gave up somewhere that mentions a lock call: we cannot see that path."""
    cfg = ctx.facts.cfg(res.fv)
    if not cfg.errors:
        return False
    names = set(model.acquires) | set(model.releases)
    for n in cfg.nodes:
        if (
            n.ast is not None
            and (n.ast.type == "ERROR" or n.ast.has_error)
            and any(w in names for w in _IDENT.findall(n.text))
        ):
            return True
    return any(n.unseen for n in cfg.labels.values()) and not res.fv.fragment


def _kept_by(old: LockResult | None) -> set[str] | None:
    """Locks the pre-image of the function returned with (None: no whole pre-image to ask)."""
    if old is None:
        return None
    return {h.key for ex in old.exits for h in ex.state.facts.held if h.count and not h.stale}


def _known_to(old: LockResult | None) -> set[str] | None:
    """Locks the pre-image takes, releases or holds anywhere (None: no whole pre-image to ask).

    No pre-image exit "released" a lock the pre-image never names; and when it names none at all, the
    patch makes a lock-free function take one: whether it hands the lock to its caller is the
    post-image's design, judged as in a new function."""
    if old is None:
        return None
    return old.acquired_keys | old.inferred | {h.key for ex in old.exits for h in ex.state.facts.held}


def _judge(
    ctx: ReviewContext,
    res: LockResult,
    kept: set[str] | None,
    before: dict[tuple, set[str]] | None = None,
    known: set[str] | None = None,
    summaries: dict[str, Any] | None = None,
) -> Iterator[tuple[tuple, Finding]]:
    yield from _leaks(ctx, res, kept, before, known, summaries)
    yield from _events(ctx, res)


def _exit_sigs(ctx: ReviewContext, res: LockResult) -> dict[int, tuple]:
    """Names for the exits that survive a patch's line shifts: ``("return", text, n)`` for the n-th
    ``return`` with that text, ``("end",)`` for falling off the closing brace."""
    out: dict[int, tuple] = {}
    seen: dict[str, int] = {}
    for n in sorted((n for n in ctx.facts.cfg(res.fv).nodes if n.kind == K_RETURN), key=lambda n: (n.line or 0, n.id)):
        text = lock_key(n.text)
        out[n.id] = ("return", text, seen.get(text, 0))
        seen[text] = seen.get(text, 0) + 1
    for ex in res.exits:
        if ex.via.kind not in (K_RETURN, K_GAP) and not ex.via.unseen:
            out[ex.via.id] = ("end",)
    return out


def _held_at_exits(ctx: ReviewContext, old: LockResult | None) -> dict[tuple, set[str]] | None:
    """Pre-image: per exit, the locks some path still holds there (stale or taken on entry included)."""
    if old is None:
        return None
    sigs = _exit_sigs(ctx, old)
    out: dict[tuple, set[str]] = {}
    for ex in old.exits:
        sig = sigs.get(ex.via.id)
        if sig is not None:
            out.setdefault(sig, set()).update(h.key for h in ex.state.facts.held if h.count)
    return out


def _exit_line(res: LockResult, via: Any, ctx: ReviewContext | None = None) -> tuple[int | None, str]:
    fv = res.fv
    if via.kind == K_GAP and via.gap_to_end:
        line = _last_code_line(fv, via.line)
        return line, f"at {line}, the last visible line before unseen code that runs to the end of the function"
    if via.kind == K_RETURN:
        return via.line, f"when returning at {via.line}"
    brace = _closing_brace(fv) if ctx is not None and _of_a_patch(ctx, fv) else None
    if brace is not None:  # a patch's function: on the line where it leaks, not above it (issue 14 item 5)
        return brace, f"when the function ends at {brace}"
    return via.line, f"when the function ends after {via.line}"


def _of_a_patch(ctx: ReviewContext, fv: FunctionView) -> bool:
    """A function a patch changes (from the diff, the repository's blob or ``--tree``), not a scanned one."""
    return not ctx.scan and ctx.file_view(fv.path, fv.patch) is not None


def _closing_brace(fv: FunctionView) -> int | None:
    fn = fv.function
    row = fn.body.end_point[0] - fv.row_offset if fn is not None and fv.end_visible else -1
    return fv.line_map[row] if 0 <= row < len(fv.line_map) else None


def _last_code_line(fv: FunctionView, line: int | None) -> int | None:
    if line is None:
        return line
    rows = {n: t for n, t in zip(fv.line_map, fv.text.split("\n"), strict=False) if n is not None}
    n = line
    while n in rows and not rows[n].strip():
        n -= 1
    return n if n in rows else line


def _unknown_tail(ctx: ReviewContext, res: LockResult, ex: Any, h: Any, common: set[str]) -> str | None:
    """:func:`reviewkit.locks.callees.unknown_tail` with this file's defined functions."""
    return lock_unknown_tail(res, ctx.facts.lock_model, ex, h, common, _defined(ctx, res.fv.path))


def _defined(ctx: ReviewContext, path: str) -> frozenset[str]:
    """The functions the file at ``path`` defines (its own are summarised with it)."""
    table = ctx.facts.table(f"{ID}.defined")
    defined = table.get(path)
    if defined is None:
        defined = table[path] = frozenset(
            f.name for _pc, fv in ctx.c_files() if fv.path == path for f in fv.functions("post")
        )
    return defined


def _consumed_by_callee(ctx: ReviewContext, res: LockResult, key: str, holding: list[Any] | None = None) -> bool:
    return lock_consumed_by_callee(res, ctx.facts.cfg(res.fv), ctx.facts.lock_model, key, holding)


def _lock_given_away(ctx: ReviewContext, res: LockResult, key: str) -> bool:
    return lock_given_away(res, ctx.facts.cfg(res.fv), ctx.facts.lock_model, key)


def _caller_visible(ctx: ReviewContext, res: LockResult, key: str) -> bool:
    """A lock the caller can name: not built from locals, or returned, or stored where the caller sees it."""
    cfg = ctx.facts.cfg(res.fv)
    local = ctx.facts.local_names(res.fv)
    ids = set(_VAR.findall(key))
    if not ids & local:
        return True
    returned = _returned_values(res)
    if returned and ids & local <= returned:
        return True
    model = ctx.facts.lock_model
    holds = [h for ex in res.exits for h in ex.state.facts.held if h.key == key]
    by_helper = any(h.call in model.acquires and model.acquires[h.call].member for h in holds)
    return _escapes(res, cfg, key, local, model if by_helper else None, _wrapper_object(model, key, holds))


def _wrapper_object(model: LockModel, key: str, holds: list[Any]) -> str | None:
    """``next->lock`` taken by ``btrfs_try_tree_read_lock(next)``, a wrapper of the file, its headers or
    its directory: the object the wrapper was given, whose hand-over (``path->nodes[level] = next``)
    hands over the lock, as for a helper family of the model.  None for a lock taken by a primitive
    (``spin_lock(&s->lock)`` then ``*out = s`` hands out the object, not its lock)."""
    base, sep, _member = key.rpartition("->") if "->" in key else key.rpartition(".")
    if not sep or not _IDENT.fullmatch(base):
        return None
    for h in holds:
        if h.call in model.acquires or not h.src:
            continue
        args = h.src.partition("(")[2].rpartition(")")[0]
        if base in (a.strip() for a in args.split(",")):
            return base
    return None


def _escapes(
    res: LockResult, cfg: Any, key: str, local: set[str], model: LockModel | None = None, given: str | None = None
) -> bool:
    """``*ptlp = ptl;`` / ``pvmw->ptl = ptl;``: the lock is handed over through memory (for a sub-lock,
    ``ip@XFS_ILOCK_EXCL``, the object that holds it: ``*ipp = ip;``; for a helper's member lock,
    ``inode->i_rwsem`` taken by ``inode_lock(inode)``, the object it was given: ``ac->ac_inode = inode;``).
    ``model`` is given only for a lock a helper took by its object, ``given`` for a lock a wrapper took by
    its object (:func:`_wrapper_object`): ``mutex_lock(&s->lock)`` then ``*out = s`` hands out the
    object, not the promise that its lock stays held."""
    names = {key, key.partition("@")[0]}
    obj = model.member_object(key) if model is not None else None
    for o in (obj, given):
        if o:
            names.add(o)
    for n in cfg.nodes:
        if n.ast is None or "=" not in n.text:
            continue
        stack = [n.ast]
        while stack:
            cur = stack.pop()
            stack.extend(cur.children)
            if cur.type != "assignment_expression":
                continue
            left, right = cur.child_by_field_name("left"), cur.child_by_field_name("right")
            if left is None or right is None or lock_key(res.fv.parsed.text(right)) not in names:
                continue
            root = _IDENT.findall(res.fv.parsed.text(left))
            if root and root[0] not in local:
                return True
    return False


def _returned_values(res: LockResult) -> set[str]:
    out = set()
    for ex in res.exits:
        if ex.via.kind == K_RETURN and ex.via.ast is not None and ex.via.ast.named_children:
            out.add(lock_key(res.fv.parsed.text(ex.via.ast.named_children[0])))
    return out


def _return_value(res: LockResult, via: Any) -> str | None:
    if via.kind != K_RETURN or via.ast is None:
        return None
    if not via.ast.named_children:
        return ""
    return lock_key(res.fv.parsed.text(via.ast.named_children[0]))


def _value_at(res: LockResult, ex: Any) -> str | None:
    """What the exit returns on this path: ``NULL`` when the returned variable holds it there (``sk =
    NULL; found: return sk;``).  Only a null pointer: a ``0`` in a shared ``seen`` is a count or a flag,
    not the absence of an element."""
    value = _return_value(res, ex.via)
    return "NULL" if (value, "NULL") in ex.state.vals else value


def _intended(ctx: ReviewContext, res: LockResult, key: str, group: str, holding: list[Any], clean: list[Any]) -> bool:
    """The function hands the lock to its caller on purpose (or we cannot tell that it does not)."""
    ann = res.annotations
    if key in ann.get("__cond_acquires", []) and clean:
        return True  # held on the exits that say so by their result: the annotation is the contract
    if key in ann.get("__acquires", []) or key in ann.get("__must_hold", []):
        return True
    if key in res.inferred and not _taken_again(holding, key):
        return True  # dropped and retaken: the caller's lock, held again as on entry
    if ctx.scan and _LOCK_WRAPPER.search(res.fv.name):
        return True  # hugetlb_vma_lock_read(), lock_cluster(): taking the lock is the function's job
    if not clean and _NAMED_LOCKER.search(res.fv.name):
        return True  # every exit keeps it and the name says so (``..._and_lock()``), from a diff too
    if _hands_back_element(res, holding, clean) or _seq_iterator(res.fv):
        return True
    if any(_member_path(key) and _member_path(key) == _member_path(a) for a in ann.get("__acquires", [])):
        return True  # __acquires(&bdev->bd_queue->queue_lock) taken as q->queue_lock: the same lock by its path
    if res.fv.fragment or not (_caller_visible(ctx, res, key) or (ctx.scan and group in _OBJECT_GROUPS)):
        return False
    if ctx.scan:
        # whole-file audit: a lock the caller can reach is the caller's business unless an
        # error path keeps it while the function drops it elsewhere (the classic missed unlock)
        return not (_released_somewhere(res, key) and clean and _error_exits(res, holding))
    if not clean:
        return bool(_WRAPPER_NAME.search(res.fv.name))
    ok_values = [_return_value(res, ex.via) for ex in holding]
    bad_values = [_return_value(res, ex.via) for ex in clean]
    if any(v is None for v in ok_values + bad_values):
        return False
    errs = _error_vars(res)
    return all(_FAILURE.match(v or "") or v in errs for v in bad_values) and not any(
        _ERROR_VALUE.match(v or "")
        for v in ok_values  # an exit keeping it that reports failure leaks it
    )


def _taken_again(holding: list[Any], key: str) -> bool:
    """An exit holding the caller's lock as on entry *and* the function's own acquire of it on top: the
    function took it once more than it was given (under one test, released under another)."""
    return any(
        any(h.key == key and h.count and h.line is None and not h.stale for h in ex.state.facts.held)
        and any(h.key == key and h.count and h.line is not None and not h.stale for h in ex.state.facts.held)
        for ex in holding
    )


_SEQ_ITER = re.compile(r"\*\s*\w+\s*\(\s*struct\s+seq_file\s*\*")


def _seq_iterator(fv: FunctionView) -> bool:
    """A seq_file iterator (``->start``/``->next`` or their helpers): takes the ``struct seq_file *`` and
    returns a pointer.  The element it returns is read under the lock it holds; ``->stop`` drops it."""
    fn = fv.function
    if fn is None:
        return False
    head = fn.parsed.source[fn.node.start_byte : fn.body.start_byte].decode("utf-8", "replace")
    return _SEQ_ITER.search(" ".join(head.split())) is not None


def _member_path(key: str) -> str:
    """``bdev->bd_queue->queue_lock`` -> ``->queue_lock``: the last member, how two paths to one lock agree."""
    m = re.search(r"(->|\.)\w+$", key)
    return m.group().replace(".", "->") if m and m.start() > 0 else ""


_NOTHING = {"NULL", "false", "0", ""}


def _hands_back_element(res: LockResult, holding: list[Any], clean: list[Any]) -> bool:
    """Returns an element with its lock held, and nothing (the lock dropped) otherwise.

    The seq_file ``->start``/``->next`` shape (``listening_get_first()`` returns the socket with its bucket
    lock held, ``->stop`` drops it) and lookups that hand back a locked object: every exit keeping the lock
    returns a value that is not NULL, false, zero or an error, every exit that dropped it returns NULL,
    false or zero.  The lock may be built from locals (the bucket): the caller gets it with the element.
    """
    ok = [_return_value(res, ex.via) for ex in holding]
    bad = [_value_at(res, ex) for ex in clean]  # one ``return sk;`` for all: ``sk = NULL`` on the way says it
    errs = _error_vars(res)
    if not ok or any(
        v is None or v in _NOTHING or v in errs or _ERROR_VALUE.match(v) or v.lstrip("-").isdigit() for v in ok
    ):
        return False
    seen = [v for v in bad if v is not None]
    # "nothing otherwise" must be seen: with no exit in view returning without the lock, a returned name
    # (``return nfserr_bad_stateid;`` right after the acquire) is as likely a status code as an element
    return bool(seen) and all(v in _NOTHING - {""} or v in errs or _ERROR_VALUE.match(v) for v in seen)


_ERROR_VARS = {"ret", "err", "error", "rc", "retval", "status"}
"""What the other exits return when they failed: ``ext4_dio_write_checks()`` returns the count with the
inode lock held and ``ret`` (an error) having dropped it."""


_ERROR_STORE = re.compile(
    r"(?<![\w>.])([A-Za-z_]\w*)\s*=\s*(?:-\s*E[A-Z][A-Z0-9]*\b|PTR_ERR\s*\(|ERR_PTR\s*\(|ERR_CAST\s*\()"
)


def _error_vars(res: LockResult) -> set[str]:
    """Variables that carry an error code back: the usual names, and any the function stores an errno
    or ``PTR_ERR()`` in (``err_val = -EPERM;``): how a result is built says it is a failure, not its name."""
    return _ERROR_VARS | set(_ERROR_STORE.findall(res.fv.text))


def _error_exits(res: LockResult, holding: list[Any]) -> bool:
    """Every exit that keeps the lock returns an error (``-EINVAL``, ``NULL``, ``false``, ``ERR_PTR()``)."""
    values = [_return_value(res, ex.via) for ex in holding]
    return bool(values) and all(v is not None and _ERROR_VALUE.match(v) for v in values)


def _released_somewhere(res: LockResult, key: str) -> bool:
    return any(h.key == key and not h.count and h.entry != _UNTAKEN for ex in res.exits for h in ex.state.facts.held)


def _leaks(
    ctx: ReviewContext,
    res: LockResult,
    kept: set[str] | None,
    before: dict[tuple, set[str]] | None = None,
    known: set[str] | None = None,
    summaries: dict[str, Any] | None = None,
) -> Iterator[tuple[tuple, Finding]]:
    exits = [ex for ex in res.exits if not ex.via.unseen]
    sigs = _exit_sigs(ctx, res) if before is not None else {}
    by_key: dict[tuple[str, str], list[Any]] = {}
    newly: dict[tuple[str, str], list[Any]] = {}
    irq_open: dict[int, tuple[Any, Any]] = {}
    for ex in exits:
        sig = sigs.get(ex.via.id)
        for h in ex.state.facts.held:
            if not h.count:
                continue
            if h.key == "irq" and h.entry.startswith(_UNLOCKED):
                irq_open.setdefault(int(h.entry[len(_UNLOCKED) :]), (ex, h))
                continue
            if h.line is not None and not h.stale:
                by_key.setdefault((h.key, h.group), []).append((ex, h))
            if (
                sig is not None
                and before is not None
                and sig in before
                and h.key not in before[sig]
                and (known is None or h.key in known)
            ):
                # the pre-image released it on every path through this exit: the patch made it stay
                newly.setdefault((h.key, h.group), []).append((ex, h))
    unproved = {h.key for ex in exits for h in ex.state.facts.held if h.count and h.stale and h.line is not None}
    if unproved - {k for k, _g in by_key}:
        # held or not depends on what a callee, an alias or a reassigned name did: not provable, not reported
        ctx.bump(f"{ID}.unproved-hold")
    yield from _irq_left_off(ctx, res, irq_open)
    reported: set[tuple[int | None, int]] = set()
    for key, group in sorted(by_key.keys() | newly.keys()):
        items = by_key.get((key, group), [])
        stored = [ex for ex, h in items if h.stored]
        if stored:
            # a void function's exits past the store of the locked object into its caller's structure: the
            # object went out locked (reviewkit.locks.stores); the other exits keeping it still leak
            ctx.bump(f"{ID}.stored-in-caller")
            items = [(ex, h) for ex, h in items if not h.stored]
        holding = [ex for ex, _h in items]
        clean = [ex for ex in exits if ex not in holding and ex not in stored]
        # a lock the pre-image never names, in a function that took no lock or handed one to its caller
        # before the patch: whether it hands this one over is the post-image's design (as in a new function)
        new_lock = known is not None and key not in known and (not known or bool(kept))
        if items and (kept is None or key in kept or new_lock) and _intended(ctx, res, key, group, holding, clean):
            ctx.bump(f"{ID}.handed-to-caller")
            items = []
        elif items and (out := _objects_handed_out(ctx, res, key, holding, clean)):
            ctx.bump(f"{ID}.object-handed-out")
            items = [it for it in items if id(it[0]) not in out]
            if items and _handed_off(ctx, res, key, items, holding, clean, summaries):
                items = []
        elif items and _handed_off(ctx, res, key, items, holding, clean, summaries):
            items = []
        fresh = {id(ex) for ex, _h in newly.get((key, group), [])}
        items = [it for it in items if id(it[0]) not in fresh] + newly.get((key, group), [])
        released = [
            ex for ex in clean if any(x.key == key and not x.count and x.entry != _UNTAKEN for x in ex.state.facts.held)
        ]
        if items and released and not res.fv.fragment:
            # an error path that ends in a handler this file does not define (``out: f2fs_handle_failed_inode(
            # inode); return err;``) where the other paths release it: the handler may be what releases it
            # there; the pre-image's word still stands
            common = {c.name for ex in released for node, _l in trail_steps(ex.state) for c in node.calls}
            kept_items = [
                (ex, h) for ex, h in items if id(ex) in fresh or _unknown_tail(ctx, res, ex, h, common) is None
            ]
            if len(kept_items) < len(items):
                ctx.bump(f"{ID}.callee-on-exit-path")
            items = kept_items
        if items:
            # ``fiq->ops->wake_forget_and_unlock(fiq)``: an operation whose name says it unlocks, given the
            # lock's object; the implementations are elsewhere (behind the pointer) and drop it by contract
            cfg = ctx.facts.cfg(res.fv)
            kept_items = [
                (ex, h)
                for ex, h in items
                if id(ex) in fresh or not lock_ops_unlocked(res.fv, cfg, key, h.line, ex.via.id)
            ]
            if len(kept_items) < len(items):
                ctx.bump(f"{ID}.released-by-callee")
            items = kept_items
        if items:
            # the path skipped a release under a test that stands for the lock's state (``if (rl)
            # up_read(...)``): the leak needs that bookkeeping to be wrong, which nothing here shows
            cfg = ctx.facts.cfg(res.fv)
            kept_items = [
                (ex, h)
                for ex, h in items
                if id(ex) in fresh
                or not lock_guarded_leak(
                    res.fv, cfg, ctx.facts.lock_model, summaries or {}, trail_steps(ex.state), key, h.line
                )
            ]
            if len(kept_items) < len(items):
                ctx.bump(f"{ID}.guard-correlated")
            items = kept_items
        if items and not ctx.scan:
            kept_items = [(ex, h) for ex, h in items if not _passed_to_new_call(ctx, res, ex, h)]
            if len(kept_items) < len(items):
                ctx.bump(f"{ID}.passed-to-new-call")
            items = kept_items
        by_acquire: dict[int | None, list[tuple[Any, Any, int]]] = {}
        for ex, h in items:
            line, _where = _exit_line(res, ex.via, ctx)
            if line is not None and all(line != other for _e, _h, other in by_acquire.get(h.line, [])):
                by_acquire.setdefault(h.line, []).append((ex, h, line))
        for group_items in by_acquire.values():
            group_items.sort(key=lambda item: item[2])
            ex, h, line = group_items[0]
            if (h.line, line) in reported:
                continue  # one acquire known by two names on two paths (``locked = cur``): one leak
            reported.add((h.line, line))
            _line, where = _exit_line(res, ex.via, ctx)
            marked = _path_steps(res, ex.state, h, ex.via, ctx.facts.lock_model)
            steps = [step for step, _decides in marked]
            conds = list(dict.fromkeys(step.note for step, decides in marked if decides))  # a re-test says nothing new
            if len(conds) > _MAX_CONDS:
                conds = [*conds[: _MAX_CONDS - 1], "..."]
            taken = f" (path: {', '.join(conds)})" if conds else ""
            more = [str(other) for _e, _h, other in group_items[1:]]
            also = f"; also at {', '.join(more)}" if more else ""
            was = "; before this patch that exit released it" if id(ex) in fresh else ""
            msg = f"{_what(res, h, ctx.facts.lock_model)} is still held {where}{taken}{also}{was}"
            exit_texts = frozenset(
                # the returned value alone: ``lock_key()`` of the whole statement glues ``return`` to it
                # (``returnNULL;``), one lower-case word that the renaming pattern swallowed whole
                "end" if e.via.kind != K_RETURN else "return " + _LOCAL_NAME.sub("_", _return_value(res, e.via) or "")
                for e, _h, _l in group_items
            )
            sig = ("leak" if not was else "new-leak", key, group, exit_texts)
            steps.append(PathStep(line, "leaves the function with it held"))
            yield (
                sig,
                ctx.finding(
                    ID,
                    SEVERITY,
                    msg,
                    res.fv.path,
                    line,
                    patch=res.fv.patch,
                    function=res.fv.name,
                    path=steps,
                    extra={"kind": "leak", "lock": key, "acquired": h.line, "exits": [it[2] for it in group_items]},
                ),
            )


def _objects_handed_out(
    ctx: ReviewContext, res: LockResult, key: str, holding: list[Any], clean: list[Any]
) -> set[int]:
    """Lookup-and-lock through an out-parameter: the exits keeping the lock that stored its owner through a
    pointer parameter on every path to them and report success, where every exit that dropped it reports
    failure (``nfsd4_preprocess_layout_stateid()``: ``*lsp = ls; return 0;`` with ``ls->ls_mutex`` held).
    An exit keeping it that reports failure, or that gave nothing out, is still a leak."""
    if not clean:
        return set()
    errs = _error_vars(res)
    bad = [_return_value(res, ex.via) for ex in clean]
    if not all(
        v is not None and (_FAILURE.match(v) or v in errs) and not _zero_at(ex, v)
        for ex, v in zip(clean, bad, strict=True)  # a shared ``rc`` known zero there: a success that dropped it
    ):
        return set()
    succeeding = [
        ex
        for ex in holding
        if (v := _return_value(res, ex.via)) is not None and not (_ERROR_VALUE.match(v) or v in errs or v in bad)
    ]
    # one status variable returned by every exit (``return rc;``): success where the path knows it is zero,
    # or where no error is stored in it after the object went out
    status = {v for ex in holding if (v := _return_value(res, ex.via)) in errs}
    shared = [
        ex
        for ex in holding
        if (v := _return_value(res, ex.via)) in status
        and ex.state.knows(v) is not True
        and not any(name == v and value != "0" for name, value in ex.state.vals)
    ]
    cfg, model = ctx.facts.cfg(res.fv), ctx.facts.lock_model
    out = lock_object_out(res.fv, cfg, succeeding, key, model)
    for var in status:
        out |= lock_object_out(res.fv, cfg, [ex for ex in shared if _return_value(res, ex.via) == var], key, model, var)
    return out


def _zero_at(ex: Any, var: str) -> bool:
    """The path to ``ex`` knows ``var`` is zero (``if (rc) goto out_unlock;`` fell through, or ``rc = 0``):
    one status variable returned by every exit, success on this one."""
    return ex.state.knows(var) is False or (var, "0") in ex.state.vals


def _handed_off(
    ctx: ReviewContext,
    res: LockResult,
    key: str,
    items: list[Any],
    holding: list[Any],
    clean: list[Any],
    summaries: dict[str, Any] | None = None,
) -> bool:
    """Held at return by design, which no path of this function can disprove (counted, not reported).

    - taken by a ``handoff`` API (``down_read_non_owner()``: an async completion releases it);
    - the acquire's token goes to the caller through a pointer parameter (``*srcu_index =
      srcu_read_lock(...)``): only the caller can release it;
    - the result says which (``tree_mod_dont_log()`` returns false holding the lock, true without it):
      every exit keeping it returns one constant, every other exit another;
    - in a whole-file audit, a lock the function never releases on any path and holds on every exit
      (``zs_map_object()``: held until ``zs_unmap_object()``): taking it is the function's contract, and a
      missing release cannot be told from a hand-back without the callers.
    """
    model = ctx.facts.lock_model
    if all(h.handoff or ((fam := model.acquires.get(h.call)) is not None and fam.handoff) for _ex, h in items):
        ctx.bump(f"{ID}.non-owner")
        return True
    if all(lock_token_out(res.fv, h) for _ex, h in items):
        ctx.bump(f"{ID}.token-handed-out")
        return True
    if clean and _result_coded(res, holding, clean):
        ctx.bump(f"{ID}.result-coded-hand-back")
        return True
    declared = lock_declared_hand_back(res, ctx.facts.cfg(res.fv), model, key, bool(clean), summaries)
    if declared == "partner-releases" and any(_ERROR_VALUE.match(_return_value(res, ex.via) or "") for ex in holding):
        declared = None  # the partner drops what a successful suspend keeps; an error exit keeping it leaks
    if declared is not None:
        ctx.bump(f"{ID}.{declared}")
        return True
    if _consumed_by_callee(ctx, res, key, holding):
        ctx.bump(f"{ID}.released-by-callee")
        return True
    group = items[0][1].group
    # an exit above the first acquire says nothing, unless a pre_/post_ table names a partner that keeps it
    taken = [ex for ex in clean if not _before_first_lock_call(ex, items)]
    if taken != clean and lock_unpaired_callback(res.fv, model, key):
        taken = clean
    if ctx.scan and not taken and not _released_somewhere(res, key) and not _releases_group(ctx, res, key, group):
        ctx.bump(f"{ID}.never-released")
        return True
    return False


def _before_first_lock_call(ex: Any, items: list[Any]) -> bool:
    """An exit (``if (!ctrl_info) return;``) above the lock's first acquire, on a path that touched no
    lock: it says nothing about whether the function keeps what it takes later (the never-released
    hand-off is judged without it)."""
    first = min((h.line for _ex, h in items if h.line is not None), default=None)
    line = ex.via.line
    return (
        first is not None
        and line is not None
        and line < first
        and not any(h.line is not None for h in ex.state.facts.held)
    )


_CONSTANT = re.compile(r"^(?:true|false|NULL|-?\d+)$")


def _result_coded(res: LockResult, holding: list[Any], clean: list[Any]) -> bool:
    held_values = {_return_value(res, ex.via) for ex in holding}
    other_values = {_return_value(res, ex.via) for ex in clean}
    if len(held_values) != 1 or len(other_values) != 1:
        return False
    (a,), (b,) = held_values, other_values
    return a is not None and b is not None and a != b and bool(_CONSTANT.match(a)) and bool(_CONSTANT.match(b))


def _releases_group(ctx: ReviewContext, res: LockResult, key: str, group: str) -> bool:
    """Does any call of the function release ``key``, or any lock of its group (a path the analysis
    pruned still counts; ``spin_unlock(&b->lock)`` after ``spin_lock(&a->lock)`` is no hand-back)?"""
    model = ctx.facts.lock_model
    for n in ctx.facts.cfg(res.fv).nodes:
        for c in n.calls:
            fams = model.releases.get(c.name) or []
            if any(f.group == group for f in fams):
                return True
            if key in model.release_keys(c.name, c.args):
                return True
    return False


def _irq_left_off(ctx: ReviewContext, res: LockResult, irq_open: dict[int, tuple[Any, Any]]) -> Iterator[tuple]:
    """An irqsave lock released by a plain unlock whose saved flags no path restores afterwards.

    Only when the flags are this function's own local: saved into the caller's ``*flags``, or copied there
    (``*irqflags = flags;``), they are the caller's to restore.
    """
    if not irq_open:
        return
    local = ctx.facts.local_names(res.fv)
    for line, (ex, h) in sorted(irq_open.items()):
        if not h.flags or h.flags not in local or lock_value_out(res.fv, h.flags):
            ctx.bump(f"{ID}.irq-handed-to-caller")
            continue
        _exit, where = _exit_line(res, ex.via, ctx)
        msg = (
            f"the interrupt state `{h.what}` at {h.line} saved in `{h.flags}` is never restored: the lock is "
            f"released at {line} without it, and it is still saved {where}"
        )
        yield (
            ("irq-left", h.flags, h.call),
            ctx.finding(
                ID,
                SEVERITY,
                msg,
                res.fv.path,
                line,
                patch=res.fv.patch,
                function=res.fv.name,
                extra={"kind": "irq-not-restored", "lock": "irq", "acquired": h.line},
            ),
        )


def _what(res: LockResult, h: Any, model: LockModel) -> str:
    """`spin_lock(x)` at 12 / `x` (held on entry: the function releases it on other paths)."""
    if h.line is None:
        if h.entry.startswith("__"):
            why = f"`{h.entry}({h.key})`"  # the annotation as written
        elif h.key in res.assumed:
            why = "the caller's lock, which this function released before the patch"
        else:
            why = "the function releases it on other paths"
        return f"{lock_label(model, h.key, h.call)} (held on entry: {why})"
    stale = f" ({lock_label(model, h.key, h.call)} names another object by then)" if h.stale else ""
    if "@" in h.key:  # a sub-lock: the call as written, and which lock of the object it is
        return f"`{h.what}` at {h.line} ({lock_label(model, h.key, h.call)}){stale}"
    if h.key not in "".join(h.what.split()) and h.call not in model.acquires:  # a wrapper: gadget_map(walk)
        # takes walk->ptl; a helper of the model (``inode_lock(inode)``) is named as written
        return f"{lock_label(model, h.key, h.call)} taken by `{h.what}` at {h.line}{stale}"
    return f"`{h.what}` at {h.line}{stale}"


def _passed_to_new_call(ctx: ReviewContext, res: LockResult, ex: Any, h: Any) -> bool:
    """After the acquire, the path calls something the patch added with the lock or the object holding
    it (``f2fs_put_page(page, 1)``), which is no known lock call: it may be what releases it now."""
    model = ctx.facts.lock_model
    names = model.acquires.keys() | model.releases.keys()
    started = h.line is None
    for node, _label in trail_steps(ex.state):
        if not started:
            started = any(c.line == h.line for c in node.calls)
            continue
        for c in node.calls:
            if c.line not in res.fv.changed_lines or c.name in names or not _MAY_RELEASE.search(c.name):
                continue
            if any((k := lock_key(a)) == h.key or h.key.startswith((k + "->", k + ".")) for a in c.args):
                return True
    return False


def _path_steps(res: LockResult, state: Any, h: Any, via: Any, model: LockModel | None) -> list[tuple[PathStep, bool]]:
    """Path steps, each with whether it decides that the path reaches ``via`` (see :func:`_decides`)."""
    name = lock_label(model, h.key, h.call) if model is not None else f"`{h.key}`"
    if h.line is None:
        steps = [(PathStep(res.fv.first_line, f"enters holding {name}"), False)]
    else:
        steps = [(PathStep(h.line, f"`{h.what}` acquires {name}"), False)]
    started = h.line is None
    for node, label in trail_steps(state):
        if not started:
            started = any(c.line == h.line for c in node.calls)
            continue
        if node.line is None:
            continue
        if node.kind == K_COND and node.loop:
            verdict = dict(node.loop_edges).get(label)
            if verdict is not None:
                what = "body runs" if verdict == "runs" else "ends"
                steps.append((PathStep(node.line, f"the `{node.loop}` loop {what}"), False))
        elif node.kind == K_COND:
            note = f"`{condition_taken(node.text, bool(label))}`"
            steps.append((PathStep(node.line, note), _decides(node, via)))
        elif node.kind == K_SWITCH:
            steps.append((PathStep(node.line, f"switch takes {label}"), via is not None))
        elif node.kind == K_GAP:
            steps.append((PathStep(node.line, "unseen unchanged code follows"), False))
    return steps


_BRANCHES = ("if_statement", "conditional_expression")


def _decides(node: Any, via: Any) -> bool:
    """A condition the reader needs: the ``if`` whose branch holds the exit, or a correlated test
    (one the function makes more than once, as ``if (dequeue_deferred)`` around a lock and its unlock)."""
    if node.remember:
        return True
    if via is None or via.ast is None or node.ast is None:
        return False
    cur = node.ast.parent
    while cur is not None and cur.type not in _BRANCHES:
        cur = cur.parent
    if cur is None:
        return False
    cond = cur.child_by_field_name("condition")
    if cond is None or not (cond.start_byte <= node.ast.start_byte and node.ast.end_byte <= cond.end_byte):
        return False
    return cur.start_byte <= via.ast.start_byte and via.ast.end_byte <= cur.end_byte


_MAX_CONDS = 4
"""Conditions quoted in a message; the full path is in the finding's steps."""


def _quoted(e: Any) -> str:
    return e.src or f"{e.call}({e.key})"


def _events(ctx: ReviewContext, res: LockResult) -> Iterator[tuple[tuple, Finding]]:
    model = ctx.facts.lock_model
    for e in res.events:
        name = lock_label(model, e.key, e.call)
        if ctx.scan and e.kind == "double-acquire" and e.other_line is not None and _caller_visible(ctx, res, e.key):
            continue  # a caller's lock dropped and retaken by helpers we do not see (``&locked`` protocols)
        if e.kind == "double-acquire" and e.other_line is not None and _consumed_by_callee(ctx, res, e.key):
            ctx.bump(f"{ID}.released-by-callee")
            continue
        if (
            e.kind in ("double-acquire", "double-release")
            and e.detail != "guard"
            and e.key != "irq"
            and lock_guarded_again(res.fv, ctx.facts.cfg(res.fv), e.call, e.line, e.other_line)
        ):
            # ``if (!rl) { down_read(...); rl = ...; }`` on a loop's next pass, ``if (pending_close)
            # spin_unlock(...)`` after an unlock elsewhere: the guard's test was made in between
            ctx.bump(f"{ID}.guard-correlated")
            continue
        if e.kind == "double-acquire" and e.other_line == e.line and lock_documented(res.fv, e.key, [e.line]):
            # taken again on a loop's next pass where the comment at the acquire names who drops it
            # ("release the lock in dpaa2_eth_free_tx_fd"): the next pass waits for that one
            ctx.bump(f"{ID}.documented-hand-back")
            continue
        if e.kind == "double-acquire" and e.other_line is not None and _lock_given_away(ctx, res, e.key):
            # ``lock_page(page)`` again after ``->writepage(page)``-like callees that unlock what they are given
            ctx.bump(f"{ID}.retaken-after-callee")
            continue
        # a double release is reported in a scan too: the first release is on the path, seen (a callee that
        # may drop or retake locks makes the hold stale and the second release proves nothing)
        if e.kind == "orphan-release":
            if ctx.scan or e.key not in res.acquired_keys or not res.fv.start_visible or e.key in res.inferred:
                continue  # a caller's lock: whole-file audits cannot know what the callers hold
            if e.line not in res.fv.changed_lines:
                continue
            msg = f"`{_quoted(e)}` at {e.line} releases {name}, which is not held on some path to it"
        elif e.kind == "double-release" and e.detail == "guard":
            msg = (
                f"`{_quoted(e)}` at {e.line} releases {name}, which the `guard()` at {e.other_line} holds: "
                "the guard releases it again when its scope ends"
            )
        elif e.kind == "double-release" and e.detail.startswith(_UNTAKEN):
            msg = (
                f"`{_quoted(e)}` at {e.line} releases {name}, which is not held on this path: "
                f"`{e.detail[len(_UNTAKEN) :]}()` at {e.other_line} failed to take it"
            )
        elif e.kind == "double-release" and e.other_line == e.line:
            # the same release reached twice: a loop went round without taking the lock again
            msg = (
                f"`{_quoted(e)}` at {e.line} releases {name} again on the loop's next pass: "
                "the previous pass released it here and nothing on the way back takes it"
            )
        elif e.kind == "double-release" and e.key == "irq":
            # the interrupt state is restored, not released: say what the second restore does
            msg = (
                f"`{_quoted(e)}` at {e.line} restores the saved interrupt state again: already restored at "
                f"{e.other_line} and nothing disabled interrupts since"
            )
        elif e.kind == "double-release":
            msg = f"`{_quoted(e)}` at {e.line} releases {name} again: already released at {e.other_line}"
        elif e.kind == "double-acquire":
            since = f"since {e.other_line}" if e.other_line is not None else "on entry (the function asserts it)"
            msg = f"`{_quoted(e)}` at {e.line} takes {name}, already held {since}"
        elif e.kind == "wrong-variant":
            msg = f"`{e.call}()` at {e.line} releases {name} taken by `{e.detail}()` at {e.other_line}"
        else:
            taken, given = e.detail.split("|", 1)
            msg = f"`{e.call}()` at {e.line} restores `{given}` but {name} was taken at {e.other_line} saving `{taken}`"
        yield (
            (e.kind, e.key, e.call),
            ctx.finding(
                ID,
                SEVERITY,
                msg,
                res.fv.path,
                e.line,
                patch=res.fv.patch,
                function=res.fv.name,
                extra={"kind": e.kind, "lock": e.key},
            ),
        )
