"""Run the rules over whole C files without a patch (audits, baselines, benchmarks).

Files are analysed in parallel (``-j``, default one process per core) and,
in the text format, findings are printed as each file completes, so output
order follows completion order.  JSON and SARIF are written once, sorted.
Results are cached under ``$XDG_CACHE_HOME/reviewkit``: a re-scan of an
unchanged tree replays them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

NAME = "scan"
HELP = "run rules over whole C files or directories, no patch needed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="DIR", help="C files or directories")
    # check's names (--select/--ignore) work here too: one vocabulary across commands, as git keeps.
    p.add_argument(
        "--rule", "--select", action="append", dest="rule", help="only this rule (repeatable, or comma-separated)"
    )
    p.add_argument("--ignore", action="append", help="skip this rule (repeatable, or comma-separated)")
    p.add_argument("--format", "-f", default="text", help="text (default), json, sarif, ...")
    p.add_argument("--parse-stats", action="store_true", help="print parse statistics instead of findings")
    p.add_argument("-j", "--jobs", type=int, default=0, help="parallel processes (default: one per core)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="budget per rule and file")
    p.add_argument(
        "--executor",
        default="local",
        help="local (default), serial, dask (the [dask] extra), or a reviewkit.executors plugin",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --executor dask: a running scheduler (tcp://host:8786); default: local",
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (atomically, not streamed)")
    p.add_argument("--fail-on", metavar="LEVEL", help="exit 1 at or above: error (default), warning, info")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no notes on stderr")


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled and total > 1
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, done: int, findings: int, cached: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.1 and done < self.total):
            return
        self.last = now
        width = 30
        fill = width * done // max(self.total, 1)
        bar = "#" * fill + "." * (width - fill)
        self.stream.write(
            f"\r\x1b[K[{bar}] {done}/{self.total} files, {findings} findings, {cached} cached,"
            f" {now - self.started:.1f} s"
        )
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _parse_stats(args: argparse.Namespace) -> int:
    from reviewkit.cparse.stats import parse_stats

    per_path = parse_stats(args.paths)
    # the totals first ({"files", "functions", "clean_functions", ...}), then each path
    totals: dict[str, object] = {}
    for entry in per_path.values():
        for key, value in entry.items():
            totals[key] = round(totals.get(key, 0) + value, 3)  # type: ignore[operator]
    doc = {**totals, "paths": per_path}
    if args.format == "json":
        print(json.dumps(doc))
    else:
        for path, entry in per_path.items():
            share = entry["clean_brace_functions"] / entry["denominator"] if entry.get("denominator") else 0.0
            print(
                f"{path}: {entry['files']} files, {entry['functions']} functions, "
                f"{entry['clean_functions']} clean ({share:.1%} of {entry['denominator']} bodies)"
            )
    return 0


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reviewkit.errors import InputError, UsageError

    for p in args.paths:
        if not Path(p).exists():
            raise InputError(f"{p}: no such file or directory")
    if args.parse_stats:
        return _parse_stats(args)
    from reviewkit.config import check_rule_ids, find_config, parse_level
    from reviewkit.engine import run as engine
    from reviewkit.engine.executor import default_jobs
    from reviewkit.engine.scan import DEFAULT_TIMEOUT, c_files, scan
    from reviewkit.model import Finding
    from reviewkit.report import Result, formats, plural, reporter
    from reviewkit.review.suppress import apply_to_files

    chosen = reporter(args.format)
    if chosen is None:
        reporters = formats()
        raise UsageError(f"unknown --format {args.format!r} (one of: {', '.join(sorted(reporters))})")
    if args.jobs < 0:
        raise UsageError(f"-j {args.jobs}: must be 0 (one per core) or more")
    config = find_config()
    fail_on = parse_level(args.fail_on) if args.fail_on else config.fail_on
    rules = engine.discover()
    known = {r.id for r in rules}
    wanted = [r.strip() for spec in (args.rule or []) for r in spec.split(",") if r.strip()]
    skipped = [r.strip() for spec in (args.ignore or []) for r in spec.split(",") if r.strip()]
    check_rule_ids(config, [r.id for r in rules], select=wanted or None, ignore=skipped)
    rules = [r for r in rules if r.id not in skipped]
    if wanted:
        rules = [r for r in rules if r.id in wanted]
    else:
        # rules about what a series changes (SERIES_ONLY) would report every
        # pre-existing instance in a whole-file audit: run them only when asked
        rules = [r for r in rules if not getattr(r.module, "SERIES_ONLY", False)]
    rules = [r for r in rules if config.rule_enabled(r.id)]
    files = [str(p) for p in c_files(args.paths) if not config.path_skipped(str(p))]
    if args.output:
        from reviewkit.io import refuse_clobber

        refuse_clobber(args.output, files, "scan: --output")
    started = time.perf_counter()
    progress = Progress(len(files), sys.stderr, not args.quiet and sys.stderr.isatty())
    stream = args.format == "text" and not args.output
    colour = {"color": bool(getattr(args, "color_enabled", False))}
    text = chosen  # the reporter module
    kept: list[Finding] = []
    counts = {"files": 0, "cached": 0, "findings": 0, "skipped": 0}
    worst = 0
    notes: list[str] = []
    stats: dict[str, int] = {}
    suppressions: list[dict[str, object]] = []
    try:
        for res in scan(
            args.paths,
            rules,
            config,
            jobs=args.jobs or default_jobs(),
            executor=args.executor,
            scheduler=args.scheduler,
            use_cache=not args.no_cache,
            timeout=DEFAULT_TIMEOUT if args.timeout is None else args.timeout,
            files=files,
        ):
            # the same per-line comments check honours (cached results too: the comment is in the file)
            found, silenced = apply_to_files(res.findings, known, warn=notes.append)
            suppressions.extend(silenced["suppressions"])
            counts["files"] += 1
            counts["cached"] += res.cached
            counts["findings"] += len(found)
            counts["skipped"] += bool(res.notes)
            for key, value in res.stats.items():
                stats[key] = stats.get(key, 0) + value
            worst = max([worst, *(f.severity.rank for f in found)])
            notes.extend(res.notes)
            if stream and found:
                progress.clear()
                body = text.render(Result(None, found, {}, colour)).rstrip("\n").split("\n")[:-1]
                sys.stdout.write("\n".join(body) + "\n")
                sys.stdout.flush()
            elif not stream:
                kept.extend(found)
            progress.update(counts["files"], counts["findings"], counts["cached"])
    finally:
        progress.clear()
    seconds = round(time.perf_counter() - started, 3)
    if stream:
        quiet = f" ({len(suppressions)} suppressed by comments)" if suppressions else ""
        print(
            f"reviewkit: scanned {plural(counts['files'], 'file')} ({counts['cached']} cached, {counts['skipped']} with"
            f" skipped rules) in {seconds} s: {plural(counts['findings'], 'finding')}{quiet}"
        )
    else:
        kept.sort(key=Finding.sort_key)
        summary = {**counts, **stats, "suppressed": len(suppressions), "suppressions": suppressions, "seconds": seconds}
        report = text.render(Result(None, kept, summary, {} if args.output else colour))
        if args.output:
            from reviewkit.io import write_atomic

            write_atomic(args.output, report)
        else:
            sys.stdout.write(report)
    if not args.quiet:
        for note in notes:
            print(f"reviewkit: note: {note}", file=sys.stderr)
    return 1 if worst >= fail_on.rank else 0
