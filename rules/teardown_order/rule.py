"""Teardown frees what a still-registered callback can reach (list_lru vs shrinker, buffer vs IRQ, ...).

## What it does
Follows every path through init error-unwinding (goto ladders included),
exit/destroy/remove functions with the flow engine, and flags a free
(`list_lru_destroy()`, `kfree()`, `iounmap()`, `dma_free_coherent()`,
`kmem_cache_destroy()`, `destroy_workqueue()`, ...) of something a
registered callback can still reach, when that registration is stopped
later on the same path.  Registration kinds are data in
reviewkit/kernel/lifecycle.toml: shrinkers (`register_shrinker()` /
`shrinker_register()` vs `unregister_shrinker()` / `shrinker_free()`),
IRQs (`request_irq()`, `request_threaded_irq()`, `devm_request_irq()` vs
`free_irq()`), timers (`timer_setup()` / `mod_timer()` vs `del_timer_sync()`
/ `timer_shutdown_sync()`, hrtimers), work (`INIT_WORK()` / `queue_work()`
vs `cancel_work_sync()` / `flush_work()`), kthreads (`kthread_run()` vs
`kthread_stop()`), notifiers (`register_*_notifier()` vs
`unregister_*_notifier()`) and `call_rcu()` callbacks vs `rcu_barrier()`.

What a callback can reach is learned from the code in view (the file in
`reviewkit scan`, every touched file in `check --tree`, the hunks in
fragment mode): the callback named by the setup call
(`request_irq(irq, fn, ..., dev)`), a callback field (`x->nb.notifier_call
= fn`, `.scan_objects = fn` in a file-scope `struct shrinker` table), and
what its body touches below its context: the dev_id or thread data it is
given, or a local bound by `container_of()` / `from_timer()` /
`->private_data`, or a back pointer the setup code stored next to the
work (`q->wk.owner = ch`, read back as `ch = wk->owner`), followed into
helpers it passes the context to, through accessors (`dev = PRIV(ndev)`,
`netdev_priv()`) and through locals bound to a member's address
(`q = &ch->idle_q`, in the callback, the setup and the teardown alike); and
the file-scope objects it names.  A registration made through one pointer is matched
through any other (`timer_setup(&f->t, ...)`, torn down as
`del_timer_sync(&p->t)`), and through whatever holds it
(`INIT_WORK(&dim->work, ...)`, torn down as `cancel_work_sync(&cq->dim->work)`).
The shrinker's list_lru is linked as before: `list_lru_init_memcg*(&lru,
shrinker)` (also through a setup helper's parameters, which carry over to
a teardown helper taking the same two types) or a scan/count callback that
calls `list_lru_*(&lru, ...)`.
Workqueues: `destroy_workqueue(wq)` (and `drain_workqueue()`,
`flush_workqueue()`) waits for the plain works queued on `wq`
(`queue_work(wq, &p->work)`), so it stops them as `cancel_work_sync()`
would; a delayed work queued there (`queue_delayed_work(wq, &p->dw, t)`,
`mod_delayed_work()`) is queued by its timer later, so destroying `wq`
before that work is cancelled is reported whatever its callback touches.

## Why is this bad?
Teardown must run in the reverse order of setup, and anything a registered
callback can reach must outlive the callback: until the shrinker is
unregistered, reclaim can call its scan/count callbacks, which walk the
lru that was just destroyed.  In the review of "[PATCH v3 7/7] mm: switch
deferred split shrinker to list_lru" (linux-mm, March 2026) the error path
of `thp_shrinker_init()` (mm/huge_memory.c:952) and `thp_shrinker_exit()`
(:967) destroyed `deferred_split_lru` before `shrinker_free(deferred_split_shrinker)`;
the reviewer asked about the race and the author agreed "to destroy the
shrinker, then the queue".

## Example
```
        shrinker_register(deferred_split_shrinker);
        ...
        list_lru_destroy(&deferred_split_lru);
        shrinker_free(deferred_split_shrinker);
```
Write instead:
```
        shrinker_free(deferred_split_shrinker);
        list_lru_destroy(&deferred_split_lru);
```

## Not reported
- the callback stopped before the object is freed;
- a timer or work item only initialised on the path (`timer_setup()`,
  `INIT_WORK()`) and never armed or handed to another call before the
  free: it cannot have run (handed to an unknown call, e.g. a driver's
  own `schedule_dw()` wrapper, it may have been armed and counts as live);
- a shrinker that was only allocated (`shrinker_alloc()`,
  `prealloc_shrinker()`) and never registered on the path, or released with
  `free_prealloced_shrinker()`: its callbacks never ran;
- an lru destroyed on a path that never frees its shrinker (the order
  cannot be judged from one function);
- objects named by a callback's own locals (`struct list_lru *lru = pick(sc);`):
  they name nothing another function destroys;
- a free of something the callback does not touch (another member, another
  device's structure);
- a callback that reaches the object only by calling the teardown function
  itself (a timer that expires its object through the same `free_obj()`),
  counted as `teardown_order_reached_by_teardown`;
- a callback whose every way to the object passes an early return the path
  closed first: `if (ctx->stopped) return;` after `ctx->stopped = 1`,
  `if (ctx->status & EXITING) return` after `|= EXITING`, a status masked
  with an enable register after `iowrite32(0, &ctx->regs->enable)`, in the
  teardown, in a function in view it passes the context to, or in a function
  of the file that is handed out (`.udc_stop = foo_stop`) when the teardown
  passes the context to code out of view (`usb_del_gadget_udc(&ctx->gadget)`),
  where the tool cannot tell the gate is still open
  (`teardown_order_gated`);
- the handler of an IRQ requested without `IRQF_SHARED` (constant flags)
  when the path stopped the device's clock (`clk_disable_unprepare()`) before
  the free, with no clock enable or nonzero register write after it
  (`teardown_order_device_off`); a zero written to some register alone
  does not count: which register it is is not known;
- lines the series did not change (unless `--all`).

## Known limitations
Links are learned from code the review can see, one file at a time in
`reviewkit scan` and in `check --tree` (a callback registered in another
file, as sfc's filter work is, is not judged).  Plain globals are matched
by name; the same object reached through two different global names, a
back pointer set outside the setup function, or an owner reached from the
back pointer through an accessor (`get_priv(wk->team)`), is not linked.
A teardown inside a loop body is judged only as far as the flow engine's
paths enter the body.
A work queued on a workqueue other than through the listed queueing calls
(a driver's own wrapper) is not tied to it.  Devres
(`devm_request_irq()` without `devm_free_irq()`) is released after
`remove()` returns, which the rule does not model.  In fragment mode, an
allocation whose registration may sit in unseen code keeps the rule quiet.

## Fix safety
Safe when the two calls are statements of one block: the fix moves the
free after the stop call (`free_irq()` before `kfree()`), a plain reorder,
and is verified (applies, parses, the finding goes away).  Goto ladders
whose labels sit between the two calls get no fix (moving one call across a
label changes what the other error paths undo).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from reviewkit.rules._csyntax import norm_object
from reviewkit.rules.teardown_order.fix import reorder_fix
from reviewkit.rules.teardown_order.lifecycle import Event, Link, Model, all_functions, learn_links, links_for
from reviewkit.rules.teardown_order.messages import message, short, shown, state_word
from reviewkit.rules.teardown_order.queues import Queued, learn_queued, queue_links, works_on
from reviewkit.rules.teardown_order.quiesce import Quiesce
from reviewkit.rules.teardown_order.reach import accessor_aliases, address_aliases, param_types, rebase_alias
from reviewkit.rules.teardown_order.registrations import Registration, learn_registrations, reaching, walker_matches
from reviewkit.rules.teardown_order.replay import checked, learned_set
from reviewkit.rules.teardown_order.statements import assigned_name, is_lock, is_unlock, lvalue, nulls, root_name

from reviewkit.api import (
    K_COND,
    K_GAP,
    Call,
    CfgNode,
    Finding,
    FlowPath,
    FunctionView,
    KernelModel,
    PathStep,
    ReviewContext,
    Severity,
    condition_taken,
)

ID = "teardown-order"
TOPICS = (
    r"\brace\b",
    r"\bordering\b",
    r"re-?order",
    r"teardown",
    r"use[- ]after[- ]free",
    r"\bUAF\b",
    r"before the \w+ is (?:freed|destroyed|unregistered)",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.WARNING


def _tokens(kernel: KernelModel) -> tuple[str, ...]:
    """Code without a lifecycle call, a link or a callback field has nothing to say here."""
    model = kernel.view(Model)
    names = {*model.walker_calls, *model.links, *model.callback_fields, *model.walk_prefixes, "notifier"}
    return tuple(sorted(names))


TOKENS = _tokens

_LIVE = ("registered", None)
"""Walker states in which callbacks may run (None: nothing seen on the path, e.g. an exit function)."""


@dataclass
class _Hit:
    destroy: Event
    release: Event
    destroy_node: CfgNode
    release_node: CfgNode
    link: Link
    steps: list[PathStep]
    quiet: str | None = None
    """Why the callback cannot touch the object on this path (a stats counter), None: it can."""


def check(ctx: ReviewContext) -> Iterator[Finding]:
    model = ctx.kernel.view(Model)
    targets = []
    for fv in ctx.functions("post", changed_only=ctx.introduced.changed_only):
        names = {c.name for c in fv.function.calls()} if fv.function is not None else set()
        if names & set(model.destroy) and (names & model.drains or any(model.is_walker_call(n) for n in names)):
            targets.append(fv)
    if not targets:
        return
    views = all_functions(ctx)  # (read once: each learner below walks them all, and a fix's check again)
    links = learn_links(ctx, model, views)
    regs = learn_registrations(ctx, model, views)
    queued = learn_queued(ctx, model, views)
    if not links and not regs and not queued:
        return
    texts = {view.path: view.tree_post for _pc, view in ctx.c_files() if view.tree_post is not None}
    quiesce = Quiesce(model, {f.name: f for f in views}, texts)
    learned = learned_set(ctx, links, regs)
    found: list[Finding] = []
    for fv in targets:
        # a replay keeps the gates read in other functions: a verified fix reorders this function only
        found.extend(checked(ctx, fv, learned, lambda v: _check_function(ctx, v, model, links, regs, queued, quiesce)))
    yield from found


def _check_function(
    ctx: ReviewContext,
    fv: FunctionView,
    model: Model,
    links: dict[str, list[Link]],
    regs: list[Registration],
    queued: list[Queued],
    quiesce: Quiesce,
) -> Iterator[Finding]:
    cfg = ctx.facts.fragment_cfg(fv)
    if cfg.errors:
        ctx.bump("teardown_order_unparsed")
        return
    pset = ctx.facts.paths(fv)
    if not pset.complete:
        ctx.bump("teardown_order_paths_cut")
    hits: dict[tuple[int, int], _Hit] = {}
    types = param_types(fv)
    aliases = accessor_aliases(fv)
    addressed = address_aliases(fv)

    def linked(obj: str) -> list[Link]:
        found = links_for(links, obj, fv.name, types)
        found += [r for r in reaching(regs, obj, aliases) if all(r.walker != x.walker for x in found)]
        return found + [q for q in queue_links(queued, obj) if all(q.walker != x.walker for x in found)]

    def drained(call: Call) -> list[str]:
        """Plain works queued on the workqueue ``call`` drains: they have run when it returns."""
        if call.name not in model.drains or not call.args:
            return []
        return [w for w, _q in works_on(queued, rebase_alias(norm_object(call.args[0]), addressed), delayed=False)]

    quiet: dict[tuple[int, int], str] = {}

    def harmless(link: Link, nodes: list[CfgNode]) -> str | None:
        return quiesce.reason(fv, link, nodes)

    for path in pset:
        for hit in _walk(path, model, linked, lambda obj: rebase_alias(obj, addressed), harmless, drained):
            key = (hit.destroy.call.line, hit.release.call.line)
            if hit.quiet is not None:
                quiet.setdefault(key, hit.quiet)
            else:
                hits.setdefault(key, hit)
    for key, reason in sorted(quiet.items()):
        if key not in hits:
            # the callback can no longer reach the object on any path seen: not proved, counted
            ctx.bump(reason)
    view = ctx.file_view(fv.path, fv.patch)
    for (d_line, r_line), hit in sorted(hits.items()):
        if not ctx.introduced.at(fv, d_line, r_line):
            continue
        yield ctx.finding(
            ID,
            SEVERITY,
            message(hit.destroy.call, hit.release.call, hit.link, fv.path),
            fv.path,
            d_line,
            patch=fv.patch,
            function=fv.name,
            path=hit.steps,
            fix=reorder_fix(fv, view, hit.destroy_node, hit.release_node, _fix_title(hit))
            if view is not None
            else None,
            extra={"walker": hit.link.walker, "object": hit.link.obj, "release_line": r_line},
        )


def _fix_title(hit: _Hit) -> str:
    return f"Call {hit.release.call.name}() before {hit.destroy.call.name}()"


def _walk(
    path: FlowPath,
    model: Model,
    linked: Callable[[str], list[Link]],
    canon: Callable[[str], str],
    harmless: Callable[[Link, list[CfgNode]], str | None] = lambda link, nodes: None,
    drained: Callable[[Call], list[str]] = lambda call: [],
) -> Iterator[_Hit]:
    """Destroy-then-release pairs along one path (``canon``: objects through ``t = &p->m`` locals).

    ``harmless`` says why a live callback cannot touch the object any more
    given the nodes the path ran since it was registered (see quiesce.py);
    such a hit is yielded with ``quiet`` set.
    """
    state: dict[str, str | None] = {}
    pending: list[tuple[Event, CfgNode, Link, list[PathStep], dict[str, str | None], int]] = []
    family: dict[str, str] = {}
    steps: list[PathStep] = []
    seen: list[CfgNode] = []
    registered_at: dict[str, int] = {}
    locked = 0
    nulled: set[int] = set()
    for node, label in path.steps:
        seen.append(node)
        if node.kind == K_GAP:
            # unseen code may register what we saw allocated: no longer sure it is not live
            state = {w: ("unknown" if s == "allocated" else s) for w, s in state.items()}
            continue
        if node.kind == K_COND and node.line is not None:
            steps.append(PathStep(node.line, f"`{short(condition_taken(node.text, bool(label)))}`"))
        assigned = assigned_name(node)
        if assigned is not None and "->" not in assigned and "." not in assigned:
            # `tid_tx = other;` between the free and the stop: the stop is about another object now
            pending = [p for p in pending if root_name(p[2].walker.lstrip("*|")) != assigned]
        if assigned is not None and locked and nulls(node):
            # `x = NULL;` after `kfree(x)` with a lock held: if the lock is dropped before the stop,
            # the callback can only see NULL under that lock (it re-checks), the protocol is the code's
            nulled |= {id(p) for p in pending if p[0].obj == lvalue(node)}
        for call in node.calls:
            if is_lock(call.name):
                locked += 1
            elif is_unlock(call.name):
                locked = max(0, locked - 1)
                if not locked:
                    pending = [p for p in pending if id(p) not in nulled]
            if not model.is_walker_call(call.name) and call.name not in model.destroy:
                _escape(call, state, family, model)
            # a drain stops the plain works queued on its workqueue before the queue itself goes
            stops = [Event("gone", w, call, "work") for w in drained(call)]
            for ev in [*stops, *model.events(call, assigned)]:
                ev = replace(ev, obj=canon(ev.obj))
                if ev.family:
                    family[ev.obj] = ev.family
                if ev.kind == "destroy":
                    for link in linked(ev.obj):
                        if "*" in link.walker or state.get(link.walker) in _LIVE:
                            word = state_word(state.get(link.walker))
                            note = f"`{ev.obj}` destroyed while `{shown(link.walker)}` is {word}"
                            entry = (ev, node, link, [*steps, PathStep(call.line, note)], dict(state), len(seen) - 1)
                            pending.append(entry)
                    continue
                if ev.kind == "registered" and call.line:
                    name = shown(ev.obj)
                    steps.append(PathStep(call.line, f"`{name}` registered: its callbacks can run from here"))
                if ev.kind == "gone":
                    for d_ev, d_node, link, d_steps, before, at in pending:
                        if walker_matches(link.walker, ev.obj) and before.get(ev.obj) in _LIVE:
                            note = f"`{shown(ev.obj)}` released only now"
                            hit_link = replace(link, walker=shown(ev.obj)) if "*" in link.walker else link
                            start = registered_at.get(ev.obj, 0)
                            hit = _Hit(d_ev, ev, d_node, node, hit_link, [*d_steps, PathStep(call.line, note)])
                            hit.quiet = harmless(link, seen[start:at])
                            yield hit
                    pending = [p for p in pending if not walker_matches(p[2].walker, ev.obj)]
                if ev.kind == "registered":
                    registered_at[ev.obj] = len(seen) - 1
                state[ev.obj] = ev.kind


def _escape(call: Call, state: dict[str, str | None], family: dict[str, str], model: Model) -> None:
    """An initialised timer/work handed to a call the tables do not know may be armed by it.

    ``INIT_DELAYED_WORK(&c->w, fn); ... driver_schedule_dw(&c->w, 0);``: the
    wrapper queues it, so from here the callback can run.  Not for the
    shrinker walker: passing an allocated shrinker to its lru's constructor
    does not register it.
    """
    for text in call.args:
        obj = norm_object(text)
        if state.get(obj) == "allocated" and family.get(obj, model.walker_kind) != model.walker_kind:
            state[obj] = "registered"
