"""Which reviewer comments a reviewkit finding also makes.

A finding covers a comment only when it makes the same point:

- the same patch, and the same function (the comment's function is the one
  its quoted lines are in; a reply quoting no code, such as a crash report
  and its diagnosis, is about the functions it names; a changelog comment
  matches a changelog finding), and
- the same kind of problem: the comment's text matches one of the rule's
  ``TOPICS`` (patterns a reviewer uses for that problem: "single letter"
  for short-identifier, "uncharge" for folio-put-uncharge ...).  A rule
  without topics falls back to the finding being on one of the lines the
  comment quotes.

Being near each other is not enough: a comment on the huge zero folio and a
memcg-guard finding ten lines below are different points.  ``covered_how``
records the function and the words that decided it, so the count can be
checked by reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewkit.load.anchor import named_functions
from reviewkit.model import Finding, function_phrase

if TYPE_CHECKING:
    from reviewkit.load.thread import Comment

COMMIT_MSG = "COMMIT_MSG"


def _on_quoted_lines(finding: Finding, comment: Comment) -> bool:
    lines = [t.post_line for t in comment.focus if t.file == finding.file]
    return bool(lines) and min(lines) <= finding.line <= max(lines)


def _same_place(finding: Finding, comment: Comment) -> bool:
    if finding.patch is None or finding.patch != comment.patch:
        return False
    if finding.file == COMMIT_MSG or comment.file == COMMIT_MSG:
        return finding.file == comment.file
    both = bool(finding.function and comment.function)
    if both and finding.function == comment.function and finding.file == comment.file:
        return True
    if comment.placed in ("names", "answer") and finding.function:
        # a reply quoting no code (a crash report and its diagnosis) is about the functions it names
        return finding.function in named_functions(comment.text)
    if both:
        return False
    return _on_quoted_lines(finding, comment)


def topic_match(text: str, patterns: Sequence[str]) -> str | None:
    """The words of ``text`` matching one of ``patterns`` (case-insensitive), or None."""
    for pat in patterns:
        m = re.search(pat, text, re.IGNORECASE)
        if m:
            return m.group(0)
    return None


def why_covered(finding: Finding, comment: Comment, topics: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """How ``finding`` makes the point of ``comment`` ("same function f(), says 'uncharge'"), or None."""
    if not comment.focus and comment.anchor is None:
        return None
    if not _same_place(finding, comment):
        return None
    where = function_phrase(finding.function) if finding.function else f"{finding.file}:{finding.line}"
    patterns = (topics or {}).get(finding.rule)
    if not patterns:
        return f"{finding.rule}: on the quoted lines in {where}" if _on_quoted_lines(finding, comment) else None
    words = topic_match(comment.text, patterns)
    if words is None:
        return None
    return f"{finding.rule}: same function {where}, same problem ('{words}')"


def covers(finding: Finding, comment: Comment, topics: Mapping[str, Sequence[str]] | None = None) -> bool:
    """The finding makes the same point as the comment (see the module doc)."""
    return why_covered(finding, comment, topics) is not None


@dataclass
class Coverage:
    """How many of the reviewers' comments on code reviewkit also flags."""

    review_on_code: int
    covered_on_code: int
    review_on_changelog: int
    covered_on_changelog: int

    @property
    def ratio(self) -> float:
        return self.covered_on_code / self.review_on_code if self.review_on_code else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "review_comments_on_code": self.review_on_code,
            "covered_on_code": self.covered_on_code,
            "review_comments_on_changelog": self.review_on_changelog,
            "covered_on_changelog": self.covered_on_changelog,
            "ratio": round(self.ratio, 3),
            "rule": "same patch, same function, and the comment's words match the rule's topics",
        }


def coverage(
    all_comments: Iterable[Comment], findings: list[Finding], topics: Mapping[str, Sequence[str]] | None = None
) -> Coverage:
    """Mark ``covered_by``/``covered_how`` on every comment; count the reviewers' comments on code and changelog."""
    cov = Coverage(0, 0, 0, 0)
    for c in all_comments:
        how = {}
        for f in findings:
            why = why_covered(f, c, topics)
            if why is not None and f.rule not in how:
                how[f.rule] = why
        c.covered_by = sorted(how)
        c.covered_how = [how[r] for r in c.covered_by]
        if not c.is_review:
            continue
        if c.on_code:
            cov.review_on_code += 1
            cov.covered_on_code += bool(c.covered_by)
        elif c.on_changelog:
            cov.review_on_changelog += 1
            cov.covered_on_changelog += bool(c.covered_by)
    return cov
