"""Thread awareness: what the human reviewers said, and on which lines of the patch.

A thread mbox (``b4 mbox`` output: the patches plus every reply) is loaded as
a :class:`~reviewkit.load.series.Series` whose ``replies`` hold the replies.  Each
reply is cut into quote blocks (``> +foo``, ``> > ...``) and the text its
author wrote under them.  Quoted lines are mapped back to the patch they
quote: diff lines (``+``/``-``/context, hunk headers, file headers) to the
file and post-image line, changelog lines to ``COMMIT_MSG`` and the line of
the commit message.  Reviewers quote in order and trim, so every reply walks
the patch with a cursor: an ambiguous line (``+	}``) is the next match after
the previous one, and a blank line only matches right after it.  Mail
clients re-indent (tabs become spaces) and re-wrap, so lines are compared
with whitespace folded; a quote that matches nothing stays unmapped.

:func:`comments` gives every comment with its author, date, message id, the
quoted lines it answers and its text; :func:`comments_by_patch` groups them
by patch position (the TUI shows them next to the lines), and
:func:`coverage` says which of them a reviewkit finding also covers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from reviewkit.load.series import Message, Patch, Series
from reviewkit.model import Finding

COMMIT_MSG = "COMMIT_MSG"
FOCUS_LINES = 6
"""A comment is about the last few lines quoted above it: reviewers trim to the point."""
FOCUS_MAX = 12
"""...or about the whole block of added lines those few lines end, up to this many lines."""

_QUOTE_RE = re.compile(r"^((?:> ?)+)")
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_ATTRIBUTION_RE = re.compile(r"(wrote|writes|said):\s*$")
_SUBJECT_EXTRA_RE = re.compile(r"\s+-\s+.*$")
_TRAILER_RE = re.compile(r"^[A-Z][A-Za-z0-9-]*-by:\s|^(Fixes|Link|Closes|Cc):\s")


@dataclass(frozen=True)
class DiffLine:
    """One line of a patch as a quote can refer to it."""

    key: str
    file: str
    line: int
    """Post-image line (pre-image for a removed line; row of the commit message for COMMIT_MSG)."""
    side: str
    """"post", "pre" or "msg"."""
    post_line: int
    """Where the line sits in the post-image (a removed line: the line that follows it)."""
    changed: bool = False
    """An added or removed line (not context, header or changelog)."""
    trailer: bool = False
    """A trailer of the commit message (Signed-off-by: ...): quoting it means "the whole patch"."""


@dataclass
class Quoted:
    """A quoted line of a reply and what it maps to."""

    text: str
    depth: int
    target: DiffLine | None = None

    def to_json(self) -> dict[str, Any]:
        t = self.target
        return {
            "text": self.text,
            "depth": self.depth,
            "file": t.file if t else None,
            "line": t.line if t else None,
            "side": t.side if t else None,
        }


@dataclass
class Comment:
    """What one person wrote under a quote of the patch."""

    patch: int | None
    """Position of the patch in the series (None: a reply to the cover letter)."""
    author: str
    date: str
    message_id: str
    text: str
    quoted: list[Quoted]
    by_patch_author: bool
    mbox_line: int = 0
    """Line of the thread mbox where the comment starts (0: unknown)."""
    covered_by: list[str] = field(default_factory=list)
    """Rule ids of findings on the lines this comment is about (filled by :func:`coverage`)."""

    @property
    def author_name(self) -> str:
        name, addr = parseaddr(self.author)
        return name or addr

    @property
    def mapped(self) -> list[DiffLine]:
        return [q.target for q in self.quoted if q.target is not None]

    @property
    def depth(self) -> int:
        """Quote depth of the patch lines answered: 1 when the commenter quotes the patch itself."""
        depths = [q.depth for q in self.quoted if q.target is not None and q.text.strip()]
        return min(depths) if depths else 0

    @property
    def direct(self) -> bool:
        """The comment sits right under a quoted line of the patch (not under someone's text or the signature)."""
        last = next((q for q in reversed(self.quoted) if q.text.strip()), None)
        return last is not None and last.target is not None

    @property
    def is_tag(self) -> bool:
        """Only trailers (``Acked-by: ...``): an approval, not a comment."""
        rows = [r for r in self.text.split("\n") if r.strip()]
        return bool(rows) and all(_TRAILER_RE.match(r.strip()) for r in rows)

    @property
    def focus(self) -> list[DiffLine]:
        """The lines the comment is about: the last few mapped lines of the quote (one file).

        When those are all added/removed lines, the comment is about the block they end:
        the focus stretches back over that run of changed lines (at most FOCUS_MAX).
        """
        mapped = self.mapped
        if not mapped:
            return []
        last = mapped[-1]
        same = [t for t in mapped if t.file == last.file]
        start = max(len(same) - FOCUS_LINES, 0)
        if all(t.changed for t in same[start:]):
            while start > 0 and len(same) - start < FOCUS_MAX and same[start - 1].changed:
                start -= 1
        return same[start:]

    @property
    def file(self) -> str | None:
        return self.focus[-1].file if self.focus else None

    @property
    def line(self) -> int | None:
        """The line right above the comment (post-image, or the commit message row)."""
        return self.focus[-1].post_line if self.focus else None

    @property
    def on_code(self) -> bool:
        return any(t.side != "msg" for t in self.focus)

    @property
    def on_changelog(self) -> bool:
        return bool(self.focus) and all(t.side == "msg" for t in self.focus) and not self.focus[-1].trailer

    @property
    def is_review(self) -> bool:
        """A reviewer's own remark under the patch's lines: not the author's answer, a reply to a reply, a tag."""
        return not self.by_patch_author and self.depth == 1 and self.direct and not self.is_tag

    def to_json(self) -> dict[str, Any]:
        return {
            "patch": self.patch,
            "author": self.author,
            "date": self.date,
            "message_id": self.message_id,
            "file": self.file,
            "line": self.line,
            "lines": sorted({t.post_line for t in self.focus}),
            "on_code": self.on_code,
            "review": self.is_review,
            "covered_by": self.covered_by,
            "text": self.text,
            "mbox_line": self.mbox_line,
            "quoted": [q.to_json() for q in self.quoted if q.target is not None],
        }


# --------------------------------------------------------------------------
# What a quote can refer to


def _fold(text: str) -> str:
    return " ".join(text.split())


def _diff_key(text: str) -> str:
    """``+`` / ``-`` / `` `` prefix kept, whitespace of the code folded."""
    if not text:
        return " "
    return text[0] + _fold(text[1:])


def patch_lines(patch: Patch) -> list[DiffLine]:
    """Every line of the patch's diff in order, as quotes refer to them."""
    out: list[DiffLine] = []
    for pf in patch.patchset:
        path = pf.path
        out.append(DiffLine(_fold(f"diff --git {pf.source_file} {pf.target_file}"), path, 0, "file", 0))
        out.append(DiffLine(_fold(f"--- {pf.source_file}"), path, 0, "file", 0))
        out.append(DiffLine(_fold(f"+++ {pf.target_file}"), path, 0, "file", 0))
        for hunk in pf:
            head = f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} @@"
            out.append(DiffLine(_fold(head), path, hunk.target_start, "hunk", hunk.target_start))
            rows = list(hunk)
            next_post = hunk.target_start + hunk.target_length
            for i, ln in enumerate(rows):
                text = ln.line_type + ln.value.rstrip("\n")
                if ln.line_type == "-":
                    after = next((r.target_line_no for r in rows[i:] if r.target_line_no), next_post)
                    out.append(DiffLine(_diff_key(text), path, ln.source_line_no or 0, "pre", after, changed=True))
                elif ln.line_type in ("+", " "):
                    target = ln.target_line_no or 0
                    changed = ln.line_type == "+"
                    out.append(DiffLine(_diff_key(text), path, target, "post", target, changed=changed))
    return out


def changelog_lines(patch: Patch) -> list[DiffLine]:
    rows = patch.commit_message.rstrip("\n").split("\n")
    last_para = max((n for n, t in enumerate(rows, 1) if not t.strip()), default=0)
    return [
        DiffLine(_fold(t), COMMIT_MSG, n, "msg", n, trailer=n > last_para and bool(_TRAILER_RE.match(t.strip())))
        for n, t in enumerate(rows, 1)
        if t.strip()
    ]


class _Mapper:
    """Maps the quoted lines of one reply onto one patch, in quoting order."""

    def __init__(self, patch: Patch) -> None:
        self.diff = patch_lines(patch)
        self.msg = changelog_lines(patch)
        self.by_key: dict[str, list[int]] = {}
        for i, d in enumerate(self.diff):
            self.by_key.setdefault(d.key, []).append(i)
        self.msg_by_key: dict[str, list[int]] = {}
        for i, d in enumerate(self.msg):
            self.msg_by_key.setdefault(d.key, []).append(i)
        self.cursor = -1
        self.msg_cursor = -1
        self.foreign = False
        """Inside a quoted diff of another file or patch (an inline fix in an earlier reply)."""

    def new_block(self) -> None:
        self.foreign = False

    def map(self, content: str, *, allow_blank: bool = True) -> DiffLine | None:
        stripped = content.strip()
        if not stripped and not allow_blank:
            return None
        if stripped.startswith(("diff --git ", "--- a/", "+++ b/", "--- /dev/null", "+++ /dev/null")):
            hit = self._next(self.by_key.get(_fold(stripped), []), self.cursor)
            self.foreign = hit is None
            if hit is not None:
                self.cursor = hit
            return None
        if stripped.startswith("@@"):
            m = _HUNK_RE.match(stripped)
            hit = None
            if m:
                want = f"@@ -{m.group(1)},"
                hits = [i for i, d in enumerate(self.diff) if d.side == "hunk" and d.key.startswith(want)]
                hit = self._next(hits, self.cursor)
            self.foreign = hit is None
            if hit is not None:
                self.cursor = hit
            return self.diff[hit] if hit is not None else None
        if self.foreign:
            return None
        if not content.strip() or content[:1] in "+- ":
            key = _diff_key(content) if content.strip() else " "
            hits = self.by_key.get(key, [])
            if key == " " or key in ("+", "-"):
                hits = [i for i in hits if self.cursor < i <= self.cursor + 2]  # blank: only right after
            hit = self._next(hits, self.cursor)
            if hit is not None:
                self.cursor = hit
                return self.diff[hit]
        key = _fold(content)
        if key:
            hit = self._next(self.msg_by_key.get(key, []), self.msg_cursor)
            if hit is not None:
                self.msg_cursor = hit
                return self.msg[hit]
        return None

    @staticmethod
    def _next(hits: list[int], cursor: int) -> int | None:
        after = [i for i in hits if i > cursor]
        if after:
            return after[0]
        return hits[0] if len(hits) == 1 else None


# --------------------------------------------------------------------------
# Cutting a reply into quotes and comments


@dataclass
class _Block:
    quoted: list[tuple[int, str]]
    text: list[tuple[int, str]]
    """(offset in the body, line) of the unquoted lines after the quote."""


def _blocks(body: str) -> list[_Block]:
    blocks: list[_Block] = []
    for n, raw in enumerate(body.split("\n")):
        line = raw.rstrip()
        m = _QUOTE_RE.match(line)
        if m:
            depth = m.group(1).count(">")
            content = raw[len(m.group(1)) :].rstrip("\n").rstrip()
            if blocks and not any(t.strip() for _n, t in blocks[-1].text):
                blocks[-1].quoted.append((depth, content))
                blocks[-1].text = []
            else:
                blocks.append(_Block([(depth, content)], []))
        elif blocks:
            blocks[-1].text.append((n, line))
    return blocks


def _clean(text: list[tuple[int, str]]) -> tuple[str, int]:
    """Comment text without the attribution of the next quote or the signature; first line offset."""
    lines = list(text)
    for i, (_n, t) in enumerate(lines):
        if t == "--":
            lines = lines[:i]
            break
    while lines and not lines[-1][1].strip():
        lines.pop()
    if lines and _ATTRIBUTION_RE.search(lines[-1][1]):
        lines.pop()
    while lines and not lines[0][1].strip():
        lines.pop(0)
    while lines and not lines[-1][1].strip():
        lines.pop()
    return "\n".join(t for _n, t in lines), (lines[0][0] if lines else 0)


def _patch_for(reply: Message, series: Series, by_id: dict[str, Message]) -> Patch | None:
    """The patch a reply belongs to: up the In-Reply-To chain, else by subject."""
    patches = {p.message_id: p for p in series.patches if p.message_id}
    seen: set[str] = set()
    msg: Message | None = reply
    while msg is not None and msg.in_reply_to and msg.in_reply_to not in seen:
        seen.add(msg.in_reply_to)
        if msg.in_reply_to in patches:
            return patches[msg.in_reply_to]
        msg = by_id.get(msg.in_reply_to)
    title = _SUBJECT_EXTRA_RE.sub("", reply.subject.title)
    for patch in series.patches:
        if patch.subject.title in (reply.subject.title, title) and patch.index == reply.subject.index:
            return patch
    return series.patches[0] if len(series.patches) == 1 else None


def _same_person(a: str, b: str) -> bool:
    na, aa = parseaddr(a)
    nb, ab = parseaddr(b)
    return (bool(aa) and aa.lower() == ab.lower()) or (bool(na) and na == nb)


def reply_comments(reply: Message, patch: Patch | None) -> list[Comment]:
    """The comments of one reply, each with the quoted lines it answers."""
    mapper = _Mapper(patch) if patch is not None else None
    out: list[Comment] = []
    for block in _blocks(reply.body):
        if mapper is not None:
            mapper.new_block()
        quoted: list[Quoted] = []
        for depth, content in block.quoted:
            prev = quoted[-1] if quoted else None
            # a blank quoted line is only the patch's blank line between two of its lines
            blank_ok = prev is not None and prev.depth == depth and prev.target is not None
            target = mapper.map(content, allow_blank=blank_ok) if mapper else None
            quoted.append(Quoted(content, depth, target))
        text, offset = _clean(block.text)
        if not text:
            continue
        out.append(
            Comment(
                patch.position if patch is not None else None,
                reply.author,
                reply.date,
                reply.message_id,
                text,
                quoted,
                patch is not None and _same_person(reply.author, patch.author),
                reply.body_line + offset if reply.body_line else 0,
            )
        )
    return out


def comments(series: Series) -> list[Comment]:
    """Every comment of every reply of the thread, in mbox order."""
    by_id = {m.message_id: m for m in series.replies if m.message_id}
    out: list[Comment] = []
    for reply in series.replies:
        out.extend(reply_comments(reply, _patch_for(reply, series, by_id)))
    return out


def comments_by_patch(series: Series) -> dict[int | None, list[Comment]]:
    """Comments grouped by patch position (None: on the cover letter or unplaced)."""
    grouped: dict[int | None, list[Comment]] = {}
    for c in comments(series):
        grouped.setdefault(c.patch, []).append(c)
    return grouped


# --------------------------------------------------------------------------
# Coverage: which human comments a finding also makes


def covers(finding: Finding, comment: Comment) -> bool:
    """The finding is on one of the lines the comment is about."""
    if finding.patch is None or finding.patch != comment.patch or not comment.focus:
        return False
    lines = [t.post_line for t in comment.focus if t.file == finding.file]
    if not lines:
        return False
    return min(lines) <= finding.line <= max(lines)


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
        }


def coverage(all_comments: Iterable[Comment], findings: list[Finding]) -> Coverage:
    """Mark ``covered_by`` on every comment; count the reviewers' comments on code and changelog."""
    cov = Coverage(0, 0, 0, 0)
    for c in all_comments:
        c.covered_by = sorted({f.rule for f in findings if covers(f, c)})
        if not c.is_review:
            continue
        if c.on_code:
            cov.review_on_code += 1
            cov.covered_on_code += bool(c.covered_by)
        elif c.on_changelog:
            cov.review_on_changelog += 1
            cov.covered_on_changelog += bool(c.covered_by)
    return cov
