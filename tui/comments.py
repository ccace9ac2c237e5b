"""Replies already in the thread, placed on the patch lines they quote.

The mapping from a reply's quoted text back to patch lines is the library's
job (``reviewkit.thread``); this module only adapts its records to what the
diff view draws.  Without that module, or for input without replies, there
are simply no comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reviewkit.series import Patch, Series

from .session import optional


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


def available() -> bool:
    return optional("reviewkit.thread", "thread_comments") is not None


def _get(obj: Any, *names: str, default: Any = "") -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def comments_for(series: Series, patch: Patch) -> list[Comment]:
    """Comments of the thread's replies to ``patch`` (empty when unavailable)."""
    if not series.replies:
        return []
    thread_comments = optional("reviewkit.thread", "thread_comments")
    if thread_comments is None:
        return []
    out = []
    for rec in thread_comments(series, patch):
        text = str(_get(rec, "comment", "text", default="")).strip("\n")
        if not text.strip():
            continue
        out.append(
            Comment(
                author=str(_get(rec, "author")),
                date=str(_get(rec, "date")),
                message_id=str(_get(rec, "message_id")),
                path=str(_get(rec, "file", "path")),
                line=int(_get(rec, "line", default=0) or 0),
                text=text,
            )
        )
    return out
