"""Small rules for testing the scan/cache/prefilter machinery, independent of the real rules.

Each toy is a real rule module (``ID``, ``SEVERITY``, ``check``, optional
``TOKENS``/``SCOPE``) built with :func:`make`, so engine, scan workers and the
cache treat it exactly like a built-in rule.  ``SEEN`` records which
functions a rule actually analysed (only meaningful in-process, ``jobs=1``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from types import ModuleType

from reviewkit.api import Finding, ReviewContext, Severity
from reviewkit.engine import registry
from reviewkit.engine import run as engine

SEEN: dict[str, list[str]] = {}


def _calls_to(ctx: ReviewContext, rule_id: str, callee: str) -> Iterator[Finding]:
    """A finding on every line of a changed function that calls ``callee(``."""
    for fv in ctx.functions("post"):
        SEEN.setdefault(rule_id, []).append(fv.name)
        for row, text in enumerate(fv.text.split("\n")):
            real = fv.real_line_of_row(row)
            if f"{callee}(" in text and real is not None:
                yield ctx.finding(
                    rule_id,
                    Severity.WARNING,
                    f"`{callee}()` called at {real} in {fv.name}()",
                    fv.path,
                    real,
                    patch=fv.patch,
                    function=fv.name,
                )


def _module(name: str, **attrs: object) -> ModuleType:
    mod = ModuleType(f"{__name__}.{name}", f"Toy rule {name}.\n\n## What it does\nTesting only.\n")
    for key, value in attrs.items():
        setattr(mod, key, value)
    sys.modules[mod.__name__] = mod
    return mod


def _bad_check(ctx: ReviewContext) -> Iterator[Finding]:
    yield from _calls_to(ctx, "toy-bad", "toy_bad")


def _scoped_check(ctx: ReviewContext) -> Iterator[Finding]:
    yield from _calls_to(ctx, "toy-scoped", "toy_bad")


def _slow_check(ctx: ReviewContext) -> Iterator[Finding]:
    for fv in ctx.functions("post"):
        if "toy_slow(" in fv.text:
            while True:  # an analysis that never ends: the scan budget must stop it
                time.sleep(0.01)
    return
    yield


def _crash_check(ctx: ReviewContext) -> Iterator[Finding]:
    for fv in ctx.functions("post"):
        if "toy_crash(" in fv.text:
            raise ValueError("toy rule crashed")
    return
    yield


BAD = _module("bad", ID="toy-bad", SEVERITY=Severity.WARNING, TOKENS=("toy_bad",), check=_bad_check)
SCOPED = _module(
    "scoped", ID="toy-scoped", SEVERITY=Severity.WARNING, TOKENS=("toy_bad",), SCOPE="function", check=_scoped_check
)
SLOW = _module("slow", ID="toy-slow", SEVERITY=Severity.ERROR, check=_slow_check)
CRASH = _module("crash", ID="toy-crash", SEVERITY=Severity.ERROR, check=_crash_check)


def make(*mods: ModuleType) -> list[engine.Rule]:
    """Rule records for toy modules, as engine.discover() would build them."""
    out = []
    for mod in mods:
        rule = registry.rule_from_module(mod, "builtin")
        assert rule is not None
        out.append(rule)
    return out
