"""Reporters: one module per output format, discovered by its ``FORMAT`` name.

Each module defines ``FORMAT`` (the ``--format`` value) and
``render(result: Result) -> str``.  Reporters read findings; they never
run rules or touch files.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from reviewkit.load.series import Series
from reviewkit.model import Finding, Severity
from reviewkit.words import plural as plural  # re-exported: the reporters count with it


@dataclass
class Result:
    """What one run produced, handed to a reporter."""

    series: Series | None
    findings: list[Finding]
    stats: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    """Reporter options from the command line (terse, emacs, showfile, ...)."""

    def input_name(self, f: Finding) -> str:
        """The input file holding ``f``'s patch line: the patch's own file when a directory was given."""
        if self.series is None:
            return ""
        if f.patch is not None and 0 <= f.patch < len(self.series.patches):
            source = self.series.patches[f.patch].message.source
            if source:
                return source
        return self.series.source

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out


def formats() -> dict[str, ModuleType]:
    """``--format`` name -> reporter module (imported on demand)."""
    out: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        name = getattr(mod, "FORMAT", None)
        if isinstance(name, str):
            out[name] = mod
    return out


def reporter(name: str) -> ModuleType | None:
    """The reporter module for ``--format name``, or None.

    A module named after its format (``sarif`` in ``sarif.py``, ``b4-review``
    in ``b4review.py``, ``json`` in ``jsonfmt.py``, which must not shadow the
    standard library's name) is found without importing the others: a hook
    or a b4 check pays for one reporter, not all.  Any other is found by
    importing them all.
    """
    stem = name.replace("-", "")
    for candidate in (stem, stem + "fmt"):
        if not candidate.isidentifier() or candidate.startswith("_"):
            break
        try:
            mod = importlib.import_module(f"{__name__}.{candidate}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{candidate}":
                raise
            continue
        if getattr(mod, "FORMAT", None) == name:
            return mod
    return formats().get(name)


def series_json(series: Series | None) -> dict[str, Any]:
    """The ``series`` object of the JSON report (also used by SARIF and b4)."""
    if series is None:
        return {}
    return {
        "source": series.source,
        "title": series.title,
        "version": series.version,
        "total": series.total,
        "cover_letter": series.cover is not None,
        "replies": len(series.replies),
        "warnings": list(series.warnings),
        "patches": [
            {
                "position": p.position,
                "index": p.index,
                "total": p.total,
                "version": p.version,
                "subject": p.subject.raw,
                "title": p.subject.title,
                "author": p.author,
                "date": p.date,
                "message_id": p.message_id,
                "files": len([f for f in p.patchset if not f.is_binary_file]),
                "insertions": p.patchset.added,
                "deletions": p.patchset.removed,
            }
            for p in series.patches
        ],
    }
