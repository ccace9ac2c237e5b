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
`destroy_workqueue(wq)` is a free, not a stop: a delayed work queued on
`wq` and cancelled after it is destroyed is not reported.  Devres
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

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from reviewkit.rules._csyntax import norm_object, real_span
from reviewkit.rules.teardown_order.lifecycle import Event, Link, Model, learn_links, links_for
from reviewkit.rules.teardown_order.reach import accessor_aliases, address_aliases, param_types, rebase_alias
from reviewkit.rules.teardown_order.registrations import Registration, learn_registrations, reaching, walker_matches
from reviewkit.rules.teardown_order.replay import checked, learned_set

from reviewkit.api import (
    K_COND,
    K_GAP,
    K_STMT,
    Applicability,
    Call,
    CfgNode,
    FileView,
    Finding,
    Fix,
    FlowPath,
    FunctionView,
    KernelModel,
    PathStep,
    ReviewContext,
    Severity,
    condition_taken,
    edit_on_view,
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


def check(ctx: ReviewContext) -> Iterator[Finding]:
    model = ctx.kernel.view(Model)
    targets = []
    for fv in ctx.functions("post", changed_only=ctx.introduced.changed_only):
        names = {c.name for c in fv.function.calls()} if fv.function is not None else set()
        if names & set(model.destroy) and any(model.is_walker_call(n) for n in names):
            targets.append(fv)
    if not targets:
        return
    links = learn_links(ctx, model)
    regs = learn_registrations(ctx, model)
    if not links and not regs:
        return
    learned = learned_set(ctx, links, regs)
    found: list[Finding] = []
    for fv in targets:
        found.extend(checked(ctx, fv, learned, lambda v: _check_function(ctx, v, model, links, regs)))
    yield from found


def _check_function(
    ctx: ReviewContext, fv: FunctionView, model: Model, links: dict[str, list[Link]], regs: list[Registration]
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
        return found + [r for r in reaching(regs, obj, aliases) if all(r.walker != x.walker for x in found)]

    for path in pset:
        for hit in _walk(path, model, linked, lambda obj: rebase_alias(obj, addressed)):
            key = (hit.destroy.call.line, hit.release.call.line)
            hits.setdefault(key, hit)
    view = ctx.file_view(fv.path, fv.patch)
    for (d_line, r_line), hit in sorted(hits.items()):
        if not ctx.introduced.at(fv, d_line, r_line):
            continue
        yield ctx.finding(
            ID,
            SEVERITY,
            _message(hit, fv.path),
            fv.path,
            d_line,
            patch=fv.patch,
            function=fv.name,
            path=hit.steps,
            fix=_fix(fv, view, hit) if view is not None else None,
            extra={"walker": hit.link.walker, "object": hit.link.obj, "release_line": r_line},
        )


def _message(hit: _Hit, path: str) -> str:
    d, r, link = hit.destroy.call, hit.release.call, hit.link
    how = link.how if link.path == path else f"{link.how} in {link.path}"
    if link.callback is not None:
        what = "freed" if d.name != "list_lru_destroy" else "destroyed"
        return (
            f"`{d.name}({', '.join(d.args)})` at {d.line} runs before `{r.name}({', '.join(r.args)})` "
            f"at {r.line}: the {link.kind} callback {link.callback}() of `{link.walker}` ({how}) "
            f"can still run and touch `{link.obj}` after it is {what}; call {r.name}() first"
        )
    return (
        f"`{d.name}({d.args[0]})` at {d.line} runs before `{r.name}({r.args[0]})` at {r.line}: "
        f"`{link.walker}` walks `{link.obj}` (linked by {how}), so its callbacks can still "
        f"walk the lru after it is destroyed; release the shrinker first"
    )


def _walk(
    path: FlowPath, model: Model, linked: Callable[[str], list[Link]], canon: Callable[[str], str]
) -> Iterator[_Hit]:
    """Destroy-then-release pairs along one path (``canon``: objects through ``t = &p->m`` locals)."""
    state: dict[str, str | None] = {}
    pending: list[tuple[Event, CfgNode, Link, list[PathStep], dict[str, str | None]]] = []
    family: dict[str, str] = {}
    steps: list[PathStep] = []
    locked = 0
    nulled: set[int] = set()
    for node, label in path.steps:
        if node.kind == K_GAP:
            # unseen code may register what we saw allocated: no longer sure it is not live
            state = {w: ("unknown" if s == "allocated" else s) for w, s in state.items()}
            continue
        if node.kind == K_COND and node.line is not None:
            steps.append(PathStep(node.line, f"`{_short(condition_taken(node.text, bool(label)))}`"))
        assigned = _assigned(node)
        if assigned is not None and "->" not in assigned and "." not in assigned:
            # `tid_tx = other;` between the free and the stop: the stop is about another object now
            pending = [p for p in pending if _root_name(p[2].walker.lstrip("*|")) != assigned]
        if assigned is not None and locked and _nulls(node):
            # `x = NULL;` after `kfree(x)` with a lock held: if the lock is dropped before the stop,
            # the callback can only see NULL under that lock (it re-checks), the protocol is the code's
            nulled |= {id(p) for p in pending if p[0].obj == _lvalue(node)}
        for call in node.calls:
            if _is_lock(call.name):
                locked += 1
            elif _is_unlock(call.name):
                locked = max(0, locked - 1)
                if not locked:
                    pending = [p for p in pending if id(p) not in nulled]
            if not model.is_walker_call(call.name) and call.name not in model.destroy:
                _escape(call, state, family, model)
            for ev in model.events(call, assigned):
                ev = replace(ev, obj=canon(ev.obj))
                if ev.family:
                    family[ev.obj] = ev.family
                if ev.kind == "destroy":
                    for link in linked(ev.obj):
                        if "*" in link.walker or state.get(link.walker) in _LIVE:
                            word = _state_word(state.get(link.walker))
                            note = f"`{ev.obj}` destroyed while `{_shown(link.walker)}` is {word}"
                            pending.append((ev, node, link, [*steps, PathStep(call.line, note)], dict(state)))
                    continue
                if ev.kind == "registered" and call.line:
                    shown = _shown(ev.obj)
                    steps.append(PathStep(call.line, f"`{shown}` registered: its callbacks can run from here"))
                if ev.kind == "gone":
                    for d_ev, d_node, link, d_steps, before in pending:
                        if walker_matches(link.walker, ev.obj) and before.get(ev.obj) in _LIVE:
                            note = f"`{_shown(ev.obj)}` released only now"
                            hit_link = replace(link, walker=_shown(ev.obj)) if "*" in link.walker else link
                            yield _Hit(d_ev, ev, d_node, node, hit_link, [*d_steps, PathStep(call.line, note)])
                    pending = [p for p in pending if not walker_matches(p[2].walker, ev.obj)]
                state[ev.obj] = ev.kind


def _root_name(text: str) -> str:
    m = re.match(r"[A-Za-z_]\w*", text)
    return m.group(0) if m else ""


def _lvalue(node: CfgNode) -> str:
    text = node.text.strip().rstrip(";")
    return norm_object(text.split("=", 1)[0]) if "=" in text else ""


def _nulls(node: CfgNode) -> bool:
    text = node.text.strip().rstrip(";")
    return "=" in text and text.split("=", 1)[1].strip() in ("NULL", "0")


def _is_lock(name: str) -> bool:
    return name in ("mutex_lock", "spin_lock", "spin_lock_bh", "spin_lock_irq", "spin_lock_irqsave", "down_write")


def _is_unlock(name: str) -> bool:
    return name in (
        "mutex_unlock",
        "spin_unlock",
        "spin_unlock_bh",
        "spin_unlock_irq",
        "spin_unlock_irqrestore",
        "up_write",
    )


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


def _shown(walker: str) -> str:
    """A composite handle (``irq|dev_id``) as the message names it: the dev_id."""
    return walker.rsplit("|", 1)[-1].split("!", 1)[0]


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _state_word(state: str | None) -> str:
    return "registered" if state == "registered" else "still live (registered elsewhere)"


def _assigned(node: CfgNode) -> str | None:
    """``s`` of ``s = shrinker_alloc(...)`` (the lvalue of a plain assignment statement)."""
    text = node.text.strip().rstrip(";")
    if "=" in text and "==" not in text:
        left = text.split("=", 1)[0].strip()
        return left.split()[-1].lstrip("*") if left else None
    return None


def _fix(fv: FunctionView, view: FileView, hit: _Hit) -> Fix | None:
    """Move the destroy after the release when both are statements of one block."""
    d, r = hit.destroy_node.ast, hit.release_node.ast
    if d is None or r is None or hit.destroy_node.kind != K_STMT or hit.release_node.kind != K_STMT:
        return None
    if d.parent is None or r.parent is None or d.parent.id != r.parent.id or d.parent.type != "compound_statement":
        return None
    between = [s for s in d.parent.named_children if d.end_byte <= s.start_byte and s.end_byte <= r.start_byte]
    if any(s.type == "labeled_statement" for s in between):
        return None
    d_span, r_span = real_span(fv, d), real_span(fv, r)
    if d_span is None or r_span is None:
        return None
    first, last = d_span[0], r_span[1]
    texts = [view.line_text(n) for n in range(first, last + 1)]
    if any(t is None for t in texts):
        return None
    size = d_span[1] - d_span[0] + 1
    moved = texts[size:] + texts[:size]
    r_call = hit.release.call
    title = f"Call {r_call.name}() before {hit.destroy.call.name}()"
    edit = edit_on_view(view, first, last + 1, [t for t in moved if t is not None])
    return Fix(title, (edit,), Applicability.SAFE)
