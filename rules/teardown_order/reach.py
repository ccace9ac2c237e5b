"""What a callback body can touch, for teardown-order (not a rule).

A registered callback (an IRQ handler, a timer or work function, a thread
function, a shrinker's scan/count, a notifier) gets back to its *context*
structure from the argument it is called with: the argument itself
(``request_irq()``'s dev_id, ``kthread_run()``'s data), or a local bound by
``container_of()``/``from_timer()``/``->private_data``.  Every member chain
it dereferences below that context (``f->buf``, ``f->ring->desc``) and every
file-scope object it names (``cask_lru``) is something the teardown must not
free while the callback can still run.

Helpers the callback passes its context to (``foo_process(f)``) are followed
two calls deep when their bodies are in view, so a handler that only
dispatches still reaches what its helper touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewkit.rules._csyntax import declared_names, norm_object
from reviewkit.rules.teardown_order.gates import Gate, GateCalls, gates_at, top_level_gates

from reviewkit.api import FunctionView, Node, declarator_name

_DEPTH = 2

Route = tuple[frozenset[str], frozenset[Gate]]
"""(functions on the way, gates in force): one way a callback reaches a member."""


@dataclass(frozen=True)
class Reach:
    """Member chains below the context and file-scope objects a callback touches."""

    members: frozenset[str] = frozenset()
    """``buf``, ``ring``, ``ring->desc``: every prefix of every chain dereferenced from the context."""
    globals: frozenset[str] = frozenset()
    """``cask_lru``, ``gdev``, ``gdev->buf``: file-scope names and the chains below them."""
    routes: tuple[tuple[str, frozenset[str], frozenset[Gate]], ...] = ()
    """(member, functions on the way, gates in force) for each way the callback reaches a member."""

    def touches_context(self) -> bool:
        return bool(self.members)

    def routes_to(self, member: str | None) -> tuple[Route, ...]:
        """How ``member`` is reached (None: the context itself, through any member)."""
        found = {(via, gates) for m, via, gates in self.routes if member is None or m == member}
        return tuple(sorted(found, key=lambda r: (sorted(r[0]), sorted(r[1]))))


@dataclass
class ReachIndex:
    """Callback reach by function name over the functions in view (memoised)."""

    functions: dict[str, FunctionView]
    macros: frozenset[str]
    fields: frozenset[str]
    gate_calls: GateCalls | None = None
    file_globals: dict[str, set[str]] = field(default_factory=dict)
    """path -> names declared at file scope (None entry: not known, any non-local name counts)."""
    _memo: dict[tuple[str, int | None, int, frozenset[str]], Reach] = field(default_factory=dict)

    def reach(
        self, name: str, context_param: int | None, depth: int = 0, back: frozenset[str] = frozenset()
    ) -> Reach | None:
        """What ``name``'s body touches, with parameter ``context_param`` as the context (None: none).

        ``back``: back-pointer fields the setup code filled with the context
        (``w->wk.ctxptr = lio``): ``lio = wk->ctxptr`` in the callback binds it.
        """
        fv = self.functions.get(name)
        if fv is None or fv.function is None:
            return None
        key = (name, context_param, depth, back)
        if key not in self._memo:
            self._memo[key] = Reach()  # recursion guard
            self._memo[key] = self._compute(fv, context_param, depth, back)
        return self._memo[key]

    def _compute(self, fv: FunctionView, context_param: int | None, depth: int, back: frozenset[str]) -> Reach:
        fn = fv.function
        assert fn is not None
        params = param_names(fv)
        ctx_vars: set[str] = set()
        if context_param is not None and 0 <= context_param < len(params) and params[context_param]:
            ctx_vars.add(params[context_param])
        body = fn.body
        derived: dict[str, str] = {}
        """local -> ``F()`` for ``x = F(ctx)``: an accessor of the context (netdev_priv(), PRIV())."""
        inner: dict[str, str] = {}
        """local -> member chain for ``x = &ctx->m``: ``x->wq`` is ``ctx->m.wq``."""
        for _ in range(2):  # bindings in source order; a second pass picks up chains of them
            for var, value in _bindings(fv, body):
                if self._binds_context(fv, value, ctx_vars, back):
                    ctx_vars.add(var)
                elif var not in ctx_vars:
                    accessor = _accessor_of(fv, value, ctx_vars)
                    if accessor is not None:
                        derived[var] = accessor
                    chain = member_address(fv, value, ctx_vars)
                    if chain is not None:
                        inner[var] = chain
        mine = declared_names(fv)
        known = self.file_globals.get(fv.path)
        members: set[str] = set()
        glob: set[str] = set()
        table = top_level_gates(fv, body, ctx_vars, self.gate_calls) if self.gate_calls is not None else []
        routes: set[tuple[str, frozenset[str], frozenset[Gate]]] = set()
        here = frozenset({fv.name})

        def reached(found: set[str], node: Node) -> None:
            members.update(found)
            gates = gates_at(table, node.start_byte)
            routes.update((m, here, gates) for m in found)

        for node in _walk(body):
            if node.type == "field_expression":
                text = norm_object(fv.parsed.text(node))
                root, rest = _split_root(text)
                if root in ctx_vars and rest:
                    reached(_prefixes(rest), node)
                elif root in derived and rest:
                    reached({f"{derived[root]}->{p}" for p in _prefixes(rest)}, node)
                elif root in inner and rest:
                    reached({f"{inner[root]}.{p}" for p in _prefixes(rest)}, node)
                elif root and root not in mine and rest and (known is None or root in known):
                    glob.add(root)
                    glob.update(f"{root}{p}" for p in _prefixes_sep(rest))
            elif node.type == "identifier":
                name = fv.parsed.text(node)
                parent = node.parent
                if (
                    parent is not None
                    and parent.type == "call_expression"
                    and parent.child_by_field_name("function") == node
                ):
                    continue
                if name not in mine and not name.isupper() and (known is None or name in known):
                    glob.add(name)
            elif node.type == "call_expression" and depth < _DEPTH:
                callee = node.child_by_field_name("function")
                args = node.child_by_field_name("arguments")
                if callee is None or args is None or callee.type != "identifier":
                    continue
                for i, a in enumerate(args.named_children):
                    if norm_object(fv.parsed.text(a)) in ctx_vars:
                        sub = self.reach(fv.parsed.text(callee), i, depth + 1)
                        if sub is not None:
                            members.update(sub.members)
                            glob.update(sub.globals)
                            gates = gates_at(table, node.start_byte)
                            routes.update((m, via | here, g | gates) for m, via, g in sub.routes)
        return Reach(frozenset(members), frozenset(glob), tuple(sorted(routes, key=_route_key)))

    def _binds_context(self, fv: FunctionView, value: Node, ctx_vars: set[str], back: frozenset[str]) -> bool:
        value = _strip(value)
        if value.type == "identifier":
            return fv.parsed.text(value) in ctx_vars
        if back:
            # only what the back pointer names is the context (container_of() gives the wrapper)
            f = value.child_by_field_name("field") if value.type == "field_expression" else None
            return f is not None and fv.parsed.text(f) in back
        if value.type == "call_expression":
            callee = value.child_by_field_name("function")
            return callee is not None and fv.parsed.text(callee) in self.macros
        if value.type == "field_expression":
            f = value.child_by_field_name("field")
            return f is not None and fv.parsed.text(f) in self.fields
        return False


def _route_key(route: tuple[str, frozenset[str], frozenset[Gate]]) -> tuple[str, list[str], list[Gate]]:
    return route[0], sorted(route[1]), sorted(route[2])


def member_address(fv: FunctionView, value: Node, roots: set[str] | None = None) -> str | None:
    """``ctx->m.n`` of ``&ctx->m.n`` (rooted at one of ``roots`` when given), else None."""
    value = _strip(value)
    if value.type != "pointer_expression" or not fv.parsed.text(value).startswith("&"):
        return None
    target = value.child_by_field_name("argument")
    if target is None or target.type != "field_expression":
        return None
    root, rest = _split_root(norm_object(fv.parsed.text(target)))
    if root is None or not rest or "[" in rest or "(" in rest:
        return None
    if roots is None:
        return root + rest
    if root not in roots:
        return None
    return rest[2:] if rest.startswith("->") else rest[1:]


def address_aliases(fv: FunctionView) -> dict[str, str]:
    """local -> ``r->m`` for a local bound once, to ``&r->m``: ``x->wq`` then names ``r->m.wq``."""
    fn = fv.function
    out: dict[str, str] = {}
    if fn is None:
        return out
    seen: dict[str, int] = {}
    for var, value in _bindings(fv, fn.body):
        seen[var] = seen.get(var, 0) + 1
        chain = member_address(fv, value)
        if chain is not None:
            out[var] = chain
    return {v: c for v, c in out.items() if seen[v] == 1}


def rebase_alias(obj: str, aliases: dict[str, str]) -> str:
    """``t->wk.work`` with ``t = &l->q`` -> ``l->q.wk.work`` (unchanged when ``obj``'s root is no alias)."""
    root, rest = _split_root(obj)
    if root is None or root not in aliases or not rest:
        return obj
    base = aliases[root]
    return base + ("." + rest[2:] if rest.startswith("->") else rest)


def _accessor_of(fv: FunctionView, value: Node, ctx_vars: set[str]) -> str | None:
    """``F()`` when ``value`` is ``F(v, ...)`` for a context variable ``v`` (casts stripped)."""
    value = _strip(value)
    if value.type != "call_expression":
        return None
    callee = value.child_by_field_name("function")
    args = value.child_by_field_name("arguments")
    if callee is None or args is None or callee.type != "identifier" or not args.named_children:
        return None
    first = _strip(args.named_children[0])
    if first.type == "identifier" and fv.parsed.text(first) in ctx_vars:
        return f"{fv.parsed.text(callee)}()"
    return None


def accessor_aliases(fv: FunctionView) -> dict[str, tuple[str, str]]:
    """local -> (``F()``, ``z``) for ``y = F(z, ...)`` in a teardown function: ``y->m`` is ``F(z)->m``."""
    fn = fv.function
    out: dict[str, tuple[str, str]] = {}
    if fn is None:
        return out
    for var, value in _bindings(fv, fn.body):
        value = _strip(value)
        if value.type != "call_expression":
            continue
        callee = value.child_by_field_name("function")
        args = value.child_by_field_name("arguments")
        if callee is None or args is None or callee.type != "identifier" or not args.named_children:
            continue
        first = _strip(args.named_children[0])
        if first.type == "identifier":
            out.setdefault(var, (f"{fv.parsed.text(callee)}()", fv.parsed.text(first)))
    return out


def param_names(fv: FunctionView) -> list[str]:
    """Parameter names of ``fv`` in order ("" for an unnamed one)."""

    fn = fv.function
    if fn is None:
        return []
    decl = fn.node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    params = decl.child_by_field_name("parameters") if decl is not None else None
    out = []
    for p in params.named_children if params is not None else []:
        if p.type == "parameter_declaration":
            out.append(declarator_name(p.child_by_field_name("declarator")) or "")
    return out


def param_types(fv: FunctionView) -> dict[str, str]:
    """name -> declared type text (``struct shrinker *``) of each named parameter."""

    fn = fv.function
    out: dict[str, str] = {}
    if fn is None:
        return out
    decl = fn.node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    params = decl.child_by_field_name("parameters") if decl is not None else None
    for p in params.named_children if params is not None else []:
        d = p.child_by_field_name("declarator")
        t = p.child_by_field_name("type")
        name = declarator_name(d) if d is not None else None
        if name and t is not None and d is not None:
            stars = fv.parsed.text(d).count("*")
            out[name] = " ".join(fv.parsed.text(t).split()) + " " + "*" * stars
    return out


def file_scope_names(root: Node, text_of: object) -> set[str]:
    """Names declared at file scope (variables, not functions) of a whole-file parse."""

    out: set[str] = set()
    for child in root.named_children:
        if child.type != "declaration":
            continue
        for d in child.children_by_field_name("declarator"):
            inner = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
            if inner is not None and inner.type == "function_declarator":
                continue
            name = declarator_name(d)
            if name:
                out.add(name)
    return out


def _bindings(fv: FunctionView, body: Node) -> list[tuple[str, Node]]:
    """(local, value) of ``T *x = value`` and ``x = value`` in source order."""

    out = []
    for node in _walk(body):
        if node.type == "init_declarator":
            value = node.child_by_field_name("value")
            name = declarator_name(node.child_by_field_name("declarator"))
            if value is not None and name:
                out.append((name, value))
        elif node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is not None and right is not None and left.type == "identifier":
                out.append((fv.parsed.text(left), right))
    out.sort(key=lambda b: b[1].start_byte)
    return out


def _strip(node: Node) -> Node:
    while node.type in ("cast_expression", "parenthesized_expression"):
        inner = node.child_by_field_name("value") if node.type == "cast_expression" else node.named_children[0]
        if inner is None:
            break
        node = inner
    return node


def _walk(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        out.append(cur)
        stack.extend(reversed(cur.named_children))
    return out


def _split_root(text: str) -> tuple[str | None, str]:
    """``f->a.b`` -> (``f``, ``->a.b``); (None, text) when it does not start with a plain name."""
    i = 0
    while i < len(text) and (text[i].isalnum() or text[i] == "_"):
        i += 1
    if i == 0 or text[0].isdigit():
        return None, text
    return text[:i], text[i:]


def _prefixes(rest: str) -> set[str]:
    """``->a.b->c`` -> {``a``, ``a.b``, ``a.b->c``} (subscripts end a chain)."""
    return {p[2:] if p.startswith("->") else p[1:] for p in _prefixes_sep(rest)}


def _prefixes_sep(rest: str) -> list[str]:
    """``->a.b->c`` -> [``->a``, ``->a.b``, ``->a.b->c``]."""
    rest = rest.split("[", 1)[0]
    out = []
    i = 0
    while i < len(rest):
        j = i + (2 if rest.startswith("->", i) else 1)
        while j < len(rest) and not rest.startswith("->", j) and rest[j] != ".":
            j += 1
        out.append(rest[:j])
        i = j
    return [p for p in out if p not in ("->", ".")]
