"""Explain a rule (``reviewkit explain RULE``): its full documentation."""

from __future__ import annotations

import argparse

NAME = "explain"
HELP = "show a rule's documentation"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", help="a rule id, e.g. lock-balance")
    p.add_argument("series", nargs="?", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from reviewkit.engine import find_rule
    from reviewkit.errors import UsageError

    rule = find_rule(args.what)
    if rule is None:
        raise UsageError(f"explain: unknown rule {args.what!r} (see 'reviewkit rules')")
    print(f"{rule.id} ({rule.severity.value}, {rule.source})\n")
    print(rule.doc.strip())
    return 0
