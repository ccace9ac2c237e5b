"""Explain a rule or a line.

``reviewkit explain RULE`` prints a rule's full documentation.
``reviewkit explain FILE:LINE SERIES`` reviews SERIES and answers for one
post-image line: the findings on it, and what each rule that can reason
about the line has to say (e.g. "do we need to uncharge here?" for a
``folio_put()``: the charge, the put, and why no uncharge is needed).
"""

from __future__ import annotations

import argparse
import re

NAME = "explain"
HELP = "show a rule's documentation, or explain FILE:LINE of a series"

_LOCATION_RE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+)$")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", help="a rule id (lock-balance) or FILE:LINE of the series' post-image")
    p.add_argument("series", nargs="?", help="the series, for FILE:LINE (mbox, .patch, directory or -)")
    p.add_argument("--tree", metavar="DIR", help="kernel tree to apply the series to (never modified)")


def run(args: argparse.Namespace) -> int:
    from reviewkit.engine.run import find_rule
    from reviewkit.errors import UsageError

    loc = _LOCATION_RE.match(args.what)
    if loc is not None and find_rule(args.what) is None:
        if not args.series:
            raise UsageError(f"explain {args.what}: give the series too (explain FILE:LINE SERIES)")
        return _explain_line(loc.group("file"), int(loc.group("line")), args.series, args.tree)
    rule = find_rule(args.what)
    if rule is None:
        raise UsageError(f"explain: unknown rule {args.what!r} (see 'reviewkit rules')")
    print(f"{rule.id} ({rule.severity.value}, {rule.source})\n")
    print(rule.doc.strip())
    return 0


def _explain_line(file: str, line: int, series_path: str, tree: str | None) -> int:
    from reviewkit.config import find_config
    from reviewkit.engine.run import discover
    from reviewkit.errors import InputError
    from reviewkit.review.pipeline import load_series, review

    series = load_series(series_path)
    result = review(series, find_config(), tree=tree, repo=".")
    ctx = result.context
    if not any(fv.path == file for _pc, fv in ctx.files()):
        raise InputError(f"explain: {file} is not touched by {series_path}")
    said = False
    for f in result.findings:
        if f.file == file and f.line == line:
            print(f"{f.file}:{f.line}: {f.severity.value}: [{f.rule}] {f.message}")
            said = True
    for rule in discover():
        hook = getattr(rule.module, "explain", None)
        if not callable(hook) or not ctx.config.rule_enabled(rule.id):
            continue
        lines = hook(ctx, file, line)
        if lines:
            if said:
                print()
            print(f"[{rule.id}]")
            print("\n".join(lines))
            said = True
    if not said:
        print(f"{file}:{line}: no finding, and no rule has anything to say about this line")
    return 0
