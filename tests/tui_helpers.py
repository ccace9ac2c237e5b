"""Shared set-up of the TUI tests: the synthetic series and a deterministic check."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from reviewkit.tui.app import Options, Progress, ReviewApp, pipeline_review

from reviewkit.config import Config
from reviewkit.fixes.diff import fix_from_diff
from reviewkit.model import Applicability, Finding, PathStep, Severity
from reviewkit.review.pipeline import load_series

DATA = Path(__file__).resolve().parent / "data" / "tui"
FROB = DATA / "frob-v2.mbox"
SIZE = (160, 48)

LOCK_DOC = """Lock taken in a function is still held on a return path (test rule).

## What it does
Reports a return reached with a lock the function took still held.

## Why is this bad?
The next caller deadlocks; reviewers ask for the unlock on every path.
"""

LOCK_FIX = (
    "--- a/mm/frob.c\n+++ b/mm/frob.c\n@@ -76,7 +76,7 @@\n"
    " \t\tkmem_cache_free(frob_slab, frob);\n \t\tfreed++;\n \t}\n"
    "-\tspin_unlock(&cache->lock);\n+\tspin_unlock(&cache->lock); /* demo */\n"
    " \n \tcount_vm_events(FROB_SCAN, freed);\n \treturn freed;\n"
)


def lock_finding(series_patch: Any) -> Finding:
    """An error with a path and a fix on patch 2/3, as a flow rule would report it."""
    return Finding(
        rule="demo-lock",
        severity=Severity.ERROR,
        message="`spin_lock(&cache->lock)` at 73 is still held when returning at 81",
        file="mm/frob.c",
        line=73,
        function="frob_scan",
        patch=series_patch.position,
        patch_index=series_patch.index,
        patch_subject=series_patch.subject.title,
        rationale=LOCK_DOC,
        fix=fix_from_diff("Release the lock before returning", LOCK_FIX, Applicability.UNSAFE, True),
        path=[PathStep(73, "spin_lock(&cache->lock)"), PathStep(81, "return with the lock held")],
        snippet="\tspin_lock(&cache->lock);",
    )


def frob_review(options: Options, progress: Progress) -> list[Finding]:
    """The real check restricted to whitespace-noise, plus one synthetic lock finding."""
    options.config = Config(select=["whitespace-noise"])
    found = pipeline_review(options, progress)
    found.append(lock_finding(options.series.patches[1]))
    return sorted(found, key=Finding.sort_key)


BLANK_DOC = """Blank line added next to unchanged code (test rule).

## What it does
Reports an added blank line between two unchanged lines.

## Why is this bad?
Noise in a diff costs every reviewer time.
"""

BLANK_FIX = (
    "--- a/mm/frob.c\n+++ b/mm/frob.c\n@@ -50,7 +50,6 @@\n"
    " \tif (frob_cache_put(frob))\n \t\treturn;\n \tkmem_cache_free(frob_slab, frob);\n-\n }\n \n"
    " static unsigned long frob_count(struct shrinker *s, struct shrink_control *sc)\n"
)


def fixed_review(options: Options, progress: Progress) -> list[Finding]:
    """Hand-made findings only: what the snapshots show never depends on the rules' wording."""
    first = options.series.patches[0]
    blank = Finding(
        rule="demo-blank",
        severity=Severity.WARNING,
        message="blank line added at 53 between unchanged lines",
        file="mm/frob.c",
        line=53,
        function="frob_free",
        patch=first.position,
        patch_index=first.index,
        patch_subject=first.subject.title,
        rationale=BLANK_DOC,
        fix=fix_from_diff("Drop the unrelated blank line", BLANK_FIX, Applicability.SAFE, True),
    )
    return [blank, lock_finding(options.series.patches[1])]


def make_app(path: Path = FROB, review_fn: Any = frob_review, **opts: Any) -> ReviewApp:
    series = load_series(str(path))
    config = opts.pop("config", Config())
    return ReviewApp(Options(series, config, **opts), review_fn)


async def settle(pilot: Any, *, on_cover: bool = False) -> None:
    """Wait for the check worker and the messages it triggers.

    The app opens on the cover letter (0/N) when there is one; most tests start
    from patch 1/N, so unless ``on_cover`` they step past it as a user would (n).
    """
    # the check starts after the first frame (call_after_refresh): wait until it has run, not only for
    # the workers running now, which on a loaded machine may not include it yet
    for _ in range(500):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if getattr(pilot.app, "session", None) is not None:
            break
    await pilot.pause()
    if not on_cover and pilot.app.position < 0:
        await pilot.press("n")
        await pilot.pause()


def pilot_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test without an async pytest plugin (fixtures still apply)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper
