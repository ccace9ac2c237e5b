"""Walker/object links and lifecycle events for teardown-order (not a rule).

A *walker* is an object with registered callbacks (a shrinker); an *object*
is something those callbacks walk (a list_lru).  Links are learned from the
code the review can see, two ways:

- a constructor that ties them (``list_lru_init_memcg_key(&lru, shrinker, ...)``),
  from ``[[lifecycle.links]]`` in reviewkit/kernel/lifecycle.toml;
- a callback assignment (``s->scan_objects = fn`` or ``.scan_objects = fn``
  in an initializer) whose callback ``fn`` calls ``list_lru_*(&lru, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reviewkit.rules._csyntax import arg, norm_object

from reviewkit.api import Call, FunctionView, ReviewContext, iter_calls


@dataclass(frozen=True)
class Link:
    walker: str
    obj: str
    how: str
    """What taught us the link, for the message ("list_lru_init_memcg_key() at 925")."""
    path: str
    line: int


@dataclass(frozen=True)
class Event:
    """A lifecycle call on a path: which object, and what it does to it."""

    kind: str
    """"allocated", "registered", "gone", "never-registered" (walkers) or "destroy" (objects)."""
    obj: str
    call: Call


class Model:
    """The lifecycle tables of ``ctx.kernel`` in the shape the rule needs."""

    def __init__(self, kernel: dict[str, Any]) -> None:
        table = kernel.get("lifecycle", {})
        walker = table.get("walker", {})
        self.walker_kind = str(walker.get("kind", "shrinker"))
        self.walker_calls = {c["name"]: c for c in walker.get("calls", [])}
        self.links = {c["name"]: c for c in table.get("links", [])}
        self.destroy = {c["name"]: c for c in table.get("destroy", [])}
        self.callback_fields = set(table.get("callback_fields", ["scan_objects", "count_objects"]))
        self.walk_prefixes = tuple(table.get("walk_prefixes", ["list_lru_"]))

    def events(self, call: Call, assigned: str | None = None) -> Iterator[Event]:
        spec = self.walker_calls.get(call.name)
        if spec is not None:
            target = assigned if spec.get("ret") else arg(call, int(spec.get("arg", 0)))
            if target:
                yield Event(str(spec["state"]), norm_object(target), call)
        spec = self.destroy.get(call.name)
        if spec is not None:
            target = arg(call, int(spec.get("arg", 0)))
            if target:
                yield Event("destroy", norm_object(target), call)


def learn_links(ctx: ReviewContext, model: Model) -> dict[str, list[Link]]:
    """object -> links, from every post-image function in view (all patches, all files)."""
    links: dict[str, list[Link]] = {}
    views = list(ctx.functions("post", changed_only=False))
    callbacks: dict[str, set[str]] = {}
    for fv in views:
        fn = fv.function
        if fn is None:
            continue
        objs = {
            norm_object(c.args[0])
            for c in iter_calls(fv.parsed, fn.body)
            if c.name.startswith(model.walk_prefixes) and c.args
        }
        if objs:
            callbacks[fv.name] = objs
    for fv in views:
        fn = fv.function
        if fn is None:
            continue
        for call in iter_calls(fv.parsed, fn.body):
            spec = model.links.get(call.name)
            if spec is None:
                continue
            obj, walker = arg(call, int(spec["object"])), arg(call, int(spec["walker"]))
            line = fv.real_line(call.node) or 0
            if obj and walker and walker.strip() not in ("NULL", "0"):
                _add(links, Link(norm_object(walker), norm_object(obj), f"{call.name}() at {line}", fv.path, line))
        for walker, field, callback, line in _callback_assignments(fv, model):
            for obj in callbacks.get(callback, ()):
                _add(links, Link(walker, obj, f"its {field} callback {callback}() at {line}", fv.path, line))
    return links


def _add(links: dict[str, list[Link]], link: Link) -> None:
    mine = links.setdefault(link.obj, [])
    if all(x.walker != link.walker for x in mine):
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
