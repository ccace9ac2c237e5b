"""Detector: ``if (f(..., &global, ...)) { cleanup; ... }`` open-coded at several sites.

The same guarded call on a series global followed by the same cleanup on
failure folds into one helper in the file that owns the global; across
files the helper's prototype goes into the header that declares the global,
which may then become static.  Separate because the cross-file rewrite
(header prototype, ``static``, brace handling) is its own piece of work.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from reviewkit.rules.helper_extraction.common import (
    Candidate,
    Series,
    claims_of,
    count_text,
    function_start,
    globals_in,
    last_global_line,
    norm,
    order_params,
    subject_of,
)

from reviewkit.api import Applicability, Edit, FunctionView, Node, transform

T = transform


@dataclass
class _Guard:
    fv: FunctionView
    ifnode: Node
    call: Node
    body: list[Node]


def _guards(series: Series, fns: list[FunctionView]) -> dict[tuple[str, tuple[str, ...]], list[_Guard]]:
    out: dict[tuple[str, tuple[str, ...]], list[_Guard]] = defaultdict(list)
    for fv in fns:
        if T.is_wrapper(fv):
            continue
        for cur, call, fnode, args, cons in _guarded_ifs(fv):
            if not globals_in(series, fv, [args]):
                continue
            key = (fv.parsed.text(fnode), tuple(norm(fv.parsed.text(a)) for a in args.named_children))
            body = [c for c in cons.named_children if c.type != "comment"]
            out[key].append(_Guard(fv, cur, call, body))
    return out


_GuardedIf = tuple[Node, Node, Node, Node, Node]
"""``if (f(args)) { ... }`` without else: the if, the call, its callee, its arguments, the block."""


def _guarded_ifs(fv: FunctionView) -> list[_GuardedIf]:
    """Every ``if (call(...)) { ... }`` (no else) of ``fv``, from its parse's fact table."""
    table = T.facts(fv, "guarded-ifs")
    if None not in table:
        table[None] = list(_find_guarded_ifs(fv))
    found: list[_GuardedIf] = table[None]
    return found


def _find_guarded_ifs(fv: FunctionView) -> Iterator[_GuardedIf]:
    fn = fv.function
    if fn is None:
        return
    stack = [fn.body]
    while stack:
        cur = stack.pop()
        stack.extend(cur.children)
        if cur.type != "if_statement" or cur.child_by_field_name("alternative") is not None:
            continue
        cond = cur.child_by_field_name("condition")
        cons = cur.child_by_field_name("consequence")
        call = cond.named_children[0] if cond is not None and cond.named_children else None
        call = _unwrap_likely(fv, call)
        if call is None or cons is None or cons.type != "compound_statement":
            continue
        fnode = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if fnode is None or fnode.type != "identifier" or args is None:
            continue
        yield cur, call, fnode, args, cons


def _unwrap_likely(fv: FunctionView, node: Node | None) -> Node | None:
    while node is not None and node.type == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is not None and fv.parsed.text(fn) in ("likely", "unlikely") and args is not None and args.named_children:
            node = args.named_children[0]
            continue
        return node
    return None


def guarded_calls(series: Series) -> list[Candidate]:
    post = _guards(series, series.post)
    pre = _guards(series, series.pre)
    out = []
    for key, sites in post.items():
        if len(sites) < 2 or len(pre.get(key, [])) >= len(sites):
            continue
        if not any(g.fv.is_changed(g.ifnode) for g in sites):
            continue
        prefix = _common_prefix(sites)
        if not prefix or any(len(g.body) <= prefix for g in sites):
            continue
        cand = _guard_candidate(series, key, sites, prefix)
        if cand is not None:
            out.append(cand)
    return out


def _common_prefix(sites: list[_Guard]) -> int:
    k = 0
    while True:
        stmts = [g.body[k] if k < len(g.body) else None for g in sites]
        if any(s is None for s in stmts):
            return k
        texts = {norm(g.fv.parsed.text(s)) for g, s in zip(sites, stmts, strict=True) if s is not None}
        first = stmts[0]
        if len(texts) != 1 or first is None or T.has_jump(first, sites[0].fv) or not T.calls_below(sites[0].fv, first):
            return k
        k += 1


def _guard_candidate(series: Series, key: tuple[str, tuple[str, ...]], sites: list[_Guard], k: int) -> Candidate:
    callee, args = key
    g0 = sites[0]
    objs = globals_in(series, g0.fv, [g0.call])
    obj = objs[0]
    owner = obj.path
    call_txt = f"{callee}({', '.join(args)})"
    prefix_txt = " ".join(norm(g0.fv.parsed.text(s)) for s in g0.body[:k])
    files = sorted({g.fv.path for g in sites})
    where = ", ".join(f"{g.fv.path}:{T.real_span(g.fv, g.call)[0]}" for g in sites)
    claims: set[tuple[str, int]] = set()
    for g in sites:
        claims |= claims_of(g.fv, [g.call, *g.body[:k]])
    analysis = T.analyse(series.scope, [(g.fv, [g.call, *g.body[:k]]) for g in sites])
    subject = subject_of(analysis.params, list(args))
    name = T.helper_name(callee, obj, subject)
    headers = [d for d in series.scope.globals.get(obj.name, []) if d.is_extern and d.path.endswith(".h")]
    cross = len(files) > 1
    outside = _outside_uses(series, obj.name, owner, sites)
    make_static = cross and obj.added and bool(headers) and not outside
    line = T.real_span(g0.fv, g0.call)[0] or 0
    message = f"`{call_txt}` followed by `{prefix_txt}` on failure is open-coded {len(sites)} times ({where})"
    if cross and headers:
        h = headers[0]
        message += f"; `{obj.name}` is shared through {h.path}:{h.line}" + (" only for this" if not outside else "")
    message += f": fold it into `{name}()` in {owner}"
    if make_static:
        message += f" and make `{obj.name}` static"
    cand = Candidate("guarded-call", message, g0.fv, line, claims, (1 if cross else 0, (k + 1) * len(sites)))
    problem = analysis.problem
    if not problem and cross and not headers:
        problem = f"no header in the series declares `{obj.name}` to hold the helper's prototype"
    if not problem and owner not in series.views:
        problem = f"{owner} is not in view"
    if problem:
        cand.message += f"; no fix offered: {problem}"
        return cand
    proto = series.scope.prototype(callee)
    ret = proto[0] if proto else "int"
    cand.applicability = Applicability.SAFE if proto else Applicability.UNSAFE
    params = order_params(analysis.params, subject)
    var = "err" if all(p.name != "err" for p in params) else "ret"
    inner = f"{callee}({', '.join(args)})"
    cleanup = T.dedent(_node_lines(series, g0.fv, g0.body[:k]), T.indent_of(_node_lines(series, g0.fv, g0.body[:1])[0]))
    body = [f"{var} = {inner};", f"if ({var})" + (" {" if k > 1 else "")]
    body += ["\t" + ln for ln in cleanup]
    body += ["}"] if k > 1 else []
    body += [f"return {var};"]
    comment = f"{callee}() on {obj.name}; on failure, {prefix_txt.rstrip(';')} before returning the error"
    helper = T.helper_text(
        name=name,
        ret=ret,
        params=params,
        private=[(var, T.CType(ret))],
        body=body,
        static=not cross,
        comment=comment,
    )
    edits: dict[str, list[Edit]] = defaultdict(list)
    for i, g in enumerate(sites):
        site = _rewrite_guard(series, g, k, T.call_text(name, params, i))
        if site is None:
            cand.message += f"; no fix offered: the copy in {g.fv.name}() is not laid out one statement a line"
            return cand
        edits[g.fv.path].extend(site)
    first_owner = min((T.real_span(g.fv, g.call)[0] or 0 for g in sites if g.fv.path == owner), default=10**9)
    owner_fv = next((g.fv for g in sites if g.fv.path == owner), None)
    before = function_start(owner_fv) if owner_fv is not None else first_owner
    at = T.insertion_point(series.views[owner], before, last_global_line(series, owner, {obj.name}))
    if at is None:
        cand.message += f"; no fix offered: no visible spot in {owner} to define the helper"
        return cand
    edits[owner].append(Edit(owner, at, at, T.inserted(series.views[owner], at, helper)))
    if cross:
        h = headers[0]
        proto_line = f"{ret} {name}({T.signature_params(params)});"
        if make_static:
            edits[h.path].append(Edit(h.path, h.line, h.line + 1, (proto_line,)))
            edits[owner].append(Edit(owner, obj.line, obj.line + 1, ("static " + obj.text,)))
        else:
            edits[h.path].append(Edit(h.path, h.line + 1, h.line + 1, (proto_line,)))
    cand.edits = dict(edits)
    cand.title = f"Add `{name}()` to {owner} and call it at {count_text(len(sites))} sites" + (
        f"; make `{obj.name}` static" if make_static else ""
    )
    return cand


def _node_lines(series: Series, fv: FunctionView, nodes: list[Node]) -> list[str]:
    lines = series.lines(fv.path)
    out: list[str] = []
    for n in nodes:
        a, b = T.real_span(fv, n)
        out += T.span_lines(lines, a or 0, b or 0) or []
    return out


def _rewrite_guard(series: Series, g: _Guard, k: int, new_call: str) -> list[Edit] | None:
    lines = series.lines(g.fv.path)
    head = T.replace_span(g.fv, lines, g.call, new_call)
    cons = g.ifnode.child_by_field_name("consequence")
    if head is None or cons is None:
        return None
    first, last, text = head
    brace_line = T.real_span(g.fv, cons)[0]
    close_line = T.real_span(g.fv, cons)[1]
    p_first = T.real_span(g.fv, g.body[0])[0]
    p_last = T.real_span(g.fv, g.body[k - 1])[1]
    if brace_line != last or p_first != last + 1 or p_last is None or close_line is None:
        return None
    if not T.whole_lines(g.fv, lines, g.body[0], g.body[k - 1]):
        return None
    rest = g.body[k:]
    comments = [c for c in cons.named_children if c.type == "comment"]
    single = len(rest) == 1 and T.real_span(g.fv, rest[0])[0] == T.real_span(g.fv, rest[0])[1] and not comments
    new_head = text[0]
    edits = []
    if single and new_head.rstrip().endswith("{") and lines.get(close_line, "").strip() == "}":
        new_head = new_head.rstrip()[:-1].rstrip()
        edits.append(Edit(g.fv.path, close_line, close_line + 1, ()))
    edits.append(Edit(g.fv.path, first, p_last + 1, (new_head,)))
    return edits


def _outside_uses(series: Series, name: str, owner: str, sites: list[_Guard]) -> list[tuple[str, int]]:
    """Lines outside ``owner`` that use ``name`` other than through the guarded sites."""
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    covered = {(g.fv.path, n) for g in sites for n in range(*_span1(g))}
    out = []
    for path in series.views:
        if path == owner:
            continue
        for n, text in series.lines(path).items():
            if not pattern.search(text) or (path, n) in covered:
                continue
            if path.endswith(".h") and re.match(rf"^extern\s[^;]*\b{re.escape(name)}\s*;", text):
                continue
            out.append((path, n))
    return out


def _span1(g: _Guard) -> tuple[int, int]:
    a, b = T.real_span(g.fv, g.call)
    return (a or 0, (b or 0) + 1)
