"""list_lru destroyed while the shrinker that walks it is still registered.

## What it does
Follows every path through init error-unwinding (goto ladders included)
and exit/destroy functions with the flow engine, and flags a
`list_lru_destroy(&lru)` that runs while a shrinker that walks `lru` is
still registered and is freed/unregistered later on the same path
(`shrinker_free()`, `unregister_shrinker()`).  Which shrinker walks which
lru is learned from the code the review can see, in the same file or
anywhere in the series: `list_lru_init_memcg_key(&lru, shrinker, ...)`,
`list_lru_init_memcg(&lru, shrinker)`, `__list_lru_init(&lru, ..., shrinker)`,
or a `->scan_objects`/`->count_objects` callback (assigned in a function or
in a file-scope `struct shrinker x = { .scan_objects = fn }`) whose body
calls `list_lru_*(&lru, ...)`.  A link between two members of a structure
(`vt->v_shrinker` walks `vt->v_lru`) holds for those members through any
pointer (`q->v_shrinker`, `q->v_lru`).  The register/unregister and
alloc/free pairs are data in reviewkit/kernel/lifecycle.toml.

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
- the shrinker freed or unregistered before the lru is destroyed;
- a shrinker that was only allocated (`shrinker_alloc()`,
  `prealloc_shrinker()`) and never registered on the path, or released with
  `free_prealloced_shrinker()`: its callbacks never ran;
- an lru destroyed on a path that never frees its shrinker (the order
  cannot be judged from one function);
- objects named by a callback's own locals (`struct list_lru *lru = pick(sc);`):
  they name nothing another function destroys;
- lines the series did not change (unless `--all`).

## Known limitations
Links are learned from code the review can see, one file at a time in
`reviewkit scan` (a shrinker initialised in one file and torn down in
another, as gfs2 does, is not judged there).  A link tying two parameters
(`list_lru_init_memcg(lru, shrinker)` in a helper) holds in that helper
only, so a sibling teardown helper with the same parameter names is not
judged.  Plain globals are matched by name; the same object reached
through two different global names is not linked.  In fragment mode, an
allocation whose registration may sit in unseen code keeps the rule quiet.

## Fix safety
Safe when the two calls are neighbouring statements of one block: the fix
moves the `list_lru_destroy()` after the shrinker's release.  Goto ladders
whose labels sit between the two calls get no fix (moving one call across a
label changes what the other error paths undo).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reviewkit.rules._csyntax import real_span
from reviewkit.rules.teardown_order.lifecycle import Event, Link, Model, learn_links, links_for

from reviewkit.api import (
    K_COND,
    K_GAP,
    K_STMT,
    CfgNode,
    FileView,
    Finding,
    Fix,
    FlowPath,
    FunctionView,
    PathStep,
    ReviewContext,
    Severity,
    fragment_cfg,
    paths,
)
from reviewkit.fixes.edits import LineEdit, render

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


def _tokens(kernel: dict[str, Any]) -> tuple[str, ...]:
    """Code without a lifecycle call, a link or a callback field has nothing to say here."""
    model = Model(kernel)
    names = {*model.walker_calls, *model.destroy, *model.links, *model.callback_fields, *model.walk_prefixes}
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
    model = Model(ctx.kernel)
    links = learn_links(ctx, model)
    if not links:
        return
    found = []
    for fv in ctx.functions("post", changed_only=not (ctx.report_all or ctx.scan)):
        names = {c.name for c in fv.function.calls()} if fv.function is not None else set()
        if not names & set(model.destroy) or not names & set(model.walker_calls):
            continue
        found.extend(_check_function(ctx, fv, model, links))
    yield from found


def _check_function(
    ctx: ReviewContext, fv: FunctionView, model: Model, links: dict[str, list[Link]]
) -> Iterator[Finding]:
    cfg = fragment_cfg(fv, ctx.kernel)
    if cfg.errors:
        ctx.bump("teardown_order_unparsed")
        return
    pset = paths(cfg)
    if not pset.complete:
        ctx.bump("teardown_order_paths_cut")
    hits: dict[tuple[int, int], _Hit] = {}
    for path in pset:
        for hit in _walk(path, model, links, fv.name):
            key = (hit.destroy.call.line, hit.release.call.line)
            hits.setdefault(key, hit)
    view = ctx.file_view(fv.path, fv.patch)
    for (d_line, r_line), hit in sorted(hits.items()):
        touched = {d_line, r_line} & fv.changed_lines
        if not touched and not (ctx.report_all or ctx.scan):
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
    return (
        f"`{d.name}({d.args[0]})` at {d.line} runs before `{r.name}({r.args[0]})` at {r.line}: "
        f"`{link.walker}` walks `{link.obj}` (linked by {how}), so its callbacks can still "
        f"walk the lru after it is destroyed; release the shrinker first"
    )


def _walk(path: FlowPath, model: Model, links: dict[str, list[Link]], fv_name: str) -> Iterator[_Hit]:
    """Destroy-then-release pairs along one path."""
    state: dict[str, str | None] = {}
    pending: list[tuple[Event, CfgNode, Link, list[PathStep]]] = []
    steps: list[PathStep] = []
    for node, label in path.steps:
        if node.kind == K_GAP:
            # unseen code may register what we saw allocated: no longer sure it is not live
            state = {w: ("unknown" if s == "allocated" else s) for w, s in state.items()}
            continue
        if node.kind == K_COND and node.line is not None:
            steps.append(PathStep(node.line, f"`{_short(node.text)}` is {'true' if label else 'false'}"))
        assigned = _assigned(node)
        for call in node.calls:
            for ev in model.events(call, assigned):
                if ev.kind == "destroy":
                    for link in links_for(links, ev.obj, fv_name):
                        if state.get(link.walker) in _LIVE:
                            note = (
                                f"`{ev.obj}` destroyed while `{link.walker}` is {_state_word(state.get(link.walker))}"
                            )
                            pending.append((ev, node, link, [*steps, PathStep(call.line, note)]))
                    continue
                if ev.kind == "registered" and call.line:
                    steps.append(PathStep(call.line, f"`{ev.obj}` registered: its callbacks can run from here"))
                if ev.kind == "gone":
                    for d_ev, d_node, link, d_steps in pending:
                        if link.walker == ev.obj:
                            note = f"`{ev.obj}` released only now"
                            yield _Hit(d_ev, ev, d_node, node, link, [*d_steps, PathStep(call.line, note)])
                    pending = [p for p in pending if p[2].walker != ev.obj]
                state[ev.obj] = ev.kind


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
    return Fix(title, render(view, [LineEdit(first, last, tuple(t for t in moved if t is not None))]), "safe")
