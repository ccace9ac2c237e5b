"""memcg-aware list_lru created without a guard for a disabled memory controller.

## What it does
Flags a memcg-aware list_lru initialisation the series adds
(`list_lru_init_memcg()`, `list_lru_init_memcg_key()`,
`__list_lru_init(lru, true, ...)`) when nothing keeps the lru from becoming
memcg-aware while the memory controller is disabled: the call is not
guarded by `mem_cgroup_disabled()` / `memcg_kmem_online()` /
`mem_cgroup_kmem_disabled()`, and `__list_lru_init()` in mm/list_lru.c does
not clear `memcg_aware` when `mem_cgroup_disabled()`.  In tree mode (and when
the series itself touches `__list_lru_init()`) the rule reads
`__list_lru_init()` and stays quiet if it already clears the flag.

## Why is this bad?
With `cgroup_disable=memory` there is no memcg hierarchy, but a memcg-aware
list_lru still allocates per-memcg lists on demand: the do-while hierarchy
walk in `__memcg_list_lru_alloc()` runs into a NULL memcg and the kernel
panics at the first allocation.  In "[PATCH v3 7/7] mm: switch deferred
split shrinker to list_lru" (linux-mm, March 2026), `thp_shrinker_init()`
added an unguarded `list_lru_init_memcg_key(&deferred_split_lru, ...)`
(mm/huge_memory.c:925); linux-next then panicked on s390 and x86 at the
first THP collapse of a dump kernel booted with `cgroup_disable=memory`.
The older callers had their own `memcg_kmem_online()` guards.  The author's
fix made `__list_lru_init()` clear `memcg_aware` when
`mem_cgroup_disabled() || mem_cgroup_kmem_disabled()`.

## Example
```
        if (list_lru_init_memcg_key(&deferred_split_lru,
                                    deferred_split_shrinker,
                                    &deferred_split_key))
```
Write instead, in `__list_lru_init()` (mm/list_lru.c):
```
        if (mem_cgroup_disabled() || mem_cgroup_kmem_disabled())
                memcg_aware = false;
```
or guard the call site:
```
        if (mem_cgroup_disabled() ? list_lru_init(&deferred_split_lru) :
            list_lru_init_memcg_key(&deferred_split_lru,
                                    deferred_split_shrinker,
                                    &deferred_split_key))
```

## Not reported
- a call inside a branch or conditional expression whose condition tests
  one of the guards, or after an `if (<guard>) return/goto ...;`;
- `__list_lru_init()` whose memcg_aware argument is not a literal true;
- a tree (or series) whose `__list_lru_init()` clears `memcg_aware` when
  `mem_cgroup_disabled()`;
- calls the series did not add (unless `--all`);
- whole-file scans: whether the lru can become memcg-aware is a property of
  the tree's mm/list_lru.c, so use `reviewkit check --tree`.

## Known limitations
In fragment mode the rule cannot see unchanged code between hunks: an early
`if (mem_cgroup_disabled()) return ...;` hidden in such a gap, or a tree
whose `__list_lru_init()` already clears the flag, is not seen; the message
says that nothing shows mm/list_lru.c clearing the flag.  Guards are recognised by name
only (a wrapper around `mem_cgroup_disabled()` is not).

## Fix safety
Unsafe (behaviour changes when the memory controller is disabled, as
intended).  With mm/list_lru.c in view (tree mode, or the series touches
it) the fix is the one the thread chose, in `__list_lru_init()`:
`if (mem_cgroup_disabled() || mem_cgroup_kmem_disabled()) memcg_aware = false;`
(an existing `if (mem_cgroup_kmem_disabled())` gains the first test).
Only when mm/list_lru.c is not in view is a guard at the call site offered
instead, and its title says so: it falls back to a memcg-unaware
`list_lru_init()` (for `__list_lru_init()`: passes `!mem_cgroup_disabled()`
as memcg_aware).  Every fix is verified: it
applies, parses and the finding goes away.
"""

# size: about half is the rule's documentation (`reviewkit explain`) and its fix texts

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reviewkit.rules._csyntax import guarded, mentions_call, norm_object

from reviewkit.api import (
    Applicability,
    Call,
    Edit,
    FileView,
    Finding,
    Fix,
    Function,
    FunctionView,
    Node,
    Parsed,
    ReviewContext,
    Severity,
    declarator_name,
    edit_on_text,
    edit_on_view,
    iter_calls,
    parse,
)

ID = "list-lru-memcg-guard"
TOPICS = (
    r"memcg",
    r"cgroup_disable",
    r"\bkmem\b",
    r"mem_cgroup_disabled",
    r"memcg[- ]aware",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.ERROR
SERIES_ONLY = True
"""About what a series changes: `reviewkit scan` skips it unless selected with --rule."""


def _tokens(kernel: dict[str, Any]) -> tuple[str, ...]:
    """Files without a list_lru constructor or the memcg check that clears the flag are skipped.

    The check is a token because a fragment of mm/list_lru.c may show the
    ``if (mem_cgroup_disabled() ...)`` line of ``__list_lru_init()`` and name
    the function only in its hunk header.
    """
    model = kernel.get("list_lru", {}).get("memcg_init", {})
    names = {c["name"] for c in model.get("calls", [])} | {model.get("init_function", "__list_lru_init")}
    names.add(model.get("disabled_check", "mem_cgroup_disabled"))
    return tuple(sorted(names))


TOKENS = _tokens


@dataclass
class _Init:
    """What the tree (or series) shows of ``__list_lru_init()``."""

    clears: bool | None
    """True: clears memcg_aware when mem_cgroup_disabled(); False: seen and does not; None: not in view."""
    view: FileView | None = None
    text: str | None = None
    fix: Edit | None = None
    """Where the init function should clear the flag (no context yet: the view may be absent)."""


def _model(ctx: ReviewContext) -> dict[str, Any]:
    return ctx.kernel.get("list_lru", {}).get("memcg_init", {})


def check(ctx: ReviewContext) -> Iterator[Finding]:
    if ctx.scan:  # call sites a series adds; a scan has no series (and --rule asks for nothing here)
        return
    model = _model(ctx)
    specs = {c["name"]: c for c in model.get("calls", [])}
    if not specs:
        return
    init = _init_state(ctx, model)
    if init.clears:
        return
    found: list[Finding] = []
    for fv in ctx.functions("post", changed_only=ctx.introduced.changed_only):
        found.extend(_check_function(ctx, fv, specs, model, init))
    yield from found


def _check_function(
    ctx: ReviewContext, fv: FunctionView, specs: dict[str, Any], model: dict[str, Any], init: _Init
) -> Iterator[Finding]:
    fn = fv.function
    if fn is None:
        return
    guards = set(model.get("guards", []))
    before = _pre_existing(ctx, fv, specs, guards)
    for call in iter_calls(fv.parsed, fn.body):
        spec = specs.get(call.name)
        if spec is None or not _memcg_aware(call, spec):
            continue
        line = fv.real_line(call.node)
        if line is None or _guarded(fv, call.node, guards):
            continue
        lru = call.args[spec.get("lru", 0)] if len(call.args) > spec.get("lru", 0) else "?"
        if not ctx.introduced.at(fv, call.node) or ctx.introduced.existed((call.name, norm_object(lru)) in before):
            continue
        yield ctx.finding(
            ID,
            SEVERITY,
            _message(call, lru, line, init, model),
            fv.path,
            line,
            patch=fv.patch,
            function=fv.name,
            fix=_fix(ctx, fv, call, spec, lru, init, model),
        )


def _message(call: Call, lru: str, line: int, init: _Init, model: dict[str, Any]) -> str:
    where = model.get("init_function", "__list_lru_init")
    seen = (
        f"{where}() does not clear memcg_aware when mem_cgroup_disabled()"
        if init.clears is False
        else f"nothing shows {where}() in {model.get('init_file', 'mm/list_lru.c')} clearing it"
    )
    return (
        f"`{call.name}({lru}, ...)` at {line} makes `{norm_object(lru)}` memcg-aware even with "
        f"cgroup_disable=memory: no mem_cgroup_disabled() guard here and {seen}, so "
        f"__memcg_list_lru_alloc() walks a NULL memcg and panics"
    )


def _memcg_aware(call: Call, spec: dict[str, Any]) -> bool:
    if "aware" not in spec:
        return True
    idx = spec["aware"]
    return len(call.args) > idx and call.args[idx].strip() in ("true", "1")


def _guarded(fv: FunctionView, node: Node, guards: set[str]) -> bool:
    """A guard decides whether ``node`` runs: an enclosing condition or an earlier early exit."""
    return guarded(node, lambda cond: mentions_call(fv, cond, guards))


def _pre_existing(
    ctx: ReviewContext, fv: FunctionView, specs: dict[str, Any], guards: set[str]
) -> set[tuple[str, str]]:
    """Unguarded memcg-aware inits the function already had before the series."""
    pre = ctx.pre_function(fv)
    fn = pre.function if pre is not None else None
    if pre is None or fn is None:
        return set()
    out = set()
    for call in iter_calls(pre.parsed, fn.body):
        spec = specs.get(call.name)
        if spec is not None and _memcg_aware(call, spec) and not _guarded(pre, call.node, guards):
            idx = spec.get("lru", 0)
            if len(call.args) > idx:
                out.add((call.name, norm_object(call.args[idx])))
    return out


# --------------------------------------------------------------------------
# __list_lru_init() in the tree or the series


def _init_state(ctx: ReviewContext, model: dict[str, Any]) -> _Init:
    path = model.get("init_file", "mm/list_lru.c")
    name = model.get("init_function", "__list_lru_init")
    view = None
    for _pc, fv in ctx.c_files():
        if fv.path == path:
            view = fv
    if view is not None and view.tree_post is None:
        # fragment: only a visible __list_lru_init() that clears the flag counts
        for seen in view.functions("post"):
            if seen.name == name and seen.function is not None and _clears(seen.parsed, seen.function, model):
                return _Init(True, view)
        return _Init(None)
    text = view.tree_post if view is not None else _tree_text(ctx, path)
    if text is None:
        return _Init(None)
    parsed = parse(text)
    fn = next((f for f in parsed.functions() if f.name == name), None)
    if fn is None:
        return _Init(None)
    if _clears(parsed, fn, model):
        return _Init(True, view, text)
    return _Init(False, view, text, _init_fix(parsed, fn, text, model))


def _tree_text(ctx: ReviewContext, path: str) -> str | None:
    if ctx.tree is None:
        return None
    try:
        return (ctx.tree / path).read_text("utf-8", errors="surrogateescape")
    except OSError:
        return None


def _aware_param(fn: Function, model: dict[str, Any]) -> str:
    decl = fn.node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    params = decl.child_by_field_name("parameters") if decl is not None else None
    if params is not None:
        names = [declarator_name(p.child_by_field_name("declarator")) for p in params.named_children]
        if len(names) > 1 and names[1]:
            return names[1]
    return str(model.get("aware_param", "memcg_aware"))


def _clears(parsed: Parsed, fn: Function, model: dict[str, Any]) -> bool:
    """``if (mem_cgroup_disabled() ...) memcg_aware = false;`` (or an assignment from it)."""
    disabled = {model.get("disabled_check", "mem_cgroup_disabled")}
    param = _aware_param(fn, model)
    stack = [fn.body]
    while stack:
        node = stack.pop()
        if node.type == "if_statement":
            cond = node.child_by_field_name("condition")
            body = node.child_by_field_name("consequence")
            if (
                cond is not None
                and body is not None
                and _calls(parsed, cond) & disabled
                and _assigns(parsed, body, param)
            ):
                return True
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if (
                left is not None
                and parsed.text(left) == param
                and right is not None
                and _calls(parsed, right) & disabled
            ):
                return True
        stack.extend(node.children)
    return False


def _calls(parsed: Parsed, node: Node) -> set[str]:
    return {c.name for c in iter_calls(parsed, node)}


def _assigns(parsed: Parsed, node: Node, name: str) -> bool:
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "assignment_expression":
            left = cur.child_by_field_name("left")
            if left is not None and parsed.text(left) == name:
                return True
        stack.extend(cur.children)
    return False


def _init_fix(parsed: Parsed, fn: Function, text: str, model: dict[str, Any]) -> Edit | None:
    """Clear memcg_aware when mem_cgroup_disabled() in __list_lru_init()."""
    disabled = model.get("disabled_check", "mem_cgroup_disabled")
    path = model.get("init_file", "mm/list_lru.c")
    param = _aware_param(fn, model)
    rows = text.split("\n")
    stack = [fn.body]
    while stack:
        node = stack.pop()
        if node.type == "if_statement":
            cond = node.child_by_field_name("condition")
            body = node.child_by_field_name("consequence")
            if cond is not None and body is not None and _assigns(parsed, body, param):
                row = cond.start_point[0]
                if cond.end_point[0] == row and rows[row].count("if (") == 1:
                    inner = parsed.text(cond)[1:-1]
                    new = rows[row].replace(f"({inner})", f"({disabled}() || {inner})", 1)
                    return Edit(path, row + 1, row + 2, (new,))
        stack.extend(reversed(node.children))
    # no existing test: clear the flag first thing after the declarations
    first = next((s for s in fn.body.named_children if s.type not in ("declaration", "comment")), None)
    if first is None:
        return None
    line = first.start_point[0] + 1
    indent = rows[line - 1][: len(rows[line - 1]) - len(rows[line - 1].lstrip())]
    while line > 1 and rows[line - 2].lstrip().startswith(("#if", "#ifdef", "#ifndef")):
        line -= 1  # not inside a conditional block the statement happens to open with
    kmem = model.get("kmem_check")
    test = f"{disabled}() || {kmem}()" if kmem else f"{disabled}()"
    return Edit(path, line, line, (f"{indent}if ({test})", f"{indent}\t{param} = false;", ""))


# --------------------------------------------------------------------------
# Fixes


def _fix(
    ctx: ReviewContext, fv: FunctionView, call: Call, spec: dict[str, Any], lru: str, init: _Init, model: dict[str, Any]
) -> Fix | None:
    path = model.get("init_file", "mm/list_lru.c")
    if init.clears is False and init.fix and init.text is not None:
        e = init.fix
        if init.view is not None:
            edit = edit_on_view(init.view, e.start, e.end, e.lines)
        else:
            edit = edit_on_text(path, init.text, e.start, e.end, e.lines)
        return Fix(
            f"Clear memcg_aware in {model.get('init_function')}() when the memory controller is disabled",
            (edit,),
            Applicability.UNSAFE,
        )
    view = ctx.file_view(fv.path, fv.patch)
    if view is None:
        return None
    guard = _call_site_guard(ctx, fv, view, call, spec, lru, model)
    if guard is None:
        return None
    title = f"Guard `{call.name}()` with {model.get('disabled_check')}() at the call site ({path} not in view)"
    return Fix(title, (guard,), Applicability.UNSAFE)


def _call_site_guard(
    ctx: ReviewContext,
    fv: FunctionView,
    view: FileView,
    call: Call,
    spec: dict[str, Any],
    lru: str,
    model: dict[str, Any],
) -> Edit | None:
    disabled = model.get("disabled_check", "mem_cgroup_disabled")
    row = call.node.start_point[0]
    line = fv.real_line_of_row(row)
    text = view.line_text(line) if line is not None else None
    if line is None or text is None:
        return None
    if "aware" in spec:
        args = call.node.child_by_field_name("arguments")
        if args is None or len(args.named_children) <= spec["aware"]:
            return None
        arg_node = args.named_children[spec["aware"]]
        if arg_node.start_point[0] != row:
            return None
        col = arg_node.start_point[1]
        old = fv.parsed.text(arg_node)
        if text[col : col + len(old)] != old:
            return None
        return edit_on_view(view, line, line + 1, (text[:col] + f"!{disabled}()" + text[col + len(old) :],))
    fallback = spec.get("fallback")
    if not fallback:
        return None
    col = call.node.start_point[1]
    head = text[:col]
    if not text[col:].startswith(call.name):
        return None
    pad = _retab(head)
    guard = f"{head}{disabled}() ? {fallback.format(lru=lru)} :"
    return edit_on_view(view, line, line + 1, (guard, pad + text[col:]))


def _retab(head: str) -> str:
    """Whitespace as wide as ``head``, tabs first (kernel style)."""
    width = len(head.expandtabs(8))
    return "\t" * (width // 8) + " " * (width % 8)
