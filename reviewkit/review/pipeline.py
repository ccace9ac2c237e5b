"""load -> context -> rules -> findings: the one path every front end uses.

``reviewkit check``, the TUI, the hooks and ``compare`` all call
:func:`review`, so they report the same findings for the same input.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewkit.config import Config
from reviewkit.engine import run as engine
from reviewkit.errors import InputError, UsageError
from reviewkit.load.series import Series, load, load_git_range
from reviewkit.model import Finding
from reviewkit.views.context import ReviewContext


@dataclass
class Review:
    """The outcome of one review run."""

    series: Series
    context: ReviewContext
    findings: list[Finding]
    stats: dict[str, Any] = field(default_factory=dict)


def load_series(path: str | None, git_range: str | None = None) -> Series:
    if git_range:
        return load_git_range(git_range)
    if not path:
        raise UsageError("check: give a series (mbox, .patch, directory or -) or --git RANGE")
    return load(path)


def read_baseline(path: str | None) -> set[str]:
    """Fingerprints recorded in a baseline file (missing file: empty)."""
    if not path:
        return set()
    import json

    p = Path(path)
    if not p.exists():
        return set()
    try:
        data = json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable baseline: {exc}") from None
    entries = data.get("findings", []) if isinstance(data, dict) else []
    return {e["fingerprint"] for e in entries if isinstance(e, dict) and "fingerprint" in e}


DEFAULT_BASELINE = ".reviewkit-baseline.json"
"""Where the TUI's dismissals go by default; read by default too, so a dismissal sticks."""


def baseline_path(given: str | None, config: Config | None = None) -> str | None:
    """``--baseline``, else the configuration's, else ./.reviewkit-baseline.json when it exists."""
    chosen = given or (config.baseline if config is not None else None)
    if chosen:
        return chosen
    return DEFAULT_BASELINE if Path(DEFAULT_BASELINE).is_file() else None


def review(
    series: Series,
    config: Config | None = None,
    *,
    tree: str | None = None,
    report_all: bool = False,
    rules: list[str] | None = None,
    baseline: str | None = None,
    warn: Any = None,
    progress: Any = None,
) -> Review:
    """Run every enabled rule over ``series``."""
    started = time.perf_counter()
    config = config or Config()
    if tree is not None and not Path(tree).is_dir():
        raise InputError(f"--tree {tree}: not a directory")
    ctx = engine.build_context(series, config, tree=tree, report_all=report_all)
    all_rules = engine.discover(warn)
    if rules:
        known = {r.id for r in all_rules}
        unknown = [r for r in rules if r not in known]
        if unknown:
            raise UsageError(f"unknown rule(s): {', '.join(unknown)} (see 'reviewkit rules')")
        all_rules = [r for r in all_rules if r.id in rules]
    findings = engine.run(ctx, all_rules, baseline=read_baseline(baseline_path(baseline, config)), progress=progress)
    stats = {
        "patches": len(series.patches),
        "files": len({fv.path for _pc, fv in ctx.files()}),
        "functions": sum(1 for _ in ctx.functions()),
        "mode": "tree" if tree else "fragment",
        **ctx.stats,
        "seconds": round(time.perf_counter() - started, 4),
    }
    return Review(series, ctx, findings, stats)
