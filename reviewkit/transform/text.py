"""Text of the rewrite: the helper's definition, its name, where it goes, the rewritten sites.

Everything here produces or inspects whole source lines: kernel-style
function text, call sites that keep their indentation, a visible file-scope
spot to insert the helper at, and a name in kernel order (subject, object,
verb).  It is separate from the analysis because it only formats decisions
already made; a change of layout or naming never touches what is folded.
"""

from __future__ import annotations

import re
import textwrap

from reviewkit.cparse import memo
from reviewkit.cparse import parse as cparse
from reviewkit.cparse.parse import Node
from reviewkit.transform.analyse import Param
from reviewkit.transform.scope import CType, GlobalDecl, file_lines
from reviewkit.transform.shape import JUMPS, real_span
from reviewkit.views.source import FileView, FunctionView


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
