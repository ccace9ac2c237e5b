"""Explain a rule or a line.

``reviewkit explain RULE`` prints a rule's full documentation, and how to
silence it on one line.  ``reviewkit explain FILE:LINE SERIES`` reviews
SERIES and answers for one post-image line: each finding on it as the
TUI's explain screen shows it (the message, the path that goes wrong, why
it matters, the suggested fix), and what each rule that can reason about
the line has to say (e.g. "do we need to uncharge here?" for a
``folio_put()``: the charge, the put, and why no uncharge is needed).
On a terminal the Markdown is rendered (and paged); into a pipe it is
printed as Markdown source.
"""

from __future__ import annotations

import argparse
import re

NAME = "explain"
HELP = "show a rule's documentation, or explain FILE:LINE of a series"
PAGES = True

_LOCATION_RE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+)$")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", help="a rule id (lock-balance) or FILE:LINE of the series' post-image")
    p.add_argument("series", nargs="?", help="the series, for FILE:LINE (mbox, .patch, directory or -)")
    p.add_argument("--tree", metavar="DIR", help="kernel tree to apply the series to (never modified)")


def run(args: argparse.Namespace) -> int:
    from reviewkit.engine.registry import find_rule
    from reviewkit.errors import UsageError

    loc = _LOCATION_RE.match(args.what)
    if loc is not None and find_rule(args.what) is None:
        if not args.series:
            raise UsageError(f"explain {args.what}: give the series too (explain FILE:LINE SERIES)")
        return _explain_line(loc.group("file"), int(loc.group("line")), args)
    rule = find_rule(args.what)
    if rule is None:
        from reviewkit.cli import did_you_mean
        from reviewkit.commands._options import known_rule_ids

        hint = did_you_mean(args.what, known_rule_ids()) or " (see 'reviewkit rules')"
        raise UsageError(f"explain: unknown rule {args.what!r}{hint}")
    from reviewkit.commands._markdown import show
    from reviewkit.review.suppress import how_to

    show(f"# {rule.id} ({rule.severity.value}, {rule.source})\n\n{rule.doc.strip()}\n\n{how_to(rule.id)}", args)
    return 0


def _explain_line(file: str, line: int, args: argparse.Namespace) -> int:
    from reviewkit.commands._markdown import show
    from reviewkit.config import find_config
    from reviewkit.engine.registry import discover
    from reviewkit.errors import InputError
    from reviewkit.report.explain import finding_markdown
    from reviewkit.review.pipeline import load_series, review

    series = load_series(args.series)
    result = review(series, find_config(), tree=args.tree, repo=".")
    ctx = result.context
    touched = sorted({fv.path for _pc, fv in ctx.files()})
    if file not in touched:
        from reviewkit.cli import did_you_mean

        raise InputError(f"explain: {file} is not touched by {args.series}{did_you_mean(file, touched)}")
    parts = [finding_markdown(f) for f in result.findings if f.file == file and f.line == line]
    for rule in discover():
        hook = getattr(rule.module, "explain", None)
        if not callable(hook) or not ctx.config.rule_enabled(rule.id):
            continue
        lines = hook(ctx, file, line)
        if lines:
            parts.append(f"## [{rule.id}]\n\n" + "\n".join(lines))
    if not parts:
        parts.append(f"{file}:{line}: no finding, and no rule has anything to say about this line")
    show("\n\n".join(parts), args)
    return 0
