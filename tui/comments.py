"""Replies already in the thread, placed on the patch lines they quote.

The mapping from a reply's quoted text back to patch lines is the library's
job (``reviewkit.load.thread``); this module only adapts its records to what the
diff view draws.  Without that module, or for input without replies, there
are simply no comments.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewkit.load.series import Patch, Series


@dataclass(frozen=True)
class Comment:
    """What one reviewer wrote under one quoted line."""

    author: str
    date: str
    message_id: str
    path: str
    """File of the quoted line; ``COMMIT_MSG`` for a line of the commit message."""
    line: int
    """Post-image line (or 1-based commit-message line when ``path`` is empty)."""
    text: str


def comments_for(series: Series, patch: Patch) -> list[Comment]:
    """Comments of the thread's replies to ``patch``, each on the line right above it."""
    if not series.replies:
        return []
    from reviewkit.load.thread import comments_by_patch as by_patch

    out = []
    for rec in by_patch(series).get(patch.position, []):
        text = str(rec.text).strip("\n")
        if not text.strip() or rec.is_tag or rec.line is None:
            continue
        out.append(
            Comment(
                author=rec.author_name,
                date=rec.date,
                message_id=rec.message_id,
                path=rec.file or "",
                line=int(rec.line),
                text=text,
            )
        )
    return out
