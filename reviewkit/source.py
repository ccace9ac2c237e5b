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
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from reviewkit import cparse
from reviewkit.series import Patch

GAP_CALL = "__rk_gap"
"""Name of the opaque statement standing for unseen, unchanged code."""

C_SUFFIXES = (".c", ".h")
_FUNC_NAME_RE = re.compile(r"([A-Za-z_]\w*)\s*\(")
_NOT_FUNC_WORDS = {"if", "for", "while", "switch", "return", "sizeof", "do"}


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
        """Function views of this side, changed or not (cached)."""
        if side not in self._functions:
            whole = self.tree_post if side == "post" else self.tree_pre
            if not self.is_c:
                views: list[FunctionView] = []
            elif whole is not None:
                views = _tree_views(self, side, whole)
            else:
                views = stitch_functions(self, side)
            if side == "post" and views and self.hunks:
                points = self.deletion_points
                for fv in views:
                    fv.deleted_at = {n for n in points if fv.first_line <= n <= fv.last_line}
            self._functions[side] = views
        return self._functions[side]

    def changed_functions(self, side: str = "post") -> list[FunctionView]:
        return [fv for fv in self.functions(side) if fv.touched]

    def function_at(self, number: int, side: str = "post") -> FunctionView | None:
        """The function view whose visible span contains real line ``number``."""
        for fv in self.functions(side):
            if fv.first_line <= number <= fv.last_line:
                return fv
        return None


# --------------------------------------------------------------------------
# Building file views from a patch


def _strip_prefix(name: str) -> str:
    if name.startswith(("a/", "b/")):
        return name[2:]
    return name


def file_views(patch: Patch) -> list[FileView]:
    """One FileView per text file the patch touches."""
    views = []
    for pf in patch.patchset:
        if pf.is_binary_file:
            continue
        post: list[Line] = []
        pre: list[Line] = []
        for hunk in pf:
            for line in hunk:
                if line.line_type in ("+", " ") and line.target_line_no is not None:
                    post.append(Line(line.target_line_no, line.value.rstrip("\n"), line.is_added, line.diff_line_no))
                if line.line_type in ("-", " ") and line.source_line_no is not None:
                    pre.append(Line(line.source_line_no, line.value.rstrip("\n"), line.is_removed, line.diff_line_no))
        path = _strip_prefix(pf.target_file) if not pf.is_removed_file else _strip_prefix(pf.source_file)
        views.append(
            FileView(
                path,
                _strip_prefix(pf.source_file),
                patch,
                post,
                pre,
                is_new=pf.is_added_file,
                is_deleted=pf.is_removed_file,
                hunks=list(pf),
            )
        )
    return views


# --------------------------------------------------------------------------
# Brace structure of visible lines


@lru_cache(maxsize=8192)  # pure; fix verification re-stitches the same lines once per fix
def _strip_code(text: str, in_comment: bool) -> tuple[str, bool]:
    """Code of a line without comments and literals; tracks /* */ state."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if in_comment:
            end = text.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_comment = end + 2, False
            continue
        ch = text[i]
        if text.startswith("/*", i):
            in_comment, i = True, i + 2
        elif text.startswith("//", i):
            break
        elif ch in "\"'":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            out.append(ch + ch)
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), in_comment


def _indent(text: str) -> int:
    tabs = 0
    spaces = 0
    for ch in text:
        if ch == "\t":
            tabs += 1
            spaces = 0
        elif ch == " ":
            spaces += 1
        else:
            break
    return tabs + spaces // 8


@dataclass
class _Scan:
    code: str
    depth_before: int
    depth_after: int


def starts_in_comment(lines: list[Line]) -> bool:
    """A run of lines that closes a comment before opening one began inside it."""
    for ln in lines:
        close, open_ = ln.text.find("*/"), ln.text.find("/*")
        if close >= 0 and (open_ < 0 or close < open_):
            return True
        if open_ >= 0:
            return False
    return False


def _scan(lines: list[Line]) -> list[_Scan]:
    """Relative brace depth before/after each line, comments ignored."""
    out = []
    depth = 0
    in_comment = starts_in_comment(lines)
    for ln in lines:
        code, in_comment = _strip_code(ln.text, in_comment)
        before = depth
        depth += code.count("{") - code.count("}")
        out.append(_Scan(code, before, depth))
    return out


def _base_depth(lines: list[Line], scans: list[_Scan]) -> int:
    """Absolute brace depth at the start of a run of lines, from indentation.

    Only lines whose indentation equals their depth in kernel style count:
    statement starts whose previous line ended a statement or a block, not
    continuation lines or the body of an unbraced ``if``.
    """
    votes: Counter[int] = Counter()
    prev_end = ";"
    for ln, sc in zip(lines, scans, strict=True):
        code = sc.code.strip()
        if code and not code.startswith("#"):
            if prev_end in (";", "{", "}", ":") and not code.startswith(("?", ":", "&&", "||")):
                depth = sc.depth_before - (1 if code.startswith("}") else 0)
                votes[_indent(ln.text) - depth] += 1
            prev_end = code[-1]
    if not votes:
        return _indent(lines[0].text) if lines else 0
    best = max(votes.values())
    return min(v for v, c in votes.items() if c == best)


# --------------------------------------------------------------------------
# Fragment mode: stitching functions


def _segments(lines: list[Line]) -> list[list[Line]]:
    """Runs of consecutive line numbers (one per hunk, or merged hunks)."""
    segs: list[list[Line]] = []
    for ln in lines:
        if segs and segs[-1][-1].number + 1 == ln.number:
            segs[-1].append(ln)
        else:
            segs.append([ln])
    return segs


def _signature_name(sig: str) -> str | None:
    for m in _FUNC_NAME_RE.finditer(sig):
        if m.group(1) not in _NOT_FUNC_WORDS:
            return m.group(1)
    return None


def _hunk_function_names(view: FileView, side: str) -> dict[int, str]:
    """Real first line of each hunk -> function named in its @@ header."""
    out: dict[int, str] = {}
    pf = next(
        (
            f
            for f in view.patch.patchset
            if _strip_prefix(f.target_file) == view.path or _strip_prefix(f.source_file) == view.path
        ),
        None,
    )
    if pf is None:
        return out
    for hunk in pf:
        header = hunk.section_header or ""
        name = _signature_name(header) if "(" in header and not header.lstrip().startswith("#") else None
        start = hunk.target_start if side == "post" else hunk.source_start
        if name:
            out[start] = name
    return out


@dataclass
class _Piece:
    """Lines of one function within one segment."""

    lines: list[Line]
    base: int
    """Absolute brace depth before the first line."""
    end_depth: int
    starts: bool
    """The definition's opening brace is in this piece."""
    ends: bool
    signature: list[Line] = field(default_factory=list)


def _split_segment(seg: list[Line], header_name: str | None) -> list[tuple[str, _Piece]]:
    """Cut a visible segment into per-function pieces (file scope dropped)."""
    scans = _scan(seg)
    base = _base_depth(seg, scans)
    pieces: list[tuple[str, _Piece]] = []
    current: _Piece | None = None
    current_name = header_name if base > 0 else None
    pending_sig: list[Line] = []
    if base > 0 and header_name:
        current = _Piece([], base, base, False, False)
    for ln, sc in zip(seg, scans, strict=True):
        depth_before = base + sc.depth_before
        depth_after = base + sc.depth_after
        if current is None:
            stripped = ln.text.strip()
            if depth_before == 0 and ln.text.startswith("{") and not pending_sig and ln is seg[0] and header_name:
                # the hunk opens with the body's brace; the signature is the @@ header
                pending_sig = [Line(0, f"void {header_name}(void)", False, 0)]
            if depth_before == 0 and ln.text.startswith("{") and pending_sig:
                name = _signature_name(" ".join(x.text for x in pending_sig))
                if name:
                    current = _Piece([], 0, 0, True, False, signature=list(pending_sig))
                    current_name = name
            if current is None:
                if depth_before == 0 and stripped and not stripped.startswith(("#", "/", "*")):
                    pending_sig.append(ln)
                    if stripped.endswith((";", "}")):
                        pending_sig = []
                else:
                    pending_sig = []
                continue
        current.lines.append(ln)
        current.end_depth = depth_after
        if depth_after <= 0 and depth_before > 0:
            current.ends = True
            pieces.append((current_name or "?", current))
            current, current_name, pending_sig = None, None, []
    if current is not None and current.lines:
        pieces.append((current_name or "?", current))
    return pieces


def stitch_functions(view: FileView, side: str) -> list[FunctionView]:
    """Group visible lines by function and stitch each into parseable C."""
    lines = view.lines(side)
    headers = _hunk_function_names(view, side)
    grouped: list[tuple[str, list[_Piece]]] = []
    for seg in _segments(lines):
        header = headers.get(seg[0].number)
        if header is None:
            # merged hunks, or a segment that starts mid-hunk: the nearest header wins
            earlier = [n for n in headers if n <= seg[0].number]
            header = headers[max(earlier)] if earlier else None
        for name, piece in _split_segment(seg, header):
            if grouped and grouped[-1][0] == name and not grouped[-1][1][-1].ends and not piece.starts:
                grouped[-1][1].append(piece)
            else:
                grouped.append((name, [piece]))
    changed = {ln.number for ln in lines if ln.changed}
    views = []
    for name, pieces in grouped:
        fv = _stitch(name, pieces, view, side)
        fv.changed_lines = {n for n in fv.line_map if n is not None and n in changed}
        views.append(fv)
    return views


def _stitch(name: str, pieces: list[_Piece], view: FileView, side: str) -> FunctionView:
    out: list[str] = []
    line_map: list[int | None] = []
    gaps: list[Gap] = []

    def emit(text: str, real: int | None) -> None:
        out.append(text)
        line_map.append(real)

    def gap(after: int | None, before: int | None, depth: int) -> None:
        in_comment = False
        for text in out:
            _, in_comment = _strip_code(text, in_comment)
        if in_comment:
            emit("\t */", None)
        gaps.append(Gap(len(gaps), after, before))
        emit("\t" * max(depth, 1) + f"{GAP_CALL}({len(gaps) - 1});", None)

    first = pieces[0]
    start_visible = first.starts
    if first.starts:
        for ln in first.signature:
            emit(ln.text, ln.number or None)
        depth = 0
    else:
        emit(f"void {name}(void)", None)
        emit("{", None)
        depth = 1
        for d in range(1, first.base):
            emit("\t" * d + "{", None)
            depth += 1
        gap(None, first.lines[0].number if first.lines else None, depth)
    last_real: int | None = None
    for n, piece in enumerate(pieces):
        if n > 0:
            gap(last_real, piece.lines[0].number if piece.lines else None, depth)
            while depth > piece.base and depth > 1:
                depth -= 1
                emit("\t" * depth + "}", None)
            while depth < piece.base:
                emit("\t" * depth + "{", None)
                depth += 1
        if starts_in_comment(piece.lines):
            emit("\t/*", None)
        for ln in piece.lines:
            emit(ln.text, ln.number)
            last_real = ln.number
        depth = piece.end_depth
    end_visible = pieces[-1].ends
    if not end_visible:
        gap(last_real, None, depth)
        while depth > 0:
            depth -= 1
            emit("\t" * depth + "}", None)
    return FunctionView(
        name, view.path, side, "\n".join(out) + "\n", line_map, gaps, start_visible, end_visible, patch=view.patch
    )


# --------------------------------------------------------------------------
# Tree mode


def _tree_views(view: FileView, side: str, whole: str) -> list[FunctionView]:
    parsed = cparse.parse(whole)
    changed = view.added if side == "post" else view.removed
    all_lines = whole.split("\n")
    rows = len(all_lines)
    views = []
    for fn in parsed.functions():
        start, end = fn.start_line, fn.end_line
        text_lines = all_lines[start - 1 : end]
        fv = FunctionView(
            fn.name,
            view.path,
            side,
            "\n".join(text_lines) + "\n",
            list(range(start, min(end, rows) + 1)),
            [],
            True,
            True,
            patch=view.patch,
            _whole=(parsed, fn.node),
        )
        span = range(start, end + 1)
        fv.changed_lines = {n for n in span if n in changed} if len(changed) > len(span) else {
            n for n in changed if start <= n <= end
        }
        views.append(fv)
    return views


class ApplyError(Exception):
    """A hunk did not apply to the tree's file."""


def apply_hunks(text: str, view: FileView, fuzz_lines: int = 200) -> str:
    """Apply one file's hunks to ``text`` like ``patch`` with offset search."""
    pf = next(
        f
        for f in view.patch.patchset
        if _strip_prefix(f.target_file) == view.path or _strip_prefix(f.source_file) == view.path
    )
    src = text.split("\n")
    out: list[str] = []
    pos = 0
    for hunk in pf:
        old = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("-", " ")]
        new = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("+", " ")]
        want = max(hunk.source_start - 1, 0) if old else hunk.source_start
        at = _find(src, old, want, pos, fuzz_lines)
        if at is None:
            raise ApplyError(f"hunk @@ -{hunk.source_start} @@ does not apply")
        out.extend(src[pos:at])
        out.extend(new)
        pos = at + len(old)
    out.extend(src[pos:])
    return "\n".join(out)


def _find(src: list[str], old: list[str], want: int, floor: int, fuzz: int) -> int | None:
    for delta in range(fuzz + 1):
        for at in (want - delta, want + delta):
            if at >= floor and src[at : at + len(old)] == old:
                return at
    return None


def attach_tree(views: list[FileView], tree: Path, state: dict[str, str]) -> list[str]:
    """Give each view whole pre/post texts from ``tree`` (never written).

    ``state`` carries the post-image of earlier patches of the series, keyed
    by path, so patch N sees the tree after patches 1..N-1.  Returns warnings
    for files that fall back to fragment mode.
    """
    warnings = []
    for view in views:
        if not view.is_c:
            continue
        if view.old_path in state:
            pre = state[view.old_path]
        elif view.is_new:
            pre = ""
        else:
            f = tree / view.old_path
            try:
                pre = f.read_text("utf-8", errors="surrogateescape")
            except OSError:
                warnings.append(f"{view.path}: not in {tree}; reviewed as a fragment")
                continue
        try:
            post = apply_hunks(pre, view) if not view.is_new else "\n".join(ln.text for ln in view.post)
        except ApplyError as exc:
            warnings.append(f"{view.path}: {exc} in {tree}; reviewed as a fragment")
            continue
        view.tree_pre, view.tree_post = pre, post
        state[view.path] = post
    return warnings


def iter_views(views: list[FileView], side: str = "post") -> Iterator[FunctionView]:
    for view in views:
        yield from view.functions(side)
