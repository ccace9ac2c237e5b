"""folio_memcg() result used outside an RCU read-side section.

## What it does
Finds a memcg obtained from ``folio_memcg()`` (or ``page_memcg()``,
``obj_cgroup_memcg()``, ``mem_cgroup_from_task()``; the list is
``[rcu_memcg] unstable`` in ``reviewkit/kernel/locks.toml``) that is passed,
directly or through a local variable, to a call that dereferences the memcg
(``list_lru_lock()``, ``list_lru_lock_irqsave()``, ``__list_lru_add()``...:
``[rcu_memcg] sinks``) on a path where no RCU read-side section is open and
nothing pinned the memcg (``get_mem_cgroup_from_folio()``, ``css_get()``,
``folio_memcg_lock()``...: ``[rcu_memcg] pins``).  Paths come from the flow
engine, so a section opened only under a condition is followed branch by
branch.

## Why is this bad?
Without RCU (or a reference) the memcg can be freed under the caller once
the folio is uncharged or reparented: a use-after-free that lockdep reports
as "suspicious RCU usage".  v1 of "mm: switch deferred split shrinker to
list_lru" (linux-mm, 2026) called ``list_lru_lock(&deferred_split_lru, nid,
folio_memcg(folio))`` without ``rcu_read_lock()`` and produced exactly that
splat; v2 and v3 take ``rcu_read_lock()`` first.

## Example
```
        l = list_lru_lock(&deferred_split_lru, folio_nid(folio),
                          folio_memcg(folio));		/* no rcu_read_lock() */
```
Write instead:
```
        rcu_read_lock();
        l = list_lru_lock(&deferred_split_lru, folio_nid(folio),
                          folio_memcg(folio));
        ...
        list_lru_unlock(l);
        rcu_read_unlock();
```

## Not reported
- uses under ``rcu_read_lock()`` (or ``_bh``/``_sched``) on every path;
- functions that pin the memcg before the use;
- in a fragment, a function whose visible code ends an RCU section it did
  not visibly start (the section began in unseen code);
- in a patch, uses the pre-image of the function already made.

## Known limitations
Other guarantees the memcg code accepts (the folio lock, LRU isolation, an
exclusive reference) pin the folio's memcg binding, not the memcg's
lifetime, and are not taken as protection; the value is followed through
plain local variables only.

## Fix safety
No automatic fix: where the read-side section should start and end depends
on the locks taken inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import Any

from reviewkit.api import (
    Call,
    CfgNode,
    Finding,
    FunctionView,
    Held,
    LockModel,
    ReviewContext,
    Severity,
)

ID = "rcu-folio-memcg"
TOPICS = (
    r"\bRCU\b",
    r"rcu_read_lock",
    r"folio_memcg",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.ERROR

_IDENT = re.compile(r"[A-Za-z_]\w*")


def check(ctx: ReviewContext) -> Iterator[Finding]:
    table = ctx.kernel.get("rcu_memcg", {})
    unstable = set(table.get("unstable", []))
    sinks = set(table.get("sinks", []))
    if not unstable or not sinks:
        return
    model = ctx.facts.lock_model
    summaries: dict[str, Any] | None = None
    for fv in ctx.functions("post"):
        if fv.function is None or not any(name in fv.text for name in unstable):
            continue
        if summaries is None:
            views = [v for _pc, f in ctx.c_files() for v in f.functions("post")]
            summaries = ctx.facts.summaries(views)
        found = _check_function(ctx, fv, model, summaries, table)
        pre = ctx.pre_function(fv)
        if pre is not None and pre.function is not None:
            found = ctx.introduced.new(found, partial(_signatures, ctx, pre, model, summaries, table))
        for _sig, f in found:
            yield f


def _signatures(
    ctx: ReviewContext, fv: FunctionView, model: LockModel, summaries: dict[str, Any], table: dict[str, Any]
) -> list[tuple]:
    """The finding keys of ``fv`` (the pre-image: what the function already did)."""
    return [sig for sig, _f in _check_function(ctx, fv, model, summaries, table)]


def _check_function(
    ctx: ReviewContext, fv: FunctionView, model: LockModel, summaries: dict[str, Any], table: dict[str, Any]
) -> list[tuple[tuple, Finding]]:
    unstable = set(table.get("unstable", []))
    sinks = set(table.get("sinks", []))
    pins = set(table.get("pins", []))
    sections = set(table.get("rcu_sections", ["rcu"]))
    cfg = ctx.facts.cfg(fv)
    calls = [c for n in cfg.nodes for c in n.calls]
    if any(c.name in pins for c in calls):
        return []
    if fv.fragment and _section_from_unseen(calls, fv.changed_lines):
        return []
    carriers = _carriers(fv, cfg, unstable)
    bad: dict[int, tuple[Call, str]] = {}

    def observe(n: CfgNode, call: Call, held: frozenset[Held], unseen: bool) -> None:
        if call.name not in sinks or call.line in bad:
            return
        source = _unstable_arg(call, unstable, carriers)
        if source is None:
            return
        if any(h.key in sections and h.count for h in held):
            return
        bad[call.line] = (call, source)

    res = ctx.facts.locks(fv, summaries, None, observe=observe, infer=False)
    if not res.complete:
        ctx.bump(f"{ID}.budget-exceeded")
        return []
    out = []
    by_source: dict[str, list[tuple[int, Call]]] = {}
    for line, (call, source) in sorted(bad.items()):
        if ctx.introduced.at(fv, call.node, line):
            by_source.setdefault(source, []).append((line, call))
    for source, uses in by_source.items():
        line, call = uses[0]
        more = [f"`{c.name}()` at {n}" for n, c in uses[1:]]
        also = f"; also {', '.join(more)}" if more else ""
        msg = (
            f"`{source}` is passed to `{call.name}()` at {line} outside an RCU read-side section: "
            f"take rcu_read_lock() before it (or pin the memcg){also}"
        )
        out.append(
            (
                ("rcu", call.name, source),
                ctx.finding(
                    ID,
                    SEVERITY,
                    msg,
                    fv.path,
                    line,
                    patch=fv.patch,
                    function=fv.name,
                    extra={"sink": call.name, "source": source},
                ),
            )
        )
    return out


def _section_from_unseen(calls: list[Call], changed: set[int]) -> bool:
    """Unchanged visible code closes an RCU section it never opened: it began in code we cannot see."""
    depth = 0
    for c in sorted(calls, key=lambda c: (c.line, c.node.start_byte)):
        if c.name.startswith("rcu_read_lock"):
            depth += 1
        elif c.name.startswith("rcu_read_unlock"):
            depth -= 1
            if depth < 0 and c.line not in changed:
                return True
            depth = max(depth, 0)
    return False


def _carriers(fv: FunctionView, cfg: Any, unstable: set[str]) -> dict[str, str]:
    """Locals assigned straight from an unstable getter: ``memcg = folio_memcg(folio);``."""
    out: dict[str, str] = {}
    for n in cfg.nodes:
        for c in n.calls:
            if c.name not in unstable:
                continue
            parent = c.node.parent
            if parent is not None and parent.type == "assignment_expression":
                left = parent.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    out[fv.parsed.text(left)] = fv.parsed.text(c.node)
            elif parent is not None and parent.type == "init_declarator":
                decl = parent.child_by_field_name("declarator")
                names = _IDENT.findall(fv.parsed.text(decl)) if decl is not None else []
                if names:
                    out[names[-1]] = fv.parsed.text(c.node)
    return out


def _unstable_arg(call: Call, unstable: set[str], carriers: dict[str, str]) -> str | None:
    for arg in call.args:
        head = _IDENT.match(arg.strip())
        if head and head.group() in unstable:
            return " ".join(arg.split())
        if arg.strip() in carriers:
            return f"{arg.strip()} = {carriers[arg.strip()]}"
    return None
