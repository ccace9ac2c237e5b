"""Detectors of helper-extraction: repeated sequences, guarded calls on a global, repeated calls.

Each detector returns :class:`Candidate` objects: what repeats, where, the
value of folding it, and (when the rewrite can be written with what the
series shows) the line edits of the fix by file.  Policy (ranking, overlap,
messages) is in ``helper_extraction``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from reviewkit.api import FileView, FunctionView, Node, transform
from reviewkit.fixes import LineEdit

T = transform
MAX_LEN = 8
MAX_EXTRA = 4
_WS = re.compile(r"\s+")


def norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass
class Series:
    """What the detectors look at: the series' post-image views and functions, and its pre-image."""

    views: dict[str, FileView]
    post: list[FunctionView]
    pre: list[FunctionView]
    scope: transform.Scope

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
    edits: dict[str, list[LineEdit]] = field(default_factory=dict)
    title: str = ""
    safety: str = "safe"


def _claims(fv: FunctionView, nodes: list[Node]) -> set[tuple[str, int]]:
    out = set()
    for node in nodes:
        a, b = T.real_span(fv, node)
        if a is not None and b is not None:
            out.update((fv.path, n) for n in range(a, b + 1))
    return out


def _where(fv: FunctionView, node: Node) -> str:
    return f"{fv.name}() at {T.real_span(fv, node)[0]}"


def _function_start(fv: FunctionView) -> int:
    return fv.first_line


def _last_global_line(series: Series, path: str, names: set[str]) -> int:
    lines = [d.line for n in names for d in series.scope.globals.get(n, []) if d.path == path]
    return max(lines, default=0)


def _subject(params: list[transform.Param], args: list[str]) -> str | None:
    """The object a helper acts on: the base of a ``&x->field`` argument, else the first struct pointer."""
    by_name = {p.name: p for p in params}
    for text in args:
        m = re.match(r"&?\s*([A-Za-z_]\w*)\s*->", text)
        if m and m.group(1) in by_name:
            return _tag(by_name[m.group(1)])
    for p in params:
        if p.ctype.stars and p.ctype.base.startswith(("struct ", "union ")):
            return _tag(p)
    return None


def _tag(p: transform.Param) -> str:
    """The struct tag of a pointer parameter (``struct folio *f`` -> ``folio``), else its name."""
    words = p.ctype.base.split()
    return words[-1] if p.ctype.stars and len(words) > 1 and words[-2] in ("struct", "union") else p.name


def _order(params: list[transform.Param], subject: str | None) -> list[transform.Param]:
    return sorted(params, key=lambda p: subject not in (p.name, _tag(p)))


def _globals_in(series: Series, fv: FunctionView, nodes: list[Node]) -> list[transform.GlobalDecl]:
    out = []
    for node in nodes:
        for leaf in T.leaves(node):
            decl = series.scope.global_object(fv.parsed.text(leaf))
            if decl is not None and decl not in out:
                out.append(decl)
    return out


# --------------------------------------------------------------------------
# Repeated statement sequences


@dataclass
class _Occ:
    fv: FunctionView
    stmts: list[transform.Stmt]
    gapped: bool = False


def _runs(fns: list[FunctionView]) -> list[tuple[FunctionView, list[transform.Stmt]]]:
    return [(fv, run) for fv in fns if not T.is_wrapper(fv) for run in T.statement_runs(fv)]


def _contiguous(runs: list[tuple[FunctionView, list[transform.Stmt]]]) -> dict[tuple[str, ...], list[_Occ]]:
    index: dict[tuple[str, ...], list[_Occ]] = defaultdict(list)
    for fv, run in runs:
        for i in range(len(run)):
            for length in range(2, min(MAX_LEN, len(run) - i) + 1):
                seq = run[i : i + length]
                index[tuple(s.coarse for s in seq)].append(_Occ(fv, seq))
    return index


def _gapped(key: tuple[str, ...], runs: list[tuple[FunctionView, list[transform.Stmt]]]) -> list[_Occ]:
    out = []
    for fv, run in runs:
        for i, first in enumerate(run):
            if first.coarse != key[0]:
                continue
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
    pre_runs = _runs(series.pre)
    pre_index = _contiguous(pre_runs)
    viable: dict[tuple[str, ...], list[_Occ]] = {}
    for key, occs in index.items():
        if not any(series.changed(o.fv, s.node) for o in occs for s in o.stmts):
            continue
        if not _viable(series, occs[0]):
            continue
        total = occs + _disjoint(occs, _gapped(key, runs))
        if len(total) < 2:
            continue
        pre_occs = pre_index.get(key, [])
        pre_total = len(pre_occs) + (len(_disjoint(pre_occs, _gapped(key, pre_runs))) if pre_occs else 0)
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
        claims |= _claims(o.fv, [s.node for s in o.stmts])
    others = [o for o in occs if o is not first]
    where = " and ".join(
        [
            ", ".join(_where(o.fv, o.stmts[0].node) for o in [first, *others[:-1]]),
            _where(others[-1].fv, others[-1].stmts[0].node),
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
    objs = _globals_in(series, fv, nodes)
    subject = _subject(analysis.params, [norm(a) for a in core.args] if core else [])
    suffix = series.scope.irq_variant(fv, nodes)
    name = T.helper_name(core.name, objs[0] if objs else None, subject, suffix) if core else ""
    taken = bool(name) and _name_taken(series, name)
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
    params = _order(analysis.params, subject)
    names_used = {d.name for d in objs}
    at = T.insertion_point(view, _function_start(fv), _last_global_line(series, fv.path, names_used))
    if at is None:
        cand.message += "; no fix offered: no visible spot above the first copy to define the helper"
        return cand
    indent = T.indent_of(lines[first.stmts[0].first or 0])
    body = T.dedent(T.span_lines(lines, first.stmts[0].first or 0, first.stmts[-1].last or 0) or [], indent)
    helper = T.helper_text(name=name, ret="void", params=params, private=analysis.private, body=body, static=True)
    edits: list[LineEdit] = [LineEdit(at, at - 1, T.inserted(view, at, helper))]
    for i, o in enumerate(rewrite):
        site_indent = T.indent_of(lines[o.stmts[0].first or 0])
        edits.append(
            LineEdit(o.stmts[0].first or 0, o.stmts[-1].last or 0, (site_indent + T.call_text(name, params, i) + ";",))
        )
        for dfv, decl in analysis.drop_decls:
            if dfv is o.fv:
                a, b = T.real_span(dfv, decl)
                if a is not None and b is not None:
                    edits.append(LineEdit(a, b, ()))
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
    return f"{o.fv.name}() keeps its copy: line{'s' if len(extra) > 1 or '-' in lines else ''} {lines} sit in between"


def _core_call(series: Series, fv: FunctionView, nodes: list[Node]):  # type: ignore[no-untyped-def]
    """The call that says what a sequence does: not a lock, not accounting; a ``__`` variant first."""
    calls = [c for n in nodes for c in T.calls_below(fv, n)]
    scope = series.scope
    plain = [
        c for c in calls if c.name not in scope.acquire and c.name not in scope.release and c.name not in scope.trivial
    ]
    under = [c for c in plain if c.name.startswith("__")]
    return (under or plain or [None])[0]


def _name_taken(series: Series, name: str) -> bool:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return any(pattern.search(t) for path in series.views for t in series.lines(path).values())


# --------------------------------------------------------------------------
# Guarded calls on a shared global: if (f(..., &obj, ...)) { cleanup; site's own follow-up }


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
            if not _globals_in(series, fv, [args]):
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
    objs = _globals_in(series, g0.fv, [g0.call])
    obj = objs[0]
    owner = obj.path
    call_txt = f"{callee}({', '.join(args)})"
    prefix_txt = " ".join(norm(g0.fv.parsed.text(s)) for s in g0.body[:k])
    files = sorted({g.fv.path for g in sites})
    where = ", ".join(f"{g.fv.path}:{T.real_span(g.fv, g.call)[0]}" for g in sites)
    claims: set[tuple[str, int]] = set()
    for g in sites:
        claims |= _claims(g.fv, [g.call, *g.body[:k]])
    analysis = T.analyse(series.scope, [(g.fv, [g.call, *g.body[:k]]) for g in sites])
    subject = _subject(analysis.params, list(args))
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
    cand.safety = "safe" if proto else "unsafe"
    params = _order(analysis.params, subject)
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
    edits: dict[str, list[LineEdit]] = defaultdict(list)
    for i, g in enumerate(sites):
        site = _rewrite_guard(series, g, k, T.call_text(name, params, i))
        if site is None:
            cand.message += f"; no fix offered: the copy in {g.fv.name}() is not laid out one statement a line"
            return cand
        edits[g.fv.path].extend(site)
    first_owner = min((T.real_span(g.fv, g.call)[0] or 0 for g in sites if g.fv.path == owner), default=10**9)
    owner_fv = next((g.fv for g in sites if g.fv.path == owner), None)
    before = _function_start(owner_fv) if owner_fv is not None else first_owner
    at = T.insertion_point(series.views[owner], before, _last_global_line(series, owner, {obj.name}))
    if at is None:
        cand.message += f"; no fix offered: no visible spot in {owner} to define the helper"
        return cand
    edits[owner].append(LineEdit(at, at - 1, T.inserted(series.views[owner], at, helper)))
    if cross:
        h = headers[0]
        proto_line = f"{ret} {name}({T.signature_params(params)});"
        if make_static:
            edits[h.path].append(LineEdit(h.line, h.line, (proto_line,)))
            edits[owner].append(LineEdit(obj.line, obj.line, ("static " + obj.text,)))
        else:
            edits[h.path].append(LineEdit(h.line + 1, h.line, (proto_line,)))
    cand.edits = dict(edits)
    cand.title = f"Add `{name}()` to {owner} and call it at {_count(len(sites))} sites" + (
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


def _rewrite_guard(series: Series, g: _Guard, k: int, new_call: str) -> list[LineEdit] | None:
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
        edits.append(LineEdit(close_line, close_line, ()))
    edits.append(LineEdit(first, p_last, (new_head,)))
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


# --------------------------------------------------------------------------
# The same call with the same constant arguments, open-coded


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
        objs = _globals_in(series, sites[0].fv, [sites[0].args[i] for i in const])
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
    series: Series, callee: str, sites: list[_Call], const: list[int], obj: transform.GlobalDecl
) -> Candidate | None:
    s0 = sites[0]
    nargs = len(s0.args)
    shown = [norm(s0.fv.parsed.text(a)) if i in const else "..." for i, a in enumerate(s0.args)]
    where = ", ".join(_where(s.fv, s.node) for s in sites)
    claims: set[tuple[str, int]] = set()
    for s in sites:
        claims |= _claims(s.fv, [s.node])
    lines_per = max(((T.real_span(s.fv, s.node)[1] or 0) - (T.real_span(s.fv, s.node)[0] or 0) + 1) for s in sites)
    message = f"`{callee}({', '.join(shown)})` is open-coded {len(sites)} times ({where})"
    cand = Candidate("call", message, s0.fv, T.real_span(s0.fv, s0.node)[0] or 0, claims, (0, lines_per * len(sites)))
    scope = series.scope
    params: list[transform.Param] = []
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
            params.append(transform.Param(name, ct, [name] * len(sites)))
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
        params.append(transform.Param(pname, ct, values))
        inner[i] = pname
    subject = _subject(params, [inner[i] for i in const])
    name = T.helper_name(callee, obj, subject)
    cand.message += f": a local helper `{name}()` keeps `{obj.name}` and the fixed arguments in one place"
    used = any(s.node.parent is not None and s.node.parent.type != "expression_statement" for s in sites)
    proto = scope.prototype(callee)
    if not problem and used and proto is None:
        problem = f"the return type of {callee}() is not known"
    if not problem and len({s.fv.path for s in sites}) > 1:
        problem = "the copies are in different files"
    if not problem and _name_taken(series, name):
        problem = f"`{name}` is already taken"
    if problem:
        cand.message += f"; no fix offered: {problem}"
        return cand
    ret = proto[0] if proto and used else "void"
    params = _order(params, subject)
    body = [f"{'return ' if ret != 'void' else ''}{callee}({', '.join(inner)});"]
    helper = T.helper_text(name=name, ret=ret, params=params, private=[], body=body, static=True)
    view = series.views[s0.fv.path]
    lines = series.lines(s0.fv.path)
    first_fn = min((s.fv for s in sites), key=lambda fv: fv.first_line)
    at = T.insertion_point(view, _function_start(first_fn), _last_global_line(series, s0.fv.path, {obj.name}))
    if at is None:
        cand.message += "; no fix offered: no visible spot above the first copy to define the helper"
        return cand
    edits = [LineEdit(at, at - 1, T.inserted(view, at, helper))]
    for i, s in enumerate(sites):
        site = T.replace_span(s.fv, lines, s.node, T.call_text(name, params, i))
        if site is None:
            cand.message += "; no fix offered: a copy is not fully visible"
            return cand
        edits.append(LineEdit(site[0], site[1], tuple(site[2])))
    cand.edits = {s0.fv.path: edits}
    cand.title = f"Add `{name}()` and call it at {_count(len(sites))} sites"
    return cand


def _count(n: int) -> str:
    return "both" if n == 2 else f"all {n}"
