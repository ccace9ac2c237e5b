"""Trailers given on the thread (Acked-by, Reviewed-by, Tested-by ...) and the link to the last version.

What ``b4 am`` adds to the patches it writes, computed the same way, so that
``reviewkit amend`` and the TUI's ``w`` carry them into the next version:

- a trailer counts when it is a line of the replier's own text (not quoted),
  in the last paragraphs of a reply, of the form ``Name-by: Person <addr>``;
- it belongs to the patch the reply is under (up the In-Reply-To chain:
  replies to replies count), or to every patch when the reply is under the
  cover letter;
- a reply under an earlier version's patch counts for the patch of this
  version with the same patch id (whitespace and line numbers ignored), as
  b4 carries a review over an unchanged patch;
- trailers the commit message already has are not repeated; the patch's own
  follow-ups come first, in mbox order, then the cover letter's.

Tests compare the result with what real ``b4 am -m FILE`` writes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from reviewkit.load.series import Message, Patch, Series

_QUOTE_RE = re.compile(r"^\s*>")
_PERSON_TRAILER_RE = re.compile(r"^([A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-by):\s+(\S.*<[^>\s]+@[^>\s]+>)\s*$")
LINK_MASK = "https://patch.msgid.link/{}"
"""How b4 (0.14+) writes a message id as a link."""


@dataclass(frozen=True)
class Trailer:
    name: str
    value: str
    message_id: str
    """The reply it was given in."""

    @property
    def line(self) -> str:
        return f"{self.name}: {self.value}"


def given_trailers(body: str) -> list[tuple[str, str]]:
    """``(Name-by, Person <addr>)`` lines the author of ``body`` wrote (quoted lines and the signature skipped)."""
    out = []
    for raw in body.split("\n"):
        if raw.rstrip() == "--":
            break
        if _QUOTE_RE.match(raw):
            continue
        m = _PERSON_TRAILER_RE.match(raw.strip())
        if m:
            out.append((m.group(1), m.group(2).strip()))
    return out


def patch_id(patch: Patch) -> str:
    """Like ``git patch-id --stable``: the diff with line numbers, index lines and whitespace ignored."""
    h = hashlib.sha1()
    for line in patch.diff_text.split("\n"):
        if line.startswith(("index ", "@@")):
            h.update(b"@@" if line.startswith("@@") else b"")
            continue
        h.update("".join(line.split()).encode("utf-8", "replace"))
    return h.hexdigest()


def _target(reply: Message, by_id: dict[str, Message], roots: set[str]) -> str | None:
    """Message id of the patch or cover letter ``reply`` is (indirectly) under."""
    seen: set[str] = set()
    msg: Message | None = reply
    while msg is not None and msg.in_reply_to and msg.in_reply_to not in seen:
        parent = msg.in_reply_to
        if parent in roots:
            return parent
        seen.add(parent)
        msg = by_id.get(parent)
    return None


def follow_ups(series: Series) -> dict[int, list[Trailer]]:
    """Trailers to add to each patch of the reviewed version, by patch position."""
    covers = [c for c in [series.cover, *series.older_covers] if c is not None]
    all_patches = [*series.patches, *series.older]
    roots = {m.message_id for m in covers if m.message_id} | {p.message_id for p in all_patches if p.message_id}
    by_id = {m.message_id: m for m in [*series.replies, *covers, *(p.message for p in all_patches)] if m.message_id}
    current_cover = series.cover.message_id if series.cover is not None else None
    by_pid: dict[str, list[Patch]] = {}
    for p in series.patches:
        by_pid.setdefault(patch_id(p), []).append(p)
    patch_of = {p.message_id: p for p in all_patches if p.message_id}
    own: dict[int, list[Trailer]] = {p.position: [] for p in series.patches}
    cover_trailers: list[Trailer] = []
    for reply in series.replies:
        given = given_trailers(reply.body)
        if not given:
            continue
        target = _target(reply, by_id, roots)
        trailers = [Trailer(n, v, reply.message_id) for n, v in given]
        if target is not None and target == current_cover:
            cover_trailers.extend(trailers)
            continue
        old = patch_of.get(target or "")
        if old is None:
            continue
        if any(old is p for p in series.patches):
            own[old.position].extend(trailers)
        else:
            for p in by_pid.get(patch_id(old), []):
                own[p.position].extend(trailers)
    out: dict[int, list[Trailer]] = {}
    for p in series.patches:
        have = {(n.lower(), v.lower()) for n, v in p.trailers}
        merged: list[Trailer] = []
        for t in [*own[p.position], *cover_trailers]:
            key = (t.name.lower(), t.value.lower())
            if key not in have:
                have.add(key)
                merged.append(t)
        out[p.position] = merged
    return out


def with_trailers(commit_message: str, trailers: list[Trailer]) -> str:
    """The commit message with ``trailers`` appended to its trailer block."""
    from reviewkit.load.series import parse_trailers

    text = commit_message.rstrip("\n")
    if not trailers:
        return text + "\n"
    gap = "\n" if not parse_trailers(text) else ""  # start a trailer block when the message has none
    return text + "\n" + gap + "".join(t.line + "\n" for t in trailers)


def version_link(series: Series) -> tuple[int, str] | None:
    """(version, link) of the version the input is: what the next version's notes point back to."""
    root = series.cover.message_id if series.cover is not None else series.patches[0].message_id
    root = root.strip().strip("<>")
    if not root:
        return None
    return series.version, LINK_MASK.format(root)
