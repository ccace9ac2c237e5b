"""Compare two versions of a series: which findings were resolved, which persist, which are new.

Patches are matched by patch-id (``git patch-id --stable``, computed without
git) and then by subject; findings by fingerprint, which ignores line
numbers, so a finding that only moved is reported as persisting.  Exit 1 when
the new version brings a new finding at or above ``--fail-on``.
"""

from __future__ import annotations

import argparse
import json
import sys

NAME = "compare"
PAGES = True
"""A report for a person: paged on a terminal, as git pages its output."""
HELP = "compare two versions of a series (resolved / persists / new findings)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="the earlier version (mbox, .patch, directory)")
    p.add_argument("new", help="the later version")
    p.add_argument("--tree", metavar="DIR", help="kernel tree for both reviews (never modified)")
    p.add_argument("--format", "-f", default="text", choices=("text", "json"))
    # scan's name (--rule) works here too, and both repeat: one vocabulary across commands
    p.add_argument(
        "--select", "--rule", action="append", metavar="RULES", help="only these rule ids (comma-separated, repeatable)"
    )
    p.add_argument(
        "--ignore", action="append", metavar="RULES", help="skip these rule ids (comma-separated, repeatable)"
    )
    p.add_argument("--fail-on", metavar="LEVEL", help="exit 1 for a new finding at or above this level")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (atomically)")


def run(args: argparse.Namespace) -> int:
    from reviewkit.commands._options import configured, joined
    from reviewkit.config import parse_level
    from reviewkit.io import refuse_clobber, write_atomic
    from reviewkit.review.compare import NEW, classify
    from reviewkit.review.pipeline import load_series, review

    config = configured(joined(args.select), joined(args.ignore))
    fail_on = parse_level(args.fail_on) if args.fail_on else config.fail_on
    refuse_clobber(args.output, [args.old, args.new])
    old = review(load_series(args.old), config, tree=args.tree, repo=".")
    new = review(load_series(args.new), config, tree=args.tree, repo=".")
    result = classify(old, new)
    text = _json(result) if args.format == "json" else _text(result)
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    worst = max((i.finding.severity.rank for i in result.items if i.status == NEW), default=0)
    return 1 if worst >= fail_on.rank else 0


def _json(result: object) -> str:
    from reviewkit.review.compare import NEW, PERSISTS, RESOLVED, Comparison

    assert isinstance(result, Comparison)
    doc = {
        "version": 1,
        "old": {"source": result.old.series.source, "version": result.old.series.version},
        "new": {"source": result.new.series.source, "version": result.new.series.version},
        "patches": [
            {
                "old": m.old.index if m.old else None,
                "new": m.new.index if m.new else None,
                "title": p.subject.title if (p := m.new or m.old) else "",
                "matched_by": m.how,
            }
            for m in result.matches
        ],
        "summary": {s: result.count(s) for s in (RESOLVED, PERSISTS, NEW)},
        "findings": [i.to_json() for i in result.items],
    }
    return json.dumps(doc, indent=2) + "\n"


def _text(result: object) -> str:
    from reviewkit.report import plural
    from reviewkit.review.compare import NEW, PERSISTS, RESOLVED, Comparison

    assert isinstance(result, Comparison)
    old_s, new_s = result.old.series, result.new.series

    old_n, new_n = plural(len(old_s.patches), "patch", "es"), plural(len(new_s.patches), "patch", "es")
    lines = [f"v{old_s.version} ({old_n}) -> v{new_s.version} ({new_n})"]
    for m in result.matches:
        if m.new is not None and m.old is not None:
            lines.append(
                f'  {m.new.index}/{m.new.total} "{m.new.subject.title}" <- v{m.old.version} {m.old.index} ({m.how})'
            )
        elif m.new is not None:
            lines.append(f'  {m.new.index}/{m.new.total} "{m.new.subject.title}": new patch')
        elif m.old is not None:
            lines.append(f'  v{m.old.version} {m.old.index} "{m.old.subject.title}": dropped')
    lines.append("")
    order = {RESOLVED: 0, PERSISTS: 1, NEW: 2}
    for item in sorted(result.items, key=lambda i: (order[i.status], i.finding.sort_key())):
        f = item.finding
        moved = f" (was {item.old.line})" if item.old is not None and item.old.line != f.line else ""
        lines.append(f"{item.status:<9} {f.file}:{f.line}{moved}: {f.severity.value}: [{f.rule}] {f.message}")
    lines.append("")
    lines.append(
        f"reviewkit compare: {result.count(RESOLVED)} resolved, {result.count(PERSISTS)} persist, "
        f"{result.count(NEW)} new"
    )
    return "\n".join(lines) + "\n"
