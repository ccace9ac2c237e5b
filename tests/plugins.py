"""A throwaway third-party rule pack: a real dist-info with ``reviewkit.rules`` entry points.

Put the returned directory on sys.path (PYTHONPATH for a subprocess) and
importlib.metadata finds the distribution like any installed one.
"""

from __future__ import annotations

from pathlib import Path

DIST = "reviewkit-demo-rules"

RULE = '''"""Demo rule of a third-party pack: flags the first changed line of a multi-patch series.

## What it does
Reports the first added line of the first patch when the input is a
series of two or more patches; single patches are never reported.

## Why is this bad?
It is not: the rule exists to prove that plugins load and that
series-level checks run once per series.
"""

from reviewkit.api import Severity

ID = "demo-series"
SEVERITY = Severity.ERROR


def check(ctx):
    if ctx.series is None or len(ctx.series.patches) < 2:
        return
    for _pc, view in ctx.files():
        for line in view.post:
            if line.changed:
                yield ctx.finding(ID, SEVERITY, "series-level demo finding", view.path, line.number, patch=view.patch)
                return
'''


def make_plugin(site: Path, *, broken: bool = True) -> Path:
    """``site/`` holding package ``rk_demo_rules`` and its dist-info; returns ``site``."""
    pkg = site / "rk_demo_rules"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text('"""Demo rule pack."""\n')
    (pkg / "series_rule.py").write_text(RULE)
    info = site / "reviewkit_demo_rules-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: 0.1\n")
    entries = ["[reviewkit.rules]", "demo-series = rk_demo_rules.series_rule"]
    if broken:
        entries.append("broken = rk_demo_rules.does_not_exist")
    (info / "entry_points.txt").write_text("\n".join(entries) + "\n")
    (info / "RECORD").write_text("")
    return site
