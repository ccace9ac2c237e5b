"""Review a series interactively: findings in the diff, fixes, dismissals, the reply.

The layout and the keys follow b4 review tui where the concept is the same;
reviewkit's own actions use keys b4 review leaves unbound (listed below, the
table the session's ? help shows).  The series is loaded before the
interface opens, so bad input fails exactly like reviewkit check: one line,
exit 2.
"""

from __future__ import annotations

import argparse

NAME = "tui"
HELP = "review a series interactively (Textual): findings, fixes, reply"


def epilog() -> str:
    """The key table of ``?`` help (reviewkit.tui.keys: data only, no Textual)."""
    from reviewkit.tui.keys import keys_text

    return keys_text()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("series", nargs="?", help="mbox (a b4 thread mbox shows the replies too), .patch, directory or -")
    p.add_argument("--git", metavar="RANGE", help="review a commit range of the current repository")
    p.add_argument("--tree", metavar="DIR", help="kernel tree to apply the series to (never modified)")
    p.add_argument("--no-repo", action="store_true", help="do not read pre-images from the current git repository")
    p.add_argument("--baseline", metavar="FILE", help="hide findings recorded in FILE; dismissals are written there")
    p.add_argument("--reply-out", metavar="FILE", help="where r saves the reply (default: re-v<N>-<i>of<n>-<slug>.eml)")
    p.add_argument("--fix-dir", metavar="DIR", help="also write each accepted fix to DIR as a .patch")
    p.add_argument("--next-out", metavar="FILE", help="where w writes the next version (default: <input>-v<N+1>.mbox)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reviewkit.errors import InputError, UsageError
    from reviewkit.review.pipeline import load_series, read_baseline

    if args.series == "-":
        raise UsageError("tui: the series cannot come from stdin (the terminal is needed for the keys)")
    series = load_series(args.series, args.git)
    if args.tree is not None and not Path(args.tree).is_dir():
        raise InputError(f"--tree {args.tree}: not a directory")
    from reviewkit.commands._options import configured

    config = configured()
    read_baseline(args.baseline or config.baseline)

    from reviewkit.tui.app import Options, ReviewApp  # textual is imported only from here on

    options = Options(
        series,
        config,
        tree=args.tree,
        repo=None if args.no_repo else ".",
        baseline=args.baseline,
        reply_out=args.reply_out,
        fix_dir=args.fix_dir,
        next_out=args.next_out,
    )
    app = ReviewApp(options)
    result = app.run()
    return int(app.return_code or result or 0)
