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

# size: the thread's reply model and its quoting parser are one unit; anchoring and coverage are already split out

from __future__ import annotations

import copy
import re
import weakref
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from reviewkit.load.anchor import function_at, named_functions, place_by_names
from reviewkit.load.series import Message, Patch, Series

COMMIT_MSG = "COMMIT_MSG"
FOCUS_LINES = 6
"""A comment is about the last few lines quoted above it: reviewers trim to the point."""
FOCUS_MAX = 12
"""...or about the whole block of added lines those few lines end, up to this many lines."""

_QUOTE_RE = re.compile(r"^((?:> ?)+)")
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_ATTRIBUTION_RE = re.compile(r"(wrote|writes|said):\s*$")
_TRIM_RE = re.compile(r"^\s*(?:\[\s*(?:\.\.\.|…|snip|snipped)\s*\]|\.\.\.)\s*$", re.IGNORECASE)
_SALUTATION_RE = re.compile(r"^(?:hi|hello|hey|dear|hi all|hello all)\b[^\n]{0,40}[,!]?\s*$", re.IGNORECASE)
_ATTRIBUTED_RE = re.compile(r"(?:^|,\s*)([^,]+?)\s+(?:wrote|writes|said):\s*$")
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
    """Rule ids of findings that make the same point (filled by :func:`coverage`)."""
    covered_how: list[str] = field(default_factory=list)
    """Why each of ``covered_by`` counts: same function, and what in the text names the same problem."""
    anchor: tuple[str, int] | None = None
    """Where a comment that quotes no patch line sits: (file, line) it names or the comment it answers."""
    placed: str = ""
    """How the comment was placed: quote, names, answer, patch or cover."""
    answers: str = ""
    """Name of the person whose text the comment quotes (a reply to a reply), if not the patch's."""
    function: str | None = None
    """The function of the patch the comment is about, when the patch shows it."""

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
        if self.focus:
            return self.focus[-1].file
        return self.anchor[0] if self.anchor else None

    @property
    def line(self) -> int | None:
        """The line right above the comment (post-image, or the commit message row)."""
        if self.focus:
            return self.focus[-1].post_line
        return self.anchor[1] if self.anchor else None

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
            "placed": self.placed,
            "answers": self.answers or None,
            "function": self.function,
            "covered_by": self.covered_by,
            "covered_how": self.covered_how,
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
    attribution: str = ""
    """Who wrote the quoted text, from the "On ..., NAME wrote:" line above it."""


def attributed_name(line: str) -> str:
    """``On Mon, Mar 30, 2026 at 04:41:16PM -0400, Johannes Weiner wrote:`` -> ``Johannes Weiner``."""
    m = _ATTRIBUTED_RE.search(line.strip())
    if not m:
        return ""
    name, addr = parseaddr(m.group(1).strip())
    words = (name or addr or m.group(1)).strip().strip('"').split()
    while (len(words) > 1 and any(ch.isdigit() or ch == "+" for ch in words[0])) or (words and words[0] == "On"):
        words = words[1:]  # "30 Mar 2026 18:37:01 +0200 Mikhail Zaslonko" (no comma before the name)
    while len(words) > 2 and any(ch.isdigit() for ch in " ".join(words[:-2])):
        words = words[1:]
    return " ".join(words)


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
                above = [t for _n, t in blocks[-1].text if t.strip()] if blocks else []
                who = attributed_name(above[-1]) if above and _ATTRIBUTION_RE.search(above[-1]) else ""
                blocks.append(_Block([(depth, content)], [], who or (blocks[-1].attribution if blocks else "")))
        elif blocks:
            blocks[-1].text.append((n, line))
        else:  # text above the first quote (a top-posted answer, a report quoting nothing)
            blocks.append(_Block([], [(n, line)]))
    return blocks


def _clean(text: list[tuple[int, str]]) -> tuple[str, int]:
    """Comment text without the attribution of the next quote or the signature; first line offset."""
    lines = [(n, t) for n, t in text if not _TRIM_RE.match(t)]
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
    cover = series.cover.message_id if series.cover is not None else None
    seen: set[str] = set()
    msg: Message | None = reply
    while msg is not None and msg.in_reply_to and msg.in_reply_to not in seen:
        seen.add(msg.in_reply_to)
        if msg.in_reply_to in patches:
            return patches[msg.in_reply_to]
        if cover is not None and msg.in_reply_to == cover:
            return None
        msg = by_id.get(msg.in_reply_to)
    title = _SUBJECT_EXTRA_RE.sub("", reply.subject.title)
    for patch in series.patches:
        if patch.subject.title in (reply.subject.title, title) and patch.index == reply.subject.index:
            return patch
    if series.cover is not None and reply.subject.index == 0:
        return None
    return series.patches[0] if len(series.patches) == 1 else None


def _same_person(a: str, b: str) -> bool:
    na, aa = parseaddr(a)
    nb, ab = parseaddr(b)
    return (bool(aa) and aa.lower() == ab.lower()) or (bool(na) and na == nb)


def reply_comments(reply: Message, patch: Patch | None) -> list[Comment]:
    """The comments of one reply, each with the quoted lines it answers."""
    mapper = _Mapper(patch) if patch is not None else None
    out: list[Comment] = []
    patch_author = patch.author_name if patch is not None else ""
    blocks = _blocks(reply.body)
    if len(blocks) > 1 and not blocks[0].quoted and all(not _clean(b.text)[0] for b in blocks[1:]):
        # top-posted: the text above answers the quote below it
        blocks = [_Block([q for b in blocks[1:] for q in b.quoted], blocks[0].text, blocks[1].attribution)]
    for block in blocks:
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
        if not text or _SALUTATION_RE.match(text):
            continue
        comment = Comment(
            patch.position if patch is not None else None,
            reply.author,
            reply.date,
            reply.message_id,
            text,
            quoted,
            patch is not None and _same_person(reply.author, patch.author),
            reply.body_line + offset if reply.body_line else 0,
        )
        if block.attribution and not _same_person(block.attribution, patch_author or "\0"):
            comment.answers = block.attribution
        out.append(comment)
    return out


def _folded_quotes(c: Comment) -> list[str]:
    return [_fold(q.text) for q in c.quoted if q.target is None and len(_fold(q.text)) > 12]


def _answered(c: Comment, found: list[Comment]) -> Comment | None:
    """The earlier comment of another reply whose text ``c`` quotes."""
    quotes = _folded_quotes(c)
    if not quotes:
        return None
    for other in found:
        if other is c or other.message_id == c.message_id:
            continue
        body = _fold(other.text)
        if any(q in body for q in quotes):
            return other
    return None


def _by_names(c: Comment, patch: Patch) -> bool:
    unmapped = "\n".join(q.text for q in c.quoted if q.target is None)
    for text in (c.text, unmapped):  # what the replier wrote first, then what they quote
        spot = place_by_names(patch, named_functions(text))
        if spot is not None:
            c.anchor, c.placed, c.function = (spot.file, spot.line), "names", spot.function
            return True
    return False


def _place(found: list[Comment], series: Series) -> None:
    """Give every comment a place: its quote, the comment it answers, the functions it names, or the patch."""
    answered: dict[int, Comment | None] = {}
    for i, c in enumerate(found):
        patch = series.patches[c.patch] if c.patch is not None else None
        if c.focus:
            c.placed = "quote"
            if patch is not None and c.on_code:
                c.function = function_at(patch, c.focus[-1].file, c.focus[-1].post_line)
            continue
        answered[i] = other = _answered(c, found)
        if other is not None:
            c.answers = c.answers or other.author_name
        elif patch is None:
            c.placed = "cover"
        elif not _by_names(c, patch):
            c.placed = "patch"
    for _round in range(len(found)):  # answers to answers: follow the chain until nothing moves
        moved = False
        for i, other in answered.items():
            c = found[i]
            if c.placed or other is None or not other.placed:
                continue
            if other.file is not None and other.line is not None:
                c.anchor, c.placed, c.function = (other.file, other.line), "answer", other.function
            else:
                c.placed = other.placed if other.placed in ("cover", "patch") else "patch"
            moved = True
        if not moved:
            break
    for c in found:
        if not c.placed:
            patch = series.patches[c.patch] if c.patch is not None else None
            if patch is None:
                c.placed = "cover"
            elif not _by_names(c, patch):
                c.placed = "patch"


_MEMO: dict[int, tuple[tuple[int, ...], list[Comment]]] = {}
"""id(series) -> (the identity of its messages, its comments): see :func:`comments`."""


def _messages(series: Series) -> tuple[int, ...]:
    return (id(series.cover), *map(id, series.patches), -1, *map(id, series.replies))


def comments(series: Series) -> list[Comment]:
    """Every comment of every reply of the thread, in mbox order, each placed (see :func:`_place`).

    Kept per series (while it lives and holds the same messages): a session asks again for each
    patch's comments, for the reply and for coverage, and placing them costs most of a second for
    a 13-reply thread.  Each call gets its own shallow copies (coverage() sets fields on them)."""
    key = _messages(series)
    hit = _MEMO.get(id(series))
    if hit is not None and hit[0] == key:
        return [copy.copy(c) for c in hit[1]]
    by_id = {m.message_id: m for m in series.replies if m.message_id}
    out: list[Comment] = []
    for reply in series.replies:
        out.extend(reply_comments(reply, _patch_for(reply, series, by_id)))
    _place(out, series)
    if hit is None:
        weakref.finalize(series, _MEMO.pop, id(series), None)
    _MEMO[id(series)] = (key, out)
    return [copy.copy(c) for c in out]


def comments_by_patch(series: Series) -> dict[int | None, list[Comment]]:
    """Comments grouped by patch position (None: on the cover letter or unplaced)."""
    grouped: dict[int | None, list[Comment]] = {}
    for c in comments(series):
        grouped.setdefault(c.patch, []).append(c)
    return grouped


__all__ = [
    "COMMIT_MSG",
    "Comment",
    "DiffLine",
    "Quoted",
    "comments",
    "comments_by_patch",
    "reply_comments",
]
