"""Baseline files: findings a reviewer has already accepted or dismissed, by fingerprint.

Format (version 1, a contract: fields are only ever added)::

    {"version": 1,
     "findings": [{"fingerprint": "...", "rule": "...", "file": "...",
                   "function": "...", "snippet": "...", "reason": "...",
                   "status": "dismissed" | "accepted"}]}

The fingerprint is Finding.fingerprint: rule, file, function and the
whitespace-folded code of the finding's lines, never a line number, so an
entry keeps matching after a rebase moves the code.  The other fields are
for the humans reading the file (and reviewing changes to it).  Every
write goes through :func:`reviewkit.io.write_atomic`; entries are sorted so
the file diffs cleanly in git.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reviewkit.errors import InputError
from reviewkit.io import read_bounded, write_atomic
from reviewkit.model import Finding

VERSION = 1
STATUSES = ("dismissed", "accepted")
DEFAULT_PATH = ".reviewkit-baseline.json"
MAX_BYTES = 64 * 1024 * 1024
"""A baseline is read whole; a device or a runaway file must not be."""


@dataclass
class Entry:
    """One recorded finding."""

    fingerprint: str
    rule: str
    file: str
    function: str | None
    snippet: str
    reason: str
    status: str

    @classmethod
    def from_finding(cls, finding: Finding, reason: str = "", status: str = "dismissed") -> Entry:
        _check_status(status)
        return cls(
            finding.fingerprint,
            finding.rule,
            finding.file,
            finding.function,
            finding.snippet,
            reason,
            status,
        )


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"baseline status must be one of {', '.join(STATUSES)}, not {status!r}")


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict) or not isinstance(raw.get("fingerprint"), str):
        raise InputError(f"{where}: baseline entry without a fingerprint")
    status = raw.get("status", "dismissed")
    if status not in STATUSES:
        raise InputError(f"{where}: baseline entry {raw['fingerprint']}: unknown status {status!r}")
    return Entry(
        raw["fingerprint"],
        str(raw.get("rule", "")),
        str(raw.get("file", "")),
        raw.get("function") if isinstance(raw.get("function"), str) else None,
        str(raw.get("snippet", "")),
        str(raw.get("reason", "")),
        status,
    )


def load(path: str | Path) -> list[Entry]:
    """Entries of a baseline file; a missing file is an empty baseline."""
    p = Path(path)
    if not p.exists():
        return []
    try:
        data = json.loads(read_bounded(p, MAX_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: unreadable baseline: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings", []), list):
        raise InputError(f"{path}: not a reviewkit baseline (expected {{'version': 1, 'findings': [...]}})")
    version = data.get("version", VERSION)
    if not isinstance(version, int) or version > VERSION:
        raise InputError(f"{path}: baseline version {version!r} is newer than this reviewkit understands")
    return [_entry(raw, str(path)) for raw in data.get("findings", [])]


def save(path: str | Path, entries: Iterable[Entry]) -> None:
    """Write entries (one per fingerprint, sorted by file, rule, fingerprint) atomically."""
    unique = {e.fingerprint: e for e in entries}
    ordered = sorted(unique.values(), key=lambda e: (e.file, e.rule, e.fingerprint))
    doc = {"version": VERSION, "findings": [asdict(e) for e in ordered]}
    write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def fingerprints(path: str | Path, status: str | None = None) -> set[str]:
    return {e.fingerprint for e in load(path) if status is None or e.status == status}


def add_entry(path: str | Path, finding: Finding, reason: str = "", status: str = "dismissed") -> Entry:
    """Record (or update) ``finding`` in the baseline at ``path``; returns the entry written."""
    entry = Entry.from_finding(finding, reason, status)
    entries = [e for e in load(path) if e.fingerprint != entry.fingerprint]
    save(path, [*entries, entry])
    return entry


def remove_entry(path: str | Path, fingerprint: str) -> bool:
    """Drop the entry with ``fingerprint``; False if there was none (the file is then untouched)."""
    entries = load(path)
    kept = [e for e in entries if e.fingerprint != fingerprint]
    if len(kept) == len(entries):
        return False
    save(path, kept)
    return True


def record(
    path: str | Path, findings: Iterable[Finding], reason: str = "", status: str = "dismissed", *, replace: bool = False
) -> tuple[int, int]:
    """Record every finding; keep other entries unless ``replace``.  Returns (total, newly added)."""
    _check_status(status)
    old = [] if replace else load(path)
    known = {e.fingerprint: e for e in old}
    added = 0
    for f in findings:
        if f.fingerprint in known and not replace:
            continue
        known[f.fingerprint] = Entry.from_finding(f, reason, status)
        added += 1
    save(path, known.values())
    return len(known), added
