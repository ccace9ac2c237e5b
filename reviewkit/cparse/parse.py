"""Kernel-aware C parsing on top of tree-sitter-c.

Raw tree-sitter-c misreads a lot of kernel code (attribute macros, iterator
macros, ``#ifdef`` inside expressions).  Every source is first run through
:func:`reviewkit.cparse.normalize.normalize`, which rewrites those constructs
*without changing any byte offset*, so every node position is still a
position in the original text and findings point at the real line.

This module is the only place that touches tree-sitter's API; everything
else asks it for :class:`Function` and :class:`Call` records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter as ts
import tree_sitter_c as tsc

from reviewkit.cparse.normalize import callee_name, normalize

Node = ts.Node


@lru_cache(maxsize=1)
def language() -> ts.Language:
    """The tree-sitter C language, loaded once per process."""
    return ts.Language(tsc.language())


@lru_cache(maxsize=1)
def _parser() -> ts.Parser:
    return ts.Parser(language())


_DECLARED = """
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @pointer))
(declaration declarator: (pointer_declarator declarator: (identifier) @pointer))
(declaration declarator: (init_declarator declarator: (pointer_declarator declarator: (identifier) @pointer)))
(parameter_declaration declarator: (identifier) @value)
(declaration declarator: (identifier) @value)
(declaration declarator: (init_declarator declarator: (identifier) @value))
"""
"""Names declared as a plain pointer (``struct rl_elem *rl``) and as a plain value (``int n``, no ``[]``),
parameters and declarations of the body alike (the initialiser does not matter)."""


@lru_cache(maxsize=1)
def _declared_query() -> ts.Query:
    return ts.Query(language(), _DECLARED)


def declared(parsed: Parsed, node: Node) -> dict[str, frozenset[str]]:
    """``{"pointer": names, "value": names}`` declared anywhere under ``node`` (see :data:`_DECLARED`).

    A query runs in tree-sitter's C code: walking a function's every node in Python to find its
    declarations was a tenth of building its graph.
    """
    found = ts.QueryCursor(_declared_query()).captures(node)
    return {kind: frozenset(parsed.text(n) for n in found.get(kind, ())) for kind in ("pointer", "value")}


@dataclass
class Parsed:
    """A parsed source: the original bytes, the normalised bytes, the tree."""

    source: bytes
    normalized: bytes
    tree: ts.Tree

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def text(self, node: Node) -> str:
        """Original (not normalised) text of a node."""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def functions(self) -> list[Function]:
        return list(iter_functions(self))


def parse(source: bytes | str, *, raw: bool = False) -> Parsed:
    """Parse C source; ``raw=True`` skips kernel normalisation (for stats)."""
    data = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
    norm = data if raw else normalize(data)
    if len(norm) != len(data):  # pragma: no cover - normalize() contract
        raise AssertionError("normalize() changed the byte length")
    return Parsed(data, norm, _parser().parse(norm))


@dataclass
class Function:
    """One function definition: its name, span and body node."""

    name: str
    node: Node
    body: Node
    parsed: Parsed

    @property
    def start_line(self) -> int:
        """1-based line of the first byte of the definition."""
        return self.node.start_point[0] + 1

    @property
    def end_line(self) -> int:
        return self.node.end_point[0] + 1

    @property
    def clean(self) -> bool:
        """True when tree-sitter found no ERROR or MISSING node inside."""
        return not has_error(self.node)

    def calls(self) -> list[Call]:
        """The calls of the body in source order (found once per function: several rules ask)."""
        found = self.__dict__.get("_calls")
        if found is None:
            found = self.__dict__["_calls"] = tuple(iter_calls(self.parsed, self.body))
        return list(found)


@dataclass(frozen=True)
class Call:
    """A call expression: callee name, argument texts, 1-based line."""

    name: str
    args: tuple[str, ...]
    line: int
    node: Node


def has_error(node: Node) -> bool:
    """ERROR or MISSING anywhere below ``node``."""
    return node.has_error


def declarator_name(node: Node | None) -> str | None:
    """Walk a declarator chain (pointer, function, parenthesised) to its identifier."""
    while node is not None:
        if node.type in ("identifier", "field_identifier"):
            return node.text.decode("utf-8", "replace") if node.text else None
        nxt = node.child_by_field_name("declarator")
        if nxt is None:
            for child in node.named_children:
                if child.type in (
                    "identifier",
                    "function_declarator",
                    "pointer_declarator",
                    "parenthesized_declarator",
                ):
                    nxt = child
                    break
        node = nxt
    return None


def iter_functions(parsed: Parsed) -> Iterator[Function]:
    """Every function definition at any depth (``#ifdef`` blocks included)."""
    stack = [parsed.root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            body = node.child_by_field_name("body")
            name = declarator_name(node.child_by_field_name("declarator"))
            if body is not None and name:
                yield Function(name, node, body, parsed)
            continue
        stack.extend(reversed(node.children))


def iter_calls(parsed: Parsed, node: Node) -> Iterator[Call]:
    """Call expressions below ``node`` (itself included) in source order, by a query: the same calls a
    walk of every node finds, at a fraction of the cost (a graph asks this of each of its statements)."""
    found = ts.QueryCursor(_calls_query()).captures(node).get("call")
    if not found:
        return
    if len(found) > 1:
        found = sorted(found, key=_start)  # (pre-order: an outer call before the calls in its arguments)
    for cur in found:
        fn = cur.child_by_field_name("function")
        args = cur.child_by_field_name("arguments")
        if fn is None:
            continue
        arg_texts = tuple(parsed.text(a) for a in (args.named_children if args else []) if a.type != "comment")
        name = callee_name(parsed.source, parsed.normalized, fn.start_byte, fn.end_byte)
        yield Call(name, arg_texts, cur.start_point[0] + 1, cur)


def _start(node: Node) -> int:
    return node.start_byte


def descendants(node: Node, types: tuple[str, ...]) -> list[Node]:
    """The nodes of ``types`` at or below ``node``, in no particular order, by a query (tree-sitter's C
    code visits the nodes; a Python walk of every node is what makes reading a graph's statements slow)."""
    found = ts.QueryCursor(_types_query(types)).captures(node).get("n")
    return found or []


@lru_cache(maxsize=32)
def _types_query(types: tuple[str, ...]) -> ts.Query:
    return ts.Query(language(), "\n".join(f"({t}) @n" for t in types))


@lru_cache(maxsize=1)
def _calls_query() -> ts.Query:
    return ts.Query(language(), "(call_expression function: (identifier)) @call")
