"""Scope: the names, types and lock conventions a rewrite into a helper must respect.

A helper may only be written when every identifier it takes over has a known
type and a known owner: a caller local becomes a parameter, a global stays
inside, a lock must not be split across the helper boundary.  This module
answers those questions from what the series shows (file-scope declarations,
local declarations, the kernel model's prototypes, conventional types and
lock families).  It is separate from the shapes because it is the only part
of the engine that reads kernel knowledge (``ctx.kernel``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reviewkit.cparse import memo
from reviewkit.cparse import parse as cparse
from reviewkit.cparse.parse import Node
from reviewkit.transform.shape import calls_below, node_text
from reviewkit.views.source import FileView, FunctionView

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
    table = memo.facts(fv.parsed, "declarations")
    index: dict[str, tuple[CType, Node]] | None = table.get(None)
    if index is None:
        index = table[None] = _declarations(fv)
    return index.get(name)


def _declarations(fv: FunctionView) -> dict[str, tuple[CType, Node]]:
    """Each name's first typed declaration in ``fv``, in one walk of its tree (a name looked up in every
    function of a long series walked each tree once per name)."""
    out: dict[str, tuple[CType, Node]] = {}
    stack = [fv.parsed.root]
    while stack:
        cur = stack.pop()
        if cur.type in ("declaration", "parameter_declaration"):
            for child in cur.children_by_field_name("declarator"):
                name = cparse.declarator_name(child)
                if name and name not in out and (ct := _decl_type(fv, cur, name)) is not None:
                    out[name] = (ct, cur)
            continue
        stack.extend(cur.children)
    return out


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
