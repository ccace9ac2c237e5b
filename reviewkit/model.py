"""Findings and fixes: the data every rule produces and every reporter reads."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is (not how sure we are: rules only report what they prove)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    @property
    def checkpatch(self) -> str:
        """checkpatch's level names: ERROR, WARNING, CHECK."""
        return {"error": "ERROR", "warning": "WARNING", "info": "CHECK"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Severity:
        aliases = {"check": "info", "note": "info", "warn": "warning", "err": "error"}
        value = aliases.get(text.lower(), text.lower())
        return cls(value)


class Applicability(StrEnum):
    """How far a fix may be trusted (ruff's ``Applicability``).

    ``safe``: behaviour-preserving or clearly the intended fix; ``unsafe``:
    changes behaviour, a human must agree; ``display``: shown, never applied
    automatically (and never verified).
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY = "display"


@dataclass(frozen=True)
class Edit:
    """Replace post-image lines ``[start, end)`` of ``path`` with ``lines``.

    ``start == end`` inserts ``lines`` before line ``start``.  Numbers are
    post-image lines (the file as the series leaves it): a fix applies on top
    of the series.  ``old`` is the text of the replaced lines and ``before``
    / ``after`` the visible lines right around them (consecutive, nearest
    last / first), captured when the fix is made: they are all a diff needs,
    so rendering never goes back to a view.  How far the context reaches
    decides which edits share a hunk (:mod:`reviewkit.fixes.diff`).
    """

    path: str
    start: int
    end: int
    lines: tuple[str, ...]
    old: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        """Inverse of :func:`dataclasses.asdict` after a JSON round trip (lists back to tuples)."""
        return cls(
            str(data["path"]),
            int(data["start"]),
            int(data["end"]),
            tuple(data["lines"]),
            tuple(data["old"]),
            tuple(data["before"]),
            tuple(data["after"]),
        )


@dataclass(frozen=True)
class Fix:
    """A suggested change: edits on the post-image, a title and an applicability level.

    It becomes a unified diff (paths ``a/``/``b/``, apply with -p1) only at
    the edges: reporters, ``--fix-dir``, verification's ``git apply
    --check``.  ``verified`` is set only after the fix applied, the result
    parsed without new errors and the finding went away.
    """

    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    verified: bool = False

    @property
    def diff(self) -> str:
        """The fix as a unified diff (rendered on every call: it is an edge, not state)."""
        from reviewkit.fixes.diff import render  # the renderer builds on this module

        return render(self)

    @property
    def safety(self) -> str:
        """The applicability as the JSON report spells it."""
        return self.applicability.value

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "diff": self.diff, "safety": self.safety, "verified": self.verified}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fix:
        """Inverse of :func:`dataclasses.asdict` after a JSON round trip."""
        return cls(
            str(data["title"]),
            tuple(Edit.from_dict(e) for e in data["edits"]),
            Applicability(data["applicability"]),
            bool(data["verified"]),
        )


@dataclass
class PathStep:
    """One step of the path that goes wrong: a line and what happens there."""

    line: int
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "note": self.note}


_WS_RE = re.compile(r"\s+")
_NUMBER_RE = re.compile(r"\d+")


def normalise_code(text: str) -> str:
    """Code with whitespace folded, so a fingerprint survives reindentation."""
    return _WS_RE.sub(" ", text).strip()


@dataclass
class Finding:
    """One reviewer-grade finding on one line of one patch."""

    rule: str
    severity: Severity
    message: str
    file: str
    line: int
    function: str | None = None
    patch: int | None = None
    """Position of the patch in the series (0-based); None in scan mode."""
    patch_index: int = 0
    """The N of the patch's N/M counter."""
    patch_subject: str = ""
    patch_line: int = 0
    """Line of the input file (mbox/patch) holding this line, 0 when unknown."""
    rationale: str = ""
    fix: Fix | None = None
    path: list[PathStep] = field(default_factory=list)
    snippet: str = ""
    """The code of the finding's line(s): for context and the fingerprint."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable across rebases and line shifts: rule, file, function, code.

        With no code on the line (a blank line) the message stands in, its
        numbers masked: messages name line numbers, which a rebase shifts.
        """
        code = normalise_code(self.snippet) or _NUMBER_RE.sub("#", self.message)
        key = "\x1f".join((self.rule, self.file, self.function or "", code))
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

    def sort_key(self) -> tuple[int, str, int, str]:
        return (self.patch if self.patch is not None else -1, self.file, self.line, self.rule)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "patch": self.patch_index if self.patch is not None else None,
            "patch_subject": self.patch_subject,
            "file": self.file,
            "line": self.line,
            "patch_line": self.patch_line,
            "function": self.function,
            "message": self.message,
            "fix": self.fix.to_json() if self.fix else None,
            "path": [s.to_json() for s in self.path],
            "fingerprint": self.fingerprint,
            "snippet": self.snippet,
            **({"extra": self.extra} if self.extra else {}),
        }
