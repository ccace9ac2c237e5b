"""Findings and fixes: the data every rule produces and every reporter reads."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A fix's types live with their one renderer and parser (a leaf module), so
# rendering needs no import back into this one; they are part of the model.
from reviewkit.fixes.diff import Applicability, Edit, Fix

__all__ = ["Applicability", "Edit", "Finding", "Fix", "PathStep", "Severity", "normalise_code"]


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


@dataclass
class PathStep:
    """One step of the path that goes wrong: a line and what happens there."""

    line: int
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "note": self.note}


_WS_RE = re.compile(r"\s+")
_NUMBER_RE = re.compile(r"\d+")


HUNK_FUNCTION = re.compile(r"^<hunk \d+ at ([A-Za-z_]\w*):>$")
"""The name a fragment gives a function whose hunk git named after a goto label (git's default
funcname picks the last column-0 line): it pairs the images; it is not the function's name."""


def function_phrase(name: str, tick: str = "") -> str:
    """How a report names the function of a finding: ``foo()``, or where a nameless one is.

    ``tick`` wraps the code (a backtick for Markdown).  A placeholder is said in words,
    "in <hunk 1 at out:>()" reads as the tool's internals.
    """
    label = HUNK_FUNCTION.match(name)
    if label:
        return f"the function with the label {tick}{label.group(1)}:{tick} (its name is not in the patch)"
    return f"{tick}{name}(){tick}"


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
