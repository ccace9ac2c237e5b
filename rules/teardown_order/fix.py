"""The verified reorder teardown-order offers (not a rule).

Moving the free after the stop call is a plain reorder when both are
statements of one block with no label between them; anything else (a goto
ladder whose labels sit between the two) gets no fix.
"""

from __future__ import annotations

from reviewkit.rules._csyntax import real_span

from reviewkit.api import K_STMT, Applicability, CfgNode, FileView, Fix, FunctionView, edit_on_view


def reorder_fix(fv: FunctionView, view: FileView, destroy: CfgNode, release: CfgNode, title: str) -> Fix | None:
    """Move the destroy after the release when both are statements of one block."""
    d, r = destroy.ast, release.ast
    if d is None or r is None or destroy.kind != K_STMT or release.kind != K_STMT:
        return None
    if d.parent is None or r.parent is None or d.parent.id != r.parent.id or d.parent.type != "compound_statement":
        return None
    between = [s for s in d.parent.named_children if d.end_byte <= s.start_byte and s.end_byte <= r.start_byte]
    if any(s.type == "labeled_statement" for s in between):
        return None
    d_span, r_span = real_span(fv, d), real_span(fv, r)
    if d_span is None or r_span is None:
        return None
    first, last = d_span[0], r_span[1]
    texts = [view.line_text(n) for n in range(first, last + 1)]
    if any(t is None for t in texts):
        return None
    size = d_span[1] - d_span[0] + 1
    moved = texts[size:] + texts[:size]
    edit = edit_on_view(view, first, last + 1, [t for t in moved if t is not None])
    return Fix(title, (edit,), Applicability.SAFE)
