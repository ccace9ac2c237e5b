"""Fragment mode: stitch a function's visible hunks into parseable C.

A function is rarely fully visible in a patch.  Its visible lines are
grouped by function (hunk headers plus kernel layout: a definition's ``{``
and ``}`` sit in column 0), and the pieces are joined with an opaque
``__rk_gap(N);`` statement for every stretch of unseen, unchanged code.  The
block structure across each gap is repaired from kernel indentation (braces
are closed or opened so the next visible line sits at its depth), and a
comment left open at a gap is closed, so the result always parses.
"""
# size: one stitcher: grouping hunks by function, repairing braces and closing cut expressions share the line scans

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from reviewkit.model import HUNK_FUNCTION
from reviewkit.views.source import GAP_CALL, FileView, FunctionView, Gap, Line, strip_prefix

_FUNC_NAME_RE = re.compile(r"([A-Za-z_]\w*)\s*\(")
_LABEL_HEADER = re.compile(r"^([A-Za-z_]\w*):(?!:)\s*(?:/[*/].*)?$")
"""A hunk header that is a goto label, not a definition."""
_IDENT_CHARS = re.compile(r"\W")
_NOT_FUNC_WORDS = {"if", "for", "while", "switch", "return", "sizeof", "do"}

# --------------------------------------------------------------------------
# Brace structure of visible lines


@lru_cache(maxsize=8192)  # pure; fix verification re-stitches the same lines once per fix
def _strip_code(text: str, in_comment: bool) -> tuple[str, bool]:
    """Code of a line without comments and literals; tracks /* */ state."""
    out: list[str] = []
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
    """Real first line of each hunk -> function named in its @@ header (none without a patch)."""
    out: dict[int, str] = {}
    if view.patch is None:  # a whole file (scan, a fixture) has no hunks; its other side is empty
        return out
    pf = next(
        (
            f
            for f in view.patch.patchset
            if strip_prefix(f.target_file) == view.path or strip_prefix(f.source_file) == view.path
        ),
        None,
    )
    if pf is None:
        return out
    for k, hunk in enumerate(pf):
        header = hunk.section_header or ""
        name = _signature_name(header) if "(" in header and not header.lstrip().startswith("#") else None
        start = hunk.target_start if side == "post" else hunk.source_start
        label = _LABEL_HEADER.match(header)
        if name:
            out[start] = name
        elif header.strip() and not label:
            # a column-0 line that is no function and no label (``static const struct x_ops ops = {``):
            # the hunk starts after it, in file scope, not in the function of an earlier hunk
            out[start] = ""
        elif label:
            # git's default funcname (no ``diff=cpp``) and ``diff -p`` name a hunk after the last
            # column-0 line, often a label: the hunk is inside a function whose name is not shown.
            # The same placeholder on both sides pairs the images; the index keeps functions apart.
            out[start] = f"<hunk {k + 1} at {label.group(1)}:>"
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
        for name, piece in _split_segment(seg, header or None):
            if grouped and not grouped[-1][1][-1].ends and not piece.starts and _same_function(grouped[-1], name, view):
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


_PLACEHOLDER = HUNK_FUNCTION


def _same_function(group: tuple[str, list[_Piece]], name: str, view: FileView | None = None) -> bool:
    """Does a piece named ``name`` go on the function of ``group`` (whose end was not seen)?

    The same name; or a hunk git named after a goto label (its default funcname picks the last
    column-0 line) that the function's visible lines define or jump to: the label is in that
    function, and a column-0 line between, a new definition, would have named the hunk instead.
    The lines of both sides count (the diff rows the group spans): a patch that turns the one
    ``goto out`` into ``goto err`` leaves no use of ``out`` in the post-image, yet both images
    must be stitched alike, or their paths cannot be paired.
    """
    if group[0] == name:
        return True
    label = _PLACEHOLDER.match(name)
    if label is None:
        return False
    name_re = re.escape(label.group(1))
    uses = re.compile(r"^\s*" + name_re + r"\s*:(?!:)|\bgoto\s+" + name_re + r"\s*;")
    lines = [ln for piece in group[1] for ln in piece.lines]
    if any(uses.search(ln.text) for ln in lines):
        return True
    rows = [ln.diff_line_no for ln in lines if ln.diff_line_no]
    if view is None or not rows:
        return False
    lo, hi = min(rows), max(rows)
    return any(uses.search(ln.text) for ln in (*view.pre, *view.post) if lo <= ln.diff_line_no <= hi)


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
        emit(f"void {_IDENT_CHARS.sub('_', name)}(void)", None)  # a placeholder name is not an identifier
        emit("{", None)
        depth = 1
        for d in range(1, first.base):
            emit("\t" * d + "{", None)
            depth += 1
        gap(None, first.lines[0].number if first.lines else None, depth)
    last_real: int | None = None
    for n, piece in enumerate(pieces):
        if n > 0:
            cut = _dangling_close(pieces[n - 1].lines)
            if cut:
                emit("\t" * max(depth, 1) + cut, None)
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
        cut = _dangling_close(pieces[-1].lines)
        if cut:
            emit("\t" * max(depth, 1) + cut, None)
        gap(last_real, None, depth)
        inner = depth
        while depth > 1:
            depth -= 1
            emit("\t" * depth + "}", None)
        if inner > 1:
            # The rest of the function after the blocks left open is unseen too: a path that
            # leaves them (a loop that ends, an else that falls out) reaches that unseen code,
            # not the closing brace, so it must not end on the block's header line.
            gap(last_real, None, 1)
        while depth > 0:
            depth -= 1
            emit("\t" * depth + "}", None)
    return FunctionView(
        name, view.path, side, "\n".join(out) + "\n", line_map, gaps, start_visible, end_visible, patch=view.patch
    )


CUT = "__rk_cut"
"""Stands for the unseen rest of an expression a piece ends in (see :func:`_dangling_close`)."""
_STMT_END = (";", "{", "}", ":")
_NEEDS_OPERAND = re.compile(r"(?:[,(\[=+\-*/%&|^!<>?:~]|\breturn)$")
_HEADER = re.compile(r"^(?:\}\s*)?(?:else\s+)?(if|while|switch|for)\b")


def _dangling_close(lines: list[Line]) -> str:
    """The text that ends a statement a piece stops in the middle of (``""``: it ends cleanly).

    A hunk may end inside a multi-line condition, ``if (copy_to_user(dst,`` with ``&src, n)) {``
    unseen.  Followed by the gap statement, that is not C: tree-sitter recovers as it can and the
    paths around the ``if`` come out wrong.  Closing the expression with an opaque operand and its
    missing parentheses (``__rk_cut));``) keeps what is visible (the call, the condition's line) and
    leaves the rest to the gap: a header gets an empty body, and its real body, the next piece, is a
    block the unseen code opened (:func:`reviewkit.flow.paths.fragment_cfg` lets the gap skip it).
    A ``for`` header is left alone: its clauses cannot be told apart from a cut.
    """
    codes: list[str] = []
    in_comment = starts_in_comment(lines)
    for ln in lines:
        code, in_comment = _strip_code(ln.text, in_comment)
        codes.append(code.strip())
    stmt: list[str] = []
    for code in reversed(codes):
        if not code or code.startswith("#"):
            if stmt:
                break
            continue
        if stmt and code.endswith(_STMT_END):
            break
        stmt.insert(0, code)
    if not stmt or stmt[-1].endswith(_STMT_END):
        return ""
    text = " ".join(stmt)
    opened = text.count("(") - text.count(")") + text.count("[") - text.count("]")
    header = _HEADER.match(text)
    if opened <= 0 or (header is not None and header.group(1) == "for"):
        return ""
    tail: list[str] = []
    depth = 0
    for ch in reversed(text):  # close what is open, innermost first
        if ch in ")]":
            depth += 1
        elif ch in "([":
            if depth:
                depth -= 1
            else:
                tail.append(")" if ch == "(" else "]")
    operand = CUT if _NEEDS_OPERAND.search(text) else ""
    return operand + "".join(tail) + ";"
