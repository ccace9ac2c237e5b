"""Review a patch series: an mbox, .patch files, a directory, stdin or a git range."""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from reviewkit.model import Finding

if TYPE_CHECKING:
    from reviewkit.config import Config
    from reviewkit.model import Severity

NAME = "check"
HELP = "review a patch series (mbox, .patch, directory, -, or --git RANGE)"
PAGES = True
"""On a terminal the report goes through the pager, as ``git log`` does."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("series", nargs="?", help="mbox, .patch/.eml file, directory of .patch files, or - for stdin")
    p.add_argument("--git", metavar="RANGE", help="review a commit range of the current repository")
    p.add_argument("--tree", metavar="DIR", help="kernel tree to apply the series to (never modified)")
    p.add_argument(
        "--no-repo",
        action="store_true",
        help="do not read pre-images from the git repository of the current directory (fragment mode)",
    )
    p.add_argument("--format", "-f", default="text", metavar="FORMAT", help=_format_help())
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (atomically)")
    p.add_argument("--fail-on", metavar="LEVEL", help="exit 1 at or above: error (default), warning, info")
    p.add_argument("--all", action="store_true", help="also report what the series did not introduce")
    # scan's name (--rule) works here too, and both repeat: one vocabulary across commands
    p.add_argument(
        "--select", "--rule", action="append", metavar="RULES", help="only these rule ids (comma-separated, repeatable)"
    )
    p.add_argument(
        "--ignore", action="append", metavar="RULES", help="skip these rule ids (comma-separated, repeatable)"
    )
    p.add_argument("--baseline", metavar="FILE", help="do not report findings recorded in FILE")
    p.add_argument("--no-fix", action="store_true", help="do not print suggested diffs")
    p.add_argument(
        "--fix-dir", metavar="DIR", help="write each verified suggested fix to DIR as an applicable -p1 .diff"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time budget of each rule on the series (default 60; 0: none); an overrun is a note",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="say where the configuration came from")
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
    p.add_argument(
        "--terse", action="store_true", help="one line per finding, nothing else (text, checkpatch, github formats)"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="checkpatch and b4-review formats: also print info findings (as CHECK), as checkpatch --strict does",
    )
    p.add_argument("--emacs", action="store_true", help="emacs compile-mode file:line form (checkpatch format)")
    p.add_argument("--showfile", action="store_true", help="file:line instead of patch lines (checkpatch format)")
    p.add_argument("--no-summary", action="store_true", help="no total line (checkpatch format)")


class _FormatHelp(str):
    """``--format``'s help, listing every reporter, computed only when help is shown.

    argparse expands a help string with ``help % params`` just before
    printing it; importing every reporter to build the parser would cost
    each run (hooks, b4 checks) ~60 ms for a text nobody reads.
    """

    def __mod__(self, params: object) -> str:
        from reviewkit.report import formats

        names = sorted(n for n in formats() if n != "text")
        return "report format: text (default), " + ", ".join(names)


def _format_help() -> str:
    return _FormatHelp("report format: text (default), json, checkpatch, ... (see 'reviewkit help formats')")


def _terse_ok(reporter: object, name: str, formats: Mapping[str, object]) -> None:
    """``--terse`` is for the line-per-finding formats; a structured one refuses it in one line."""
    from reviewkit.errors import UsageError

    if not getattr(reporter, "TERSE", False):
        takes = ", ".join(sorted(n for n, m in formats.items() if getattr(m, "TERSE", False)))
        raise UsageError(f"--terse: --format {name} has no one-line form (it does for: {takes})")


def run(args: argparse.Namespace) -> int:
    from reviewkit.commands._options import configured, joined
    from reviewkit.config import parse_level
    from reviewkit.errors import UsageError
    from reviewkit.io import refuse_clobber
    from reviewkit.report import formats
    from reviewkit.report import reporter as find_reporter
    from reviewkit.review.pipeline import long_lived_heap

    reporter = find_reporter(args.format)
    if reporter is None:
        from reviewkit.cli import did_you_mean

        reporters = formats()
        hint = did_you_mean(args.format, sorted(reporters)) or f" (one of: {', '.join(sorted(reporters))})"
        raise UsageError(f"unknown --format {args.format!r}{hint}")
    if args.terse:
        _terse_ok(reporter, args.format, formats())
    config = configured(joined(args.select), joined(args.ignore), verbose=args.verbose)
    fail_on = parse_level(args.fail_on) if args.fail_on else config.fail_on
    machine = args.format != "text" or args.terse
    refuse_clobber(args.output, [args.series, args.baseline, config.baseline])
    if args.fix_dir:
        _check_fix_dir(args.fix_dir, [args.series, args.output])
    with long_lived_heap():  # (the whole command: its heap lives until it exits)
        findings = _checked(args, config, reporter, fail_on, machine)
    worst = max((f.severity.rank for f in findings), default=0)
    return 1 if worst >= fail_on.rank else 0


def _checked(
    args: argparse.Namespace, config: Config, reporter: ModuleType, fail_on: Severity, machine: bool
) -> list[Finding]:
    """Read, review and report the series; the findings the exit status is decided on."""
    from reviewkit.commands._options import config_stats
    from reviewkit.errors import UsageError
    from reviewkit.io import write_atomic
    from reviewkit.report import Result
    from reviewkit.report.text import escape_controls
    from reviewkit.review.pipeline import load_series, review

    notes: list[str] = []
    series = load_series(args.series, args.git)
    if args.timeout < 0:
        raise UsageError(f"--timeout {args.timeout:g}: must be 0 (no budget) or more")
    result = review(
        series,
        config,
        tree=args.tree,
        report_all=args.all,
        baseline=args.baseline,
        warn=notes.append,
        repo=None if args.no_repo else ".",
        budget=args.timeout,
    )
    notes.extend(result.stats.get("rule_skipped", []))
    result.stats["config"] = config_stats(config)
    findings = result.findings
    if getattr(reporter, "STRICT_CHECKS", False) and not args.strict:
        # checkpatch prints CHECK only with --strict; what is not printed does not fail the run either
        findings = [f for f in findings if f.severity.value != "info"]
    options = {k: getattr(args, k) for k in ("terse", "emacs", "showfile", "no_summary", "quiet", "no_fix", "strict")}
    options["fail_on"] = fail_on
    options["color"] = bool(getattr(args, "color_enabled", False)) and not args.output
    options["reply"] = {"severity": args.reply_severity, "nits": args.reply_nits, "raised": args.reply_raised}
    text = reporter.render(Result(result.series, findings, result.stats, options))
    if args.fix_dir:
        write_fix_files(args.fix_dir, result.findings)
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    if not args.quiet and not machine:
        for note in result.series.warnings + notes:
            print(f"reviewkit: note: {escape_controls(note)}", file=sys.stderr)
    for error in result.stats.get("rule_errors", []):
        # a crash inside a rule is reported even in machine formats: its findings are missing
        print(f"reviewkit: internal error: {error} (other rules ran; please report)", file=sys.stderr)
    return findings


FIX_NAME_BYTES = 200
"""A fix file's name stays under NAME_MAX (255) whatever the finding's path."""


def fix_file_name(n: int, f: Finding) -> str:
    """``NNNN-<rule>-<path>-<line>.diff``, the path part shortened (with a hash) to fit a file name."""
    import hashlib

    flat = f.file.replace("/", "-")
    name = f"{n:04d}-{f.rule}-{flat}-{f.line}.diff"
    if len(name.encode("utf-8", "surrogateescape")) <= FIX_NAME_BYTES:
        return name
    digest = hashlib.blake2b(f.file.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()
    keep = flat.encode("utf-8", "surrogateescape")[-(FIX_NAME_BYTES - 80) :].decode("utf-8", "ignore")
    return f"{n:04d}-{f.rule}-{digest}-{keep}-{f.line}.diff"


_OURS = re.compile(r"^\d{4}-[a-z0-9-]+-.*\.diff$")


def write_fix_files(folder: str, findings: list[Finding]) -> list[str]:
    """One ``NNNN-<rule>-<path>-<line>.diff`` per verified fix (paths relative to the tree, -p1).

    Fix files of an earlier run (the same naming) are removed first, so the
    folder holds exactly this run's fixes; nothing else in it is touched.
    """
    from reviewkit.io import write_atomic

    target_dir = Path(folder)
    fixes = [f for f in findings if f.fix is not None and f.fix.verified and f.fix.diff.strip()]
    names = {fix_file_name(n, f) for n, f in enumerate(fixes, 1)}
    if target_dir.is_dir():
        for old in target_dir.iterdir():
            if _OURS.match(old.name) and old.name not in names and old.is_file() and not old.is_symlink():
                with contextlib.suppress(OSError):
                    old.unlink()
    written = []
    for n, f in enumerate(fixes, 1):
        assert f.fix is not None
        target = target_dir / fix_file_name(n, f)
        write_atomic(target, f.fix.diff if f.fix.diff.endswith("\n") else f.fix.diff + "\n")
        written.append(str(target))
    return written


def _check_fix_dir(folder: str, inputs: list[str | None]) -> None:
    from reviewkit.errors import UsageError

    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise UsageError(f"--fix-dir {folder}: not a directory")
    for item in inputs:
        if item and item != "-" and Path(item).exists() and Path(item).resolve() == p.resolve():
            raise UsageError(f"--fix-dir {folder}: is an input or the report; give a folder of its own")
