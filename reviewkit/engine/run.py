"""Load rules, build the review context, run the rules, filter the findings.

A rule is a module in ``reviewkit.rules`` (or a third-party module
registered under the ``reviewkit.rules`` entry-point group) with:

- ``ID``: stable kebab-case id (``lock-balance``);
- ``SEVERITY``: default severity;
- ``check(ctx) -> Iterable[Finding]``;
- a module docstring: one-line summary, then the documentation
  (``reviewkit explain ID`` prints it);
- optionally ``TOKENS``: strings of which at least one must occur in a
  file's or function's text for the rule to have anything to say about it
  (``("spin_lock", "mutex_lock", ...)``).  :func:`run` hides every file and
  function without one from that rule, so a whole-tree scan never builds a
  CFG for code that takes no lock (see :mod:`reviewkit.engine.prefilter`);
- optionally ``SCOPE = "function"``: the rule's findings on a function depend
  only on that function (its post-image view and ``ctx.pre_function()``), so
  :func:`run` may replay them from a cache when the function is unchanged.

A finding may carry a :class:`~reviewkit.model.Fix`; :func:`run`
verifies it (applies, parses, the finding goes away) before anyone sees it,
so rules build fixes and never verify them themselves.

Adding a rule touches its module and its fixture folder, nothing here.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable

from reviewkit.engine.budget import BudgetExceeded, time_budget
from reviewkit.engine.prefilter import FunctionCache, narrowed
from reviewkit.engine.registry import Rule, discover, find_rule
from reviewkit.fixes.verify import verify_all
from reviewkit.model import Finding
from reviewkit.views.context import ReviewContext

__all__ = ["Rule", "discover", "find_rule", "run"]


def run(
    ctx: ReviewContext,
    rules: list[Rule],
    *,
    baseline: set[str] | None = None,
    cache: FunctionCache | None = None,
    progress: Callable[[int, int | None, str], None] | None = None,
    isolate: bool = True,
    budget: float = 0.0,
) -> list[Finding]:
    """Run enabled rules, apply severity overrides and the baseline, dedup, sort.

    ``progress(done, total, label)`` is called before each rule, so a front
    end (the TUI) can show how far a long series has got.  With ``isolate``
    (the default) a rule that raises is recorded in ``ctx.stats["rule_errors"]``
    and the other rules still run; ``scan`` turns it off to apply its own
    per-file time budget and notes.  ``budget`` (seconds, 0: none) bounds each
    rule on the whole context, like scan's per-file budget: a rule that
    overruns it is skipped, named in ``ctx.stats["rule_skipped"]``.

    Each rule sees ``ctx`` narrowed to the files and functions holding one of
    its ``TOKENS``; with ``cache``, a ``SCOPE = "function"`` rule also skips
    functions whose findings are cached, and those findings are replayed.
    Every fix a rule attached is verified here, once, for the findings that
    survive the filters (:func:`reviewkit.fixes.verify.verify_all`): a fix that
    does not apply, parse and remove its finding is dropped.
    """
    findings: list[Finding] = []
    seen: set[tuple[str, str, int, str]] = set()
    timings: dict[str, float] = {}
    enabled = [rule for rule in rules if ctx.config.rule_enabled(rule.id)]
    for done, rule in enumerate(enabled):
        if progress is not None:
            progress(done, len(enabled), rule.id)
        started = time.perf_counter()
        tokens = getattr(rule.module, "TOKENS", None)
        view = narrowed(ctx, rule.id, tokens, getattr(rule.module, "SCOPE", None), cache)
        try:
            with time_budget(budget):
                produced = list(view.run(rule.check))
        except BudgetExceeded:
            if budget <= 0:
                raise  # an outer budget's (scan's per-file one): the caller reports it
            ctx.stats.setdefault("rule_skipped", []).append(f"[{rule.id}] skipped: still running after {budget:g} s")
            continue
        except Exception as exc:  # one broken rule must not hide the others
            if not isolate or os.environ.get("REVIEWKIT_DEBUG"):
                raise
            ctx.stats.setdefault("rule_errors", []).append(f"rule {rule.id} failed: {type(exc).__name__}: {exc}")
            continue
        kept: list[Finding] = []
        for f in produced:
            if ctx.config.path_skipped(f.file):
                continue
            if not f.rationale:
                f = dataclasses.replace(f, rationale=rule.doc)
            if rule.id in ctx.config.severity:
                f = dataclasses.replace(f, severity=ctx.config.severity[rule.id])
            key = (f.rule, f.file, f.line, f.message)
            if key in seen:
                continue
            seen.add(key)
            if baseline and f.fingerprint in baseline:
                ctx.bump("baselined")
                continue
            kept.append(f)
        findings.extend(verify_all(ctx, kept, _rerun(rule, tokens), produced))
        timings[rule.id] = round(time.perf_counter() - started, 4)
    ctx.stats["rule_seconds"] = timings
    findings.sort(key=Finding.sort_key)
    return findings


def _rerun(rule: Rule, tokens: object) -> Callable[[ReviewContext], Iterable[Finding]]:
    """How verification re-runs ``rule`` on a fixed context: same token prefilter, no cache."""

    def check(fixed: ReviewContext) -> Iterable[Finding]:
        return narrowed(fixed, rule.id, tokens).run(rule.check)

    return check
