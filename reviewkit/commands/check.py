"""Review a patch series: an mbox, .patch files, a directory, stdin or a git range."""

from __future__ import annotations

import argparse
import sys

from reviewkit.config import find_config
from reviewkit.model import Finding, Severity

NAME = "check"
HELP = "review a patch series (mbox, .patch, directory, -, or --git RANGE)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("series", nargs="?", help="mbox, .patch/.eml file, directory of .patch files, or - for stdin")
    p.add_argument("--git", metavar="RANGE", help="review a commit range of the current repository")
    p.add_argument("--tree", metavar="DIR", help="kernel tree to apply the series to (never modified)")
    p.add_argument("--format", "-f", default="text", help="text (default), json, sarif, ...")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (atomically)")
    p.add_argument("--fail-on", metavar="LEVEL", help="exit 1 at or above: error (default), warning, info")
    p.add_argument("--all", action="store_true", help="also report what the series did not introduce")
    p.add_argument("--select", metavar="RULES", help="comma-separated rule ids to run")
    p.add_argument("--ignore", metavar="RULES", help="comma-separated rule ids to skip")
    p.add_argument("--baseline", metavar="FILE", help="do not report findings recorded in FILE")
    p.add_argument("--no-fix", action="store_true", help="do not print suggested diffs")
    p.add_argument(
        "--fix-dir", metavar="DIR", help="write each verified suggested fix to DIR as an applicable -p1 .diff"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    p.add_argument(
        "--reply-severity",
        metavar="LEVEL",
        default="warning",
        help="reply format: findings at or above LEVEL get a comment under their lines, the rest are nits "
        "(default: warning)",
    )
    p.add_argument(
        "--reply-nits", choices=("group", "omit"), default="group", help="reply format: nits one line each at the end"
    )
    p.add_argument(
        "--reply-raised",
        choices=("omit", "mention"),
        default="omit",
        help="reply format: points the thread already made are left out, or said with 'As X said,'",
    )
    p.add_argument("--terse", action="store_true", help="one line per finding")
    p.add_argument("--emacs", action="store_true", help="emacs compile-mode file:line form (checkpatch format)")
    p.add_argument("--showfile", action="store_true", help="file:line instead of patch lines (checkpatch format)")
    p.add_argument("--no-summary", action="store_true", help="no total line (checkpatch format)")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def run(args: argparse.Namespace) -> int:
    from reviewkit.errors import UsageError
    from reviewkit.io import write_atomic
    from reviewkit.report import Result, formats
    from reviewkit.review.pipeline import load_series, review

    reporters = formats()
    if args.format not in reporters:
        raise UsageError(f"unknown --format {args.format!r} (one of: {', '.join(sorted(reporters))})")
    config = find_config()
    if args.select:
        config.select = _split(args.select)
    if args.ignore:
        config.ignore = config.ignore + _split(args.ignore)
    fail_on = Severity.parse(args.fail_on) if args.fail_on else config.fail_on
    machine = args.format != "text" or args.terse
    notes: list[str] = []
    series = load_series(args.series, args.git)
    result = review(series, config, tree=args.tree, report_all=args.all, baseline=args.baseline, warn=notes.append)
    options = {k: getattr(args, k) for k in ("terse", "emacs", "showfile", "no_summary", "quiet", "no_fix")}
    options["fail_on"] = fail_on
    options["reply"] = {"severity": args.reply_severity, "nits": args.reply_nits, "raised": args.reply_raised}
    if args.fix_dir:
        _write_fixes(args.fix_dir, result.findings)
    text = reporters[args.format].render(Result(series, result.findings, result.stats, options))
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    if not args.quiet and not machine:
        for note in series.warnings + notes:
            print(f"reviewkit: note: {note}", file=sys.stderr)
    for error in result.stats.get("rule_errors", []):
        # a crash inside a rule is reported even in machine formats: its findings are missing
        print(f"reviewkit: internal error: {error} (other rules ran; please report)", file=sys.stderr)
    worst = max((f.severity.rank for f in result.findings), default=0)
    return 1 if worst >= fail_on.rank else 0


def write_fix_files(folder: str, findings: list[Finding]) -> list[str]:
    """One ``NNNN-<rule>-<path>-<line>.diff`` per verified fix (paths relative to the tree, -p1)."""
    from pathlib import Path

    from reviewkit.io import write_atomic

    written = []
    fixes = [f for f in findings if f.fix is not None and f.fix.verified and f.fix.diff.strip()]
    for n, f in enumerate(fixes, 1):
        name = f"{n:04d}-{f.rule}-{f.file.replace('/', '-')}-{f.line}.diff"
        target = Path(folder) / name
        write_atomic(target, f.fix.diff if f.fix.diff.endswith("\n") else f.fix.diff + "\n")
        written.append(str(target))
    return written


def _write_fixes(folder: str, findings: list[Finding]) -> None:
    from pathlib import Path

    from reviewkit.errors import UsageError

    if Path(folder).exists() and not Path(folder).is_dir():
        raise UsageError(f"--fix-dir {folder}: not a directory")
    write_fix_files(folder, findings)
