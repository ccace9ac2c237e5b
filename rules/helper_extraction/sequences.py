"""Detector: the same run of statements repeated in several functions of the series.

Statement runs are indexed by their coarse shape; a shape that repeats, is
new or more frequent in the post-image, and is worth a helper becomes a
candidate.  Copies with unrelated lines in between (*gapped*) count towards
the finding but keep their code.  It is the largest detector, and the only
one that works on shapes rather than on one call, hence its own module.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from reviewkit.rules.helper_extraction.common import (
    Candidate,
    Series,
    claims_of,
    function_start,
    globals_in,
    last_global_line,
    name_taken,
    norm,
    order_params,
    subject_of,
    where_of,
)

from reviewkit.api import Call, Edit, FunctionView, Node, Stmt, function_phrase, transform

T = transform
MAX_LEN = 8
MAX_EXTRA = 4


@dataclass
class _Occ:
    fv: FunctionView
    stmts: list[Stmt]
    gapped: bool = False


def _runs(fns: list[FunctionView]) -> list[tuple[FunctionView, list[Stmt]]]:
    return [(fv, run) for fv in fns if not T.is_wrapper(fv) for run in T.statement_runs(fv)]


def _contiguous(runs: list[tuple[FunctionView, list[Stmt]]]) -> dict[tuple[str, ...], list[_Occ]]:
    index: dict[tuple[str, ...], list[_Occ]] = defaultdict(list)
    for fv, run in runs:
        for i in range(len(run)):
            for length in range(2, min(MAX_LEN, len(run) - i) + 1):
                seq = run[i : i + length]
                index[tuple(s.coarse for s in seq)].append(_Occ(fv, seq))
    return index


_Starts = dict[str, list[tuple[FunctionView, list[Stmt], int]]]
"""Where each coarse shape starts a statement, in the order of the runs: (function, run, index)."""


def _starts(runs: list[tuple[FunctionView, list[Stmt]]]) -> _Starts:
    """The runs indexed by statement shape, so a key visits only the statements it can start at.

    Scanning every run for every candidate key is quadratic in a long series.
    """
    out: _Starts = defaultdict(list)
    for fv, run in runs:
        for i, stmt in enumerate(run):
            out[stmt.coarse].append((fv, run, i))
    return out


def _gapped(key: tuple[str, ...], starts: _Starts) -> list[_Occ]:
    out = []
    for fv, run, i in starts.get(key[0], ()):
        first = run[i]
        matched = [first]
        k = 1
        for stmt in run[i + 1 : i + len(key) + MAX_EXTRA]:
            if k < len(key) and stmt.coarse == key[k]:
                matched.append(stmt)
                k += 1
                if k == len(key):
                    break
        if k == len(key) and matched[-1].node.end_byte - matched[0].node.start_byte > 0:
            span = run[i : run.index(matched[-1]) + 1]
            if len(span) > len(key):
                out.append(_Occ(fv, matched, gapped=True))
    return out


def _apart(occs: list[_Occ]) -> list[_Occ]:
    """Copies that share no statement, first ones first: ``f(a); f(b); f(c);`` holds the
    two-statement shape twice, overlapping, and only one of them can become a helper call."""
    used: set[int] = set()
    out = []
    for o in occs:
        ids = {s.node.id for s in o.stmts}
        if ids & used:
            continue
        used |= ids
        out.append(o)
    return out


def _disjoint(contiguous: list[_Occ], gapped: list[_Occ]) -> list[_Occ]:
    """Gapped copies that share no statement with a contiguous copy or with each other."""
    used = {s.node.id for o in contiguous for s in o.stmts}
    out = []
    for o in gapped:
        ids = {s.node.id for s in o.stmts}
        if ids & used:
            continue
        used |= ids
        out.append(o)
    return out


def _viable(series: Series, occ: _Occ) -> bool:
    """Worth a helper: two real calls, three lines, no jump out, balanced locks."""
    fv, nodes = occ.fv, [s.node for s in occ.stmts]
    if any(T.has_jump(n, fv) for n in nodes):
        return False
    substantive = 0
    for n in nodes:
        names = {c.name for c in T.calls_below(fv, n)}
        if names - series.scope.trivial:
            substantive += 1
    lines = sum((s.last or 0) - (s.first or 0) + 1 for s in occ.stmts)
    return substantive >= 2 and lines >= 3 and series.scope.lock_balance(fv, nodes)


def sequences(series: Series) -> list[Candidate]:
    runs = _runs(series.post)
    index = _contiguous(runs)
    starts = _starts(runs)
    pre_runs = _runs(series.pre)
    pre_index = _contiguous(pre_runs)
    pre_starts = _starts(pre_runs)
    viable: dict[tuple[str, ...], list[_Occ]] = {}
    for key, found in index.items():
        if len(set(key)) == 1:
            continue  # one statement shape over and over (`f(a); f(b);`): a loop or a table, not a helper
        occs = _apart(found)
        if not any(series.changed(o.fv, s.node) for o in occs for s in o.stmts):
            continue
        if not _viable(series, occs[0]):
            continue
        total = occs + _disjoint(occs, _gapped(key, starts))
        if len(total) < 2:
            continue
        pre_occs = _apart(pre_index.get(key, []))
        pre_total = len(pre_occs) + (len(_disjoint(pre_occs, _gapped(key, pre_starts))) if pre_occs else 0)
        if pre_total >= len(total):
            continue
        viable[key] = total
    out = []
    for key, occs in viable.items():
        if any(len(other) > len(key) and len(viable[other]) >= len(occs) and _sub(key, other) for other in viable):
            continue
        cand = _sequence_candidate(series, key, occs)
        if cand is not None:
            out.append(cand)
    return out


def _sub(small: tuple[str, ...], big: tuple[str, ...]) -> bool:
    return any(big[i : i + len(small)] == small for i in range(len(big) - len(small) + 1))


def _describe(fv: FunctionView, nodes: list[Node]) -> str:
    parts = []
    for n in nodes:
        text = norm(fv.parsed.text(n))
        if len(text) > 40:
            text = re.sub(r"\((.*)\)", "(...)", text, count=1)
        parts.append(text)
    return " ".join(parts)


def _sequence_candidate(series: Series, key: tuple[str, ...], occs: list[_Occ]) -> Candidate | None:
    contiguous = [o for o in occs if not o.gapped]
    groups: dict[tuple[str, ...], list[_Occ]] = defaultdict(list)
    for o in contiguous:
        groups[tuple(s.fine for s in o.stmts)].append(o)
    rewrite = max(groups.values(), key=len)
    first = rewrite[0]
    fv = first.fv
    nodes = [s.node for s in first.stmts]
    lines_per = sum((s.last or 0) - (s.first or 0) + 1 for s in first.stmts)
    claims: set[tuple[str, int]] = set()
    for o in occs:
        claims |= claims_of(o.fv, [s.node for s in o.stmts])
    others = [o for o in occs if o is not first]
    where = " and ".join(
        [
            ", ".join(where_of(o.fv, o.stmts[0].node) for o in [first, *others[:-1]]),
            where_of(others[-1].fv, others[-1].stmts[0].node),
        ]
    )
    what = _describe(fv, nodes)
    cross = len({o.fv.path for o in occs}) > 1
    cand = Candidate(
        "sequence",
        "",
        fv,
        first.stmts[0].first or 0,
        claims,
        (1 if cross else 0, (lines_per - 1) * len(occs)),
    )
    kept = [o for o in occs if o not in rewrite]
    analysis = T.analyse(series.scope, [(o.fv, [s.node for s in o.stmts]) for o in rewrite])
    core = _core_call(series, fv, nodes)
    objs = globals_in(series, fv, nodes)
    subject = subject_of(analysis.params, [norm(a) for a in core.args] if core else [])
    suffix = series.scope.irq_variant(fv, nodes)
    name = T.helper_name(core.name, objs[0] if objs else None, subject, suffix) if core else ""
    taken = bool(name) and name_taken(series, name)
    note = ""
    if kept:
        spots = "; ".join(_extra_lines(o) for o in kept)
        note = f" ({spots}, so that copy stays open-coded)"
    # never suggest a name the code already uses (it would call itself or clash)
    shown = f" `{name}()`" if name and not taken else ""
    cand.message = f"`{what}` is repeated in {where}: fold it into one helper" + shown + note
    problem = analysis.problem or ("" if core else "no call says what the sequence does")
    if not problem and len({o.fv.path for o in rewrite}) > 1:
        problem = "the copies are in different files and no header in the series can declare the helper"
    if problem:
        cand.message += f"; no fix offered: {problem}"
        return cand
    view = series.views[fv.path]
    lines = series.lines(fv.path)
    if not all(T.whole_lines(o.fv, lines, o.stmts[0].node, o.stmts[-1].node) for o in rewrite):
        cand.message += "; no fix offered: the sequence shares lines with other code"
        return cand
    if taken:
        cand.message += f"; no fix offered: the name it would get, `{name}()`, is already taken"
        return cand
    params = order_params(analysis.params, subject)
    names_used = {d.name for d in objs}
    at = T.insertion_point(view, function_start(fv), last_global_line(series, fv.path, names_used))
    if at is None:
        cand.message += "; no fix offered: no visible spot above the first copy to define the helper"
        return cand
    indent = T.indent_of(lines[first.stmts[0].first or 0])
    body = T.dedent(T.span_lines(lines, first.stmts[0].first or 0, first.stmts[-1].last or 0) or [], indent)
    helper = T.helper_text(name=name, ret="void", params=params, private=analysis.private, body=body, static=True)
    edits: list[Edit] = [Edit(fv.path, at, at, T.inserted(view, at, helper))]
    for i, o in enumerate(rewrite):
        site_indent = T.indent_of(lines[o.stmts[0].first or 0])
        edits.append(
            Edit(
                fv.path,
                o.stmts[0].first or 0,
                (o.stmts[-1].last or 0) + 1,
                (site_indent + T.call_text(name, params, i) + ";",),
            )
        )
        for dfv, decl in analysis.drop_decls:
            if dfv is o.fv:
                a, b = T.real_span(dfv, decl)
                if a is not None and b is not None:
                    edits.append(Edit(fv.path, a, b + 1, ()))
    cand.edits = {fv.path: edits}
    cand.title = f"Add `{name}()` and call it"
    if analysis.kept_decls:
        cand.title += (
            f" (the caller's declaration of {', '.join(f'`{n}`' for n in sorted(set(analysis.kept_decls)))}"
            " is kept: lines the patch does not show may still use it)"
        )
    return cand


def _extra_lines(o: _Occ) -> str:
    matched = {id(s.node) for s in o.stmts}
    fn = o.fv.function
    extra = []
    if fn is not None:
        parent = o.stmts[0].node.parent
        inside = False
        for child in parent.named_children if parent is not None else []:
            if child.id == o.stmts[0].node.id:
                inside = True
                continue
            if child.id == o.stmts[-1].node.id:
                break
            if (
                inside
                and id(child) not in matched
                and child.type != "comment"
                and child not in [s.node for s in o.stmts]
            ):
                a, b = T.real_span(o.fv, child)
                if a is not None:
                    extra.append(f"{a}-{b}" if b and b != a else str(a))
    lines = ", ".join(extra)
    many = len(extra) > 1 or "-" in lines
    which = f"lines {lines} sit" if many else f"line {lines} sits"
    return f"{function_phrase(o.fv.name)} keeps its copy: {which} in between"


def _core_call(series: Series, fv: FunctionView, nodes: list[Node]) -> Call | None:
    """The call that says what a sequence does: not a lock, not accounting; a ``__`` variant first."""
    calls = [c for n in nodes for c in T.calls_below(fv, n)]
    scope = series.scope
    plain = [
        c for c in calls if c.name not in scope.acquire and c.name not in scope.release and c.name not in scope.trivial
    ]
    under = [c for c in plain if c.name.startswith("__")]
    return (under or plain or [None])[0]  # type: ignore[list-item]
