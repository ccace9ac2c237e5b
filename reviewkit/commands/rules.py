"""List every rule with its id, default severity, source and summary."""

from __future__ import annotations

import argparse
import json
import sys

NAME = "rules"
PAGES = True
"""A report for a person: paged on a terminal, as git pages its output."""
HELP = "list the rules (id, severity, source, summary)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", "-f", default="text", choices=("text", "json"))


def run(args: argparse.Namespace) -> int:
    from reviewkit.engine.registry import discover

    notes: list[str] = []
    rules = discover(notes.append)
    if args.format == "json":
        doc = [
            {"id": r.id, "severity": r.severity.value, "source": r.source, "title": r.title, "doc": r.doc.strip()}
            for r in rules
        ]
        print(json.dumps(doc, indent=2))
    else:
        width = max((len(r.id) for r in rules), default=10)
        for r in rules:
            print(f"{r.id:<{width}}  {r.severity.value:<7}  {r.source:<8}  {r.title}")
    for note in notes:
        print(f"reviewkit: warning: {note}", file=sys.stderr)
    return 0
