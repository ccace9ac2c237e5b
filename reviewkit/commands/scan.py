"""Run the rules over whole C files without a patch (audits, baselines, benchmarks)."""

from __future__ import annotations

import argparse
import json
import sys

NAME = "scan"
HELP = "run rules over whole C files or directories, no patch needed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="DIR", help="C files or directories")
    p.add_argument("--rule", action="append", help="only this rule (repeatable, or comma-separated)")
    p.add_argument("--format", "-f", default="text", help="text (default), json, sarif, ...")
    p.add_argument("--parse-stats", action="store_true", help="print parse statistics instead of findings")
    p.add_argument("-j", "--jobs", type=int, default=1, help="parallel processes")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reviewkit.errors import InputError

    for p in args.paths:
        if not Path(p).exists():
            raise InputError(f"{p}: no such file or directory")
    if args.parse_stats:
        from reviewkit.parsestats import parse_stats

        stats = parse_stats(args.paths)
        if args.format == "json":
            print(json.dumps(stats))
        else:
            for key, value in stats.items():
                print(f"{key}: {value}")
        return 0
    from reviewkit import engine
    from reviewkit.config import find_config
    from reviewkit.report import Result, formats
    from reviewkit.scan import scan_paths

    reporters = formats()
    if args.format not in reporters:
        from reviewkit.errors import UsageError

        raise UsageError(f"unknown --format {args.format!r}")
    config = find_config()
    rules = engine.discover()
    wanted = [r for spec in (args.rule or []) for r in spec.split(",") if r]
    if wanted:
        rules = [r for r in rules if r.id in wanted]
    findings = list(scan_paths(args.paths, rules, config))
    sys.stdout.write(reporters[args.format].render(Result(None, findings, {"files": 0}, {})))
    worst = max((f.severity.rank for f in findings), default=0)
    return 1 if worst >= config.fail_on.rank else 0
