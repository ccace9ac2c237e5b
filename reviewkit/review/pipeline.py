"""load -> context -> rules -> findings: the one path every front end uses.

``reviewkit check``, the TUI, the hooks and ``compare`` all call
:func:`review`, so they report the same findings for the same input.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewkit.config import Config
from reviewkit.engine import run as engine
from reviewkit.engine.registry import discover
from reviewkit.errors import InputError, UsageError
from reviewkit.load.series import Series, load, load_git_range
from reviewkit.model import Finding
from reviewkit.review import suppress
from reviewkit.views.build import build_context
from reviewkit.views.context import ReviewContext
from reviewkit.views.repo import PreImages
from reviewkit.words import noun


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
    from reviewkit.io import read_bounded
    from reviewkit.review.baseline import MAX_BYTES

    try:
        data = json.loads(read_bounded(p, MAX_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
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


FULL_COLLECTION_EVERY = 1000
"""Young collections between two looks at the whole heap while the rules run (CPython's default: 10)."""


@contextmanager
def long_lived_heap() -> Iterator[None]:
    """The cycle collector looks at the whole heap less often while a series is reviewed.

    What the rules build for a series (graphs, lock results, the views' parses) lives until the review
    ends, so each full collection walks a heap that keeps growing and frees next to nothing: on 10,000
    one-hunk patches 18 of them took 9 s of 36 s, and the peak RSS was the same without them.  Young
    garbage is still collected as before, and a full collection still comes (every 7 million or so
    allocations), so memory stays bounded.  :func:`review` holds it while the rules run and their
    findings are filtered; ``check`` from reading the series to writing the report (a full collection
    held off until the rules end falls on the next step otherwise).  ``scan`` keeps the default: each
    file's graphs are garbage once its rules are done, and there the full collections give the memory
    back.
    """
    young, middle, old = gc.get_threshold()
    mine = (young, middle, max(old, FULL_COLLECTION_EVERY))
    gc.set_threshold(*mine)
    try:
        yield
    finally:
        if gc.get_threshold() == mine:  # (unless someone else took the collector over meanwhile: theirs)
            gc.set_threshold(young, middle, old)


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
    repo: str | None = None,
    budget: float = 0.0,
) -> Review:
    """Run every enabled rule over ``series``.

    ``repo``: a directory in the user's git checkout (front ends pass the
    cwd).  Each file's context then comes from that repository (the patch's
    blob, the b4 base-commit, HEAD; :mod:`reviewkit.views.repo`), so every
    front end run in the same checkout gives the same findings; ``warn``
    gets one note per file saying which source was used.
    """
    started = time.perf_counter()
    config = config or Config()
    if tree is not None and not Path(tree).is_dir():
        raise InputError(f"--tree {tree}: not a directory")
    pre = PreImages.for_run(series, tree=tree, repo=repo) if tree is not None or repo is not None else None
    ctx = build_context(series, config, tree=tree, report_all=report_all, preimages=pre)
    if pre is not None and warn is not None:
        for note in pre.notes():
            warn(note)
    if ctx.notes:  # the series as reviewed: its warnings plus the tree-mode notes (the input is not edited)
        series = dataclasses.replace(series, warnings=[*series.warnings, *ctx.notes])
    all_rules = discover(warn)
    if rules:
        known = {r.id for r in all_rules}
        unknown = [r for r in rules if r not in known]
        if unknown:
            raise UsageError(f"unknown {noun(len(unknown), 'rule')}: {', '.join(unknown)} (see 'reviewkit rules')")
        all_rules = [r for r in all_rules if r.id in rules]
    with long_lived_heap():
        findings = engine.run(
            ctx, all_rules, baseline=read_baseline(baseline_path(baseline, config)), progress=progress, budget=budget
        )
        findings, suppressed = suppress.apply(ctx, findings, {r.id for r in discover()}, warn)
    stats = {
        "patches": len(series.patches),
        "files": len({fv.path for _pc, fv in ctx.files()}),
        "functions": sum(1 for _ in ctx.functions()),
        "mode": "tree" if tree or (pre is not None and any(fv.tree_mode for _pc, fv in ctx.files())) else "fragment",
        **({"context": dict(pre.sources)} if pre is not None else {}),
        **ctx.stats,
        **suppressed,
        "seconds": round(time.perf_counter() - started, 4),
    }
    return Review(series, ctx, findings, stats)
