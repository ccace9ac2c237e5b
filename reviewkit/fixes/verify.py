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
findings, so a rule only builds its fix; a rule may still call
:func:`offer` itself (a fix it verified is not verified twice).  While a
verification re-run is in progress both pass findings through unverified,
so verification never recurses.  Fixes whose applicability is ``display`` are
shown, never applied, and are not verified.

The "before" side of every verification is what the rule reported on the
unfixed context; it is computed once per rule, not once per fix.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Callable, Iterable, Iterator

from reviewkit.fixes import fold
from reviewkit.fixes.fold import FixError, apply_fix, count_errors
from reviewkit.model import Applicability, Finding
from reviewkit.views.context import ReviewContext

__all__ = ["FixError", "apply_fix", "count_errors", "offer", "verify_all", "verify_fix", "verifying"]

Check = Callable[[ReviewContext], Iterable[Finding]]

_VERIFYING: contextvars.ContextVar[bool] = contextvars.ContextVar("reviewkit_verifying", default=False)


def verifying() -> bool:
    """True while a rule is being re-run to verify a fix."""
    return _VERIFYING.get()


def offer(
    ctx: ReviewContext, findings: Iterable[Finding], check: Check, before: list[Finding] | None = None
) -> Iterator[Finding]:
    """Yield ``findings``, each fix verified (replaced by one with ``verified=True``) or dropped.

    ``before``: what ``check`` reports on ``ctx`` (unverified), when the
    caller already has it; otherwise it is computed once, at the first fix.
    """
    for f in findings:
        if f.fix is not None and not verifying():
            if before is None:
                before = _unverified(ctx, check)
            if verify_fix(ctx, f, check, before):
                f.fix = dataclasses.replace(f.fix, verified=True)
            else:
                ctx.bump("fixes_dropped")
                f.fix = None
        yield f


def _unverified(ctx: ReviewContext, check: Check) -> list[Finding]:
    token = _VERIFYING.set(True)
    try:
        return list(check(ctx))
    finally:
        _VERIFYING.reset(token)


def verify_all(ctx: ReviewContext, findings: Iterable[Finding], check: Check, before: list[Finding]) -> None:
    """Verify every fix of ``findings`` not verified yet; drop (``fix = None``) those that fail.

    ``findings`` come from one rule and ``before`` is everything that rule
    reported on ``ctx`` (the "before" side of every verification, computed
    once instead of once per fix).  A fix the rule verified itself
    (:func:`offer`) and a ``display`` fix are left as they are.
    """
    if verifying():
        return
    for f in findings:
        fix = f.fix
        if fix is None or fix.verified or fix.applicability is Applicability.DISPLAY:
            continue
        if verify_fix(ctx, f, check, before):
            f.fix = dataclasses.replace(fix, verified=True)
        else:
            ctx.bump("fixes_dropped")
            f.fix = None


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
    token = _VERIFYING.set(True)
    try:
        source = check(ctx) if before_all is None else before_all
        before = [f for f in source if f.rule == finding.rule and f.file == finding.file]
        after = [f for f in check(fixed) if f.rule == finding.rule and f.file == finding.file]
    finally:
        _VERIFYING.reset(token)
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
