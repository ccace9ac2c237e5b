"""Verify a suggested fix before it is offered: no fix is better than a wrong fix.

A fix is edits on top of the series.  It is offered only when

1. it applies to the post-image: in fragment mode to the reconstructed
   post-image (the visible lines at their real numbers), in tree and scan
   mode to the whole post-image file; ``git apply --check`` must accept it
   too (unseen lines of a fragment are filled with placeholders, so context
   taken from a gap can never match);
2. the result parses without *new* tree-sitter errors (fragments compare the
   stitched functions of the file before and after);
3. re-running the rule on the result no longer reports the finding, and
   reports fewer findings in that file than before.

Re-running needs a view of the fixed code that is consistent in every
respect (line numbers, changed lines, hunk headers naming functions), so the
fix is folded into the patch the finding belongs to and the review context
is rebuilt from the folded series (:mod:`reviewkit.fixes.fold`).
:func:`reviewkit.engine.run.run` calls :func:`verify_all` on every rule's
findings, so a rule only builds its fix; that is the one verification path.
The re-run calls the rule's ``check`` directly (not the engine), so it never
verifies again.  Fixes whose safety is ``display`` are shown, never applied,
and are not verified.

The "before" side of every verification is what the rule reported on the
unfixed context; it is computed once per rule, not once per fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator

from reviewkit.fixes import fold
from reviewkit.fixes.fold import FixError, apply_fix, count_errors
from reviewkit.model import Finding
from reviewkit.views.context import ReviewContext

__all__ = ["FixError", "apply_fix", "count_errors", "offer", "verify_all", "verify_fix"]

Check = Callable[[ReviewContext], Iterable[Finding]]


def offer(
    ctx: ReviewContext, findings: Iterable[Finding], check: Check, before: list[Finding] | None = None
) -> Iterator[Finding]:
    """Kept for rule plugins written against the old API: yields ``findings`` as they are.

    Verification has one path, the engine's (:func:`verify_all`), which
    verifies every fix a rule attached; a rule no longer verifies its own.
    """
    yield from findings


def verify_all(ctx: ReviewContext, findings: Iterable[Finding], check: Check, before: list[Finding]) -> list[Finding]:
    """``findings`` with every fix verified (``verified=True``) or dropped (new findings; none is edited).

    ``findings`` come from one rule and ``before`` is everything that rule
    reported on ``ctx`` (the "before" side of every verification, computed
    once instead of once per fix).  ``check`` re-runs the rule on a fixed
    context; it is called directly, never through the engine, so a
    verification never starts another.  A fix already verified and a
    ``display`` fix are left as they are.
    """
    out = []
    for f in findings:
        fix = f.fix
        if fix is None or fix.verified or fix.safety == "display":
            out.append(f)
        elif verify_fix(ctx, f, check, before):
            out.append(dataclasses.replace(f, fix=dataclasses.replace(fix, verified=True)))
        else:
            ctx.bump("fixes_dropped")
            out.append(dataclasses.replace(f, fix=None))
    return out


def verify_fix(ctx: ReviewContext, finding: Finding, check: Check, before_all: list[Finding] | None = None) -> bool:
    """Apply ``finding.fix`` to the post-image, re-parse, re-run ``check``; True when all hold.

    ``before_all``: the findings ``check`` reports on ``ctx`` when the caller
    already has them (otherwise ``check`` is run on ``ctx`` too).
    """
    if finding.fix is None or not finding.fix.edits:
        return False
    try:
        fixed, git = fold.start(ctx, finding)
    except FixError:
        return False
    try:
        source = check(ctx) if before_all is None else before_all
        before = [f for f in source if f.rule == finding.rule and f.file == finding.file]
        after = [f for f in check(fixed) if f.rule == finding.rule and f.file == finding.file]
    finally:
        try:
            git.wait()
            applies = True
        except FixError:
            applies = False
    if not applies:
        return False
    if finding.fingerprint in {f.fingerprint for f in after}:
        return False
    return len(after) < max(len(before), 1)
