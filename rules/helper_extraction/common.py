"""What the helper-extraction detectors share: the series they look at, the candidate they return.

:class:`Series` and :class:`Candidate` are the contract between the three
detectors and the ``helper_extraction`` rule; the small helpers below (claimed
lines, where a copy is, the helper's subject and parameter order, globals a
sequence touches, whether a name is free) are the decisions every detector
must make the same way, so they live once here instead of in each detector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reviewkit.api import (
    Applicability,
    Edit,
    FileView,
    FunctionView,
    GlobalDecl,
    Node,
    Param,
    Scope,
    function_phrase,
    transform,
)

T = transform
_WS = re.compile(r"\s+")


def norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass
class Series:
    """What the detectors look at: the series' post-image views and functions, and its pre-image."""

    views: dict[str, FileView]
    post: list[FunctionView]
    pre: list[FunctionView]
    scope: Scope

    def lines(self, path: str) -> dict[int, str]:
        return T.file_lines(self.views[path])

    def changed(self, fv: FunctionView, node: Node) -> bool:
        return fv.is_changed(node)


@dataclass
class Candidate:
    kind: str
    message: str
    fv: FunctionView
    line: int
    claims: set[tuple[str, int]]
    value: tuple[int, int]
    edits: dict[str, list[Edit]] = field(default_factory=dict)
    """The fix's edits by file, without context: it is captured when the fix is made."""
    title: str = ""
    applicability: Applicability = Applicability.SAFE


def claims_of(fv: FunctionView, nodes: list[Node]) -> set[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for node in nodes:
        a, b = T.real_span(fv, node)
        if a is not None and b is not None:
            out.update((fv.path, n) for n in range(a, b + 1))
    return out


def where_of(fv: FunctionView, node: Node) -> str:
    return f"{function_phrase(fv.name)} at {T.real_span(fv, node)[0]}"


def function_start(fv: FunctionView) -> int:
    return fv.first_line


def last_global_line(series: Series, path: str, names: set[str]) -> int:
    lines = [d.line for n in names for d in series.scope.globals.get(n, []) if d.path == path]
    return max(lines, default=0)


def subject_of(params: list[Param], args: list[str]) -> str | None:
    """The object a helper acts on: the base of a ``&x->field`` argument, else the first struct pointer."""
    by_name = {p.name: p for p in params}
    for text in args:
        m = re.match(r"&?\s*([A-Za-z_]\w*)\s*->", text)
        if m and m.group(1) in by_name:
            return param_tag(by_name[m.group(1)])
    for p in params:
        if p.ctype.stars and p.ctype.base.startswith(("struct ", "union ")):
            return param_tag(p)
    return None


def param_tag(p: Param) -> str:
    """The struct tag of a pointer parameter (``struct folio *f`` -> ``folio``), else its name."""
    words = p.ctype.base.split()
    return words[-1] if p.ctype.stars and len(words) > 1 and words[-2] in ("struct", "union") else p.name


def order_params(params: list[Param], subject: str | None) -> list[Param]:
    return sorted(params, key=lambda p: subject not in (p.name, param_tag(p)))


def globals_in(series: Series, fv: FunctionView, nodes: list[Node]) -> list[GlobalDecl]:
    out = []
    for node in nodes:
        for leaf in T.leaves(node):
            decl = series.scope.global_object(fv.parsed.text(leaf))
            if decl is not None and decl not in out:
                out.append(decl)
    return out


def name_taken(series: Series, name: str) -> bool:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return any(pattern.search(t) for path in series.views for t in series.lines(path).values())


def count_text(n: int) -> str:
    return "both" if n == 2 else f"all {n}"
