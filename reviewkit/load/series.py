"""Read a patch series from what a kernel developer has at hand.

Inputs: an mbox (``git format-patch --stdout``, ``b4 am``, ``b4 mbox``), a
single .patch/.eml, a directory of .patch files, stdin (one message, the way
``b4 prep --check`` feeds a check command) or a git range.  Everything comes
out as a :class:`Series` of :class:`Patch` objects that keep the email facts
(subject prefixes parsed the way b4 does, author, message-id, trailers), the
commit message, and the diff parsed by unidiff, plus the line of the input
file each diff line came from, so findings can point into the mbox too.

Anything that is not a usable series raises :class:`InputError` with one
line that says what is wrong and where.
"""

# size: the message-to-patch reader (subject, parts, diff, bounds) is one path; see mime, anchor, coverage

from __future__ import annotations

import email
import email.policy
import itertools
import re
import sys
from dataclasses import dataclass, field
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import cast

import unidiff

from reviewkit.errors import InputError
from reviewkit.io import NotRegularFile, TooLarge, read_bounded
from reviewkit.load import mime
from reviewkit.words import plural

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Refuse inputs beyond this: no real series is that large, and parsing a
runaway file would hang a pre-send hook."""

_SEPARATOR_RE = re.compile(rb"^From \S+ +\S+ \S+ +\d+ \d+:\d+:\d+ \d{4}\s*$|^From \S+@\S+ .*$")
_PREFIX_RE = re.compile(r"^\s*\[([^\]]*)\]\s*")
_COUNTER_RE = re.compile(r"^(\d+)/(\d+)$")
_VERSION_RE = re.compile(r"^v(\d+)$", re.IGNORECASE)
_PATCHV_RE = re.compile(r"^(?:PATCH|RFC)v(\d+)$", re.IGNORECASE)
_REPLY_RE = re.compile(r"^\s*(re|aw|fwd?)\s*:", re.IGNORECASE)
_TRAILER_RE = re.compile(r"^([A-Z][A-Za-z0-9-]*[A-Za-z0-9]):\s+(\S.*)$")
_DIFF_START_RE = re.compile(r"^(diff --git |--- (?:a/|/dev/null)|Index: )", re.MULTILINE)


@dataclass(frozen=True)
class Subject:
    """A subject split the way b4 splits it."""

    raw: str
    title: str
    prefixes: tuple[str, ...] = ()
    version: int = 1
    index: int = 1
    total: int = 1
    is_reply: bool = False
    has_counter: bool = False

    @property
    def is_cover(self) -> bool:
        return self.has_counter and self.index == 0


def parse_subject(raw: str) -> Subject:
    """Parse ``[RFC PATCH v3 07/10] mm: foo`` and b4's variants (``PATCHv2``)."""
    text = " ".join(raw.split())
    is_reply = False
    while True:
        m = _REPLY_RE.match(text)
        if not m:
            break
        is_reply = True
        text = text[m.end() :].lstrip()
    prefixes: list[str] = []
    while True:
        m = _PREFIX_RE.match(text)
        if not m:
            break
        prefixes.extend(m.group(1).split())
        text = text[m.end() :]
    version, index, total, has_counter = 1, 1, 1, False
    for word in prefixes:
        if m := _COUNTER_RE.match(word):
            index, total, has_counter = int(m.group(1)), int(m.group(2)), True
        elif (m := _VERSION_RE.match(word)) or (m := _PATCHV_RE.match(word)):
            version = int(m.group(1))
    return Subject(raw, text.strip(), tuple(prefixes), version, index, total, is_reply, has_counter)


@dataclass
class Message:
    """One email of the input, decoded."""

    headers: dict[str, str]
    body: str
    subject: Subject
    source: str
    body_line: int
    """1-based line of the input file where the body starts (0: unknown)."""

    @property
    def message_id(self) -> str:
        return self.headers.get("message-id", "").strip()

    @property
    def in_reply_to(self) -> str:
        return self.headers.get("in-reply-to", "").strip()

    @property
    def author(self) -> str:
        return self.headers.get("from", "")

    @property
    def date(self) -> str:
        return self.headers.get("date", "")


@dataclass
class Patch:
    """One patch of a series: email facts, commit message and parsed diff."""

    message: Message
    commit_message: str
    trailers: list[tuple[str, str]]
    diff_text: str
    patchset: unidiff.PatchSet
    diff_line: int
    """1-based line of the input file holding the first line of ``diff_text``."""
    position: int = 0
    """0-based position in the series' patch list (stable id for reports)."""
    warnings: list[str] = field(default_factory=list)
    reply: Message | None = field(default=None, repr=False)
    """The reply this patch came from, when a "Re:" carrying a diff is all there is to review."""

    @property
    def subject(self) -> Subject:
        return self.message.subject

    @property
    def version(self) -> int:
        return self.subject.version

    @property
    def index(self) -> int:
        return self.subject.index

    @property
    def total(self) -> int:
        return self.subject.total

    @property
    def author(self) -> str:
        return self.message.author

    @property
    def author_name(self) -> str:
        name, addr = parseaddr(self.message.author)
        return name or addr

    @property
    def date(self) -> str:
        return self.message.date

    @property
    def message_id(self) -> str:
        return self.message.message_id

    @property
    def recipients(self) -> list[str]:
        """To and Cc addresses, as a reply-all would use them."""
        values = [self.message.headers.get(k, "") for k in ("to", "cc")]
        return [f"{n} <{a}>" if n else a for n, a in getaddresses(values) if a]

    def input_line(self, diff_line_no: int) -> int:
        """Line of the input file for unidiff's 1-based ``diff_line_no``."""
        return self.diff_line + diff_line_no - 1 if self.diff_line else 0


@dataclass
class Series:
    """A patch series: ordered patches, cover letter, replies, warnings."""

    source: str
    patches: list[Patch]
    cover: Message | None = None
    replies: list[Message] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    older: list[Patch] = field(default_factory=list)
    """Patches of earlier versions found in the same mbox (their trailers carry over, b4-style)."""
    older_covers: list[Message] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.patches[0].version if self.patches else 1

    @property
    def title(self) -> str:
        if self.cover is not None:
            return self.cover.subject.title
        return self.patches[0].subject.title if self.patches else ""

    @property
    def total(self) -> int:
        return self.patches[0].total if self.patches else 0


# --------------------------------------------------------------------------
# Splitting input into messages


def _read_bytes(path: str) -> tuple[bytes, str]:
    if path == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        return data, "<stdin>"
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file or directory")
    if p.is_dir():
        raise InputError(f"{path}: is a directory")
    try:
        return read_bounded(p, MAX_INPUT_BYTES), path
    except TooLarge:
        raise InputError(f"{path}: too large for a patch series (limit {MAX_INPUT_BYTES} bytes)") from None
    except NotRegularFile as exc:
        raise InputError(f"{path}: {exc} (give a file, a directory or - for stdin)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def split_mbox(data: bytes) -> list[tuple[int, bytes]]:
    """Split raw mbox bytes into (first line number, message bytes).

    Accepts the separators of format-patch (``From <sha> Mon Sep 17 ...``),
    b4 (``From git@z ...``, ``From mboxrd@z ...``) and a file with no
    separator at all (a single .eml/.patch).  mboxrd quoting (``>From``) is
    undone.
    """
    lines = data.split(b"\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(b"From ") and _SEPARATOR_RE.match(line)]
    if not starts:
        return [(1, data)]
    chunks: list[tuple[int, bytes]] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = [_unquoted(line) if line.startswith(b">") else line for line in lines[start + 1 : end]]
        chunks.append((start + 2, b"\n".join(body)))
    return chunks


_MBOXRD_RE = re.compile(rb"^>(>*From )")


def _unquoted(line: bytes) -> bytes:
    """``>From `` (mboxrd quoting) back to ``From ``; only a line starting with ``>`` can be quoted, so
    the rest of a message is not searched line by line (a list archive has millions of lines)."""
    return _MBOXRD_RE.sub(rb"\1", line)


def _header_block_lines(raw: bytes) -> int:
    """Number of lines up to and including the blank line after the headers."""
    end = raw.find(b"\n\n")
    return raw[: end + 1].count(b"\n") + 1 if end >= 0 else 0


def _decode_part(part: EmailMessage, where: str) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except LookupError:
        raise InputError(f"{where}: unknown charset {charset!r}") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: body is not valid {charset} (byte 0x{payload[exc.start]:02x} at offset {exc.start})"
        ) from None


def _body_text(msg: EmailMessage, where: str) -> str:
    """Body and patch attachments (see :func:`reviewkit.load.mime.body_text`)."""
    return mime.body_text(msg, lambda part: _decode_part(part, where))  # type: ignore[arg-type]


def _plain_unstructured(name: str, raw: str) -> bool:
    """Is ``raw`` a header the e-mail package decodes to itself, unfolded?  An unstructured header
    (Subject, Received, X-*, DKIM-Signature... every name its registry does not give a structure) in
    plain ASCII with no encoded word: its parse keeps every character and only drops the line breaks.
    A list archive's messages carry dozens of such headers each, all different, and the package's
    parser costs more than the rest of the message."""
    if not raw.isascii() or "=?" in raw:
        return False
    factory = cast(HeaderRegistry, email.policy.default.header_factory)
    return issubclass(factory.registry.get(name.lower(), factory.default_class), UnstructuredHeader)


def parse_message(
    raw: bytes, source: str, first_line: int, number: int, seen: dict[tuple[str, str], str] | None = None
) -> Message:
    """Decode one email (headers, transfer encodings, charset, CRLF).

    ``seen``: decoded header values by (name, raw value), shared by the
    messages of one mbox: the messages of a series or a list archive repeat
    their From/To/Cc lines, and decoding one (the e-mail package's header
    parser) costs more than the rest of the message.
    """
    raw = raw.replace(b"\r\n", b"\n")
    where = f"{source}: message {number}" if number else source
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    seen = {} if seen is None else seen
    headers: dict[str, str] = {}
    for key, raw_value in msg.raw_items():
        text = seen.get((key, raw_value))
        if text is None:
            if _plain_unstructured(key, raw_value):
                text = raw_value.replace("\r", "").replace("\n", "")  # what the parser gives, unfolded
            else:
                value = msg.policy.header_fetch_parse(key, raw_value)  # what msg.items() gives
                try:
                    text = str(value)
                except (ValueError, TypeError, IndexError):
                    text = ""
            seen[(key, raw_value)] = text
        headers.setdefault(key.lower(), text)
    body = _body_text(msg, where).replace("\r\n", "\n")
    subject = parse_subject(headers.get("subject", ""))
    encoding = headers.get("content-transfer-encoding", "").lower()
    exact = encoding not in ("quoted-printable", "base64") and not msg.is_multipart()
    body_line = first_line + _header_block_lines(raw) if exact and headers else 0
    if not headers:
        try:
            body = raw.decode("utf-8", "strict") if raw else ""
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: not UTF-8 text (byte {exc.start}); not a patch or an mbox") from None
        body_line = first_line
    return Message(headers, body, subject, source, body_line)


# --------------------------------------------------------------------------
# From a message to a patch


def _split_body(body: str) -> tuple[str, str, int]:
    """(commit message, diff text, 0-based line of the diff in the body)."""
    m = _DIFF_START_RE.search(body)
    start = m.start() if m else mime.find_diff(body)
    if start is None:
        return body, "", -1
    # A '--- a/' line that is not preceded by 'diff --git' still starts a diff;
    # but the changelog/diffstat separator is a bare '---'.
    head = body[:start]
    sep = re.search(r"^---\s*$", head, re.MULTILINE)
    commit = head[: sep.start()] if sep else head
    return commit.rstrip("\n") + "\n", body[start:], head.count("\n")


def _strip_signature(diff: str) -> str:
    """Drop the ``-- \\n2.43.0`` format-patch signature after the last hunk."""
    idx = diff.rfind("\n-- \n")
    return diff[: idx + 1] if idx >= 0 else diff


def parse_trailers(commit: str) -> list[tuple[str, str]]:
    """Trailers of the last paragraph (Signed-off-by, Reviewed-by, ...)."""
    paragraphs = [p for p in commit.strip("\n").split("\n\n") if p.strip()]
    if not paragraphs:
        return []
    out = []
    for line in paragraphs[-1].splitlines():
        m = _TRAILER_RE.match(line.strip())
        if m:
            out.append((m.group(1), m.group(2).strip()))
    return out


def patch_from_message(msg: Message, where: str) -> Patch | None:
    """Build a Patch from a message, or None if it carries no diff."""
    msg = _named_by_body(msg)
    commit, diff, diff_offset = _split_body(msg.body)
    if not diff:
        return None
    diff = mime.fix_mm_names(_strip_signature(diff))
    warnings: list[str] = []
    if "\nGIT binary patch\n" in diff or "\nBinary files " in diff:
        warnings.append(f"{where}: binary diff skipped (only text changes are reviewed)")
    try:
        patchset = unidiff.PatchSet(diff)
    except (unidiff.UnidiffParseError, ValueError, IndexError) as exc:
        raise InputError(f"{where}: malformed diff: {one_line(str(exc))}") from None
    text_files = [f for f in patchset if not f.is_binary_file]
    if not text_files:
        raise InputError(f"{where}: no text diff (binary changes only)")
    if not any(len(f) for f in text_files) and not any(f.is_rename or f.is_removed_file for f in text_files):
        raise InputError(f"{where}: diff has no hunks")
    diff_line = msg.body_line + diff_offset if msg.body_line else 0
    return Patch(msg, commit, parse_trailers(commit), diff, patchset, diff_line, warnings=warnings)


def _named_by_body(msg: Message) -> Message:
    """In-body From:/Subject: (git am's, the -mm tree notifications') name the patch, not the mail header."""
    m = _DIFF_START_RE.search(msg.body)
    at = m.start() if m else mime.find_diff(msg.body)
    found = mime.inner_headers(msg.body, at) if at is not None else None
    if found is None:
        return msg
    fields, rest = found
    skipped = msg.body[: len(msg.body) - len(rest)].count("\n")
    headers = {**msg.headers, **fields}
    line = msg.body_line + skipped if msg.body_line else 0
    return Message(headers, rest, parse_subject(fields.get("subject", msg.subject.raw)), msg.source, line)


# --------------------------------------------------------------------------
# Whole series


def one_line(text: str) -> str:
    """A library's message as one line (unidiff's keep the offending line's newline)."""
    return " ".join(text.split()) or "unparsable"


def truncation_note(data: bytes, source: str) -> list[str]:
    """A note when the input looks cut short (a killed download, a partial copy).

    git format-patch, b4 and mail clients end every message with a newline,
    and every message of an mbox has a header block ended by a blank line.
    """
    if not data.endswith(b"\n"):
        return [f"{source}: input does not end with a newline: it may be truncated"]
    chunks = split_mbox(data)
    if len(chunks) > 1 and b"\n\n" not in chunks[-1][1]:
        return [f"{source}: the last message (line {chunks[-1][0] - 1}) has no body: the input may be truncated"]
    return []


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:65536]


def _messages_from_bytes(data: bytes, source: str) -> list[Message]:
    if not data.strip():
        raise InputError(f"{source}: empty input")
    if _looks_binary(data):
        raise InputError(f"{source}: binary file, not a patch or mbox")
    chunks = split_mbox(data)
    messages = []
    seen: dict[tuple[str, str], str] = {}
    for number, (first, raw) in enumerate(chunks, 1):
        messages.append(parse_message(raw, source, first, number if len(chunks) > 1 else 0, seen))
    return messages


def _bare_diff_message(data: bytes, source: str) -> Message | None:
    """A plain ``git diff`` output with no email headers is one patch."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    if not _DIFF_START_RE.match(text.lstrip("\n")):
        return None
    title = Path(source).name if source != "<stdin>" else "stdin"
    return Message({}, text, Subject(title, title), source, 1)


def build_series(messages: list[Message], source: str, *, expect_whole: bool = True) -> Series:
    """Order the patches by counter, find the cover letter, keep replies."""
    patches: list[Patch] = []
    covers: list[Message] = []
    replies: list[Message] = []
    for n, msg in enumerate(messages, 1):
        where = f"{source}: message {n}" if len(messages) > 1 else source
        if msg.subject.is_reply:
            replies.append(msg)
            continue
        patch = patch_from_message(msg, where)
        if patch is None:
            if msg.subject.is_cover:
                covers.append(msg)
            else:
                replies.append(msg)
            continue
        patches.append(patch)
    if not patches:
        patches = _reply_patches(replies, messages, source)
        used = {id(p.reply) for p in patches}
        replies = [r for r in replies if id(r) not in used]
    if not patches:
        raise InputError(f"{source}: no patch found (no diff in {plural(len(messages), 'message')})")
    newest = max(p.version for p in patches)
    # the cover letter of the version reviewed; older ones are kept for their replies
    cover = next((c for c in covers if c.subject.version == newest), None)
    if cover is None and covers and len({p.version for p in patches}) == 1:
        cover = covers[0]
    series = Series(source, patches, cover, replies)
    series.older_covers = [c for c in covers if c is not cover]
    if any(p.version != newest for p in patches):
        older = sum(1 for p in patches if p.version != newest)
        series.warnings.append(
            f"{source}: {plural(older, 'patch', 'es')} of older versions ignored; checking v{newest}"
        )
        series.older = [p for p in patches if p.version != newest]
        series.patches = [p for p in patches if p.version == newest]
    series.patches.sort(key=lambda p: p.index if p.subject.has_counter else 1_000_000)
    for pos, patch in enumerate(series.patches):
        patch.position = pos
        series.warnings.extend(patch.warnings)
    if expect_whole:
        series.warnings.extend(_missing_patches(series))
    return series


def _reply_patches(replies: list[Message], messages: list[Message], source: str) -> list[Patch]:
    """No patch but replies carrying a diff (a "Re:" with a test diff): review those, saying so."""
    out = []
    for msg in replies:
        n = messages.index(msg) + 1
        where = f"{source}: message {n}" if len(messages) > 1 else source
        patch = patch_from_message(msg, where) if msg.subject.is_reply else None
        if patch is not None:
            patch.reply = msg
            patch.warnings.append(f"{where}: a reply ({msg.subject.raw.strip()}); reviewing the diff it carries")
            out.append(patch)
    return out


def _missing_patches(series: Series) -> list[str]:
    counted = [p for p in series.patches if p.subject.has_counter]
    if not counted:
        return []
    total = counted[0].total
    have = {p.index for p in counted if 1 <= p.index <= total}
    if len(have) >= total:
        return []
    # The counter is the sender's claim: never materialise the range it names.
    missing = list(itertools.islice((i for i in range(1, total + 1) if i not in have), 10))
    more = total - len(have) > len(missing)
    shown = ", ".join(f"{i}/{total}" for i in missing) + (f" ... ({total - len(have)} in all)" if more else "")
    return [f"{series.source}: series is incomplete: patch {shown} not in the input"]


def load(path: str) -> Series:
    """Load a series from a file, a directory of .patch files, or ``-``."""
    if path != "-" and Path(path).is_dir():
        return load_directory(path)
    data, source = _read_bytes(path)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{source}: input is too large for a patch series (limit {MAX_INPUT_BYTES} bytes)")
    if not data.strip():
        raise InputError(f"{source}: empty input")
    if _looks_binary(data):
        raise InputError(f"{source}: binary file, not a patch or mbox")
    stripped = data.lstrip(b"\n")
    if _DIFF_START_RE.match(stripped.decode("utf-8", "replace")):
        msg = _bare_diff_message(data, source)
        if msg is not None:
            series = build_series([msg], source, expect_whole=False)
            series.warnings.extend(truncation_note(data, source))
            return series
    messages = _messages_from_bytes(data, source)
    if not any(m.headers for m in messages):
        if not any(_split_body(m.body)[1] for m in messages):
            raise InputError(f"{source}: not an mbox, patch or diff (no email headers, no diff)")
        # text with a diff inside (a notification pasted from the web): the diff is the patch
        title = Path(source).name if source != "<stdin>" else "stdin"
        named = [Message({}, m.body, Subject(title, title), m.source, m.body_line) for m in messages]
        return build_series(named, source, expect_whole=False)
    series = build_series(messages, source, expect_whole=path != "-")
    series.warnings.extend(truncation_note(data, source))
    return series


def load_directory(path: str) -> Series:
    """Every ``*.patch`` (and ``*.eml``/``*.mbx``) file in a directory."""
    files = sorted(p for p in Path(path).iterdir() if p.suffix in (".patch", ".eml", ".mbx", ".diff") and p.is_file())
    if not files:
        raise InputError(f"{path}: no .patch files in this directory")
    messages: list[Message] = []
    for f in files:
        data, source = _read_bytes(str(f))
        if _DIFF_START_RE.match(data.lstrip(b"\n").decode("utf-8", "replace")):
            msg = _bare_diff_message(data, source)
            if msg is not None:
                messages.append(msg)
                continue
        messages.extend(_messages_from_bytes(data, source))
    return build_series(messages, path)


def _range_ends(rev_range: str) -> list[str]:
    """The revisions ``A..B``/``A...B``/``A`` names (git's ``^!``-style suffixes are left to git to judge)."""
    sep = "..." if "..." in rev_range else ".." if ".." in rev_range else None
    parts = rev_range.split(sep, 1) if sep else [rev_range]
    return [p for p in parts if p and not re.search(r"\^[!@-]", p)]


def load_git_range(rev_range: str, repo_dir: str = ".") -> Series:
    """A commit range of a local repository, through ``git format-patch``.

    git runs with the repository's hooks, fsmonitor, textconv and external
    diff switched off (:mod:`reviewkit.gitsafe`): nothing of the repo runs.
    """
    from reviewkit.gitsafe import run_git

    if not rev_range or rev_range.startswith("-") or "\n" in rev_range or "\0" in rev_range:
        # git would parse "--output=FILE" as an option, and open FILE before refusing it.
        raise InputError(f"--git {rev_range!r}: not a revision range (a revision cannot start with '-')")

    probe = run_git(["rev-parse", "--git-dir"], repo_dir) if Path(repo_dir).is_dir() else None
    if probe is None or probe.returncode:
        raise InputError(f"{repo_dir}: not a git repository")
    args = ["format-patch", "--stdout", "--no-signature", "--no-textconv", "--no-ext-diff", "--end-of-options"]
    proc = run_git([*args, rev_range], repo_dir)
    if proc is None or proc.returncode:
        for rev in _range_ends(rev_range):  # say which end is unknown, in one line of our own
            check = run_git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], repo_dir)
            if check is not None and check.returncode:
                raise InputError(f"--git {rev_range}: unknown revision '{rev}' in this repository")
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines() if proc is not None else []
        fatal = [ln.removeprefix("fatal: ") for ln in lines if ln.startswith(("fatal: ", "error: "))]
        detail = fatal[0] if fatal else lines[-1] if lines else "git format-patch failed"
        raise InputError(f"--git {rev_range}: {detail}")
    text = proc.stdout.decode("utf-8", "surrogateescape")
    if not text.strip():
        raise InputError(f"--git {rev_range}: no commits in range")
    messages = _messages_from_bytes(text.encode("utf-8", "surrogateescape"), f"git:{rev_range}")
    return build_series(messages, f"git:{rev_range}", expect_whole=False)
