"""teardown-order's findings on a function, replayed when nothing they depend on changed (not a rule).

A fix verification re-runs the rule on the rebuilt series.  Its unchanged
views are the same objects as before, and the links and registrations it
learns are mostly the same as the reviewed series': the findings of such a
function are then the ones already computed, and only the functions the
fix changed have their paths walked again.  Without this a verification
walked every target of the series once per fix: quadratic in the series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from reviewkit.rules.teardown_order.lifecycle import Link
from reviewkit.rules.teardown_order.registrations import Registration

from reviewkit.api import Finding, FunctionView, ReviewContext


def learned_set(ctx: ReviewContext, links: dict[str, list[Link]], regs: list[Registration]) -> int:
    """A number standing for these links and registrations in this run (equal ones get the same number)."""
    table = ctx.facts.table("teardown-order.learned-sets")
    key = (tuple((obj, tuple(found)) for obj, found in links.items()), tuple(regs))
    number: int = table.setdefault(key, len(table))
    return number


def checked(
    ctx: ReviewContext, fv: FunctionView, learned: int, compute: Callable[[FunctionView], Iterable[Finding]]
) -> list[Finding]:
    """``compute(fv)``, once per view, file view, configuration and learned set per run.

    Those are all the findings depend on (with ``--all``).  A replay gets
    copies; counters are bumped by the first run, the one on the reviewed
    context (a rebuilt context's counters are its own and dropped).
    """
    view = ctx.file_view(fv.path, fv.patch)
    table = ctx.facts.table("teardown-order.checked")
    key = (id(fv), id(view), id(ctx.config), ctx.report_all, learned)
    hit = table.get(key)
    if hit is not None and hit[0] is fv and hit[1] is view and hit[2] is ctx.config:
        return [replace(f) for f in hit[3]]
    found = list(compute(fv))
    table[key] = (fv, view, ctx.config, tuple(found))
    return found
