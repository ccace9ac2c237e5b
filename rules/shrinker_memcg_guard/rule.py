"""memcg-aware shrinker path dereferences `sc->memcg` without a NULL / mem_cgroup_disabled() check.

## What it does
Finds the scan/count callbacks of memcg-aware shrinkers
(`SHRINKER_MEMCG_AWARE` in the shrinker's `.flags`, in `x.flags = ...` /
`x->flags |= ...`, or in `shrinker_alloc()`'s flags) and the code that walks
memcg shrinkers (a function that calls `do_shrink_slab()`), and flags a
dereference of the shrink control's memcg (`sc->memcg->field`, or a local
bound to `sc->memcg`) or a memcg state reader called on it
(`memcg_page_state()`, `css_get()` of it, ... from `[shrinker.memcg]` in
reviewkit/kernel/lifecycle.toml) when nothing on the way tests the memcg
for NULL or tests `mem_cgroup_disabled()`: an enclosing `if`, a `&&`/`?:`
operand, or an earlier `if (...) return/goto`.  Also a local set to an
address inside the memcg (`q = &sc->memcg->queue;`) with no such test and
then dereferenced (`q->len`, `&q->lock` handed on) before anything writes it
again: taking the address loads nothing, the first use of `q` oopses.

## Why is this bad?
With `cgroup_disable=memory` (or any reclaim that is not memcg reclaim:
`drop_caches`, a global kswapd pass once the controller is off), reclaim
calls memcg-aware shrinkers with `sc->memcg == NULL`.  It is the shrinker
side of the crash list-lru-memcg-guard reports: in the review of
"[PATCH v3 7/7] mm: switch deferred split shrinker to list_lru" (linux-mm,
March 2026) a memcg-aware path that assumed a memcg panicked a dump kernel
booted with `cgroup_disable=memory`.  The kernel's own memcg-aware
shrinkers test it first (`if (sc->memcg) ...` in deferred_split_count(),
count_shadow_nodes()).

## Example
```
static unsigned long foo_count(struct shrinker *s, struct shrink_control *sc)
{
        return READ_ONCE(sc->memcg->foo_pending);
}
```
Write instead:
```
static unsigned long foo_count(struct shrinker *s, struct shrink_control *sc)
{
        if (!sc->memcg)
                return 0;
        return READ_ONCE(sc->memcg->foo_pending);
}
```

## Not reported
- a dereference under `if (sc->memcg)`, `sc->memcg ? ... : ...`,
  `sc->memcg && ...`, `if (mem_cgroup_disabled()) ...` or after an early
  `if (!sc->memcg) return ...;`;
- `sc->memcg` passed on to helpers that accept NULL (`mem_cgroup_lruvec()`,
  `list_lru_shrink_count()`): only dereferences and the listed readers count;
- callbacks of shrinkers that are not memcg-aware (their `sc->memcg` is
  never set);
- lines the series did not change (unless `--all`, or in `reviewkit scan`).

## Known limitations
Which shrinker is memcg-aware is read from the file the callback is in
(flags set in another file are not seen, and the rule stays quiet).  A
local bound to `sc->memcg` is followed, and one bound to an address inside
it; a memcg reached through another structure (`lruvec_memcg(...)`) is not,
nor an address inside the memcg only handed to a callee (`f(&memcg->x)`:
whether the callee dereferences it is not known), nor a binding inside a
loop (source order is not run order there).  A NULL check through a wrapper
(`if (foo_has_memcg(sc))`) is not recognised, and such a function is
reported.

## Fix safety
Unsafe (changes what the callback returns for non-memcg reclaim): when the
dereference is in a statement of the function's outermost block, the fix
inserts `if (!sc->memcg) return 0;` (`SHRINK_STOP` for a scan callback)
before it.  A local that had another value before it was rebound into the
memcg (`q = &node_queue; ... q = &sc->memcg->queue;`) keeps that value
instead: the fix puts `if (sc->memcg)` around the rebinding, the kernel's
own shape.  Verified: it applies, parses and the finding goes away.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from reviewkit.rules._csyntax import guarded, norm_object
from reviewkit.rules.shrinker_memcg_guard.derived import derived_uses, rebind_fix

from reviewkit.api import (
    Applicability,
    FileView,
    Finding,
    Fix,
    FunctionView,
    Node,
    ReviewContext,
    Severity,
    edit_on_view,
    iter_calls,
)

ID = "shrinker-memcg-guard"
SEVERITY = Severity.ERROR
TOKENS = ("SHRINKER_MEMCG_AWARE", "do_shrink_slab")


def _model(ctx: ReviewContext) -> dict[str, Any]:
    return ctx.kernel.get("shrinker", {}).get("memcg", {})


def check(ctx: ReviewContext) -> Iterator[Finding]:
    model = _model(ctx)
    readers = set(model.get("readers", []))
    guards = set(model.get("guards", ["mem_cgroup_disabled"]))
    iterators = set(model.get("iterators", ["do_shrink_slab"]))
    field = str(model.get("field", "memcg"))
    found: list[Finding] = []
    for _pc, view in ctx.c_files():
        text = view.tree_post if view.tree_post is not None else "\n".join(ln.text for ln in view.lines("post"))
        roles = _memcg_aware_callbacks(text)
        for fv in view.functions("post"):
            fn = fv.function
            if fn is None or not ctx.introduced.function(fv):
                continue
            role = roles.get(fv.name)
            if role is None and not any(c.name in iterators for c in iter_calls(fv.parsed, fn.body)):
                continue
            found.extend(_check_function(ctx, fv, view, role, field, readers, guards))
    yield from found


_FLAGS_RE = re.compile(r"SHRINKER_MEMCG_AWARE")
_TABLE_RE = re.compile(r"\bstruct\s+shrinker\s+([A-Za-z_]\w*)\s*=\s*\{([^;]*?)\};", re.S)
_FIELD_RE = re.compile(r"([A-Za-z_][\w>.\-]*?)\s*(?:\.|->)\s*(flags|scan_objects|count_objects)\s*\|?=\s*([^;]+);")
_ALLOC_RE = re.compile(r"([A-Za-z_][\w>.\-]*)\s*=\s*shrinker_alloc\s*\(([^;]*)\)\s*;")


def _memcg_aware_callbacks(text: str) -> dict[str, str]:
    """callback name -> "scan"/"count" for shrinkers whose flags include SHRINKER_MEMCG_AWARE."""
    aware: set[str] = set()
    fields: dict[str, dict[str, str]] = {}
    for m in _TABLE_RE.finditer(text):
        body = m.group(2)
        if _FLAGS_RE.search(body):
            aware.add(m.group(1))
        for f in re.finditer(r"\.\s*(scan_objects|count_objects)\s*=\s*&?\s*([A-Za-z_]\w*)", body):
            fields.setdefault(m.group(1), {})[f.group(2)] = f.group(1)
    for m in _FIELD_RE.finditer(text):
        owner = norm_object(m.group(1))
        if m.group(2) == "flags":
            if _FLAGS_RE.search(m.group(3)):
                aware.add(owner)
        else:
            fields.setdefault(owner, {})[m.group(3).strip().lstrip("&")] = m.group(2)
    for m in _ALLOC_RE.finditer(text):
        if _FLAGS_RE.search(m.group(2)):
            aware.add(norm_object(m.group(1)))
    out: dict[str, str] = {}
    for owner, cbs in fields.items():
        if owner in aware:
            for name, slot in cbs.items():
                out[name] = "scan" if slot == "scan_objects" else "count"
    return out


def _check_function(
    ctx: ReviewContext,
    fv: FunctionView,
    view: FileView,
    role: str | None,
    field: str,
    readers: set[str],
    guards: set[str],
) -> Iterator[Finding]:
    fn = fv.function
    assert fn is not None
    memcgs = _memcg_exprs(fv, fn.body, field)
    if not memcgs:
        return
    seen: set[int] = set()
    unguarded = [(n, e) for n, e in _uses(fv, fn.body, memcgs, readers) if not _guarded(fv, n, memcgs, guards)]
    first = unguarded[0][0] if unguarded else None
    what = "memcg-aware shrinker callback" if role else "memcg shrinker walk"
    for node, expr in unguarded:
        line = fv.real_line(node)
        if line is None or line in seen:
            continue
        if not ctx.introduced.at(fv, node):
            continue
        seen.add(line)
        yield ctx.finding(
            ID,
            SEVERITY,
            f"`{expr}` at {line} in {what} {fv.name}() dereferences the shrink control's memcg without "
            f"a NULL or mem_cgroup_disabled() check: with cgroup_disable=memory it is NULL and this oopses",
            fv.path,
            line,
            patch=fv.patch,
            function=fv.name,
            fix=_fix(fv, view, first or node, memcgs, role),
        )
    for bind, use in derived_uses(fv, fn.body, memcgs, lambda n: _guarded(fv, n, memcgs, guards)):
        # reported where the address is taken: that is the line to change
        line, at = fv.real_line(bind.statement), fv.real_line(use.deref)
        if line is None or at is None or line in seen:
            continue
        if not (ctx.introduced.at(fv, use.deref) or ctx.introduced.at(fv, bind.statement)):
            continue
        seen.add(line)
        fix = rebind_fix(fv, view, bind) if bind.fallback else _fix(fv, view, bind.statement, memcgs, role)
        yield ctx.finding(
            ID,
            SEVERITY,
            f"`{bind.local} = {bind.value}` at {line} in {what} {fv.name}() takes an address inside the "
            f"shrink control's memcg without a NULL or mem_cgroup_disabled() check, and `{use.text}` at {at} "
            f"dereferences it: with cgroup_disable=memory the memcg is NULL and this oopses",
            fv.path,
            line,
            patch=fv.patch,
            function=fv.name,
            fix=fix,
        )


def _memcg_exprs(fv: FunctionView, body: Node, field: str) -> list[str]:
    """``sc->memcg`` (every ``X->memcg`` of a ``struct shrink_control *``) and locals bound to it."""
    text = fv.parsed.text(fv.function.node) if fv.function is not None else ""
    controls = set(re.findall(r"struct\s+shrink_control\s*\*\s*([A-Za-z_]\w*)", text))
    controls |= {m + "." for m in re.findall(r"struct\s+shrink_control\s+([A-Za-z_]\w*)\s*[=;]", text)}
    exprs = [f"{c}{field}" if c.endswith(".") else f"{c}->{field}" for c in controls]
    if exprs:
        bound = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*(?:" + "|".join(map(re.escape, exprs)) + r")\s*;")
        exprs.extend(m.group(1) for m in bound.finditer(text))
    return exprs


def _uses(fv: FunctionView, body: Node, memcgs: list[str], readers: set[str]) -> Iterator[tuple[Node, str]]:
    """Dereferences of a memcg expression and memcg readers called on one, in source order."""
    stack = [body]
    out: list[tuple[Node, str]] = []
    while stack:
        node = stack.pop()
        if node.type == "field_expression":
            arg = node.child_by_field_name("argument")
            op = node.child_by_field_name("operator")
            if (
                arg is not None
                and norm_object(fv.parsed.text(arg)) in memcgs
                and (op is None or fv.parsed.text(op) == "->")
                and not _address_only(node)
            ):
                out.append((node, fv.parsed.text(node)))
        elif node.type == "call_expression":
            callee = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if callee is not None and args is not None and fv.parsed.text(callee) in readers:
                names = [norm_object(fv.parsed.text(a)) for a in args.named_children]
                if any(n in memcgs or any(n.startswith(m + "->") for m in memcgs) for n in names):
                    out.append((node, fv.parsed.text(node)))
        stack.extend(node.named_children)
    out.sort(key=lambda u: u[0].start_byte)
    yield from out


def _address_only(node: Node) -> bool:
    """``&memcg->x`` handed to something: the address is computed, not loaded (a reader may still flag it)."""
    parent = node.parent
    return parent is not None and parent.type == "pointer_expression" and parent.start_byte == node.start_byte - 1


def _tests(fv: FunctionView, cond: Node | None, memcgs: list[str], guards: set[str]) -> bool:
    if cond is None:
        return False
    text = " ".join(fv.parsed.text(cond).split())
    if any(c.name in guards for c in iter_calls(fv.parsed, cond)):
        return True
    return any(re.search(rf"(?<![\w>.]){re.escape(m)}(?![\w]|->|\.)", text) for m in memcgs)


def _guarded(fv: FunctionView, node: Node, memcgs: list[str], guards: set[str]) -> bool:
    """A NULL or mem_cgroup_disabled() test decides whether ``node`` runs."""
    return guarded(node, lambda cond: _tests(fv, cond, memcgs, guards))


def _fix(fv: FunctionView, view: FileView, node: Node, memcgs: list[str], role: str | None) -> Fix | None:
    """``if (!sc->memcg) return 0;`` before the outermost statement holding the first unguarded use.

    Every finding of one function gets the same fix: returning before the
    first use guards the later ones too.
    """
    fn = fv.function
    if fn is None:
        return None
    stmt = node
    while stmt.parent is not None and stmt.parent.id != fn.body.id:
        stmt = stmt.parent
    if stmt.parent is None or stmt.type in ("declaration",):
        return None
    line = fv.real_line(stmt)
    text = view.line_text(line) if line is not None else None
    if line is None or text is None:
        return None
    indent = text[: len(text) - len(text.lstrip())]
    memcg = memcgs[0]
    ret = "SHRINK_STOP" if role == "scan" else "0"
    new = (f"{indent}if (!{memcg})", f"{indent}\treturn {ret};", "")
    return Fix(f"Return early when `{memcg}` is NULL", (edit_on_view(view, line, line, new),), Applicability.UNSAFE)
