"""Mail as it arrives: where the diff is in a message, and whose patch it is.

``git apply`` and checkpatch.pl look for the diff wherever it is; the mail
header only names the patch.  So do these helpers:

- :func:`body_text`: the text parts of a message that can hold a patch, in
  order: ``text/plain`` (inline or attached), ``text/x-patch``,
  ``text/x-diff`` and friends, and attachments of any type named
  ``*.patch``/``*.diff`` (mail clients send them as
  ``application/octet-stream``); base64 and quoted-printable are decoded.
  An attached message (``message/rfc822``, or a ``git format-patch`` file
  as an attachment) contributes its own ``From:``/``Subject:``, which then
  name the patch.
- :func:`inner_headers`: ``From:``/``Subject:``/``Date:`` lines in the body
  (``git am``'s in-body headers at the top of the body, or after a line of
  dashes, as the "The patch titled ... has been added to the -mm tree"
  notifications carry them): they name the patch instead of the mail's.
- :func:`fix_mm_names`: -mm patches name the old file ``a/path~patch-name``;
  the real path is the new side's, as ``git apply`` picks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage, Message

_PATCH_TYPES = ("text/plain", "text/x-patch", "text/x-diff", "text/patch", "text/diff")
_PATCH_NAME_RE = re.compile(r"\.(?:patch|diff)$", re.IGNORECASE)
_MBOX_FROM_RE = re.compile(r"^From \S+ +\S+ \S+ +\d+ \d+:\d+:\d+ \d{4}\s*\n")
_HEADER_LINE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$")
_NAMING = ("from", "subject", "date")
_SEPARATOR_RE = re.compile(r"^-{5,}\s*$")
_MM_OLD_RE = re.compile(r"^--- (a/[^\s~]+)~\S*(?=\n\+\+\+ )", re.MULTILINE)
_TRADITIONAL_RE = re.compile(r"^--- \S.*\n\+\+\+ \S.*\n@@ -\d", re.MULTILINE)

Decoder = Callable[[Message], str]


def is_patch_part(part: Message) -> bool:
    """A leaf part that may carry a diff (the body, a patch attachment of any declared type)."""
    ctype = part.get_content_type()
    name = part.get_filename() or ""
    return bool(_PATCH_NAME_RE.search(name)) or ctype in _PATCH_TYPES or ctype.endswith(("-patch", "-diff"))


def body_text(msg: EmailMessage, decode: Decoder) -> str:
    """The text of every part of ``msg`` that may hold the patch, attached messages' names kept."""
    if not msg.is_multipart():
        return decode(msg)
    texts = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            continue  # its own parts come next in the walk; its headers are added by the inner part
        if part.is_multipart() or not is_patch_part(part):
            continue
        text = decode(part)
        attached = _attached_message(text)
        texts.append(attached if attached is not None else text)
    inner = _rfc822_headers(msg)
    return "\n".join([*inner, *texts]) if inner else "\n".join(texts)


def _rfc822_headers(msg: EmailMessage) -> list[str]:
    """A forwarded/attached message names the patch it carries: its From/Subject as in-body headers."""
    for part in msg.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message) and inner.get("subject"):
            lines = [f"{k.title()}: {inner[k]}" for k in _NAMING if inner.get(k)]
            return ["-" * 10, *lines, ""]
    return []


def _attached_message(text: str) -> str | None:
    """A ``git format-patch`` file attached as text: its naming headers as in-body headers, then its body."""
    rest = _MBOX_FROM_RE.sub("", text, count=1)
    head, sep, body = rest.partition("\n\n")
    if not sep:
        return None
    fields = _header_fields(head.split("\n"))
    if fields is None or "subject" not in fields or "from" not in fields:
        return None
    return "\n".join(["-" * 10, *(f"{k.title()}: {fields[k]}" for k in _NAMING if k in fields), "", body])


def _header_fields(lines: list[str]) -> dict[str, str] | None:
    """``Name: value`` lines (continuations folded); None when a line is not a header."""
    out: dict[str, str] = {}
    last = None
    for line in lines:
        if line[:1] in (" ", "\t") and last is not None:
            out[last] += " " + line.strip()
            continue
        m = _HEADER_LINE_RE.match(line)
        if m is None:
            return None
        last = m.group(1).lower()
        out.setdefault(last, m.group(2).strip())
    return out or None


def inner_headers(body: str, diff_at: int) -> tuple[dict[str, str], str] | None:
    """In-body ``From:``/``Subject:`` (at the top, or after a line of dashes) before the diff.

    Returns the naming headers found and the body from the line after them;
    None when the body has none.  The last such block before the diff wins:
    a notification's own text may quote others.
    """
    lines = body[:diff_at].split("\n")
    found: tuple[dict[str, str], int] | None = None
    for i in range(len(lines)):
        if i > 0 and not _SEPARATOR_RE.match(lines[i - 1]):
            continue
        j = i
        while j < len(lines) and lines[j].strip():
            j += 1
        if j == i or j >= len(lines):
            continue
        fields = _header_fields(lines[i:j])
        if fields is None or not ({"from", "subject"} & fields.keys()) or not fields.keys() <= {*_NAMING}:
            continue
        found = ({k: v for k, v in fields.items() if k in _NAMING}, j + 1)
    if found is None:
        return None
    fields, start = found
    offset = sum(len(ln) + 1 for ln in lines[:start])
    return fields, body[offset:]


def find_diff(body: str) -> int | None:
    """Offset of a traditional ``---``/``+++``/``@@`` diff (any path prefix), as ``git apply`` finds one."""
    m = _TRADITIONAL_RE.search(body)
    return m.start() if m else None


def fix_mm_names(diff: str) -> str:
    """``--- a/mm/foo.c~mm-fix-foo`` -> ``--- a/mm/foo.c`` (the -mm tree's patch naming)."""
    return _MM_OLD_RE.sub(lambda m: f"--- {m.group(1)}", diff)
