"""Detector: the same call with the same constant arguments (a series global among them), repeated.

Such calls become a small local wrapper that keeps the global and the fixed
arguments in one place; the varying arguments become its parameters.
Separate because it works call by call, not statement by statement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from reviewkit.rules.helper_extraction.common import (
    Candidate,
    Series,
    claims_of,
    count_text,
    function_start,
    globals_in,
    last_global_line,
    name_taken,
    norm,
    order_params,
    subject_of,
    where_of,
)

from reviewkit.api import Edit, FunctionView, GlobalDecl, Node, Param, transform

T = transform


@dataclass
class _Call:
    fv: FunctionView
    node: Node
    args: list[Node]


def _calls(series: Series, fns: list[FunctionView]) -> dict[str, list[_Call]]:
    out: dict[str, list[_Call]] = defaultdict(list)
    scope = series.scope
    for fv in fns:
        fn = fv.function
        if fn is None or T.is_wrapper(fv):
            continue
        for call in T.calls_below(fv, fn.body):
            if call.name in scope.acquire or call.name in scope.release or call.name in scope.trivial:
                continue
            if T.real_span(fv, call.node)[0] is None:
                continue
            args_node = call.node.child_by_field_name("arguments")
            args = [a for a in (args_node.named_children if args_node else []) if a.type != "comment"]
            out[call.name].append(_Call(fv, call.node, args))
    return out


def _constant(sites: list[_Call]) -> list[int] | None:
    counts = {len(s.args) for s in sites}
    if len(counts) != 1:
        return None
    n = counts.pop()
    return [i for i in range(n) if len({norm(s.fv.parsed.text(s.args[i])) for s in sites}) == 1]


def repeated_calls(series: Series) -> list[Candidate]:
    post = _calls(series, series.post)
    pre = _calls(series, series.pre)
    out = []
    for callee, sites in post.items():
        if len(sites) < 2:
            continue
        const = _constant(sites)
        if const is None or len(const) < 2:
            continue
        objs = globals_in(series, sites[0].fv, [sites[0].args[i] for i in const])
        if not objs or not any(s.fv.is_changed(s.node) for s in sites):
            continue
        key = [norm(sites[0].fv.parsed.text(sites[0].args[i])) for i in const]
        pre_same = [s for s in pre.get(callee, []) if _constant([sites[0], s]) is not None]
        pre_same = [s for s in pre_same if [norm(s.fv.parsed.text(s.args[i])) for i in const] == key]
        if len(pre_same) >= len(sites):
            continue
        cand = _call_candidate(series, callee, sites, const, objs[0])
        if cand is not None:
            out.append(cand)
    return out


def _call_candidate(
    series: Series, callee: str, sites: list[_Call], const: list[int], obj: GlobalDecl
) -> Candidate | None:
    s0 = sites[0]
    nargs = len(s0.args)
    shown = [norm(s0.fv.parsed.text(a)) if i in const else "..." for i, a in enumerate(s0.args)]
    where = ", ".join(where_of(s.fv, s.node) for s in sites)
    claims: set[tuple[str, int]] = set()
    for s in sites:
        claims |= claims_of(s.fv, [s.node])
    lines_per = max(((T.real_span(s.fv, s.node)[1] or 0) - (T.real_span(s.fv, s.node)[0] or 0) + 1) for s in sites)
    message = f"`{callee}({', '.join(shown)})` is open-coded {len(sites)} times ({where})"
    cand = Candidate("call", message, s0.fv, T.real_span(s0.fv, s0.node)[0] or 0, claims, (0, lines_per * len(sites)))
    scope = series.scope
    params: list[Param] = []
    problem = ""
    # constant arguments: the caller's locals in them become parameters
    for i in const:
        for leaf in T.leaves(s0.args[i]):
            name = s0.fv.parsed.text(leaf)
            if scope.is_global(name) or any(p.name == name for p in params):
                continue
            uses = [(callee, i)] if norm(s0.fv.parsed.text(s0.args[i])) == name else []
            ct = scope.type_of(name, s0.fv, uses)
            if ct is None:
                problem = f"the type of `{name}` is not visible"
                break
            params.append(Param(name, ct, [name] * len(sites)))
    inner: list[str] = [norm(s0.fv.parsed.text(a)) for a in s0.args]
    for i in range(nargs):
        if i in const or problem:
            continue
        values = [norm(s.fv.parsed.text(s.args[i])) for s in sites]
        ident = next(
            ((s, s.args[i]) for s in sites if s.args[i].type == "identifier"),
            None,
        )
        pname = ident[0].fv.parsed.text(ident[1]) if ident else f"arg{i}"
        proto = scope.prototype(callee)
        ct = scope.type_of(pname, ident[0].fv, [(callee, i)]) if ident else None
        if ct is None and proto is not None and i < len(proto[1]):
            ct = proto[1][i]
        if ct is None:
            problem = f"the type of argument {i + 1} is not visible"
            break
        while any(p.name == pname for p in params):
            pname += "_"
        params.append(Param(pname, ct, values))
        inner[i] = pname
    subject = subject_of(params, [inner[i] for i in const])
    name = T.helper_name(callee, obj, subject)
    cand.message += f": a local helper `{name}()` keeps `{obj.name}` and the fixed arguments in one place"
    used = any(s.node.parent is not None and s.node.parent.type != "expression_statement" for s in sites)
    proto = scope.prototype(callee)
    if not problem and used and proto is None:
        problem = f"the return type of {callee}() is not known"
    if not problem and len({s.fv.path for s in sites}) > 1:
        problem = "the copies are in different files"
    if not problem and name_taken(series, name):
        problem = f"`{name}` is already taken"
    if problem:
        cand.message += f"; no fix offered: {problem}"
        return cand
    ret = proto[0] if proto and used else "void"
    params = order_params(params, subject)
    body = [f"{'return ' if ret != 'void' else ''}{callee}({', '.join(inner)});"]
    helper = T.helper_text(name=name, ret=ret, params=params, private=[], body=body, static=True)
    view = series.views[s0.fv.path]
    lines = series.lines(s0.fv.path)
    first_fn = min((s.fv for s in sites), key=lambda fv: fv.first_line)
    at = T.insertion_point(view, function_start(first_fn), last_global_line(series, s0.fv.path, {obj.name}))
    if at is None:
        cand.message += "; no fix offered: no visible spot above the first copy to define the helper"
        return cand
    path = s0.fv.path
    edits = [Edit(path, at, at, T.inserted(view, at, helper))]
    for i, s in enumerate(sites):
        site = T.replace_span(s.fv, lines, s.node, T.call_text(name, params, i))
        if site is None:
            cand.message += "; no fix offered: a copy is not fully visible"
            return cand
        edits.append(Edit(path, site[0], site[1] + 1, tuple(site[2])))
    cand.edits = {path: edits}
    cand.title = f"Add `{name}()` and call it at {count_text(len(sites))} sites"
    return cand
