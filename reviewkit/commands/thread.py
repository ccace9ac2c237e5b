"""List what the human reviewers of a thread said, line by line, and what reviewkit also flags.

Give it a thread mbox (``b4 mbox MSGID``: the patches and every reply).  Every
reply is listed: a comment under a quoted patch line sits on that line; one
quoting no patch line sits at the function it names (a crash report's call
trace), with the comment it answers, or under "whole patch" / "cover
letter".  A comment a reviewkit finding also makes (same function, same
kind of problem: see :mod:`reviewkit.load.coverage`) is marked with the rule
ids.  The last line is the coverage figure: reviewer comments on code that
reviewkit also flags / all reviewer comments on code.
"""

from __future__ import annotations

import argparse
import json
import sys

NAME = "thread"
PAGES = True
"""A report for a person: paged on a terminal, as git pages its output."""
HELP = "map a thread's review comments to patch lines; coverage by reviewkit findings"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("series", help="thread mbox (patches and replies, as b4 mbox writes it)")
    p.add_argument("--tree", metavar="DIR", help="kernel tree (as for check; also the symbol index)")
    p.add_argument("--format", "-f", default="text", choices=("text", "json"))
    p.add_argument("--reviews", action="store_true", help="only the reviewers' own comments under patch lines")
    p.add_argument("--all", action="store_true", help=argparse.SUPPRESS)  # every comment is listed by default now
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically)")


def _one_line(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def run(args: argparse.Namespace) -> int:
    from reviewkit.config import find_config
    from reviewkit.engine.registry import rule_topics
    from reviewkit.io import refuse_clobber, write_atomic
    from reviewkit.load.coverage import coverage
    from reviewkit.load.thread import comments
    from reviewkit.review.pipeline import load_series, review

    refuse_clobber(args.output, [args.series])
    series = load_series(args.series)
    result = review(series, find_config(), tree=args.tree, repo=".")
    found = comments(series)
    cov = coverage(found, result.findings, rule_topics())
    shown = [c for c in found if c.is_review or not args.reviews]
    if args.format == "json":
        doc = {
            "version": 1,
            "source": series.source,
            "replies": len(series.replies),
            "coverage": cov.to_json(),
            "comments": [c.to_json() for c in shown],
            "findings": [f.to_json() for f in result.findings],
        }
        text = json.dumps(doc, indent=2) + "\n"
    else:
        text = _text(series, shown, cov)
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _kind(c: object) -> str:
    from reviewkit.load.thread import Comment

    assert isinstance(c, Comment)
    if c.is_tag:
        return " (tag)"
    if c.by_patch_author:
        return " (author)"
    if c.answers:
        return f" (to {c.answers})"
    return "" if c.is_review else " (reply)"


def _text(series: object, shown: list, cov: object) -> str:
    from reviewkit.load.coverage import Coverage
    from reviewkit.load.series import Series
    from reviewkit.load.thread import Comment

    assert isinstance(series, Series) and isinstance(cov, Coverage)
    lines: list[str] = []
    by_patch: dict[int | None, list[Comment]] = {}
    for c in shown:
        by_patch.setdefault(c.patch, []).append(c)

    def row(c: Comment) -> str:
        where = f"{c.file}:{c.line}" if c.file else "whole patch"
        mark = f"[{', '.join(c.covered_by)}]" if c.covered_by else "[-]"
        return f"  {where:<24} {mark:<22} {c.author_name}{_kind(c)}: {_one_line(c.text)}"

    cover = by_patch.get(None, [])
    if cover:
        lines.append(f'cover letter "{series.title}": {len(cover)} comments')
        lines += [row(c) for c in cover]
        lines.append("")
    for patch in series.patches:
        mine = by_patch.get(patch.position, [])
        if not mine:
            continue
        lines.append(f'patch {patch.index}/{patch.total} "{patch.subject.title}": {len(mine)} comments')
        placed = [c for c in mine if c.file]
        order = sorted(placed, key=lambda c: (c.file != "COMMIT_MSG", c.file or "", c.line or 0))
        lines += [row(c) for c in order]
        lines += [row(c) for c in mine if not c.file]
        lines.append("")
    replies = len({c.message_id for c in shown})
    pct = f"{100 * cov.ratio:.1f}%" if cov.review_on_code else "n/a"
    lines.append(f"{replies} of {len(series.replies)} replies shown")
    lines.append(
        f"coverage: {cov.covered_on_code} of {cov.review_on_code} reviewer comments on code make the same point as "
        f"a reviewkit finding ({pct}); changelog: {cov.covered_on_changelog} of {cov.review_on_changelog}"
    )
    return "\n".join(lines) + "\n"
