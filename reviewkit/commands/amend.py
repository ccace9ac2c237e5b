"""Write the next version of a series with the accepted rules' fixes folded into its patches."""

from __future__ import annotations

import argparse
import sys

NAME = "amend"
HELP = "fold the verified fixes of the accepted rules into the patches and write the next version (mbox)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("series", help="mbox, .patch file or directory of .patch files (never modified)")
    p.add_argument("--accept", required=True, metavar="RULES", help="comma-separated rule ids whose fixes to fold in")
    p.add_argument("--output", "-o", required=True, metavar="OUT.mbox", help="where to write the new version")
    p.add_argument("--tree", metavar="DIR", help="kernel tree to apply the series to (never modified)")
    p.add_argument("--version", type=int, metavar="N", help="version of the new series (default: the next one)")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")


def run(args: argparse.Namespace) -> int:
    from reviewkit.config import find_config
    from reviewkit.errors import InputError, UsageError
    from reviewkit.fixes.amend import amend_series
    from reviewkit.io import refuse_clobber, write_atomic
    from reviewkit.review.pipeline import load_series, review
    from reviewkit.words import plural

    accepted = [r.strip() for r in args.accept.split(",") if r.strip()]
    if not accepted:
        raise UsageError("amend: --accept needs at least one rule id")
    refuse_clobber(args.output, [args.series], "amend: --output")
    series = load_series(args.series)
    result = review(series, find_config(), tree=args.tree, rules=accepted)
    chosen = [f for f in result.findings if f.fix is not None and f.fix.verified and f.rule in accepted]
    fixes = [f.fix for f in chosen if f.fix is not None]
    if not fixes:
        raise InputError(f"{args.series}: no verified fix of {', '.join(accepted)} to fold in")
    text = amend_series(series, fixes, args.version, tree=args.tree, patches=[f.patch for f in chosen])
    write_atomic(args.output, text)
    if not args.quiet:
        version = args.version or series.version + 1
        folded = plural(len(fixes), "fix", "es")
        print(f"reviewkit: wrote v{version} with {folded} folded in to {args.output}", file=sys.stderr)
        for fix in fixes:
            print(f"  - {fix.title}", file=sys.stderr)
    return 0
