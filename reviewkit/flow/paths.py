"""Fragment-aware CFG for path rules: blocks opened by unseen code may be skipped.

When a hunk starts inside a block (``if (mem_cgroup_charge(...)) {`` in
unseen code, then ``return NULL; }`` visible), the stitched view repairs the
structure with a synthetic ``{`` and a gap statement.  In the CFG that block
is then unconditional, and a ``return`` inside it makes every visible line
after it unreachable.  The header that opened the block (an ``if``, a loop,
an ``else``) is part of the unseen code, so the block may just as well be
skipped: :func:`fragment_cfg` returns a copy of :func:`reviewkit.flow.engine.build_cfg`'s
graph with one extra edge from that gap to the first statement after the
block.  The run's graph (owned by :class:`reviewkit.facts.Facts`) is never modified (other rules share it).
"""

from __future__ import annotations

from typing import Any

from reviewkit.cparse.parse import Node
from reviewkit.flow.engine import CFG, K_GAP, CfgNode, build_cfg
from reviewkit.views.source import FunctionView


def fragment_cfg(fv: FunctionView, kernel: dict[str, Any] | None = None, cfg: CFG | None = None) -> CFG:
    """``build_cfg(fv)`` plus "the gap may skip the block it opened" edges (a copy when it adds any).

    ``cfg``: the function's graph when the caller has it (``ctx.facts.cfg(fv)``); never modified.
    """
    cfg = cfg if cfg is not None else build_cfg(fv, kernel)
    fn = fv.function
    if fn is None or not fv.fragment:
        return cfg
    extra: list[tuple[CfgNode, CfgNode]] = []
    for block in _synthetic_blocks(fv, fn.body):
        gap = _opening_gap(fv, cfg, block)
        after = _continuation(fv, cfg, block)
        if gap is not None and after is not None and all(s is not after for s, _ in gap.succs):
            extra.append((gap, after))
    return _with_edges(cfg, extra) if extra else cfg


def _synthetic_blocks(fv: FunctionView, body: Node) -> list[Node]:
    """Nested ``{ ... }`` blocks whose opening brace the stitcher made up."""
    out = []
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if (
            node.type == "compound_statement"
            and node.parent is not None
            and node.parent.type == "compound_statement"
            and fv.real_line_of_row(node.start_point[0]) is None
        ):
            out.append(node)
        stack.extend(node.named_children)
    return out


def _node_for(fv: FunctionView, cfg: CFG, stmt: Node) -> CfgNode | None:
    """The CFG node a statement is entered through (its first condition atom, loop join, label...)."""
    line = fv.real_line(stmt)
    best: tuple[int, CfgNode] | None = None
    for n in cfg.nodes:
        if n.ast is not None and stmt.start_byte <= n.ast.start_byte and n.ast.end_byte <= stmt.end_byte:
            key = n.ast.start_byte
        elif n.ast is None and line is not None and n.line == line and n.kind not in ("entry", "exit"):
            key = stmt.start_byte - 1
        else:
            continue
        if best is None or key < best[0]:
            best = (key, n)
    return best[1] if best else None


def _opening_gap(fv: FunctionView, cfg: CFG, block: Node) -> CfgNode | None:
    """The gap holding the block's unseen header: its first statement, or the statement before it."""
    first = block
    while first.type == "compound_statement" and first.named_children:
        first = first.named_children[0]
    candidates = [first]
    prev = block.prev_named_sibling
    if prev is not None:
        candidates.append(prev)
    for stmt in candidates:
        if fv.gap_index(stmt) is not None:
            node = _node_for(fv, cfg, stmt)
            if node is not None and node.kind == K_GAP:
                return node
    return None


def _continuation(fv: FunctionView, cfg: CFG, block: Node) -> CfgNode | None:
    """Where control goes when the block is skipped: the next statement, or the function's end."""
    cur = block
    while True:
        sib = cur.next_named_sibling
        while sib is not None:
            if sib.type != "comment":
                node = _node_for(fv, cfg, sib)
                if node is not None:
                    return node
            sib = sib.next_named_sibling
        parent = cur.parent
        if parent is None or parent.type != "compound_statement":
            return None
        if parent.parent is not None and parent.parent.type == "function_definition":
            return cfg.exit
        cur = parent


def _with_edges(cfg: CFG, extra: list[tuple[CfgNode, CfgNode]]) -> CFG:
    copies = {n.id: n.unlinked() for n in cfg.nodes}
    for n in cfg.nodes:
        copies[n.id].succs = [(copies[s.id], label) for s, label in n.succs]
    for src, dst in extra:
        copies[src.id].succs.append((copies[dst.id], None))
    labels = {name: copies[n.id] for name, n in cfg.labels.items()}
    return CFG(
        cfg.fv,
        copies[cfg.entry.id],
        copies[cfg.exit.id],
        [copies[n.id] for n in cfg.nodes],
        labels,
        cfg.errors,
    )
