"""Work items and the workqueues they are queued on (not a rule).

``queue_work(p->wq, &p->work)`` ties ``p->work`` to ``p->wq``, which
changes what a teardown of ``p->wq`` means for it:

- ``destroy_workqueue(p->wq)`` (and ``drain_workqueue()``,
  ``flush_workqueue()``) waits for every work already queued there: for a
  plain work item it is a stop, like ``cancel_work_sync(&p->work)``;
- a delayed work (``queue_delayed_work(p->wq, &p->dwork, t)``) is queued
  by its timer only when the delay expires: destroying ``p->wq`` while the
  timer is pending frees the workqueue the timer will queue onto, so the
  workqueue must outlive the delayed work, whatever its callback touches.

Which calls queue on which argument is data: ``queue`` (the workqueue's
argument) and ``delayed`` on the work kind's calls, and ``drains`` on the
kind, in reviewkit/kernel/lifecycle.toml.  Pairs are learned from every
function in view and kept in the shape the code wrote them; a teardown
names them through its own pointer (``q->wq`` of a function whose ``q``
is the setup's ``p``) when workqueue and work hang off the same root, or
by name when both are file-scope objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewkit.rules._csyntax import arg, declared_names, norm_object
from reviewkit.rules.teardown_order.lifecycle import Link, Model, strip_casts
from reviewkit.rules.teardown_order.reach import address_aliases, rebase_alias
from reviewkit.rules.teardown_order.statements import root_name as _root

from reviewkit.api import FunctionView, ReviewContext


@dataclass(frozen=True)
class Queued:
    queue: str
    """The workqueue as the queueing code names it (``p->wq``, ``my_wq``)."""
    work: str
    """The work item's handle (``p->dwork``)."""
    delayed: bool
    relative: bool
    """Both hang off one local or parameter of the queueing function: matched by shape."""
    how: str
    path: str
    line: int


def learn_queued(ctx: ReviewContext, model: Model, views: list[FunctionView]) -> list[Queued]:
    """Every (workqueue, work) pair a queueing call in ``views`` (:func:`all_functions`) makes, deduplicated
    by shape.  Each function is read once per run (a fix's check reads the series again, every function
    of it unchanged but one)."""
    if not model.queue_calls:
        return []
    out: dict[tuple[str, str, bool], Queued] = {}
    for fv in views:
        for q in ctx.facts.derived("teardown-order.queued", fv, lambda v: _from_function(v, model)):
            key = (q.queue, q.work, q.delayed)
            out.setdefault(key, q)
    return list(out.values())


def _from_function(fv: FunctionView, model: Model) -> list[Queued]:
    fn = fv.function
    assert fn is not None
    calls = [c for c in fn.calls() if c.name in model.queue_calls]
    if not calls:
        return []
    mine = declared_names(fv)
    aliases = address_aliases(fv)
    out: list[Queued] = []
    for call in calls:
        spec = model.queue_calls[call.name]
        queue, work = arg(call, int(spec["queue"])), model.handle(call, spec, None)
        if not queue or not work:
            continue
        queue = rebase_alias(strip_casts(norm_object(queue)), aliases)
        work = rebase_alias(work, aliases)
        q_root, w_root = _root(queue), _root(work)
        if not q_root or not w_root:
            continue
        relative = q_root == w_root and q_root in mine and queue != q_root
        if not relative and (q_root in mine or w_root in mine):
            continue  # a local of this function names nothing another function can tear down
        line = fv.real_line(call.node) or 0
        how = f"queued by {call.name}() at {line}"
        out.append(Queued(queue, work, bool(spec.get("delayed")), relative, how, fv.path, line))
    return out


def works_on(queued: list[Queued], queue: str, delayed: bool) -> list[tuple[str, Queued]]:
    """(work handle as the teardown names it, pair) for each work queued on ``queue``."""
    out: list[tuple[str, Queued]] = []
    root = _root(queue)
    for q in queued:
        if q.delayed != delayed:
            continue
        if not q.relative:
            if q.queue == queue:
                out.append((q.work, q))
            continue
        rest = q.queue[len(_root(q.queue)) :]
        if root and queue == root + rest:
            out.append((root + q.work[len(_root(q.work)) :], q))
    return out


def queue_links(queued: list[Queued], obj: str) -> list[Link]:
    """Delayed works whose timer queues onto ``obj``: ``obj`` must outlive them."""
    return [
        Link(work, obj, q.how, q.path, q.line, None, "work", None, queued=True)
        for work, q in works_on(queued, obj, delayed=True)
    ]
