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

import importlib
import os
import pkgutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from reviewkit.config import Config
from reviewkit.engine.prefilter import FunctionCache, narrowed
from reviewkit.fixes.verify import verify_all
from reviewkit.load.series import Series
from reviewkit.model import Finding, Severity
from reviewkit.views.context import PatchContext, ReviewContext
from reviewkit.views.source import file_views
from reviewkit.views.treemode import attach_tree


@dataclass
class Rule:
    """A loaded rule module."""

    id: str
    severity: Severity
    doc: str
    check: Callable[[ReviewContext], Iterable[Finding]]
    source: str
    module: ModuleType

    @property
    def topics(self) -> tuple[str, ...]:
        """Patterns a reviewer's comment making the same point matches (the module's ``TOPICS``)."""
        return tuple(getattr(self.module, "TOPICS", ()))

    @property
    def title(self) -> str:
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.id


def _rule_from_module(mod: ModuleType, source: str) -> Rule | None:
    rid = getattr(mod, "ID", None)
    check = getattr(mod, "check", None)
    if not isinstance(rid, str) or not callable(check):
        return None
    sev = getattr(mod, "SEVERITY", Severity.WARNING)
    severity = sev if isinstance(sev, Severity) else Severity.parse(str(sev))
    return Rule(rid, severity, mod.__doc__ or "", check, source, mod)


def discover(warn: Callable[[str], None] | None = None) -> list[Rule]:
    """Built-in rules, then plugins; a broken plugin is a warning, not a crash."""
    import reviewkit.rules as pkg

    rules: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        # A rule that outgrew one file is a folder whose ``rule`` module is the rule.
        name = f"{pkg.__name__}.{info.name}" + (".rule" if info.ispkg else "")
        mod = importlib.import_module(name)
        rule = _rule_from_module(mod, "builtin")
        if rule is not None:
            rules[rule.id] = rule
    for rule in _plugins(warn):
        rules.setdefault(rule.id, rule)
    return sorted(rules.values(), key=lambda r: r.id)


def rule_topics() -> dict[str, tuple[str, ...]]:
    """Rule id -> TOPICS, for :func:`reviewkit.load.coverage.coverage`."""
    return {r.id: r.topics for r in discover() if r.topics}


def _plugins(warn: Callable[[str], None] | None) -> list[Rule]:
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group="reviewkit.rules"):
        try:
            mod = ep.load()
            rule = _rule_from_module(mod, f"plugin {ep.value}") if isinstance(mod, ModuleType) else None
            if rule is None:
                raise TypeError("not a module with ID and check()")
            found.append(rule)
        except Exception as exc:
            if warn is not None:
                warn(f"rule plugin {ep.name} ({ep.value}) not loaded: {exc}")
    return found


def build_context(
    series: Series | None,
    config: Config | None = None,
    *,
    tree: str | None = None,
    report_all: bool = False,
) -> ReviewContext:
    """File views for every patch; in tree mode, whole files from ``tree``."""
    config = config or Config()
    patches = []
    warnings: list[str] = []
    state: dict[str, str] = {}
    tree_path = Path(tree) if tree else None
    for patch in series.patches if series else []:
        views = file_views(patch)
        if tree_path is not None:
            warnings.extend(attach_tree(views, tree_path, state))
        patches.append(PatchContext(patch, views))
    ctx = ReviewContext(series, patches, config, tree_path, report_all)
    if warnings and series is not None:
        series.warnings.extend(warnings)
    return ctx


def run(
    ctx: ReviewContext,
    rules: list[Rule],
    *,
    baseline: set[str] | None = None,
    cache: FunctionCache | None = None,
    progress: Callable[[int, int | None, str], None] | None = None,
    isolate: bool = True,
) -> list[Finding]:
    """Run enabled rules, apply severity overrides and the baseline, dedup, sort.

    ``progress(done, total, label)`` is called before each rule, so a front
    end (the TUI) can show how far a long series has got.  With ``isolate``
    (the default) a rule that raises is recorded in ``ctx.stats["rule_errors"]``
    and the other rules still run; ``scan`` turns it off to apply its own
    per-file time budget and notes.

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
            produced = list(view.run(rule.check))
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
                f.rationale = rule.doc
            if rule.id in ctx.config.severity:
                f.severity = ctx.config.severity[rule.id]
            key = (f.rule, f.file, f.line, f.message)
            if key in seen:
                continue
            seen.add(key)
            if baseline and f.fingerprint in baseline:
                ctx.bump("baselined")
                continue
            kept.append(f)
        verify_all(ctx, kept, _rerun(rule, tokens), produced)
        findings.extend(kept)
        timings[rule.id] = round(time.perf_counter() - started, 4)
    ctx.stats["rule_seconds"] = timings
    findings.sort(key=Finding.sort_key)
    return findings


def _rerun(rule: Rule, tokens: object) -> Callable[[ReviewContext], Iterable[Finding]]:
    """How verification re-runs ``rule`` on a fixed context: same token prefilter, no cache."""

    def check(fixed: ReviewContext) -> Iterable[Finding]:
        return narrowed(fixed, rule.id, tokens).run(rule.check)

    return check


def find_rule(rule_id: str) -> Rule | None:
    for rule in discover():
        if rule.id == rule_id:
            return rule
    return None
