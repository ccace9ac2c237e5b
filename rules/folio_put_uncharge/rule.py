"""folio_put() and memcg charges: redundant uncharge, leaked charged folio, use after the final put.

## What it does
Follows the paths of every function the series changes with the flow
engine and reports, for a folio the function owns:
(a) an explicit `mem_cgroup_uncharge(folio)` immediately before the final
`folio_put(folio)` / `put_page()` of that folio;
(b) after a successful `mem_cgroup_charge()` / `mem_cgroup_swapin_charge_folio()`,
a failure path that leaves without dropping the folio, when another path of
the same function does drop it.  A failure path returns an error value
(`NULL`, `-ENOMEM`, `VM_FAULT_OOM`, `SCAN_..._FAIL`), a variable that holds
one on that path (`ret = -EIO;`, or `if (err)` / `if (ret & VM_FAULT_ERROR)`
taken), or a variable after a `goto` to an error label; in a fragment also
a `goto` to an unseen label whose name says error and not cleanup
(`fallback`, `err`, not `out_put`), or one that another path reaches right
after dropping the folio.  Handing the folio over ends the obligation:
mapping it (`folio_add_new_anon_rmap()`), adding it to an LRU, the page or
swap cache or a list, storing it (`*foliop = folio`, `vmf->page = page`) or
returning it (the table is `[folio] handoff` in reviewkit/kernel/lifecycle.toml);
(c) the folio used (`folio_memcg()`, `folio_nid()`, `folio->...`) after its
final put.

## Why is this bad?
`folio_put()` dropping the last reference runs `__folio_put()`, which calls
`mem_cgroup_uncharge()`; `folio_memcg()` is immutable until then.  (a) is
redundant and reads as if the memcg could change before the put; (b) leaks
the folio and its charge; (c) is a use-after-free.  In the review of
"[PATCH v3 7/7] mm: switch deferred split shrinker to list_lru" (linux-mm,
March 2026) the reviewer asked "Do we not need to uncharge here?" three
times about the bare `folio_put()` after a failed
`folio_memcg_list_lru_alloc()` (mm/huge_memory.c:1250, mm/khugepaged.c:1094,
mm/memory.c:4662 and 5186); the author answered that `folio_put()` does
that, and that `folio_memcg()` is immutable until the put hits 0.  Those
paths are correct and are not reported; `reviewkit explain FILE:LINE SERIES`
answers the question for such a line.

## Example
```
        if (folio_memcg_list_lru_alloc(folio, &deferred_split_lru, gfp)) {
                mem_cgroup_uncharge(folio);
                folio_put(folio);
                return NULL;
        }
```
Write instead:
```
        if (folio_memcg_list_lru_alloc(folio, &deferred_split_lru, gfp)) {
                folio_put(folio);
                return NULL;
        }
```

## Not reported
- a bare `folio_put()` on a failure path (the final put uncharges);
- an uncharge before a put that may not be the last one: the folio is a
  parameter, the function took another reference (`folio_get()` ...), or
  the folio is used after the put;
- (b) when the folio was handed over on the path (mapped, added to the
  LRU or a cache, stored, returned); when the path ends in a success return
  (`return 0;` after `set_pmd_at()` in a fault handler), a value the path
  does not show to be an error (`return handle_userfault(...)`), or a
  `goto` to an unseen label that may drop the folio itself (`out_put`) or
  says nothing (`out`); when no other path of the function puts the folio
  (nothing shows the function owns it on failure); and on the branch where
  the charge itself failed;
- (c) unless the function allocated or charged the folio on that path and
  took no extra reference.

## Known limitations
The flow engine enumerates acyclic paths: a path that needs a loop's back
edge (`goto next` to the top of a retry loop) is not followed, and a
function with more paths than the engine's limit (`do_swap_page()`) is only
partly judged.  A leak on a path that returns 0 (a raced fault that jumps
to `release:` whose put was deleted) is not reported: 0 reads as success.
`mem_cgroup_uncharge_list()` is not modelled: whether the list put that
follows it uncharges depends on the kernel version.  In fragment mode a
gap after the put hides later uses, so (a) and (c) stay quiet there.

## Fix safety
(a) Safe: the fix removes the redundant `mem_cgroup_uncharge()` call.
(b) and (c) have no automatic fix.
"""

# size: about a third is the rule's documentation (`reviewkit explain`); the folio path model is in folio.py

from __future__ import annotations

from collections.abc import Iterator

from reviewkit.rules._csyntax import real_span
from reviewkit.rules.folio_put_uncharge.folio import (
    FolioCalls,
    Walk,
    failure_exit,
    folio_arg,
    labels_after_put,
    uses,
    walk,
)

from reviewkit.api import (
    K_GOTO,
    K_LABEL,
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
    edit_on_view,
    paths,
)

ID = "folio-put-uncharge"
TOPICS = (
    r"uncharge",
    r"\bcharged?\b",
    r"\bleak",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.WARNING


def _tokens(kernel: KernelModel) -> tuple[str, ...]:
    """Only functions that put or uncharge a folio are analysed."""
    facts = kernel.view(FolioCalls)
    return tuple(sorted(facts.put | facts.uncharge))


TOKENS = _tokens


def check(ctx: ReviewContext) -> Iterator[Finding]:
    facts = ctx.kernel.view(FolioCalls)
    found: list[Finding] = []
    for fv in ctx.functions("post", changed_only=ctx.introduced.changed_only):
        fn = fv.function
        if fn is None:
            continue
        names = {c.name for c in fn.calls()}
        if not names & (facts.put | facts.uncharge):
            continue
        cfg = ctx.facts.fragment_cfg(fv)
        if cfg.errors:
            ctx.bump("folio_put_uncharge_unparsed")
            continue
        pset = ctx.facts.paths(fv)
        if not pset.complete:
            ctx.bump("folio_put_uncharge_paths_cut")
        found.extend(_redundant_uncharge(ctx, fv, cfg.nodes, pset.paths, facts))
        found.extend(_path_findings(ctx, fv, cfg.nodes, pset.paths, facts))
    yield from found


def _reportable(ctx: ReviewContext, fv: FunctionView, lines: set[int | None]) -> bool:
    return ctx.introduced.at(fv, *lines)


def _params(fv: FunctionView) -> set[str]:
    fn = fv.function
    if fn is None or not fv.start_visible:
        return set()
    decl = fn.node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    params = decl.child_by_field_name("parameters") if decl is not None else None
    if params is None:
        return set()
    out = set()
    for p in params.named_children:
        text = fv.parsed.text(p).replace("*", " ").split()
        if text:
            out.add(text[-1])
    return out


# --------------------------------------------------------------------------
# (a) redundant uncharge before the final put


def _redundant_uncharge(
    ctx: ReviewContext, fv: FunctionView, nodes: list[CfgNode], all_paths: list[FlowPath], facts: FolioCalls
) -> Iterator[Finding]:
    params = _params(fv)
    for n in nodes:
        unch = next((c for c in n.calls if c.name in facts.uncharge), None)
        if n.kind != K_STMT or unch is None or len(n.succs) != 1:
            continue
        var = folio_arg(unch)
        nxt = n.succs[0][0]
        put = next((c for c in nxt.calls if c.name in facts.put and folio_arg(c) == var), None)
        if var is None or put is None or nxt.kind != K_STMT or var in params:
            continue
        if not _final_put(nxt, var, all_paths, facts):
            continue
        if not _reportable(ctx, fv, {n.line, nxt.line}):
            continue
        view = ctx.file_view(fv.path, fv.patch)
        yield ctx.finding(
            ID,
            SEVERITY,
            f"`{unch.name}({unch.args[0]})` at {unch.line} is redundant: `{put.name}({put.args[0]})` at "
            f"{put.line} drops the last reference and __folio_put() uncharges the folio itself "
            f"(folio_memcg() stays stable until that put)",
            fv.path,
            unch.line,
            patch=fv.patch,
            function=fv.name,
            fix=_drop_statement(fv, view, n) if view is not None else None,
        )


def _final_put(put_node: CfgNode, var: str, all_paths: list[FlowPath], facts: FolioCalls) -> bool:
    """On every path through ``put_node``: no extra reference before it, no use or gap after it."""
    through = [p for p in all_paths if any(node is put_node for node, _ in p.steps)]
    if not through:
        return False
    for p in through:
        w = walk(p, var, facts)
        if w.gets or w.gap_after_put or w.use_after_put is not None or w.put_node is not put_node:
            return False
        after = False
        for node, _label in p.steps:
            if after and uses(node, var):
                return False
            after = after or node is put_node
    return True


def _drop_statement(fv: FunctionView, view: FileView, node: CfgNode) -> Fix | None:
    if node.ast is None:
        return None
    span = real_span(fv, node.ast)
    if span is None:
        return None
    texts = [view.line_text(n) for n in range(span[0], span[1] + 1)]
    if any(t is None for t in texts) or " ".join(t.strip() for t in texts if t) != " ".join(node.text.split()):
        return None
    edit = edit_on_view(view, span[0], span[1] + 1, ())
    return Fix("Drop the redundant mem_cgroup_uncharge()", (edit,), Applicability.SAFE)


# --------------------------------------------------------------------------
# (b) leaked charged folio, (c) use after the final put


def _path_findings(
    ctx: ReviewContext, fv: FunctionView, nodes: list[CfgNode], all_paths: list[FlowPath], facts: FolioCalls
) -> Iterator[Finding]:
    charged = {folio_arg(c) for n in nodes for c in n.calls if c.name in facts.charge} - {None}
    put_vars = {folio_arg(c) for n in nodes for c in n.calls if c.name in facts.put} - {None}
    params = _params(fv)
    leaks: dict[int, Finding] = {}
    uafs: dict[tuple[int, int], Finding] = {}
    for var in sorted(v for v in charged | put_vars if v):
        walks = [(p, walk(p, var, facts)) for p in all_paths]
        no_put = set().union(*(labels_after_put(p, w) for p, w in walks))
        for p, w in walks:
            leak = _leak(ctx, fv, p, w, nodes, facts, no_put) if var in charged and var in put_vars else None
            if leak is not None:
                leaks.setdefault(leak.line, leak)
            if w.use_after_put is not None and not w.gets and var not in params and (w.alloc or w.charge):
                uaf = _use_after_put(ctx, fv, w)
                if uaf is not None:
                    uafs.setdefault((w.put.line if w.put else 0, uaf.line), uaf)
    yield from leaks.values()
    yield from uafs.values()


def _leak(
    ctx: ReviewContext,
    fv: FunctionView,
    p: FlowPath,
    w: Walk,
    nodes: list[CfgNode],
    facts: FolioCalls,
    no_put_labels: set[str],
) -> Finding | None:
    if not w.charged_ok or w.put is not None or w.handed is not None or w.charge is None:
        return None
    via = failure_exit(p, facts, no_put_labels)
    if via is None:
        return None
    leave = _leaving_node(p, via)
    if leave is None or leave.line is None:
        return None
    lines = {n.line for n in w.after_charge} | {leave.line}
    if not _reportable(ctx, fv, lines):
        return None
    sibling = next(
        (c for n in nodes for c in n.calls if c.name in facts.put and folio_arg(c) == w.var and c.line), None
    )
    if sibling is None:
        return None
    put = f"{sibling.name}({sibling.args[0]})"
    charge = w.charge.call
    branch = _branch(w.failure_cond) if w.failure_cond else ""
    why = f" if `{branch}` ({w.failure_cond[0].line})" if w.failure_cond and w.failure_cond[0].line else ""
    where = f"`goto {via.label}` (not in view)" if via.kind == K_LABEL else f"`{_short(leave.text)}`"
    steps = [PathStep(charge.line, f"`{w.var}` charged by {charge.name}()")]
    if w.failure_cond and w.failure_cond[0].line:
        steps.append(PathStep(w.failure_cond[0].line, f"`{branch}`: the failure branch"))
    steps.append(PathStep(leave.line, f"leaves holding `{w.var}`"))
    return ctx.finding(
        ID,
        Severity.ERROR,
        f"`{w.var}` charged by `{charge.name}()` at {charge.line} leaks{why}: {where} at {leave.line} "
        f"leaves without `{put}`, unlike the put at {sibling.line}",
        fv.path,
        leave.line,
        patch=fv.patch,
        function=fv.name,
        path=steps,
    )


def _branch(cond: tuple[CfgNode, bool]) -> str:
    """The condition as taken on the path: ``!pgtable`` for the false edge of ``pgtable``."""
    text = _short(cond[0].text)
    if cond[1]:
        return text
    simple = text.replace("->", "").replace(".", "").replace("_", "").isalnum() or text.endswith(")")
    return f"!{text}" if simple else f"!({text})"


def _leaving_node(p: FlowPath, via: CfgNode) -> CfgNode | None:
    """The return, or the goto that jumps to the unseen label."""
    if via.kind != K_LABEL:
        return via
    prev = None
    for node, _label in p.steps:
        if node is via:
            return prev if prev is not None and prev.kind == K_GOTO else None
        prev = node
    return None


def _use_after_put(ctx: ReviewContext, fv: FunctionView, w: Walk) -> Finding | None:
    use, put = w.use_after_put, w.put
    if use is None or put is None or use.line is None:
        return None
    if not _reportable(ctx, fv, {use.line, put.line}):
        return None
    origin = f", allocated by {w.alloc.name}() at {w.alloc.line}" if w.alloc else ""
    return ctx.finding(
        ID,
        Severity.ERROR,
        f"`{_short(use.text)}` at {use.line} uses `{w.var}` after `{put.name}({put.args[0]})` at {put.line} "
        f"dropped the last reference{origin}: use-after-free",
        fv.path,
        use.line,
        patch=fv.patch,
        function=fv.name,
        path=[PathStep(put.line, f"last reference to `{w.var}` dropped"), PathStep(use.line, f"`{w.var}` used")],
    )


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


# --------------------------------------------------------------------------
# ``reviewkit explain FILE:LINE SERIES``: "do we need to uncharge here?"


def explain(ctx: ReviewContext, file: str, line: int) -> list[str]:
    """The reasoning about the folio put (or uncharge) at ``file:line``, for a reviewer to read."""
    facts = ctx.kernel.view(FolioCalls)
    for fv in ctx.functions("post", changed_only=False):
        if fv.path != file or not (fv.first_line <= line <= fv.last_line) or fv.function is None:
            continue
        cfg = ctx.facts.fragment_cfg(fv)
        node = _put_near(cfg.nodes, line, facts)
        if node is None:
            continue
        put = next(c for c in node.calls if c.name in facts.put)
        var = folio_arg(put) or "folio"
        through = [p for p in paths(cfg) if any(n is node for n, _ in p.steps)]
        walks = [walk(p, var, facts) for p in through]
        return _answer(fv, put, var, walks, facts)
    return []


def _put_near(nodes: list[CfgNode], line: int, facts: FolioCalls) -> CfgNode | None:
    """The put on ``line``, or the first put of the branch that starts there (``if (...) {`` line)."""
    for n in nodes:
        if n.line == line and any(c.name in facts.put for c in n.calls):
            return n
    start = next((n for n in nodes if n.line == line), None)
    frontier = [s for s, label in start.succs if label is not False] if start is not None else []
    for _ in range(4):
        nxt: list[CfgNode] = []
        for n in frontier:
            if any(c.name in facts.put for c in n.calls):
                return n
            nxt.extend(s for s, _ in n.succs)
        frontier = nxt
    return None


def _answer(fv: FunctionView, put: Call, var: str, walks: list[Walk], facts: FolioCalls) -> list[str]:
    out = [f"{fv.path}:{put.line}: `{put.name}({', '.join(put.args)})` in {fv.name}()"]
    charges = {(w.charge.call.name, w.charge.call.line) for w in walks if w.charge is not None}
    allocs = {(w.alloc.name, w.alloc.line) for w in walks if w.alloc is not None}
    gets = {(c.name, c.line) for w in walks for c in w.gets}
    later = [w.use_after_put for w in walks if w.use_after_put is not None]
    if charges:
        for name, cline in sorted(charges, key=lambda c: c[1]):
            out.append(
                f"- `{var}` was charged to its memcg by {name}() at {cline} (the charge succeeded on this path)."
            )
    else:
        out.append(f"- no charge of `{var}` is in view (it happens in code the patch does not show, or in a caller).")
    if allocs:
        for name, aline in sorted(allocs, key=lambda a: a[1]):
            out.append(f"- `{var}` was allocated by {name}() at {aline}: this function holds the only reference.")
    if gets:
        got = ", ".join(f"{n}() at {ln}" for n, ln in sorted(gets, key=lambda g: g[1]))
        out.append(f"- an extra reference was taken ({got}), so this put may not be the final one.")
        out.append("Answer: the final folio_put() uncharges; this put may not be the final one.")
        return out
    last = "drops the last reference" if allocs or charges else "drops a reference (the last, if no one else holds one)"
    out.append(f"- {put.name}() {last}; the final put runs __folio_put(), which calls mem_cgroup_uncharge().")
    out.append("- folio_memcg() is immutable until that final put, so uncharging earlier would look unexpected.")
    if later:
        out.append(f"- but `{var}` is used after the put at {later[0].line}: that is a use-after-free.")
    out.append("Answer: no explicit mem_cgroup_uncharge() is needed here; folio_put() takes care of it.")
    return out
