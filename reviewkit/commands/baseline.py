"""Record findings as accepted or dismissed, so later runs stop reporting them.

``reviewkit baseline write SERIES`` reviews the series and records every
finding in the baseline file (default: the configured ``baseline`` or
``.reviewkit-baseline.json``); ``reviewkit check --baseline FILE`` then
reports only what is not in it.  Entries match by a rebase-stable
fingerprint (rule, file, function, normalised code), not by line number.
"""

from __future__ import annotations

import argparse
import sys

from reviewkit.model import function_phrase

_FILE_HELP = "baseline file (default: the configured one, else .reviewkit-baseline.json)"
NAME = "baseline"
HELP = "record findings as accepted/dismissed (write, list, remove)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    w = sub.add_parser("write", help="review a series and record its findings")
    w.add_argument("series", nargs="?", help="mbox, .patch file, directory or - for stdin")
    w.add_argument("--git", metavar="RANGE", help="review a commit range of the current repository")
    w.add_argument("--tree", metavar="DIR", help="kernel tree to apply the series to (never modified)")
    w.add_argument("--status", choices=("dismissed", "accepted"), default="accepted")
    w.add_argument("--reason", default="", help="why these findings are recorded (kept in the file)")
    w.add_argument("--replace", action="store_true", help="drop entries that are not findings of this run")
    for q in (w, sub.add_parser("list", help="print the recorded findings")):
        q.add_argument("--baseline", "-b", metavar="FILE", help=_FILE_HELP)
    r = sub.add_parser("remove", help="forget one recorded finding")
    r.add_argument("fingerprint")
    r.add_argument("--baseline", "-b", metavar="FILE", help=_FILE_HELP)


def _path(args: argparse.Namespace) -> str:
    from reviewkit.config import find_config
    from reviewkit.review.baseline import DEFAULT_PATH

    return args.baseline or find_config().baseline or DEFAULT_PATH


def run(args: argparse.Namespace) -> int:
    from reviewkit.errors import UsageError
    from reviewkit.review import baseline

    if args.action is None:
        raise UsageError("baseline: give an action: write, list or remove")
    path = _path(args)
    if args.action == "list":
        for e in baseline.load(path):
            where = f"{e.file}" + (f" {function_phrase(e.function)}" if e.function else "")
            reason = f": {e.reason}" if e.reason else ""
            print(f"{e.fingerprint}  {e.status:<9}  {e.rule}  {where}{reason}")
        return 0
    if args.action == "remove":
        if not baseline.remove_entry(path, args.fingerprint):
            raise UsageError(f"baseline remove: {args.fingerprint} is not in {path}")
        print(f"reviewkit: removed {args.fingerprint} from {path}")
        return 0
    from reviewkit.commands._options import configured
    from reviewkit.review.pipeline import load_series, review

    config = configured()
    config.baseline = None  # record everything, including what the old baseline hides
    series = load_series(args.series, args.git)
    result = review(series, config, tree=args.tree, repo=".")
    total, added = baseline.record(path, result.findings, args.reason, args.status, replace=args.replace)
    from reviewkit.words import plural

    recorded = f"{plural(added, 'finding')} recorded as {args.status}"
    print(f"reviewkit: {path}: {recorded}, {total} in the baseline", file=sys.stderr)
    return 0
