"""List what the human reviewers of a thread said, line by line, and what reviewkit also flags.

Give it a thread mbox (``b4 mbox MSGID``: the patches and every reply).  Each
reviewer comment is placed on the patch line it answers; a comment that a
reviewkit finding also covers (a finding on one of the lines the comment is
about) is marked with the rule ids.  The last line is the coverage figure:
reviewer comments on code that reviewkit also flags / all reviewer comments
on code.
"""

from __future__ import annotations

import argparse
import json
import sys

NAME = "thread"
HELP = "map a thread's review comments to patch lines; coverage by reviewkit findings"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("series", help="thread mbox (patches and replies, as b4 mbox writes it)")
    p.add_argument("--tree", metavar="DIR", help="kernel tree (as for check; also the symbol index)")
    p.add_argument("--format", "-f", default="text", choices=("text", "json"))
    p.add_argument("--all", action="store_true", help="also list the author's answers and replies to replies")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically)")


def _one_line(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def run(args: argparse.Namespace) -> int:
    from reviewkit.config import find_config
    from reviewkit.io import write_atomic
    from reviewkit.load.thread import comments, coverage
    from reviewkit.review.pipeline import load_series, review

    series = load_series(args.series)
    result = review(series, find_config(), tree=args.tree, repo=".")
    found = comments(series)
    cov = coverage(found, result.findings)
    shown = [c for c in found if c.focus and (args.all or c.is_review)]
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


def _text(series: object, shown: list, cov: object) -> str:
    from reviewkit.load.series import Series
    from reviewkit.load.thread import Comment, Coverage

    assert isinstance(series, Series) and isinstance(cov, Coverage)
    lines: list[str] = []
    by_patch: dict[int | None, list[Comment]] = {}
    for c in shown:
        by_patch.setdefault(c.patch, []).append(c)
    for patch in series.patches:
        mine = by_patch.get(patch.position, [])
        if not mine:
            continue
        lines.append(f'patch {patch.index}/{patch.total} "{patch.subject.title}": {len(mine)} comments')
        for c in sorted(mine, key=lambda c: (c.file != "COMMIT_MSG", c.file or "", c.line or 0)):
            where = f"{c.file}:{c.line}"
            mark = f"[{', '.join(c.covered_by)}]" if c.covered_by else "[-]"
            kind = "" if c.is_review else " (reply)"
            lines.append(f"  {where:<24} {mark:<22} {c.author_name}{kind}: {_one_line(c.text)}")
        lines.append("")
    pct = f"{100 * cov.ratio:.1f}%" if cov.review_on_code else "n/a"
    lines.append(
        f"coverage: {cov.covered_on_code} of {cov.review_on_code} reviewer comments on code are also "
        f"reviewkit findings ({pct}); changelog: {cov.covered_on_changelog} of {cov.review_on_changelog}"
    )
    return "\n".join(lines) + "\n"
