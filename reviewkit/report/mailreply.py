"""The review as an LKML reply: quoted hunks with the reviewer's comment under each.

``reviewkit check --format reply`` and the TUI's "write the reply" both call
:func:`build_reply`, so a reviewer gets the same email either way: headers
that thread it under the patch (``In-Reply-To``/``References``, ``Re:``
subject, the author in To and the patch's To/Cc in Cc), the usual
"On DATE, AUTHOR wrote:" line, then only the parts of the patch the findings
are about, quoted with ``> ``, the comment right below the line it is
about, and ``[...]`` wherever the quote skips lines.  Text is plain
``text/plain; charset=utf-8`` with 8-bit bodies, as the kernel lists expect
(no HTML, no quoted-printable that mangles tabs in quoted diffs).
"""

# size: the reply is one document builder (quote, anchor, trim); its wording is in replytext.py

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from reviewkit.load.series import Patch, Series
from reviewkit.model import Finding, Severity, function_phrase
from reviewkit.report.replytext import comment_text, nit_line, raised_in_thread

COMMIT_MSG = "COMMIT_MSG"
"""The pseudo-file of findings about the changelog (line = line in the commit message)."""

PLACEHOLDER_SENDER = "Your Name <you@example.invalid>"
WRAP = 72
CONTEXT = 3
"""Lines of the patch quoted above the line a comment is about."""
TRIM = "[...]"
MBOX_FROM = "From reviewkit Mon Sep 17 00:00:00 2001"

_FILE_HEADER_PREFIXES = (
    "diff --git ",
    "index ",
    "--- ",
    "+++ ",
    "new file mode",
    "deleted file mode",
    "old mode",
    "new mode",
    "similarity index",
    "dissimilarity index",
    "rename from",
    "rename to",
    "copy from",
    "copy to",
)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------
# Where a finding sits in the patch


def view_path(pf: object) -> str:
    """The path a PatchedFile is reported under (what FileView.path uses)."""
    name = pf.source_file if pf.is_removed_file else pf.target_file  # type: ignore[attr-defined]
    return name[2:] if name.startswith(("a/", "b/")) else name


def patch_for(series: Series | None, finding: Finding) -> Patch | None:
    """The patch a finding belongs to (a lone patch also owns patch-less findings)."""
    if series is None or not series.patches:
        return None
    if finding.patch is not None and 0 <= finding.patch < len(series.patches):
        return series.patches[finding.patch]
    return series.patches[0] if len(series.patches) == 1 else None


def find_diff_line(patch: Patch, path: str, line: int) -> object | None:
    """The unidiff Line showing post-image ``line`` of ``path`` (else the removed pre-image line)."""
    removed = None
    for pf in patch.patchset:
        if pf.is_binary_file or view_path(pf) != path:
            continue
        for hunk in pf:
            for dl in hunk:
                if dl.line_type in ("+", " ") and dl.target_line_no == line:
                    return dl
                if removed is None and dl.line_type == "-" and dl.source_line_no == line:
                    removed = dl
    return removed


def diff_line_text(series: Series | None, finding: Finding) -> str | None:
    """The raw diff line (``+``/`` ``/``-`` and the code) a finding points at, if the patch shows it."""
    patch = patch_for(series, finding)
    if patch is None:
        return None
    dl = find_diff_line(patch, finding.file, finding.line)
    if dl is None:
        return None
    return dl.line_type + dl.value.rstrip("\n")  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# Quoting


@dataclass
class _Doc:
    """One quotable text (commit message or diff) with comments anchored to rows."""

    rows: list[str]
    wanted: set[int] = field(default_factory=set)
    comments: dict[int, list[list[str]]] = field(default_factory=dict)

    def want(self, first: int, last: int) -> None:
        self.wanted.update(range(max(first, 0), min(last, len(self.rows) - 1) + 1))

    def comment(self, row: int, text: list[str]) -> None:
        self.comments.setdefault(row, []).append(text)


def _quote(row: str) -> str:
    return ">" if row in ("", " ") else "> " + row


def _file_header_rows(rows: list[str], hunk_row: int) -> list[int]:
    """The ``diff --git`` line of the file (index, ---, +++ are trimmed: they say nothing to a reader)."""
    r = hunk_row - 1
    while r >= 0 and rows[r].startswith(_FILE_HEADER_PREFIXES):
        if rows[r].startswith("diff --git "):
            return [r]
        r -= 1
    return []


def _anchor_diff(doc: _Doc, patch: Patch, f: Finding, text: list[str]) -> bool:
    """Quote the lines of ``f`` with their file and hunk headers; False if the patch does not show them."""
    for pf in patch.patchset:
        if pf.is_binary_file or view_path(pf) != f.file:
            continue
        for hunk in pf:
            lines = list(hunk)
            rows = [(dl.diff_line_no or 0) - 1 for dl in lines]
            hit = [i for i, dl in enumerate(lines) if dl.line_type in ("+", " ") and dl.target_line_no == f.line]
            if not hit:
                hit = [i for i, dl in enumerate(lines) if dl.line_type == "-" and dl.source_line_no == f.line]
            if not hit:
                continue
            first = hit[0]
            last_line = f.line + max(len(f.snippet.split("\n")) if f.snippet else 1, 1) - 1
            last = first
            for i in range(first, len(lines)):
                dl = lines[i]
                if dl.target_line_no is not None and dl.target_line_no > last_line:
                    break
                last = i
            header = rows[0] - 1
            doc.want(header, header)
            first_hunk = next(iter(pf))
            doc.wanted.update(_file_header_rows(doc.rows, (first_hunk[0].diff_line_no or 0) - 2))
            doc.want(rows[max(first - CONTEXT, 0)], rows[last])
            doc.comment(rows[last], text)
            return True
    return False


def _anchor_commit(doc: _Doc, f: Finding, text: list[str]) -> bool:
    row = f.line - 1
    if not 0 <= row < len(doc.rows):
        return False
    doc.want(row - CONTEXT + 1, row)
    doc.comment(row, text)
    return True


def _trim(out: list[str]) -> None:
    if out[-1] != TRIM:
        out.append(TRIM)


def _render_doc(doc: _Doc, out: list[str]) -> None:
    """Quote the wanted rows in order, ``[...]`` for every skipped stretch, comments in between."""
    prev: int | None = None
    for row in sorted(doc.wanted):
        if (prev is None and row > 0) or (prev is not None and row != prev + 1):
            _trim(out)
        out.append(_quote(doc.rows[row]))
        for text in doc.comments.get(row, []):
            out.append("")
            out.extend(text)
            out.append("")
        prev = row
    if prev is not None and any(r.strip() for r in doc.rows[prev + 1 :]):
        _trim(out)


# --------------------------------------------------------------------------
# The comment under a quote


def default_comment(f: Finding) -> list[str]:
    """What the reviewer says under the quoted line (see :func:`reviewkit.report.replytext.comment_text`)."""
    return comment_text(f)


def _custom_comment(text: str) -> list[str]:
    return text.strip("\n").split("\n")


# --------------------------------------------------------------------------
# Headers


def git_identity() -> str | None:
    """``user.name <user.email>`` from git config, if both are set."""
    values = []
    for key in ("user.name", "user.email"):
        try:
            proc = subprocess.run(["git", "config", "--get", key], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        value = proc.stdout.strip()
        if proc.returncode != 0 or not value:
            return None
        values.append(value)
    return f"{values[0]} <{values[1]}>"


def attribution(patch: Patch) -> str:
    """``On Wed, Mar 18, 2026 at 07:53:25PM +0000, Johannes Weiner wrote:`` (mutt's form)."""
    who = patch.author_name or "you"
    try:
        dt = parsedate_to_datetime(patch.date) if patch.date else None
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is None:
        return f"On {patch.date}, {who} wrote:" if patch.date else f"{who} wrote:"
    hour = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    zone = dt.strftime("%z") or "+0000"
    when = (
        f"{_DAYS[dt.weekday()]}, {_MONTHS[dt.month - 1]} {dt.day:02d}, {dt.year} at "
        f"{hour:02d}:{dt.minute:02d}:{dt.second:02d}{ampm} {zone}"
    )
    return f"On {when}, {who} wrote:"


def _address_key(value: str) -> str:
    return parseaddr(value)[1].lower()


def _headers(patch: Patch, sender: str) -> list[tuple[str, str]]:
    headers = [("From", sender)]
    author = patch.author.strip()
    if author:
        headers.append(("To", author))
    skip = {_address_key(author), _address_key(sender), ""}
    cc = []
    for value in patch.recipients:
        key = _address_key(value)
        if key not in skip:
            skip.add(key)
            cc.append(value)
    if cc:
        headers.append(("Cc", ", ".join(cc)))
    subject = " ".join(patch.subject.raw.split())
    if not re.match(r"(?i)^re:", subject):
        subject = f"Re: {subject}"
    headers.append(("Subject", subject))
    msgid = patch.message_id
    if msgid:
        refs = patch.message.headers.get("references", "").split()
        if msgid not in refs:
            refs.append(msgid)
        headers.append(("In-Reply-To", msgid))
        headers.append(("References", " ".join(refs)))
    return headers


def _email(headers: list[tuple[str, str]], body: str) -> str:
    msg = EmailMessage(policy=EmailPolicy(linesep="\n", max_line_length=998, utf8=False))
    for name, value in headers:
        if name in ("From", "To", "Cc"):
            addrs = getaddresses([value])
            value = ", ".join(_format_addr(n, a) for n, a in addrs if a) or value
        msg[name] = value
    msg.set_content(body, subtype="plain", charset="utf-8", cte="8bit")
    return msg.as_string()


def _format_addr(name: str, addr: str) -> str:
    from email.utils import formataddr

    return formataddr((name, addr)) if name else addr


# --------------------------------------------------------------------------
# The reply


@dataclass
class ReplyOptions:
    """What goes into the reply (``--reply-severity``, ``--reply-nits``, ``--reply-raised``)."""

    severity: Severity = Severity.WARNING
    """Findings at or above get a comment under their lines; below are nits."""
    nits: str = "group"
    """``group``: one line each at the end; ``omit``: left out."""
    raised: str = "omit"
    """Points the thread already made: ``omit``, or ``mention`` ("As X said, ...")."""


def _body(
    patch: Patch,
    findings: list[Finding],
    comments: Mapping[str, str] | None,
    options: ReplyOptions | None = None,
    raised: Mapping[str, str] | None = None,
) -> tuple[list[str], int]:
    options = options or ReplyOptions()
    raised = raised or {}
    commit = _Doc(patch.commit_message.rstrip("\n").split("\n"))
    diff = _Doc(patch.diff_text.split("\n"))
    elsewhere: list[tuple[Finding, list[str]]] = []
    nits: list[Finding] = []
    used = 0
    for f in sorted(findings, key=lambda x: (x.file != COMMIT_MSG, x.line, x.rule)):
        custom = comments.get(f.fingerprint) if comments is not None else None
        if custom is not None and not custom.strip():
            continue
        who = raised.get(f.fingerprint)
        if custom is None and who is not None and options.raised != "mention":
            continue
        if custom is None and f.severity.rank < options.severity.rank:
            if options.nits == "group" and who is None:
                nits.append(f)
                used += 1
            continue
        lead = ""
        if custom is None and who is not None:
            lead = "As you said," if who == patch.author_name else f"As {who} said,"
        text = _custom_comment(custom) if custom is not None else comment_text(f, lead=lead)
        used += 1
        placed = _anchor_commit(commit, f, text) if f.file == COMMIT_MSG else _anchor_diff(diff, patch, f, text)
        if not placed:
            elsewhere.append((f, text))
    out = [attribution(patch)]
    _render_doc(commit, out)
    _render_doc(diff, out)
    for f, text in elsewhere:
        where = f"{f.file}:{f.line}" + (f" in {function_phrase(f.function)}" if f.function else "")
        out += ["", f"Also at {where}, outside the quoted hunks:", "", *text]
    if nits:
        out += ["", "Nits:", ""]
        for f in nits:
            out += nit_line(f)
    while out and not out[-1].strip():
        out.pop()
    return out, used


def _resolve_patch(series: Series, patch: Patch | int | None) -> Patch | None:
    if isinstance(patch, int):
        if not 0 <= patch < len(series.patches):
            raise ValueError(f"no patch at position {patch} (series has {len(series.patches)})")
        return series.patches[patch]
    return patch


def build_reply(
    series: Series,
    findings: Iterable[Finding],
    patch: Patch | int | None = None,
    comments: Mapping[str, str] | None = None,
    *,
    sender: str | None = None,
    options: ReplyOptions | None = None,
) -> str:
    """The review email(s) for ``findings`` on ``series``.

    ``patch`` (a Patch or its 0-based position) picks the patch to answer and
    keeps only its findings; with ``None`` every patch that has findings gets
    a reply, one email when that is a single patch, else an mbox of replies.
    ``comments`` maps a finding's fingerprint to the text the reviewer wants
    under the quote instead of the generated one; an empty text drops the
    finding from the reply (and a text given there is used whatever the
    options say).  ``sender`` defaults to git's user.name/email.
    ``options`` (see :class:`ReplyOptions`) choose what goes in: by default
    errors and warnings get a comment, nits one line each at the end, and
    points a reply in the thread already made are left out.
    Returns ``""`` when there is nothing to say.
    """
    findings = list(findings)
    raised = raised_in_thread(series, findings)
    target = _resolve_patch(series, patch)
    by_patch: dict[int, list[Finding]] = {}
    for f in findings:
        owner = patch_for(series, f)
        if owner is None or (target is not None and owner is not target):
            continue
        by_patch.setdefault(owner.position, []).append(f)
    sender = sender or git_identity() or PLACEHOLDER_SENDER
    messages = []
    for position in sorted(by_patch):
        p = series.patches[position]
        lines, used = _body(p, by_patch[position], comments, options, raised)
        if used:
            messages.append(_email(_headers(p, sender), "\n".join(lines) + "\n"))
    if len(messages) <= 1:
        return messages[0] if messages else ""
    parts = []
    for text in messages:
        escaped = re.sub(r"(?m)^(>*From )", r">\1", text)
        parts.append(f"{MBOX_FROM}\n{escaped}")
    return "\n".join(parts)
