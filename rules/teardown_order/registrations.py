"""Registrations with callbacks, and what each callback can reach (not a rule).

Learned from every function and file-scope table in view, for every kind
of ``[[lifecycle.kinds]]`` in reviewkit/kernel/lifecycle.toml:

- a setup call that names the callback (``request_irq(irq, fn, ..., dev)``,
  ``timer_setup(&f->t, fn, 0)``, ``INIT_WORK(&f->w, fn)``,
  ``t = kthread_run(fn, data, ...)``, ``call_rcu(&x->rcu, fn)``);
- a callback field assignment (``f->nb.notifier_call = fn``,
  ``f->shrinker.scan_objects = fn``, ``f->t.function = fn``);
- a file-scope table (``struct notifier_block nb = { .notifier_call = fn }``).

A registration is stored in the shape the setup code wrote it (walker
``f->t``, context ``f``): :func:`reaching` rebases it onto the pointer a
teardown function uses (``kfree(p->buf)`` is reached through ``p->t``'s
callback when that callback dereferences ``->buf`` of its context).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from reviewkit.rules._csyntax import arg, declared_names, norm_object
from reviewkit.rules.teardown_order.lifecycle import (
    Link,
    Model,
    file_initializers,
    learned,
    strip_casts,
)
from reviewkit.rules.teardown_order.reach import (
    Reach,
    ReachIndex,
    address_aliases,
    file_scope_names,
    rebase_alias,
)

from reviewkit.api import Call, FunctionView, Node, ReviewContext, declarator_name, parse

_ROOT_RE = re.compile(r"^([A-Za-z_]\w*)(.*)$")


@dataclass(frozen=True)
class Registration:
    kind: str
    walker: str
    """The handle as the setup code wrote it (normalised): ``f->timer``, ``priv``, ``cask_nb``."""
    context: str | None
    """What the callback gets back to (``f``), None when it has no context (a global table)."""
    relative: bool
    """Walker and context are rooted at one local or parameter of the setup function: rebase by shape."""
    callback: str
    how: str
    path: str
    line: int
    reach: Reach
    exclusive: bool = False
    """An IRQ requested with constant flags that lack the shared flag."""


def learn_registrations(ctx: ReviewContext, model: Model, views: list[FunctionView]) -> list[Registration]:
    """Every registration of a callback in view (``views``: :func:`all_functions`)."""
    if not views:
        return []
    index = ReachIndex({fv.name: fv for fv in views}, model.context_macros, model.context_fields, model.gate_calls)
    for _pc, view in ctx.c_files():
        if view.tree_post is not None:
            index.file_globals[view.path] = _file_globals(ctx, view.tree_post)
    out: list[Registration] = []
    for fv in views:
        info = learned(ctx, fv, model)  # most functions register nothing: their trees are not walked again
        if info.setups:
            out.extend(_from_calls(fv, model, index))
        if info.assignments:
            out.extend(_from_assignments(fv, model, index, info.assignments))
    for _pc, view in ctx.c_files():
        for walker, field, callback, line in file_initializers(ctx, view, model):
            kind = model.field_kind.get(field, model.walker_kind)
            reach = index.reach(callback, model.context_param(kind))
            if reach is not None:
                how = f"set by `.{field} = {callback}` in `{walker}` at {line}"
                out.append(Registration(kind, walker, None, False, callback, how, view.path, line, reach))
    return out


def _file_globals(ctx: ReviewContext, text: str) -> set[str]:
    """Names declared at file scope of a whole file's text, parsed once per text per run (never change it)."""
    table = ctx.facts.table("teardown-order.file-globals")
    found = table.get(text)
    if found is None:
        parsed = parse(text)
        found = table[text] = file_scope_names(parsed.root, parsed.text)
    return found


def _from_calls(fv: FunctionView, model: Model, index: ReachIndex) -> Iterator[Registration]:
    fn = fv.function
    assert fn is not None
    mine: set[str] | None = None
    aliases: dict[str, str] | None = None
    for call in fn.calls():
        spec = model.spec(call.name)
        if spec is None or "callback" not in spec:
            continue
        kind = str(spec["kind"])
        walker = model.handle(call, spec, _assigned_to(fv, call.node))
        if walker is None:
            continue
        if "context" in spec:
            context = arg(call, int(spec["context"]))
        else:
            context = None if spec.get("handle") == "const" else _base(walker)
        context = strip_casts(norm_object(context)) if context else None
        aliases = address_aliases(fv) if aliases is None else aliases
        # `cwq = &oct->q; INIT_WORK(&cwq->w, fn)` is `oct->q.w`, with context `oct->q` (as teardown sees it)
        walker = walker if "|" in walker else rebase_alias(walker, aliases)
        context = _rebase_root(context, aliases) if context else None
        mine = declared_names(fv) if mine is None else mine
        line = fv.real_line(call.node) or 0
        backs = _back_pointers(fv, walker, aliases or {}) if "context" not in spec and "|" not in walker else []
        exclusive = _exclusive(call, spec, model.shared_flag.get(kind))
        for idx in spec["callback"]:
            cb = arg(call, int(idx))
            if not cb or not re.fullmatch(r"[A-Za-z_]\w*", cb.strip()):
                continue
            how = f"registered by {call.name}() at {line}"
            reach = index.reach(cb.strip(), model.context_param(kind))
            if reach is not None:
                reg = _registration(kind, walker, context, cb.strip(), how, fv, line, reach, mine)
                if reg is not None:
                    yield replace(reg, exclusive=exclusive)
            for fld, value in backs:
                # the callback gets back to `value` through the back pointer the setup filled in
                reach = index.reach(cb.strip(), model.context_param(kind), back=frozenset({fld}))
                if reach is None or not reach.members:
                    continue
                via = f"{how}, its context `{value}` through `.{fld}`"
                reg = _registration(kind, walker, value, cb.strip(), via, fv, line, reach, mine)
                if reg is not None:
                    yield reg


def _exclusive(call: Call, spec: dict[str, object], shared: str | None) -> bool:
    """Constant request flags without ``shared`` (``0``, ``IRQF_TRIGGER_HIGH``): not a shared line."""
    if shared is None or "flags" not in spec:
        return False
    flags = arg(call, int(str(spec["flags"])))
    return flags is not None and shared not in flags and re.fullmatch(r"[A-Z0-9_|\s()]+", flags) is not None


def _rebase_root(context: str, aliases: dict[str, str]) -> str:
    """``health`` with ``health = &dev->priv.health`` -> ``dev->priv.health``; ``h->x`` -> ``dev->...h.x``."""
    root = _root(context)
    if root in aliases:
        return aliases[root] if root == context else rebase_alias(context, aliases)
    return context


def _back_pointers(fv: FunctionView, walker: str, aliases: dict[str, str]) -> list[tuple[str, str]]:
    """(field, value) of ``h.F = value`` where ``h`` holds the walker (``lio->q.wk.ctxptr = lio``).

    A work item embedded in a small wrapper (``struct { struct delayed_work
    work; void *ctxptr; }``) finds its owner through the pointer stored next
    to it, not through container_of(); the value stored there is the context.
    """
    fn = fv.function
    assert fn is not None
    out: list[tuple[str, str]] = []
    stack = [fn.body]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "assignment_expression" or fv.parsed.text(node.children[1]) != "=":
            continue
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or left.type != "field_expression":
            continue
        fld = left.child_by_field_name("field")
        holder = left.child_by_field_name("argument")
        value = strip_casts(norm_object(fv.parsed.text(right)))
        if fld is None or holder is None or not re.fullmatch(r"[A-Za-z_]\w*", value) or value in ("NULL", "0"):
            continue
        h = rebase_alias(norm_object(fv.parsed.text(holder)), aliases)
        if walker.startswith((h + ".", h + "->")) and walker != h:
            out.append((fv.parsed.text(fld), value))
    return out


def _from_assignments(
    fv: FunctionView, model: Model, index: ReachIndex, assignments: tuple[tuple[str, str, str, int], ...]
) -> Iterator[Registration]:
    mine: set[str] | None = None
    aliases: dict[str, str] | None = None
    for walker, field, callback, line in assignments:
        kind = model.field_kind.get(field, model.walker_kind)
        reach = index.reach(callback, model.context_param(kind))
        if reach is None:
            continue
        mine = declared_names(fv) if mine is None else mine
        aliases = address_aliases(fv) if aliases is None else aliases
        how = f"set by `{walker}.{field} = {callback}` at {line}"
        context = _base(walker)
        walker = rebase_alias(walker, aliases)
        context = _rebase_root(context, aliases) if context else None
        reg = _registration(kind, walker, context, callback, how, fv, line, reach, mine)
        if reg is not None:
            yield reg


def _registration(
    kind: str,
    walker: str,
    context: str | None,
    callback: str,
    how: str,
    fv: FunctionView,
    line: int,
    reach: Reach,
    mine: set[str],
) -> Registration | None:
    """The registration in rebasable shape; None when its handle is a local no teardown can name."""
    w_root, c_root = _root(walker.rsplit("|", 1)[-1]), _root(context) if context else None
    relative = w_root in mine and c_root == w_root
    if w_root in mine and not relative:
        return None
    if context is not None and c_root in mine and not relative:
        context = None  # context rooted at a local of the setup function: only globals can be matched
    return Registration(kind, walker, context, relative, callback, how, fv.path, line, reach)


def reaching(regs: list[Registration], obj: str, aliases: dict[str, tuple[str, str]] | None = None) -> list[Link]:
    """Registrations whose callback can reach ``obj``, rebased onto ``obj``'s pointer.

    ``aliases`` are the teardown function's accessor locals (``dev = PRIV(ndev)``):
    ``dev->base`` is then also tried as ``PRIV()->base`` below the context ``ndev``.
    """
    out: list[Link] = []
    seen: set[tuple[str, str]] = set()
    x_root = _root(obj)
    alias = (aliases or {}).get(x_root)
    bases = _bases(obj)
    hits: list[Registration] = []
    for reg in regs:
        # a deeper base (cq->dim) names a precise handle (cq->dim->work); an IRQ's is a wildcard
        mine = bases if "|" not in reg.walker else bases[:1]
        found = next((w for w in (_rebase(reg, obj, b) for b in mine) if w is not None), None)
        if found is None and alias is not None and obj != x_root:
            found = _rebase(reg, f"{alias[1]}->{alias[0]}{obj[len(x_root) :]}", alias[1])
        if found is None or (found[0], reg.callback) in seen:
            continue
        walker, context = found
        seen.add((walker, reg.callback))
        hits.append(reg)
        routes = reg.reach.routes_to(_member_of(obj, context)) if context is not None else None
        out.append(
            Link(
                walker,
                obj,
                reg.how,
                reg.path,
                reg.line,
                None,
                reg.kind,
                reg.callback,
                context=context if context is None or obj.startswith(context) else None,
                routes=routes if context is None or obj.startswith(context) else None,
                exclusive=reg.exclusive,
            )
        )
    # IRQs numbered like one whose handler does not reach obj are not the ones to wait for
    reaching_irqs = {r.walker.split("|", 1)[0] for r in hits if "|" in r.walker}
    others = sorted({r.walker.split("|", 1)[0] for r in regs if "|" in r.walker} - reaching_irqs - {""})
    if others:
        out = [
            replace(link, walker=link.walker + "".join(f"!{n}" for n in others))
            if link.walker.startswith("*|")
            else link
            for link in out
        ]
    return out


def _bases(obj: str) -> list[str]:
    """Where the context may sit in ``obj``: ``cq->dim->buf`` -> [``cq``, ``cq->dim``, ``cq->dim->buf``].

    A registration made on a local (``INIT_WORK(&dim->work, fn)``) is torn
    down through whatever holds it (``cancel_work_sync(&cq->dim->work)``).
    """
    parts = obj.split("->")
    return ["->".join(parts[: i + 1]) for i in range(len(parts))] if re.fullmatch(r"[A-Za-z_]\w*", parts[0]) else [obj]


def walker_matches(pattern: str, key: str) -> bool:
    """``*|d`` (any IRQ of dev_id ``d``) matches ``irq|d``; anything else only itself.

    ``*|d!n1!n2`` excludes the IRQs numbered ``n1``/``n2``: they share the
    dev_id but their handlers do not reach the object.
    """
    if pattern.startswith("*|"):
        ctx, *excluded = pattern[2:].split("!")
        irq, _, dev = key.rpartition("|")
        return dev == ctx and irq not in excluded
    return pattern == key


def _member_of(obj: str, context: str) -> str | None:
    """``buf->x`` of ``p->buf->x`` below context ``p`` (None: ``obj`` is the context itself)."""
    for sep in ("->", "."):
        if obj.startswith(context + sep):
            return obj[len(context) + len(sep) :]
    return None


def _rebase(reg: Registration, obj: str, x_root: str) -> tuple[str, str | None] | None:
    """(walker pattern, context as ``obj`` names it) for ``obj``: composite handles keep only their
    context part (``*|dev``); the context is None when ``obj`` is reached as a file-scope object."""
    found = _rebase_one(reg, obj, x_root)
    if found is not None and "|" in reg.walker:
        return "*|" + found[0].rsplit("|", 1)[-1], found[1]
    return found


def _rebase_one(reg: Registration, obj: str, x_root: str) -> tuple[str, str | None] | None:
    """The walker a teardown must release before freeing ``obj``, or None when ``obj`` is out of reach."""
    if not reg.relative:
        if obj in reg.reach.globals:
            return reg.walker, None
        if reg.context is not None and _below(obj, reg.context, reg.reach):
            return reg.walker, reg.context
        return None
    w_rest = (
        reg.context[len(_root(reg.context)) :]
        if "|" in reg.walker and reg.context
        else (reg.walker[len(_root(reg.walker)) :])
    )
    c_rest = reg.context[len(_root(reg.context)) :] if reg.context is not None else None
    if c_rest is None:
        return None
    context = x_root + c_rest
    if _below(obj, context, reg.reach):
        return x_root + w_rest, context
    return None


def _below(obj: str, context: str, reach: Reach) -> bool:
    """``obj`` is the context itself (and the callback uses it) or a member chain the callback touches."""
    if obj == context:
        return reach.touches_context()
    for sep in ("->", "."):
        if obj.startswith(context + sep):
            rest = obj[len(context) + len(sep) :]
            return rest in reach.members
    return False


def _root(text: str | None) -> str:
    m = _ROOT_RE.match(text or "")
    return m.group(1) if m else ""


def _base(walker: str) -> str | None:
    """``f->timer`` -> ``f``; ``f->a.b`` -> ``f``; None for a plain global (``my_timer``)."""
    root = _root(walker)
    return root if root and root != walker else None


def _assigned_to(fv: FunctionView, node: Node) -> str | None:
    """``x`` of ``x = call(...)`` or ``T *x = call(...)``."""
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "cast_expression"):
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        return fv.parsed.text(left) if left is not None else None
    if parent.type == "init_declarator":
        return declarator_name(parent.child_by_field_name("declarator"))
    return None
