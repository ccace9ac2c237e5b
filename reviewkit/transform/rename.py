"""Rename a local variable throughout its function: the transform behind short-identifier.

Everything works on tree-sitter ``identifier`` nodes, never on text search,
so field names (``->l``), labels, strings and comments are left alone, and
only identifiers inside the declaring block, from the declaration on, are
renamed (a local's scope).  The new name comes from the variable's type
(``struct list_lru_one *l`` -> ``lru_one``, or the kernel's usual name for
the type from ``[naming.type_names]``) and never collides with an identifier
the function already uses, a C keyword, or the function's own name.

A rename is only offered when the whole function is visible (tree mode, or a
fragment with no unseen code): a use of the old name in an unseen gap would
be left behind and break the build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reviewkit.cparse.parse import Node
from reviewkit.fixes.diff import CONTEXT, capture
from reviewkit.model import Edit
from reviewkit.views.source import FileView, FunctionView

C_KEYWORDS = frozenset(
    [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "bool",
        "true",
        "false",
        "NULL",
        "typeof",
        "asm",
    ]
)
_STRIP_SUFFIXES = ("_struct", "_t", "_s")


@dataclass
class LocalDecl:
    """One local variable declared in a function body."""

    name: str
    node: Node
    """The declarator's identifier node."""
    declaration: Node
    scope: Node
    """The block the declaration lives in (its scope)."""
    base_type: str
    """``list_lru_one`` for ``struct list_lru_one *l``; ``unsigned long`` for a scalar."""
    type_text: str
    """How to name the type in a message: ``struct list_lru_one *``."""
    is_record: bool
    """struct or union (by value or by pointer)."""
    pointer: int
    """Levels of ``*``."""


def _declarator_identifier(node: Node) -> tuple[Node | None, int]:
    """The identifier a declarator declares and its pointer depth (arrays and functions: None)."""
    depth = 0
    cur: Node | None = node
    while cur is not None:
        node = cur
        if node.type == "identifier":
            return node, depth
        if node.type == "pointer_declarator":
            depth += 1
        elif node.type in ("function_declarator", "array_declarator") or node.type not in (
            "init_declarator",
            "parenthesized_declarator",
            "attributed_declarator",
        ):
            return None, depth
        nxt = node.child_by_field_name("declarator")
        if nxt is None:
            nxt = next((c for c in node.named_children if c.type != "comment"), None)
        cur = nxt
    return None, depth


def _type_info(fv: FunctionView, decl: Node) -> tuple[str, bool]:
    spec = decl.child_by_field_name("type")
    if spec is None:
        return "", False
    if spec.type in ("struct_specifier", "union_specifier"):
        name = spec.child_by_field_name("name")
        return (fv.parsed.text(name) if name is not None else ""), True
    return " ".join(fv.parsed.text(spec).split()), False


def local_declarations(fv: FunctionView) -> list[LocalDecl]:
    """Every local variable declared in the body of ``fv`` (parameters excluded)."""
    fn = fv.function
    if fn is None:
        return []
    out: list[LocalDecl] = []
    stack = [fn.body]
    while stack:
        node = stack.pop()
        if node.type == "declaration":
            base, record = _type_info(fv, node)
            keyword = "struct " if record else ""
            spec = node.child_by_field_name("type")
            if spec is not None and spec.type == "union_specifier":
                keyword = "union "
            for child in node.children_by_field_name("declarator"):
                ident, depth = _declarator_identifier(child)
                if ident is None or node.parent is None:
                    continue
                out.append(
                    LocalDecl(
                        fv.parsed.text(ident),
                        ident,
                        node,
                        node.parent,
                        base,
                        f"{keyword}{base} {'*' * depth}".rstrip(),
                        record,
                        depth,
                    )
                )
            continue
        stack.extend(reversed(node.children))
    return sorted(out, key=lambda d: d.node.start_byte)


def uses(fv: FunctionView, decl: LocalDecl) -> list[Node]:
    """Identifier nodes that refer to ``decl``: same name, in its scope, from the declaration on."""
    found = []
    stack = [decl.scope]
    while stack:
        node = stack.pop()
        if node.type == "identifier" and node.start_byte >= decl.node.start_byte and fv.parsed.text(node) == decl.name:
            found.append(node)
        stack.extend(node.children)
    return sorted(found, key=lambda n: n.start_byte)


def taken_names(fv: FunctionView) -> set[str]:
    """Every identifier and type name the function mentions, plus its own name."""
    fn = fv.function
    names = {fv.name}
    if fn is None:
        return names
    stack = [fn.node]
    while stack:
        node = stack.pop()
        tag = node.parent is not None and node.parent.type in ("struct_specifier", "union_specifier", "enum_specifier")
        if node.type == "identifier" or (node.type == "type_identifier" and not tag):
            names.add(fv.parsed.text(node))  # struct tags live in their own namespace: `struct page *page`
        stack.extend(node.children)
    return names


def derived_name(base_type: str, table: dict[str, Any] | None = None) -> list[str]:
    """Candidate names for a variable of ``base_type``, best first."""
    table = table or {}
    out: list[str] = []
    if base_type in table and isinstance(table[base_type], str):
        out.append(table[base_type])
    stem = base_type
    for suffix in _STRIP_SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    if re.fullmatch(r"[A-Za-z_]\w*", stem):
        parts = [p for p in stem.split("_") if p]
        if len(parts) >= 3:
            out.append("_".join(parts[-2:]))
        out.append("_".join(parts))
        if stem != base_type:
            out.append(base_type)
    return [n for n in dict.fromkeys(out) if len(n) > 1]


def choose_name(fv: FunctionView, decl: LocalDecl, table: dict[str, Any] | None = None) -> str | None:
    """A type-derived name not used anywhere in the function, or None."""
    taken = taken_names(fv) | C_KEYWORDS
    for name in derived_name(decl.base_type, table):
        if name not in taken:
            return name
    return None


def renamed_lines(fv: FunctionView, decl: LocalDecl, new: str) -> dict[int, str] | None:
    """Real line -> new text for every line that mentions ``decl``; None when that is not provably complete."""
    if fv.gaps or not (fv.start_visible and fv.end_visible):
        return None
    same = [d for d in local_declarations(fv) if d.name == decl.name]
    if len(same) != 1:
        return None  # shadowing or re-declaration: scopes would need more care than a fix deserves
    by_row: dict[int, list[Node]] = {}
    for node in uses(fv, decl):
        if node.start_point[0] != node.end_point[0]:
            return None
        by_row.setdefault(node.start_point[0], []).append(node)
    rows = fv.text.split("\n")
    renamed: dict[int, str] = {}
    for row, nodes in sorted(by_row.items()):
        real = fv.real_line_of_row(row)
        if real is None:
            return None
        line = rows[row - fv.row_offset].encode("utf-8", "surrogateescape")
        for node in sorted(nodes, key=lambda n: n.start_point[1], reverse=True):
            start, end = node.start_point[1], node.end_point[1]
            line = line[:start] + new.encode() + line[end:]
        renamed[real] = line.decode("utf-8", "surrogateescape")
    return renamed or None


def rename_edits(view: FileView, renamed: dict[int, str]) -> tuple[Edit, ...]:
    """The edits of ``renamed`` lines on ``view``'s post-image: one per run of consecutive lines.

    Renamed lines are often a few lines apart; edits sharing a hunk keep the
    unchanged lines between them as context (hunks whose context overlaps do
    not apply).  Renames cluster only when at most ``2 * CONTEXT - 1`` lines
    lie between them, so the context each edit captures reaches no further.
    """
    lines = visible_lines(view)
    runs: list[list[int]] = []
    for n in sorted(renamed):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return tuple(
        capture(view.path, lines, run[0], run[-1] + 1, [renamed[n] for n in run], reach=2 * CONTEXT - 1) for run in runs
    )


def visible_lines(view: FileView) -> dict[int, str]:
    """Post-image lines we can see: the whole file in tree/scan mode, else the hunks."""
    if view.tree_post is not None:
        return dict(enumerate(view.tree_post.split("\n"), 1))
    return {ln.number: ln.text for ln in view.post}
