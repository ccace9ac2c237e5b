"""Source views: what of each touched file the series lets us see.

Fragment mode (the usual case: a series under review rarely matches a tree
on disk) rebuilds the post-image and pre-image of every hunk with its real
line numbers, groups the lines by enclosing function, and stitches a
function's visible hunks into one parseable text.  Between two hunks lies
unchanged code we cannot see: it becomes an opaque statement
``__rk_gap(N);`` and the block structure across it is repaired from kernel
indentation, so rules can reason about "what the patch shows" and "a gap"
explicitly instead of guessing.

Tree mode (``--tree DIR``) applies the series to in-memory copies of the
touched files (the directory is never written) and exposes whole files, so
every touched function is fully visible.  There (and in ``reviewkit scan``)
the file is parsed once and each function view uses its part of that parse
(:class:`FunctionParse`): node rows are file rows, so code that maps nodes to
lines goes through :meth:`FunctionView.real_line`/``real_line_of_row()`` and
code that indexes ``text`` rows subtracts :attr:`FunctionView.row_offset`.

This module holds the views themselves; the stitching lives in
:mod:`reviewkit.views.stitch` and tree mode in :mod:`reviewkit.views.treemode`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewkit.cparse import parse as cparse
from reviewkit.load.series import Patch

GAP_CALL = "__rk_gap"
"""Name of the opaque statement standing for unseen, unchanged code."""

C_SUFFIXES = (".c", ".h")


@dataclass
class Line:
    """One visible line of one side of a file."""

    number: int
    text: str
    changed: bool
    diff_line_no: int
    """unidiff's 1-based line in the patch's diff text (0 for tree-mode lines)."""


@dataclass
class Gap:
    """Unseen unchanged code between two visible lines of a function."""

    index: int
    after: int | None
    """Real line number of the last visible line before the gap (None: start)."""
    before: int | None
    """Real line number of the first visible line after it (None: the end)."""


@dataclass
class FunctionParse(cparse.Parsed):
    """One function's share of a whole-file parse (tree and scan mode: the file is parsed once).

    ``root`` is the function's definition, so walks from the root see this
    function only, as with a parse of the function's text; node rows are
    rows of the file, ``row_offset`` rows below the view's text rows.
    """

    top: cparse.Node | None = None
    row_offset: int = 0

    @property
    def root(self) -> cparse.Node:
        return self.top if self.top is not None else self.tree.root_node


@dataclass
class FunctionView:
    """A function as far as it is visible, stitched into parseable C.

    ``line_map[i]`` is the real (post- or pre-image) line of stitched line
    ``i`` (0-based), or None for synthetic lines (gap statements, repaired
    braces, a synthesised header).
    """

    name: str
    path: str
    side: str
    text: str
    line_map: list[int | None]
    gaps: list[Gap]
    start_visible: bool
    end_visible: bool
    changed_lines: set[int] = field(default_factory=set)
    """Real lines of this side that the patch added (post) or removed (pre)."""
    deleted_at: set[int] = field(default_factory=set)
    """Post side: real lines right after a run of lines the patch removed here."""
    patch: Patch | None = None
    _parsed: cparse.Parsed | None = field(default=None, repr=False)
    _whole: tuple[cparse.Parsed, cparse.Node] | None = field(default=None, repr=False)
    """Tree/scan mode: the file's parse and this function's definition in it, used instead of a re-parse."""

    @property
    def parsed(self) -> cparse.Parsed:
        """The parse of :attr:`text` (tree/scan mode: this function's part of the file's parse)."""
        if self._parsed is None:
            if self._whole is not None:
                whole, node = self._whole
                self._parsed = FunctionParse(
                    whole.source, whole.normalized, whole.tree, top=node, row_offset=node.start_point[0]
                )
            else:
                self._parsed = cparse.parse(self.text)
        return self._parsed

    @property
    def row_offset(self) -> int:
        """Parse-tree row of the first row of :attr:`text`: node rows minus this index :attr:`line_map`."""
        parsed = self.parsed
        return parsed.row_offset if isinstance(parsed, FunctionParse) else 0

    @property
    def function(self) -> cparse.Function | None:
        """The function_definition this view parses to (the outermost one)."""
        fns = self.parsed.functions()
        return fns[0] if fns else None

    @property
    def touched(self) -> bool:
        """The patch changed this function: added lines, or (post side) only removed some."""
        return bool(self.changed_lines or self.deleted_at)

    @property
    def fragment(self) -> bool:
        return bool(self.gaps) or not (self.start_visible and self.end_visible)

    @property
    def first_line(self) -> int:
        return min((n for n in self.line_map if n is not None), default=0)

    @property
    def last_line(self) -> int:
        return max((n for n in self.line_map if n is not None), default=0)

    def real_line(self, node: cparse.Node) -> int | None:
        """Real line number of a node of :attr:`parsed` (None if synthetic)."""
        return self.real_line_of_row(node.start_point[0])

    def real_line_of_row(self, row: int) -> int | None:
        """Real line of a parse-tree row (a node's ``start_point[0]``), None if synthetic."""
        row -= self.row_offset
        return self.line_map[row] if 0 <= row < len(self.line_map) else None

    def gap_index(self, node: cparse.Node) -> int | None:
        """If ``node`` is (or wraps) a gap statement, its gap index."""
        if node.type == "expression_statement" and node.named_children:
            node = node.named_children[0]
        if node.type != "call_expression":
            return None
        fn = node.child_by_field_name("function")
        if fn is None or self.parsed.text(fn) != GAP_CALL:
            return None
        args = node.child_by_field_name("arguments")
        try:
            return int(self.parsed.text(args.named_children[0])) if args else None
        except (ValueError, IndexError):
            return None

    def is_changed(self, node: cparse.Node) -> bool:
        """True when any real line of ``node`` was added/removed by the patch."""
        for row in range(node.start_point[0], node.end_point[0] + 1):
            real = self.real_line_of_row(row)
            if real is not None and real in self.changed_lines:
                return True
        return False


@dataclass
class FileView:
    """One touched file of one patch: visible lines of both sides."""

    path: str
    old_path: str
    patch: Patch
    post: list[Line]
    pre: list[Line]
    is_new: bool = False
    is_deleted: bool = False
    tree_post: str | None = None
    """Whole post-image text in tree mode."""
    tree_pre: str | None = None
    hunks: list[Any] = field(default_factory=list, repr=False)
    """unidiff hunks of this file (empty in scan mode)."""
    noreturn: frozenset[str] = frozenset()
    """Functions the file's headers declare as never returning (:mod:`reviewkit.views.includes`); known
    where the file's place on disk is (a scan, tree mode), empty otherwise."""
    constants: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Object-like constant macros of the file and its local headers (:func:`reviewkit.views.includes.
    header_constants`), where the file's place on disk is known: the graph folds comparisons of them."""
    constants_pre: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The same for the pre-image (tree mode): a patch may change a ``#define`` the pre-image compares."""
    builder: Callable[[FileView, str], list[FunctionView]] | None = field(default=None, repr=False, compare=False)
    """Builds the function views of a side (fragment stitching or tree mode): set by :mod:`reviewkit.views.build`,
    so this data module does not import the stages that stitch or parse it."""
    _functions: dict[str, list[FunctionView]] = field(default_factory=dict, repr=False)

    @property
    def is_c(self) -> bool:
        return self.path.endswith(C_SUFFIXES)

    @property
    def tree_mode(self) -> bool:
        return self.tree_post is not None

    @property
    def added(self) -> set[int]:
        return {ln.number for ln in self.post if ln.changed}

    @property
    def removed(self) -> set[int]:
        return {ln.number for ln in self.pre if ln.changed}

    @property
    def deletion_points(self) -> set[int]:
        """Post-image lines that directly follow lines the patch removed."""
        points: set[int] = set()
        for hunk in self.hunks:
            pending = False
            for line in hunk:
                if line.line_type == "-":
                    pending = True
                elif line.line_type in ("+", " ") and pending:
                    points.add(line.target_line_no)
                    pending = False
            if pending:
                points.add(hunk.target_start + hunk.target_length)
        return points

    def lines(self, side: str = "post") -> list[Line]:
        return self.post if side == "post" else self.pre

    def line_text(self, number: int, side: str = "post") -> str | None:
        whole = self.tree_post if side == "post" else self.tree_pre
        if whole is not None:
            rows = whole.split("\n")
            return rows[number - 1] if 0 < number <= len(rows) else None
        for ln in self.lines(side):
            if ln.number == number:
                return ln.text
        return None

    def diff_line_no(self, number: int, side: str = "post") -> int:
        for ln in self.lines(side):
            if ln.number == number:
                return ln.diff_line_no
        return 0

    def functions(self, side: str = "post") -> list[FunctionView]:
        """Function views of this side, changed or not (built on first use by :mod:`reviewkit.views.build`)."""
        if side not in self._functions:
            if self.builder is None:
                raise RuntimeError(f"{self.path}: a FileView made outside reviewkit.views.build has no functions")
            self._functions[side] = self.builder(self, side)
        return self._functions[side]

    def built_functions(self) -> dict[str, list[FunctionView]]:
        """The sides whose function views exist already (a rebuild may reuse them instead of stitching again)."""
        return dict(self._functions)

    def changed_functions(self, side: str = "post") -> list[FunctionView]:
        return [fv for fv in self.functions(side) if fv.touched]

    def function_at(self, number: int, side: str = "post") -> FunctionView | None:
        """The function view whose visible span contains real line ``number``."""
        for fv in self.functions(side):
            if fv.first_line <= number <= fv.last_line:
                return fv
        return None


def strip_prefix(name: str) -> str:
    if name.startswith(("a/", "b/")):
        return name[2:]
    return name
