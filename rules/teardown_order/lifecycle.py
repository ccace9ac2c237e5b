"""Walker/object links and lifecycle events for teardown-order (not a rule).

A *walker* is an object with registered callbacks (a shrinker); an *object*
is something those callbacks walk (a list_lru).  Links are learned from the
code the review can see, two ways:

- a constructor that ties them (``list_lru_init_memcg_key(&lru, shrinker, ...)``),
  from ``[[lifecycle.links]]`` in reviewkit/kernel/lifecycle.toml;
- a callback assignment (``s->scan_objects = fn`` in a function, or
  ``.scan_objects = fn`` in a file-scope ``struct shrinker x = { ... }``
  initializer) whose callback ``fn`` calls ``list_lru_*(&lru, ...)``.

A link between two members of one object (``qinf->qi_shrinker`` walks
``qi->qi_lru``, learned through differently named pointers to the same
structure type) also holds for the same two members of any other pointer:
:func:`links_for` rebases it (``q->qi_shrinker`` walks ``q->qi_lru``).
"""

# size: the model, the records learned from it and the links they make share types; split the learning next

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reviewkit.rules._csyntax import arg, declared_names, norm_object
from reviewkit.rules.teardown_order.gates import GateCalls
from reviewkit.rules.teardown_order.reach import Route

from reviewkit.api import Call, FileView, FunctionView, Line, ReviewContext


@dataclass(frozen=True)
class Link:
    walker: str
    obj: str
    how: str
    """What taught us the link, for the message ("list_lru_init_memcg_key() at 925")."""
    path: str
    line: int
    scope: str | None = None
    """The function the link holds in, when it ties a parameter or local (None: everywhere)."""
    kind: str = "shrinker"
    callback: str | None = None
    """The callback that can still run (None: the walker's callbacks in general)."""
    params: tuple[str, str] | None = None
    """(walker type, object type) when the link ties two parameters of ``scope``: it then
    holds in any function with exactly one parameter of each type (a teardown helper
    taking what the setup helper took)."""
    context: str | None = None
    """The callback's context as the teardown names it (``priv``), when the link came from its reach."""
    routes: tuple[Route, ...] | None = None
    """How the callback reaches ``obj`` below ``context`` (None: not known, e.g. a file-scope object)."""
    exclusive: bool = False
    """An IRQ requested without the shared flag: only its own device can raise it."""
    queued: bool = False
    """``walker`` is a delayed work whose timer queues it onto ``obj`` (a workqueue): queues.py."""


@dataclass(frozen=True)
class Event:
    """A lifecycle call on a path: which object, and what it does to it."""

    kind: str
    """"allocated", "registered", "gone", "never-registered" (walkers) or "destroy" (objects)."""
    obj: str
    call: Call
    family: str = ""
    """The registration kind of a walker event ("shrinker", "irq", ...)."""


class Model:
    """The lifecycle tables of ``ctx.kernel`` in the shape the rule needs."""

    def __init__(self, kernel: dict[str, Any]) -> None:
        table = kernel.get("lifecycle", {})
        walker = table.get("walker", {})
        self.walker_kind = str(walker.get("kind", "shrinker"))
        self.walker_calls = {c["name"]: {**c, "kind": self.walker_kind} for c in walker.get("calls", [])}
        self.patterns: list[tuple[re.Pattern[str], dict[str, Any]]] = []
        self.kinds: dict[str, dict[str, Any]] = {}
        self.callback_fields = set(table.get("callback_fields", ["scan_objects", "count_objects"]))
        self.field_kind = {f: self.walker_kind for f in self.callback_fields}
        self.static_types = {self.walker_kind: self.walker_kind}
        for kind in table.get("kinds", []):
            name = str(kind["kind"])
            self.kinds[name] = kind
            for f in kind.get("callback_fields", []):
                self.callback_fields.add(f)
                self.field_kind.setdefault(f, name)
            if kind.get("static_type"):
                self.static_types[str(kind["static_type"])] = name
            for c in kind.get("calls", []):
                spec = {**c, "kind": name}
                if "pattern" in c:
                    self.patterns.append((re.compile(str(c["pattern"])), spec))
                else:
                    self.walker_calls[str(c["name"])] = spec
        # calls that queue a work on a workqueue argument, and calls that wait for a workqueue's works
        self.queue_calls = {n: c for n, c in self.walker_calls.items() if "queue" in c}
        self.drains = frozenset(d for k in self.kinds.values() for d in k.get("drains", []))
        self.links = {c["name"]: c for c in table.get("links", [])}
        self.destroy = {c["name"]: c for c in table.get("destroy", [])}
        self.walk_prefixes = tuple(table.get("walk_prefixes", ["list_lru_"]))
        context = table.get("context", {})
        self.context_macros = frozenset(context.get("macros", ["container_of"]))
        self.context_fields = frozenset(context.get("fields", ["private_data"]))
        gates = table.get("gates", {})
        self.gate_calls = GateCalls(
            frozenset(gates.get("set_bit", [])),
            frozenset(gates.get("clear_bit", [])),
            frozenset(gates.get("test_bit", [])),
            re.compile(str(gates.get("register_write", "(?!)"))),
        )
        self.device_off = frozenset(gates.get("device_off", []))
        self.device_on = frozenset(gates.get("device_on", []))
        self.shared_flag = {str(k["kind"]): str(k["shared_flag"]) for k in table.get("kinds", []) if "shared_flag" in k}

    def spec(self, name: str) -> dict[str, Any] | None:
        """The lifecycle call spec of ``name`` (exact names first, then patterns)."""
        spec = self.walker_calls.get(name)
        if spec is not None:
            return spec
        for pattern, pspec in self.patterns:
            if pattern.match(name):
                return pspec
        return None

    def is_walker_call(self, name: str) -> bool:
        return self.spec(name) is not None

    def context_param(self, kind: str) -> int | None:
        value = self.kinds.get(kind, {}).get("context_param")
        return int(value) if value is not None else None

    def handle(self, call: Call, spec: dict[str, Any], assigned: str | None) -> str | None:
        """The registration a lifecycle call names (normalised), or None."""
        where = spec.get("handle", "ret" if spec.get("ret") else spec.get("arg", 0))
        if where == "ret":
            target = assigned
        elif where == "const":
            return str(spec.get("key", call.name))
        elif isinstance(where, list):
            # a composite handle (request_irq's irq and dev_id): "irq|dev_id"
            parts = [arg(call, int(i)) for i in where]
            if any(p is None for p in parts):
                return None
            return "|".join(strip_casts(norm_object(p)) for p in parts if p is not None)
        else:
            target = arg(call, int(where))
        return strip_casts(norm_object(target)) if target else None

    def events(self, call: Call, assigned: str | None = None) -> Iterator[Event]:
        spec = self.spec(call.name)
        if spec is not None:
            target = self.handle(call, spec, assigned)
            if target:
                yield Event(str(spec["state"]), target, call, str(spec.get("kind", self.walker_kind)))
        spec = self.destroy.get(call.name)
        if spec is not None:
            target = arg(call, int(spec.get("arg", 0)))
            if target:
                yield Event("destroy", norm_object(target), call)


_CAST_RE = re.compile(r"^\((?:const\s+|volatile\s+|struct\s+|unsigned\s+)*[A-Za-z_]\w*\s*\**\)")


def strip_casts(text: str) -> str:
    """``(void *)adapter`` -> ``adapter``: a cast does not change which object is named."""
    while True:
        m = _CAST_RE.match(text)
        if m is None or m.end() == len(text):
            return text
        text = norm_object(text[m.end() :])


def all_functions(ctx: ReviewContext) -> list[FunctionView]:
    """Every post-image function of every C file in view, callbacks included.

    Read from the file views themselves: the token prefilter hides functions
    without a lifecycle call from ``ctx.functions()``, but a callback (an IRQ
    handler, a scan_objects) names none and is exactly what links are made of.
    """
    out: list[FunctionView] = []
    for _pc, view in ctx.c_files():
        out.extend(ctx.facts.derived("teardown-order.functions", view, _parsed_functions))
    return out


def _parsed_functions(view: FileView) -> list[FunctionView]:
    return [fv for fv in view.functions("post") if fv.function is not None]


@dataclass(frozen=True)
class Learned:
    """What one post-image function contributes to the series' links and registrations.

    It depends on the function's view alone, so it is derived once per view
    per run (:func:`learned`): a fix verification re-runs the rule on a
    rebuilt context whose unchanged views are the same objects, and
    re-learning the series then costs a pass over these records instead of
    a walk of every function's tree for every fix (quadratic in the series).
    """

    walked: set[str]
    """Objects its body walks (``list_lru_*(&x, ...)``), not its own locals: a callback's reach."""
    links: tuple[tuple[Link, tuple[int, int] | None], ...]
    """Links its constructor calls make, each with the (walker, object) parameter indexes when it ties two."""
    assignments: tuple[tuple[str, str, str, int], ...]
    """Its callback field assignments (:func:`_callback_assignments`)."""
    call_names: frozenset[str]
    setups: bool
    """It calls a lifecycle call that names a callback (a registration may come from it)."""


def learned(ctx: ReviewContext, fv: FunctionView, model: Model) -> Learned:
    """:class:`Learned` of ``fv`` (with ``fv.function``), once per view per run."""
    return ctx.facts.derived("teardown-order.learned", fv, lambda v: _learn(v, model))


def _learn(fv: FunctionView, model: Model) -> Learned:
    from reviewkit.rules.teardown_order.reach import param_types

    fn = fv.function
    assert fn is not None
    calls = fn.calls()
    # a callback's own locals and parameters name nothing another function can destroy
    mine = declared_names(fv)
    walked = {
        norm_object(c.args[0])
        for c in calls
        if c.name.startswith(model.walk_prefixes) and c.args and norm_object(c.args[0]) not in mine
    }
    links: list[tuple[Link, tuple[int, int] | None]] = []
    for call in calls:
        spec = model.links.get(call.name)
        if spec is None:
            continue
        obj, walker = arg(call, int(spec["object"])), arg(call, int(spec["walker"]))
        line = fv.real_line(call.node) or 0
        if obj and walker and walker.strip() not in ("NULL", "0"):
            w, o = norm_object(walker), norm_object(obj)
            scope = fv.name if w in mine or o in mine else None
            types = param_types(fv)
            params = (types[w], types[o]) if w in types and o in types else None
            link = Link(w, o, f"{call.name}() at {line}", fv.path, line, scope, params=params)
            names = list(types)
            links.append((link, (names.index(w), names.index(o)) if params is not None else None))
    setups = any((spec := model.spec(c.name)) is not None and "callback" in spec for c in calls)
    return Learned(
        walked, tuple(links), tuple(_callback_assignments(fv, model)), frozenset(c.name for c in calls), setups
    )


def file_initializers(ctx: ReviewContext, view: FileView, model: Model) -> list[tuple[str, str, str, int]]:
    """:func:`static_initializers` of ``view``, read once per view per run."""
    return ctx.facts.derived("teardown-order.initializers", view, lambda v: list(static_initializers(v, model)))


def learn_links(ctx: ReviewContext, model: Model, functions: list[FunctionView]) -> dict[str, list[Link]]:
    """object -> links, from every post-image function in view (``functions``: :func:`all_functions`)."""
    links: dict[str, list[Link]] = {}
    views = [(fv, learned(ctx, fv, model)) for fv in functions]
    callbacks: dict[str, set[str]] = {}
    for fv, info in views:
        if info.walked:
            callbacks[fv.name] = info.walked
    helpers: dict[str, list[tuple[int, int, Link]]] = {}
    for fv, info in views:
        for link, params in info.links:
            _add(links, link)
            if params is not None:
                helpers.setdefault(fv.name, []).append((params[0], params[1], link))
        for walker, field, callback, line in info.assignments:
            for obj in callbacks.get(callback, ()):
                _add(links, Link(walker, obj, f"its {field} callback {callback}() at {line}", fv.path, line))
    # a setup helper's parameter link holds for the arguments of each call of it
    for fv, info in views:
        if info.call_names.isdisjoint(helpers):
            continue
        fn = fv.function
        assert fn is not None
        for call in fn.calls():
            for wi, oi, link in helpers.get(call.name, []):
                w, o = arg(call, wi), arg(call, oi)
                if w and o:
                    line = fv.real_line(call.node) or 0
                    how = f"{call.name}() at {line}, which calls {link.how}"
                    mine = declared_names(fv)
                    wn, on = norm_object(w), norm_object(o)
                    scope = fv.name if _root(wn) in mine or _root(on) in mine else None
                    _add(links, Link(wn, on, how, fv.path, line, scope if scope and "->" not in wn else None))
    for _pc, view in ctx.c_files():
        for walker, field, callback, line in file_initializers(ctx, view, model):
            for obj in callbacks.get(callback, ()):
                _add(links, Link(walker, obj, f"its {field} callback {callback}() at {line}", view.path, line))
    return links


def _root(text: str) -> str:
    m = re.match(r"[A-Za-z_]\w*", text)
    return m.group(0) if m else text


def links_for(links: dict[str, list[Link]], obj: str, function: str, types: dict[str, str] | None = None) -> list[Link]:
    """Links of ``obj`` as seen in ``function``.

    A link learned for ``obj`` itself counts when its walker is a global or
    a member of the same pointer; a link between two members (``x->lru``,
    ``y->shrinker``) is rebased onto ``obj``'s pointer (``p->lru`` is walked
    by ``p->shrinker``), whatever the pointers were called where it was
    learned.
    """
    base, member = _split_member(obj)
    out: list[Link] = []

    def add(link: Link) -> None:
        if all(x.walker != link.walker for x in out):
            out.append(link)

    for link in links.get(obj, []):
        if link.scope in (None, function) and _split_member(link.walker)[0] in (None, base):
            add(link)
    if types and obj in types:
        # a teardown helper taking what a setup helper took: the parameters' types carry the link
        for learned in links.values():
            for link in learned:
                if link.params is None or link.scope == function or link.params[1] != types[obj]:
                    continue
                walkers = [n for n, t in types.items() if t == link.params[0]]
                objs = [n for n, t in types.items() if t == link.params[1]]
                if len(walkers) == 1 and len(objs) == 1:
                    add(Link(walkers[0], obj, f"{link.how} in {link.scope}()", link.path, link.line, function))
    if base is None:
        return out
    for learned in links.values():
        for link in learned:
            l_base, l_member = _split_member(link.obj)
            w_base, w_member = _split_member(link.walker)
            if link.scope in (None, function) and l_base is not None and w_base is not None and l_member == member:
                add(Link(f"{base}->{w_member}", obj, link.how, link.path, link.line))
    return out


_MEMBER_RE = re.compile(r"^([A-Za-z_]\w*)->([A-Za-z_][\w.>-]*)$")


def _split_member(obj: str) -> tuple[str | None, str]:
    """``q->qi_lru`` -> (``q``, ``qi_lru``); (None, obj) when ``obj`` is not a member of a plain pointer."""
    m = _MEMBER_RE.match(obj)
    return (m.group(1), m.group(2)) if m else (None, obj)


def static_initializers(view: FileView, model: Model) -> Iterator[tuple[str, str, str, int]]:
    """(walker, field, callback, line) of ``.scan_objects = fn`` in ``struct shrinker x = { ... };``.

    Read from the whole post-image in tree and scan mode (the hunks' lines
    are not enough: the table is usually far from what a patch touches), from
    the visible lines in fragment mode; an initializer that runs into unseen
    lines is not read.  Every ``static_type`` of the lifecycle kinds is read
    (``struct notifier_block nb = { .notifier_call = fn }`` too).
    """
    types = "|".join(re.escape(t) for t in sorted(model.static_types))
    header = re.compile(rf"\bstruct\s+(?:{types})\s+([A-Za-z_]\w*)\s*=\s*\{{")
    member = re.compile(r"\.\s*([A-Za-z_]\w*)\s*=\s*&?\s*([A-Za-z_]\w*)")
    if view.tree_post is not None:
        lines = [Line(n, text, False, 0) for n, text in enumerate(view.tree_post.split("\n"), 1)]
    else:
        lines = view.lines("post")
    i = 0
    while i < len(lines):
        m = header.search(lines[i].text)
        if m is None:
            i += 1
            continue
        walker = m.group(1)
        j = i
        while j < len(lines) and (j == i or lines[j].number == lines[j - 1].number + 1):
            text = lines[j].text[m.end() :] if j == i else lines[j].text
            for f in member.finditer(text):
                if f.group(1) in model.callback_fields:
                    yield walker, f.group(1), f.group(2), lines[j].number
            if "}" in text:
                break
            j += 1
        i = j + 1


def _add(links: dict[str, list[Link]], link: Link) -> None:
    mine = links.setdefault(link.obj, [])
    if all((x.walker, x.scope) != (link.walker, link.scope) for x in mine):
        mine.append(link)


def _callback_assignments(fv: FunctionView, model: Model) -> Iterator[tuple[str, str, str, int]]:
    """(walker, field, callback function, line) for ``w->scan_objects = fn`` in ``fv``."""
    fn = fv.function
    if fn is None:
        return
    stack = [fn.body]
    while stack:
        node = stack.pop()
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is not None and right is not None and left.type == "field_expression":
                field = left.child_by_field_name("field")
                obj = left.child_by_field_name("argument")
                if (
                    field is not None
                    and obj is not None
                    and fv.parsed.text(field) in model.callback_fields
                    and right.type == "identifier"
                ):
                    walker = norm_object(fv.parsed.text(obj))
                    yield walker, fv.parsed.text(field), fv.parsed.text(right), fv.real_line(node) or 0
        stack.extend(node.children)
