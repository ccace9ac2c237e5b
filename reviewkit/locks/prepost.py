"""Paths of a changed function before and after the patch, paired (fragment mode, the diff alone).

A reviewer reading a diff does not need the acquire to see that a path
which used to go through ``out_unlock:`` now returns without it.  The lock
analysis of one image (:mod:`reviewkit.locks.analysis`) cannot say that from
a fragment: it judges a lock only where both its acquire and its release are
visible.  Comparing the two images path by path can, because the unseen
code is the same on both sides: whatever it does to a lock, it did before
the patch too.

This module enumerates the paths through the visible part of a function on
each side (:func:`reviewkit.flow.engine.paths` over the fragment CFG) and
records, per path, its steps (named so that an unchanged line has the same
name on both sides), its branch decisions, the lock operations on it and
how it leaves.  :func:`counterparts` pairs a post-image path with the
pre-image paths that make the same decisions on the conditions both sides
test; the judgement of a pair lives in :mod:`reviewkit.locks.prepost_judge`.
"""
# size: one description of a path per side (steps, decisions, lock operations, exits) that the judge reads

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reviewkit.cparse.parse import Call
from reviewkit.flow.cfg import norm
from reviewkit.flow.engine import CFG, K_COND, K_GAP, K_LABEL, K_RETURN, K_SWITCH, CfgNode, paths
from reviewkit.flow.paths import _continuation, _node_for, _with_edges, fragment_cfg
from reviewkit.locks.model import LockModel, Summary, lock_key, member_key, part_keys
from reviewkit.locks.syntax import _HANDS_OFF, _RELEASING_NAME, _assigned_to, _subst
from reviewkit.locks.transfer import LockAnalysis
from reviewkit.views.source import FileView, FunctionView

PATH_LIMIT = 256
"""Paths enumerated per side; a function with more is not compared (counted)."""

Ident = tuple[Any, ...]
"""A step's name that survives the patch: ``("u", pre_line, kind, text)`` for unchanged lines."""


@dataclass(frozen=True)
class Op:
    """One lock operation on a path."""

    kind: str
    """``acq``, ``rel``, ``unknown`` (a trylock, a scoped guard, a helper that may drop it)."""
    key: str
    step: int
    line: int
    src: str
    changed: bool
    """On a line the patch added (post) or removed (pre)."""
    block: int | None = None
    """The change block (a run of ``-``/``+`` lines) its line is in, the same number on both sides."""


@dataclass
class Exit:
    """How a path leaves the visible code."""

    kind: str
    """``return``, ``end`` (off the closing brace), ``label`` (a goto to a label not shown), ``gap``
    (unseen code that runs to the end of the function), ``jump`` (a ``break``/``continue`` whose loop
    or switch is not shown: it goes on in unseen code, see :meth:`reviewkit.flow.cfg._Builder.jump_out`)."""
    line: int | None
    label: str = ""
    ident: Ident = ()


@dataclass
class SidePath:
    """One path through one image of the function."""

    idents: list[Ident]
    nodes: list[CfgNode]
    decisions: dict[Ident, frozenset[Any]]
    ops: list[Op]
    exit: Exit
    gaps: list[tuple[int, Ident]] = field(default_factory=list)
    """``(step, ident)`` of every unseen stretch the path crosses."""
    labels: list[tuple[int, str, int | None]] = field(default_factory=list)
    """``(step, name, line)`` of every visible label the path goes through."""
    changed_calls: list[int] = field(default_factory=list)
    """Steps with a call on a changed line that is not a known lock operation: any of them may be
    the acquire or release of a lock the model does not name (``kern_path_locked()``)."""
    changed_blocks: set[int] = field(default_factory=set)
    """The change blocks of those calls."""
    changed_args: list[tuple[int, frozenset[str]]] = field(default_factory=list)
    """``(step, argument keys)`` of those calls whose name says they may release (:data:`_MAY_RELEASE`)."""

    def passes(self, key: str, start: int) -> bool:
        """Does a changed call from step ``start`` on get the lock, or the object holding it?"""
        return any(
            a == key or key.startswith((a + "->", a + "."))
            for step, args in self.changed_args
            if step >= start
            for a in args
        )

    def gaps_after(self, step: int) -> set[Ident]:
        return {g for i, g in self.gaps if i >= step}

    def gaps_between(self, lo: int, hi: int) -> set[Ident]:
        return {g for i, g in self.gaps if lo <= i < hi}

    def ops_on(self, key: str, start: int = 0) -> list[Op]:
        return [o for o in self.ops if o.key == key and o.step >= start]

    def balance(self, key: str, start: int) -> int:
        """Acquires minus releases of ``key`` from step ``start`` on."""
        return sum(1 if o.kind == "acq" else -1 for o in self.ops_on(key, start) if o.kind in ("acq", "rel"))


@dataclass
class Sides:
    """The paths of both images of one function, or why they could not be had."""

    pre: list[SidePath]
    post: list[SidePath]
    skipped: str = ""


def post_to_pre(fileview: FileView, lines: Iterable[int] = ()) -> dict[int, int]:
    """Post-image line -> pre-image line for every unchanged line the diff shows, and for each of
    ``lines`` (whole images: a line between or around the hunks is unchanged, shifted by what the
    hunks before it added and removed)."""
    out: dict[int, int] = {}
    ends: list[tuple[int, int, int]] = []
    for hunk in fileview.hunks:
        # an empty side (``+9,0``) names the line before the hunk
        tstart = hunk.target_start + (0 if hunk.target_length else 1)
        sstart = hunk.source_start + (0 if hunk.source_length else 1)
        ends.append((tstart, tstart + hunk.target_length, sstart + hunk.source_length))
        for line in hunk:
            if line.line_type == " " and line.source_line_no and line.target_line_no:
                out[line.target_line_no] = line.source_line_no
    for n in lines:
        if n in out or any(start <= n < end for start, end, _src in ends):
            continue
        before = [(end, src) for start, end, src in ends if end <= n]
        end, src = max(before) if before else (0, 0)
        out[n] = n - end + src
    return out


def side_paths(
    pre: FunctionView,
    post: FunctionView,
    fileview: FileView,
    kernel: dict[str, Any],
    model: LockModel,
    summaries: dict[str, Summary],
    graph: Callable[[FunctionView], CFG] | None = None,
) -> Sides:
    """Enumerate and describe the paths of both images (``skipped`` says why not).

    ``graph``: the run's ``fragment_cfg`` of a view (``ctx.facts.fragment_cfg``,
    built with this ``kernel``), so the post-image's graph the lock analysis
    built is not built again; read only, as every shared graph.
    """
    whole = [] if post.fragment else [n for n in post.line_map if n is not None]
    mapping = post_to_pre(fileview, whole)
    blocks = change_blocks(fileview)
    out: dict[str, list[SidePath]] = {}
    for fv in (pre, post):
        cfg = _braceless(fv, graph(fv) if graph is not None else fragment_cfg(fv, kernel))
        if fv.function is None or (cfg.errors and not _errors_harmless(cfg.nodes, model, summaries)):
            return Sides([], [], "parse-error")
        found = paths(cfg, limit=PATH_LIMIT)
        if not found.complete:
            return Sides([], [], "too-many-paths")
        namer = _Namer(fv, mapping, cfg.nodes)
        namer.blocks = blocks[fv.side]
        la = LockAnalysis(fv, model, summaries)
        described = []
        for p in found:
            if p.exit is None:
                continue  # BUG(), panic(): nothing leaves
            described.append(_describe(fv, p.steps, p.exit, namer, la, model, summaries))
        out[fv.side] = described
    return Sides(out["pre"], out["post"])


def change_blocks(fileview: FileView) -> dict[str, dict[int, int]]:
    """Side -> changed line -> the number of its change block (a run of ``-``/``+`` lines)."""
    out: dict[str, dict[int, int]] = {"pre": {}, "post": {}}
    n = 0
    for hunk in fileview.hunks:
        inside = False
        for line in hunk:
            if line.line_type == "-" and line.source_line_no:
                out["pre"][line.source_line_no] = n
                inside = True
            elif line.line_type == "+" and line.target_line_no:
                out["post"][line.target_line_no] = n
                inside = True
            elif inside:
                n, inside = n + 1, False
        n += 1
    return out


def _braceless(fv: FunctionView, cfg: CFG) -> CFG:
    """A hunk that starts in the braceless body of an unseen ``if`` (``return -EINVAL;`` indented
    deeper than what follows it): the unseen code may skip that statement, as
    :func:`reviewkit.flow.paths.fragment_cfg` lets it skip a block whose brace it opened."""
    fn = fv.function
    if fn is None or not fv.gaps:
        return cfg
    extra: list[tuple[CfgNode, CfgNode]] = []
    stack = [fn.body]
    while stack:
        block = stack.pop()
        stack.extend(c for c in block.named_children if c.named_child_count)
        if block.type != "compound_statement":
            continue
        kids = [c for c in block.named_children if c.type != "comment"]
        for gap_stmt, body, after in zip(kids, kids[1:], [*kids[2:], None], strict=False):
            if fv.gap_index(gap_stmt) is None or body.start_point[1] <= gap_stmt.start_point[1]:
                continue
            if after is not None and after.start_point[1] > gap_stmt.start_point[1]:
                continue
            gap, cont = _node_for(fv, cfg, gap_stmt), _continuation(fv, cfg, body)
            if gap is not None and cont is not None and gap.kind == K_GAP and all(s is not cont for s, _ in gap.succs):
                extra.append((gap, cont))
    return _with_edges(cfg, extra) if extra else cfg


_CONTROL = re.compile(r"\b(?:return|goto|if|else|while|for|do|switch|case|break|continue)\b|^\s*\w+\s*:(?!:)")


_DANGLING_ELSE = re.compile(r"^\s*\}?\s*else\b")


def _errors_harmless(nodes: Iterable[CfgNode], model: LockModel, summaries: dict[str, Summary]) -> bool:
    """Tree-sitter gave up only on plain statements (a hunk starting inside a multi-line call, say):
    no control flow and no lock call hides in what it could not parse, so the paths are right."""
    for n in nodes:
        if n.ast is None or not (n.ast.type == "ERROR" or n.ast.has_error or n.ast.is_missing):
            continue
        # A hunk that starts in the then-branch of an unseen ``if`` shows its ``else`` alone: the
        # branch taken is the unseen code's decision, the same on both sides, so a plain else-body
        # changes no path a lock takes.
        text = _DANGLING_ELSE.sub("", n.text or "")
        if _CONTROL.search(text) or model.mentioned(text, summaries.keys()):
            return False
    return True


class _Namer:
    """Names of steps and decisions that are the same on both sides for unchanged lines."""

    def __init__(self, fv: FunctionView, mapping: dict[int, int], nodes: Iterable[CfgNode]) -> None:
        self.fv = fv
        self.unchanged = set(mapping.values()) if fv.side == "pre" else set(mapping)
        self.mapping = mapping
        self.blocks: dict[int, int] = {}
        changed_conds = Counter(
            self._text(n) for n in nodes if n.kind in (K_COND, K_SWITCH) and not self._unchanged(n.line)
        )
        self.ambiguous = {t for t, c in changed_conds.items() if c > 1}

    def _unchanged(self, line: int | None) -> bool:
        return line is not None and line in self.unchanged and line not in self.fv.changed_lines

    def _pre_line(self, line: int) -> int:
        return line if self.fv.side == "pre" else self.mapping[line]

    @staticmethod
    def _text(n: CfgNode) -> str:
        return norm(n.label or n.text or "") if n.kind == K_LABEL else norm(n.text or "")

    def ident(self, n: CfgNode) -> Ident:
        if n.kind == K_GAP:
            after = self.fv.gaps[n.gap].after if n.gap is not None and n.gap < len(self.fv.gaps) else None
            if after is None:
                return ("gap", None)
            if self._unchanged(after):
                return ("gap", self._pre_line(after))
            return ("gap", self.fv.side, n.gap)  # bounded by a changed line: no counterpart by name
        if n.line is None or (n.kind == K_LABEL and n.unseen):
            return ("syn", n.kind, self._text(n))
        if self._unchanged(n.line):
            return ("u", self._pre_line(n.line), n.kind, self._text(n))
        return ("c", n.kind, self._text(n))

    def decision(self, n: CfgNode) -> Ident | None:
        ident = self.ident(n)
        if ident[0] == "c" and self._text(n) in self.ambiguous:
            return None  # the patch writes this test more than once: which is which is unclear
        return ident


def _describe(
    fv: FunctionView,
    steps: list[tuple[CfgNode, Any]],
    via: CfgNode,
    namer: _Namer,
    la: LockAnalysis,
    model: LockModel,
    summaries: dict[str, Summary],
) -> SidePath:
    idents: list[Ident] = []
    nodes: list[CfgNode] = []
    decisions: dict[Ident, set[Any]] = {}
    ops: list[Op] = []
    gaps: list[tuple[int, Ident]] = []
    labels: list[tuple[int, str, int | None]] = []
    changed_calls: list[int] = []
    changed_blocks: set[int] = set()
    changed_args: list[tuple[int, frozenset[str]]] = []
    for i, (node, label) in enumerate(steps):
        ident = namer.ident(node)
        idents.append(ident)
        nodes.append(node)
        if node.kind in (K_COND, K_SWITCH):
            d = namer.decision(node)
            if d is not None:
                decisions.setdefault(d, set()).add(label)
        elif len(node.succs) > 1 and ident[0] != "c":
            # unseen code that may skip the block it opened (fragment_cfg): where the path went is a decision
            # named by the edge (into the block, or past it), not by the statement it reaches: that
            # statement may be one the patch deleted, and the unseen code decides the same either way
            nxt = steps[i + 1][0] if i + 1 < len(steps) else None
            taken = next((k for k, (s, _l) in enumerate(node.succs) if s is nxt), ("exit",))
            decisions.setdefault((*ident, "succ"), set()).add(taken)
        elif node.kind == K_GAP:
            gaps.append((i, ident))
        elif node.kind == K_LABEL and not node.unseen:
            labels.append((i, node.label or "", node.line))
        for call in node.calls:
            line = call.line or node.line
            block = namer.blocks.get(line) if line is not None else None
            found = [dataclasses.replace(op, block=block) for op in _ops(fv, node, call, i, la, model, summaries)]
            ops.extend(found)
            if all(op.kind == "unknown" for op in found) and line in fv.changed_lines:
                changed_calls.append(i)
                if _MAY_RELEASE.search(call.name):
                    changed_args.append((i, frozenset(lock_key(a) for a in call.args)))
                if block is not None:
                    changed_blocks.add(block)
    exit = _exit(fv, via, namer, nodes)
    if exit.kind == "jump":
        # the path goes on in code nobody sees (the loop's next round, its end): unseen code like a
        # gap, the same on the other side only where that side takes the same jump
        gaps.append((len(idents) - 1, exit.ident))
    return SidePath(
        idents,
        nodes,
        {k: frozenset(v) for k, v in decisions.items()},
        ops,
        exit,
        gaps,
        labels,
        changed_calls,
        changed_blocks,
        changed_args,
    )


def closing_brace(fv: FunctionView) -> int | None:
    """The real line of the function's closing brace, when the view shows it."""
    fn = fv.function
    if fn is None or not fv.end_visible:
        return None
    row = fn.body.end_point[0] - fv.row_offset
    return fv.line_map[row] if 0 <= row < len(fv.line_map) else None


def _exit(fv: FunctionView, via: CfgNode, namer: _Namer, nodes: list[CfgNode]) -> Exit:
    ident = namer.ident(via)
    if via.kind == K_LABEL and via.unseen and via.ast is None and via.label in _JUMPS and len(nodes) > 1:
        jump = nodes[-2]  # the ``break;`` itself: which jump it is, not just its keyword
        return Exit("jump", jump.line, via.label or "", ("jump", namer.ident(jump)))
    if via.kind == K_LABEL and via.unseen:
        return Exit("label", None, via.label or via.text, ident)
    if via.kind == K_GAP and via.gap_to_end:
        return Exit("gap", via.line, ident=ident)
    if via.kind == K_RETURN:
        return Exit("return", via.line, ident=ident)
    # Off the closing brace: the lock leaks there, not on the last statement (an unchanged line
    # above a deleted release, issue 14 item 5).
    return Exit("end", closing_brace(fv) or via.line, ident=ident)


_JUMPS = ("break", "continue")
_MAY_RELEASE = re.compile(r"put|release|unlock|drop|relse", re.IGNORECASE)
"""A helper outside the model that, by its name, may release what it is given (``f2fs_put_page(p, 1)``);
``__list_lru_del(lru, l, ...)`` takes the lock it works under and keeps it."""


def _ops(
    fv: FunctionView,
    node: CfgNode,
    call: Call,
    step: int,
    la: LockAnalysis,
    model: LockModel,
    summaries: dict[str, Summary],
) -> list[Op]:
    line = call.line or node.line or 0
    changed = line in fv.changed_lines
    src = " ".join(fv.parsed.text(call.node).split())
    fam = model.acquires.get(call.name)
    if fam is not None:
        if fam.scoped:
            return [Op("unknown", "*", step, line, src, changed)]  # guard(): released where the scope ends
        kind = "unknown" if fam.try_ else "acq"
        return [Op(kind, h.key, step, line, src, changed) for h in la._holds_for(call, fam, node)]
    fams = model.releases.get(call.name)
    if fams:
        rk = fams[0].release_key
        if isinstance(rk, int):
            if rk >= len(call.args):
                return []
            key = member_key(call.args[rk], fams[0].member)
        else:
            key = str(rk)
        rp = fams[0].release_parts
        if rp is None:
            return [Op("rel", key, step, line, src, changed)]
        parts = part_keys(key, call.args[rp], fams[0].part_names) if rp < len(call.args) else None
        return [Op("rel", k, step, line, src, changed) for k in parts or ()]
    op = _op(call, step, line, src, changed, fv, summaries)
    return [op] if op is not None else []


def _op(
    call: Call, step: int, line: int, src: str, changed: bool, fv: FunctionView, summaries: dict[str, Summary]
) -> Op | None:
    summary = summaries.get(call.name)
    if summary is not None:
        mapping = {p: lock_key(a) for p, a in zip(summary.params, call.args, strict=False) if p}
        target = _assigned_to(call, fv) if summary.ret_var else None
        if summary.ret_var and target:
            mapping[summary.ret_var] = target
        key = _subst(summary.key, mapping)
        kind = {"acquire": "acq", "release": "rel"}.get(summary.kind, "unknown")
        return Op("unknown" if summary.try_ else kind, key, step, line, src, changed)
    if _RELEASING_NAME.search(call.name) or any(_HANDS_OFF.search(a) for a in call.args):
        return Op("unknown", "*", step, line, src, changed)  # drops or retakes some lock: we cannot tell which
    return None


def consistent(p: SidePath, q: SidePath) -> bool:
    """Same decisions on every condition both paths test."""
    for ident, labels in p.decisions.items():
        other = q.decisions.get(ident)
        if other is not None and other != labels:
            return False
    return True


def divergence(p: SidePath, q: SidePath) -> int:
    """Length of the common prefix of steps."""
    n = 0
    for a, b in zip(p.idents, q.idents, strict=False):
        if a != b:
            break
        n += 1
    return n


def counterparts(p: SidePath, pre: list[SidePath]) -> list[SidePath]:
    """The pre-image paths that ``p`` stands for (empty: none makes the same decisions)."""
    return [q for q in pre if consistent(p, q)]
