"""Helper synthesis: find repeated code in a series and fold it into one C helper.

The engine works on the normalised tree-sitter trees of the series' function
views (fragment or tree mode) and produces plain line edits, so the rule
that uses it stays a thin layer of policy:

- :func:`skeleton` turns a statement into its *shape*: node types, operators,
  callee and field names kept, every leaf value (identifier, literal, label)
  a hole.  ``coarse=True`` also makes each call argument one hole, so
  ``f(nid)`` and ``f(folio_nid(folio))`` have the same coarse shape.
- :func:`statement_runs` lists the runs of statements of every block, cut at
  declarations, preprocessor lines and unseen code (fragment gaps).
- :class:`Scope` answers the questions a rewrite must get right: which
  identifiers are the caller's locals, what type they have, whether a local is
  private to a sequence (written first inside it, never read after it).
- :func:`helper_text` and :func:`site_lines` write the helper and rewrite a
  call site as whole lines, keeping the site's indentation and alignment.

Everything here is kernel-agnostic except what comes from the kernel model
(``ctx.kernel``): prototypes and conventional parameter types
(``[helpers]`` in ``reviewkit/kernel/helpers.toml``) and the lock families.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from reviewkit import cparse, memo
from reviewkit.cparse import Node
from reviewkit.source import FileView, FunctionView

LEAF_TYPES = {
    "identifier",
    "number_literal",
    "string_literal",
    "char_literal",
    "concatenated_string",
    "true",
    "false",
    "null",
    "statement_identifier",
}
RUN_BREAKERS = {"declaration", "preproc_if", "preproc_ifdef", "preproc_call", "preproc_def", "preproc_include"}
JUMPS = {"return_statement", "goto_statement", "break_statement", "continue_statement"}


def node_text(fv: FunctionView, node: Node) -> str:
    return fv.parsed.text(node)


def share(views: list[FunctionView]) -> None:
    """Give each view the parse of an identical text seen before (see :mod:`reviewkit.memo`).

    Call it before anything parses the views: the analyses below memoise on
    the parse, so a re-run on a rebuilt context (fix verification) only
    recomputes the functions whose text the fix changed.
    """
    for fv in views:
        memo.share(fv)


def facts(fv: FunctionView, table: str) -> dict[Any, Any]:
    """Fact table ``table`` of ``fv``'s parse: for results that depend on the parse alone."""
    return memo.facts(fv.parsed, table)


def skeleton(fv: FunctionView, node: Node, holes: list[Node] | None = None, *, coarse: bool = False) -> str:
    """The shape of ``node``: structure and names kept, leaf values as ``$`` holes (collected in ``holes``)."""
    if holes is None:
        table = memo.facts(fv.parsed, "skeleton")
        key = (node.id, node.start_byte, node.end_byte, coarse)
        shape = table.get(key)
        if shape is None:
            shape = table[key] = _skeleton(fv, node, [], coarse)
        return shape
    return _skeleton(fv, node, holes, coarse)


def _skeleton(fv: FunctionView, node: Node, out: list[Node], coarse: bool) -> str:
    t = node.type
    if t == "comment":
        return ""
    if t == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        name = node_text(fv, fn) if fn is not None and fn.type == "identifier" else "?"
        parts = []
        for a in args.named_children if args is not None else []:
            if a.type == "comment":
                continue
            if coarse:
                out.append(a)
                parts.append("$")
            else:
                parts.append(_skeleton(fv, a, out, False))
        return f"{name}({','.join(parts)})"
    if t in LEAF_TYPES:
        out.append(node)
        return "$"
    if node.child_count == 0:
        return node_text(fv, node) if node.is_named else t
    inner = " ".join(s for s in (_skeleton(fv, c, out, coarse) for c in node.children) if s)
    return f"{t}({inner})"


# --------------------------------------------------------------------------
# Statements and runs


@dataclass
class Stmt:
    """One statement of a block with its shapes and real line span."""

    fv: FunctionView
    node: Node
    coarse: str
    first: int | None
    last: int | None

    @property
    def fine(self) -> str:
        """The shape with every argument's own shape (only the few repeated sequences need it)."""
        return skeleton(self.fv, self.node)

    @property
    def visible(self) -> bool:
        return self.first is not None and self.last is not None


def real_span(fv: FunctionView, node: Node) -> tuple[int | None, int | None]:
    return fv.real_line_of_row(node.start_point[0]), fv.real_line_of_row(node.end_point[0])


def blocks(node: Node) -> Iterator[Node]:
    """Every compound statement below ``node`` (``node`` included)."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "compound_statement":
            yield cur
        stack.extend(reversed(cur.children))


def _unwrap(node: Node) -> Node:
    """A labelled statement is its statement (``next: if (...)``)."""
    while node.type == "labeled_statement" and node.named_children:
        node = node.named_children[-1]
    return node


def statement_runs(fv: FunctionView) -> Iterator[list[Stmt]]:
    """Runs of consecutive, visible statements of each block of ``fv``."""
    table = memo.facts(fv.parsed, "runs")
    key = tuple(fv.line_map)
    runs = table.get(key)
    if runs is None:
        runs = table[key] = list(_statement_runs(fv))
    for run in runs:
        yield [Stmt(fv, s.node, s.coarse, s.first, s.last) for s in run]


def _statement_runs(fv: FunctionView) -> Iterator[list[Stmt]]:
    fn = fv.function
    if fn is None:
        return
    for block in blocks(fn.body):
        run: list[Stmt] = []
        for child in block.named_children:
            if child.type == "comment":
                continue
            node = _unwrap(child)
            first, last = real_span(fv, child)
            if (
                node.type in RUN_BREAKERS
                or child.type == "labeled_statement"
                or fv.gap_index(node) is not None
                or first is None
                or last is None
            ):
                if run:
                    yield run
                run = []
                continue
            run.append(Stmt(fv, node, skeleton(fv, node, coarse=True), first, last))
        if run:
            yield run


def has_jump(node: Node, fv: FunctionView | None = None) -> bool:
    """A return, goto, break or continue below ``node`` (memoised on ``fv``'s parse when given)."""
    if fv is not None:
        table = memo.facts(fv.parsed, "jump")
        key = (node.id, node.start_byte, node.end_byte)
        found = table.get(key)
        if found is None:
            found = table[key] = has_jump(node)
        return bool(found)
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type in JUMPS:
            return True
        stack.extend(cur.children)
    return False


def calls_below(fv: FunctionView, node: Node) -> list[cparse.Call]:
    table = memo.facts(fv.parsed, "calls")
    key = (node.id, node.start_byte, node.end_byte)
    calls = table.get(key)
    if calls is None:
        calls = table[key] = tuple(cparse.iter_calls(fv.parsed, node))
    return list(calls)


def leaves(node: Node) -> Iterator[Node]:
    """Identifier leaves below ``node`` that name values (not callees, not fields)."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "identifier":
            parent = cur.parent
            if (
                parent is not None
                and parent.type == "call_expression"
                and parent.child_by_field_name("function") == cur
            ):
                continue
            yield cur
            continue
        stack.extend(reversed(cur.children))


# --------------------------------------------------------------------------
# Globals declared by the series


_GLOBAL_RE = re.compile(
    r"^(?P<storage>(?:static|extern)\s+)?(?P<type>(?:const\s+)?(?:struct|union|enum)\s+\w+|\w+)\s+"
    r"(?P<stars>\**)\s*(?P<name>[A-Za-z_]\w*)\s*(?:__\w+\s*)*(?:=[^;]*)?;\s*$"
)
_NOT_TYPES = {"return", "goto", "else", "typedef", "case", "do"}


@dataclass(frozen=True)
class GlobalDecl:
    """A file-scope object declaration visible in the series."""

    name: str
    ctype: str
    path: str
    line: int
    storage: str
    added: bool
    text: str

    @property
    def is_extern(self) -> bool:
        return self.storage == "extern"


def file_lines(view: FileView) -> dict[int, str]:
    """Visible post-image lines by real number (the whole file in tree mode)."""
    if view.tree_post is not None:
        return dict(enumerate(view.tree_post.split("\n"), 1))
    return {ln.number: ln.text for ln in view.post}


def globals_of(views: list[FileView]) -> dict[str, list[GlobalDecl]]:
    """File-scope object declarations (column 0, kernel style) of every visible C file."""
    out: dict[str, list[GlobalDecl]] = {}
    for view in views:
        if not view.is_c:
            continue
        added = view.added
        for number, text in file_lines(view).items():
            m = _GLOBAL_RE.match(text)
            if not m or text[:1].isspace() or m.group("type") in _NOT_TYPES or "(" in text:
                continue
            ctype = m.group("type") + (" " + m.group("stars") if m.group("stars") else "")
            decl = GlobalDecl(
                m.group("name"), ctype, view.path, number, (m.group("storage") or "").strip(), number in added, text
            )
            out.setdefault(decl.name, []).append(decl)
    return out


# --------------------------------------------------------------------------
# Types of the caller's identifiers


@dataclass(frozen=True)
class CType:
    base: str
    stars: int = 0

    def declare(self, name: str) -> str:
        return f"{self.base} {'*' * self.stars}{name}"


def _decl_type(fv: FunctionView, decl: Node, name: str) -> CType | None:
    type_node = decl.child_by_field_name("type")
    if type_node is None:
        return None
    base = node_text(fv, type_node)
    quals = [
        node_text(fv, c) for c in decl.children if c.type == "type_qualifier" and c.end_byte <= type_node.start_byte
    ]
    base = " ".join([*quals, base])
    for child in decl.children_by_field_name("declarator"):
        if cparse.declarator_name(child) != name:
            continue
        stars = 0
        cur: Node | None = child
        while cur is not None and cur.type in ("init_declarator", "pointer_declarator"):
            if cur.type == "pointer_declarator":
                stars += 1
            cur = cur.child_by_field_name("declarator")
        if cur is None or cur.type != "identifier":
            return None  # arrays, function pointers: not passed through a helper here
        return CType(base, stars)
    return None


def declared_in(fv: FunctionView, name: str) -> tuple[CType, Node] | None:
    """The visible declaration of ``name`` in ``fv`` (local or parameter)."""
    table = memo.facts(fv.parsed, "declared")
    if name not in table:
        table[name] = _declared_in(fv, name)
    found: tuple[CType, Node] | None = table[name]
    return found


def _declared_in(fv: FunctionView, name: str) -> tuple[CType, Node] | None:
    stack = [fv.parsed.root]
    while stack:
        cur = stack.pop()
        if cur.type in ("declaration", "parameter_declaration"):
            ct = _decl_type(fv, cur, name)
            if ct is not None:
                return ct, cur
            continue
        stack.extend(cur.children)
    return None


@lru_cache(maxsize=256)
def _prototype(text: str) -> tuple[str, tuple[CType | None, ...]] | None:
    """(return type, parameter types) of a prototype string."""
    parsed = cparse.parse(text if text.rstrip().endswith(";") else text + ";")
    stack = [parsed.root]
    while stack:
        cur = stack.pop()
        if cur.type == "declaration":
            type_node = cur.child_by_field_name("type")
            decl = cur.child_by_field_name("declarator")
            stars = 0
            while decl is not None and decl.type == "pointer_declarator":
                stars += 1
                decl = decl.child_by_field_name("declarator")
            if type_node is None or decl is None or decl.type != "function_declarator":
                return None
            ret = parsed.text(type_node) + (" " + "*" * stars if stars else "")
            params: list[CType | None] = []
            plist = decl.child_by_field_name("parameters")
            for p in plist.named_children if plist is not None else []:
                if p.type != "parameter_declaration":
                    continue
                pt = p.child_by_field_name("type")
                pd = p.child_by_field_name("declarator")
                ps = 0
                while pd is not None and pd.type == "pointer_declarator":
                    ps += 1
                    pd = pd.child_by_field_name("declarator")
                params.append(CType(parsed.text(pt), ps) if pt is not None else None)
            return ret, tuple(params)
        stack.extend(cur.children)
    return None


class Scope:
    """Names and types as the series shows them, plus the kernel model's conventions."""

    def __init__(self, views: list[FileView], functions: list[FunctionView], kernel: dict[str, Any]):
        self.views = views
        self.functions = functions
        self.globals = globals_of(views)
        helpers = kernel.get("helpers", {}) if isinstance(kernel, dict) else {}
        self.prototypes: dict[str, str] = dict(helpers.get("prototypes", {}))
        self.conventional: dict[str, str] = dict(helpers.get("types", {}))
        self.trivial: set[str] = set(helpers.get("trivial_calls", []))
        self.function_names = {fv.name for fv in functions}
        locks = kernel.get("locks", {}).get("family", []) if isinstance(kernel, dict) else []
        self.acquire: dict[str, dict[str, Any]] = {}
        self.release: dict[str, dict[str, Any]] = {}
        for fam in locks:
            for name in fam.get("acquire", []):
                self.acquire.setdefault(name, fam)
            for name in fam.get("release", []):
                self.release.setdefault(name, fam)

    def is_global(self, name: str) -> bool:
        """A file-scope object, a function, or a macro/enum constant (all caps)."""
        return name in self.globals or name in self.function_names or name.upper() == name

    def global_object(self, name: str) -> GlobalDecl | None:
        """The defining (non-extern) declaration of a series global object."""
        decls = self.globals.get(name, [])
        own = [d for d in decls if not d.is_extern and not d.path.endswith(".h")]
        return own[0] if own else None

    def prototype(self, callee: str) -> tuple[str, tuple[CType | None, ...]] | None:
        text = self.prototypes.get(callee)
        return _prototype(text) if text else None

    def type_of(self, name: str, fv: FunctionView, uses: list[tuple[str, int]] | None = None) -> CType | None:
        """``name``'s type: its declaration in ``fv``, a prototype it is passed to, the series, the conventions."""
        found = declared_in(fv, name)
        if found is not None:
            return found[0]
        for callee, index in uses or []:
            proto = self.prototype(callee)
            if proto is not None and index < len(proto[1]) and proto[1][index] is not None:
                return proto[1][index]
        votes: Counter[CType] = Counter()
        for other in self.functions:
            found = declared_in(other, name)
            if found is not None:
                votes[found[0]] += 1
        if votes:
            return votes.most_common(1)[0][0]
        conv = self.conventional.get(name)
        if conv:
            stars = conv.count("*")
            return CType(conv.replace("*", "").strip(), stars)
        return None

    def lock_balance(self, fv: FunctionView, nodes: list[Node]) -> bool:
        """The acquires and releases inside ``nodes`` pair up (a helper must not hide half a lock)."""
        depth: dict[str, int] = {}
        for node in nodes:
            for call in calls_below(fv, node):
                fam = self.acquire.get(call.name)
                if fam is not None:
                    depth[fam.get("group", call.name)] = depth.get(fam.get("group", call.name), 0) + 1
                fam = self.release.get(call.name)
                if fam is not None:
                    key = fam.get("group", call.name)
                    depth[key] = depth.get(key, 0) - 1
                    if depth[key] < 0:
                        return False
        return all(v == 0 for v in depth.values())

    def irq_variant(self, fv: FunctionView, nodes: list[Node]) -> str:
        """``_irq`` when the sequence takes an irq-disabling lock (the kernel's name for such helpers)."""
        for node in nodes:
            for call in calls_below(fv, node):
                fam = self.acquire.get(call.name)
                if fam is not None and fam.get("variant") in ("irq", "irqsave"):
                    return "_irq"
        return ""

    def flags_written(self, call: cparse.Call) -> int | None:
        """Argument index an irqsave acquire writes the saved flags to."""
        fam = self.acquire.get(call.name)
        idx = fam.get("flags") if fam is not None else None
        return idx if isinstance(idx, int) else None


# --------------------------------------------------------------------------
# Sequence analysis: parameters and private locals


@dataclass
class Param:
    name: str
    ctype: CType
    values: list[str]
    """The argument text at each site, in site order."""


@dataclass
class Analysis:
    """How a sequence becomes a helper: parameters, private locals, problems."""

    params: list[Param] = field(default_factory=list)
    private: list[tuple[str, CType]] = field(default_factory=list)
    kept_decls: list[str] = field(default_factory=list)
    """Private locals whose caller declaration must stay (unseen code may use them)."""
    drop_decls: list[tuple[FunctionView, Node]] = field(default_factory=list)
    problem: str = ""


def _written_first(fv: FunctionView, scope: Scope, nodes: list[Node], name: str) -> bool:
    """The first mention of ``name`` in ``nodes`` stores to it (assignment target or irqsave flags)."""
    for node in nodes:
        for leaf in leaves(node):
            if fv.parsed.text(leaf) != name:
                continue
            parent = leaf.parent
            if (
                parent is not None
                and parent.type == "assignment_expression"
                and parent.child_by_field_name("left") == leaf
            ):
                return True
            if parent is not None and parent.type == "pointer_expression":
                args = parent.parent
                call = args.parent if args is not None else None
                if call is not None and call.type == "call_expression" and args is not None:
                    fn = call.child_by_field_name("function")
                    index = [c for c in args.named_children if c.type != "comment"].index(parent)
                    info = cparse.Call(fv.parsed.text(fn) if fn is not None else "", (), 0, call)
                    if scope.flags_written(info) == index:
                        return True
            return False
    return False


def _mentions_outside(fv: FunctionView, name: str, nodes: list[Node]) -> bool:
    fn = fv.function
    if fn is None:
        return True
    inside = {(n.start_byte, n.end_byte) for n in nodes}
    for leaf in leaves(fn.body):
        if fv.parsed.text(leaf) != name:
            continue
        if any(s <= leaf.start_byte and leaf.end_byte <= e for s, e in inside):
            continue
        parent = leaf.parent
        if parent is not None and parent.type in ("init_declarator", "declaration", "pointer_declarator"):
            continue
        return True
    return False


def _gap_in_scope(fv: FunctionView, decl: Node) -> bool:
    """Unseen code between a declaration and the end of its block."""
    block = decl.parent
    if block is None:
        return True
    for child in block.named_children:
        if child.start_byte > decl.start_byte:
            stack = [child]
            while stack:
                cur = stack.pop()
                if fv.gap_index(cur) is not None:
                    return True
                stack.extend(cur.children)
    return not (fv.start_visible and fv.end_visible) and block == (fv.function.body if fv.function else None)


def analyse(scope: Scope, sites: list[tuple[FunctionView, list[Node]]]) -> Analysis:
    """Parameters (varying leaves, caller locals) and private locals of a repeated sequence.

    Leaves are compared site by site in shape order: a leaf whose text is the
    same everywhere and names a global stays inside the helper; a caller
    local becomes a parameter unless it is private to the sequence (written
    first inside it and never used outside it in the function), in which
    case the helper declares it.
    """
    result = Analysis()
    per_site: list[list[Node]] = []
    for fv, nodes in sites:
        holes: list[Node] = []
        for n in nodes:
            skeleton(fv, n, holes)
        per_site.append(holes)
    if len({len(h) for h in per_site}) != 1:
        result.problem = "the sites differ in shape"
        return result
    fv0 = sites[0][0]
    seen: dict[tuple[str, ...], Param] = {}
    private: set[str] = set()
    for i, leaf0 in enumerate(per_site[0]):
        values = tuple(fv.parsed.text(h[i]) for (fv, _), h in zip(sites, per_site, strict=True))
        kinds = {h[i].type for h in per_site}
        if kinds != {"identifier"}:
            if len(set(values)) > 1:
                result.problem = f"literal `{values[0]}` differs between the sites"
                return result
            continue
        if len(set(values)) == 1 and scope.is_global(values[0]):
            continue
        if values in seen or values[0] in private:
            continue
        name = values[0]
        if len(set(values)) == 1 and all(
            _written_first(fv, scope, nodes, name) and not _mentions_outside(fv, name, nodes) for fv, nodes in sites
        ):
            ct = scope.type_of(name, fv0)
            if ct is None:
                result.problem = f"the type of `{name}` is not visible"
                return result
            private.add(name)
            result.private.append((name, ct))
            for fv, _nodes in sites:
                found = declared_in(fv, name)
                if found is None:
                    continue
                if _gap_in_scope(fv, found[1]) or len(found[1].children_by_field_name("declarator")) != 1:
                    result.kept_decls.append(name)
                else:
                    result.drop_decls.append((fv, found[1]))
            continue
        if any(_assigned(fv, nodes, name) for (fv, nodes), name in zip(sites, values, strict=True)):
            result.problem = f"the sequence assigns `{name}`, which the caller still uses"
            return result
        uses = _arg_uses(fv0, leaf0)
        ct = scope.type_of(name, fv0, uses)
        if ct is None:
            result.problem = f"the type of `{name}` is not visible"
            return result
        param = Param(name, ct, list(values))
        seen[values] = param
        result.params.append(param)
    return result


def _assigned(fv: FunctionView, nodes: list[Node], name: str) -> bool:
    """``name`` is stored to inside ``nodes`` (a parameter would lose the store)."""
    for node in nodes:
        for leaf in leaves(node):
            if fv.parsed.text(leaf) != name or leaf.parent is None:
                continue
            parent = leaf.parent
            if parent.type == "assignment_expression" and parent.child_by_field_name("left") == leaf:
                return True
            if parent.type == "update_expression":
                return True
    return False


def _arg_uses(fv: FunctionView, leaf: Node) -> list[tuple[str, int]]:
    """(callee, argument index) when ``leaf`` is passed bare to a call."""
    parent = leaf.parent
    if parent is None or parent.type != "argument_list" or parent.parent is None:
        return []
    fn = parent.parent.child_by_field_name("function")
    args = [c for c in parent.named_children if c.type != "comment"]
    return [(fv.parsed.text(fn), args.index(leaf))] if fn is not None and leaf in args else []


# --------------------------------------------------------------------------
# Text: helper definitions and rewritten sites


def indent_of(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def dedent(lines: list[str], prefix: str) -> list[str]:
    return [ln[len(prefix) :] if ln.startswith(prefix) else ln.lstrip() for ln in lines]


def helper_text(
    *,
    name: str,
    ret: str,
    params: list[Param],
    private: list[tuple[str, CType]],
    body: list[str],
    static: bool,
    comment: str = "",
) -> list[str]:
    """A kernel-style function definition (tab indentation, declarations first)."""
    sig = f"{'static ' if static else ''}{ret} {name}({signature_params(params)})"
    out = ["/*", *(f" * {ln}" for ln in textwrap.wrap(comment, 72)), " */"] if comment else []
    out += [sig, "{"]
    if private:
        out += [f"\t{ct.declare(n)};" for n, ct in private]
        out.append("")
    out += ["\t" + ln if ln.strip() else "" for ln in body]
    out += ["}"]
    return out


def signature_params(params: list[Param]) -> str:
    return ", ".join(p.ctype.declare(p.name) for p in params) or "void"


def call_text(name: str, params: list[Param], site: int) -> str:
    return f"{name}({', '.join(p.values[site] for p in params)})"


def span_lines(lines: dict[int, str], first: int, last: int) -> list[str] | None:
    out = []
    for n in range(first, last + 1):
        if n not in lines:
            return None
        out.append(lines[n])
    return out


def replace_span(fv: FunctionView, lines: dict[int, str], node: Node, new: str) -> tuple[int, int, list[str]] | None:
    """Whole lines covering ``node`` with the node's text replaced by ``new`` (continuations joined)."""
    first, last = real_span(fv, node)
    if first is None or last is None:
        return None
    rows = span_lines(lines, first, last)
    if rows is None:
        return None
    start_row, start_col = node.start_point
    end_row, end_col = node.end_point
    head = rows[0].encode("utf-8", "surrogateescape")[:start_col].decode("utf-8", "surrogateescape")
    tail = rows[-1].encode("utf-8", "surrogateescape")[end_col:].decode("utf-8", "surrogateescape")
    if fv.parsed.text(node).count("\n") != end_row - start_row:
        return None
    return first, last, [head + new + tail]


def insertion_point(view: FileView, before: int, after: int = 0) -> int | None:
    """A visible file-scope spot between ``after`` and ``before`` to insert a function at.

    The line after a column-0 ``}`` followed by a blank line, with visible
    lines on both sides (a diff needs context there), nearest to ``before``.
    """
    lines = file_lines(view)
    best = None
    for n, text in lines.items():
        spot = text == "}" and lines.get(n + 1, "x").strip() == "" and (n + 2) in lines and (n - 1) in lines
        if after < n < before and spot and (best is None or n > best):
            best = n
    if best is not None:
        return best + 2
    # else right below the global itself, when a blank line separates it from what follows
    if after and after < before and lines.get(after + 1, "x").strip() == "" and (after + 2) in lines:
        return after + 1
    return None


def inserted(view: FileView, at: int, helper: list[str]) -> tuple[str, ...]:
    """``helper`` with the blank line on the side that keeps one blank line between definitions."""
    before = file_lines(view).get(at - 1, "")
    return (*helper, "") if not before.strip() else ("", *helper)


# --------------------------------------------------------------------------
# Names


def global_stem(decl: GlobalDecl) -> str:
    """``deferred_split_lru`` of type ``struct list_lru`` -> ``deferred_split``."""
    type_name = decl.ctype.replace("*", "").split()[-1]
    type_words = type_name.split("_")
    words = decl.name.split("_")
    if decl.name == type_name:
        return decl.name
    while len(words) > 1 and words[-1] in type_words:
        words.pop()
    return "_".join(words)


def helper_name(callee: str, obj: GlobalDecl | None, subject: str | None, suffix: str = "") -> str:
    """A name that says what the helper does: subject, object, verb (kernel order).

    ``folio_memcg_list_lru_alloc`` on ``deferred_split_lru`` with subject
    ``folio`` -> ``folio_memcg_alloc_deferred_split``; ``__list_lru_del`` ->
    ``folio_deferred_split_del``.
    """
    op = callee.lstrip("_")
    if obj is not None:
        type_name = obj.ctype.replace("*", "").split()[-1]
        op = re.sub(rf"(^|_){re.escape(type_name)}(_|$)", lambda m: "_" if m.group(1) and m.group(2) else "", op)
        op = op.strip("_") or callee.lstrip("_")
        stem = global_stem(obj)
        if subject and op.startswith(subject + "_"):
            name = f"{op}_{stem}"
        elif subject and (stem == subject or stem.startswith(subject + "_")):
            name = f"{stem}_{op}"
        elif subject:
            name = f"{subject}_{stem}_{op}"
        else:
            name = f"{stem}_{op}"
    else:
        name = f"{subject}_{op}" if subject and not op.startswith(subject + "_") else op
    return name + suffix


def is_wrapper(fv: FunctionView) -> bool:
    """A small straight-line function (no branch, no loop): already a helper, not a site to fold again."""
    if fv.fragment:
        return False
    table = memo.facts(fv.parsed, "wrapper")
    if None not in table:
        table[None] = _straight_and_short(fv.function)
    return bool(table[None])


def _straight_and_short(fn: cparse.Function | None) -> bool:
    if fn is None:
        return False
    statements = [c for c in fn.body.named_children if c.type not in ("comment", "declaration")]
    if len(statements) > 6:
        return False
    stack = list(statements)
    while stack:
        cur = stack.pop()
        if cur.type in ("if_statement", "for_statement", "while_statement", "do_statement", "switch_statement") or (
            cur.type in JUMPS and cur.type != "return_statement"
        ):
            return False
        stack.extend(cur.children)
    return True


def whole_lines(fv: FunctionView, lines: dict[int, str], first: Node, last: Node) -> bool:
    """``first``..``last`` own their lines: nothing but indentation before, nothing after."""
    a, _ = real_span(fv, first)
    _, b = real_span(fv, last)
    if a is None or b is None or a not in lines or b not in lines:
        return False
    head = lines[a].encode("utf-8", "surrogateescape")[: first.start_point[1]]
    tail = lines[b].encode("utf-8", "surrogateescape")[last.end_point[1] :]
    return not head.strip() and not tail.strip()
