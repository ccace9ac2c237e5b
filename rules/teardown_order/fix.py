"""The verified reorder teardown-order offers (not a rule).

Moving the free after the stop call is a plain reorder when both are
statements of one block with no label between them; anything else (a goto
ladder whose labels sit between the two) gets no fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewkit.rules._csyntax import real_span

from reviewkit.api import K_STMT, Applicability, FileView, Fix, FunctionView, edit_on_view

if TYPE_CHECKING:
    from reviewkit.rules.teardown_order.rule import _Hit


def reorder_fix(fv: FunctionView, view: FileView, hit: _Hit) -> Fix | None:
    """Move the destroy after the release when both are statements of one block."""
    d, r = hit.destroy_node.ast, hit.release_node.ast
    if d is None or r is None or hit.destroy_node.kind != K_STMT or hit.release_node.kind != K_STMT:
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
    r_call = hit.release.call
    title = f"Call {r_call.name}() before {hit.destroy.call.name}()"
    edit = edit_on_view(view, first, last + 1, [t for t in moved if t is not None])
    return Fix(title, (edit,), Applicability.SAFE)
