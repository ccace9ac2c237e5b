"""``--format rdjsonl``: reviewdog's Diagnostic JSON lines, fixes as ``suggestions``.

Pipe into ``reviewdog -f=rdjsonl -reporter=github-pr-review`` to get review
comments with "suggested change" blocks on a pull request.  Each suggestion
replaces whole post-image lines: the range starts at column 1 of the first
line and ends (exclusive, as RDFormat defines it) at column 1 of the line
after the last, so deletions and insertions are exact.
"""

from __future__ import annotations

import json
from typing import Any

from reviewkit.fixes.diff import replacement_text, runs
from reviewkit.model import Applicability, Finding
from reviewkit.report import Result

FORMAT = "rdjsonl"
_SEVERITY = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}


def suggestions(f: Finding) -> list[dict[str, Any]]:
    """The fix of ``f`` as RDFormat suggestions on ``f.file`` (other files cannot be suggested there)."""
    if f.fix is None or f.fix.applicability is Applicability.DISPLAY:
        return []
    out = []
    for r in runs(f.fix):
        if r.path != f.file:
            continue
        out.append(
            {
                "range": {"start": {"line": r.start, "column": 1}, "end": {"line": r.end, "column": 1}},
                "text": replacement_text(r),
            }
        )
    return out


def diagnostic(f: Finding) -> dict[str, Any]:
    span = len(f.snippet.split("\n")) if f.snippet else 1
    line = max(f.line, 1)
    doc: dict[str, Any] = {
        "message": f.message,
        "location": {
            "path": f.file,
            "range": {"start": {"line": line, "column": 1}, "end": {"line": line + span, "column": 1}},
        },
        "severity": _SEVERITY[f.severity.value],
        "source": {"name": "reviewkit"},
        "code": {"value": f.rule},
    }
    fixes = suggestions(f)
    if fixes:
        doc["suggestions"] = fixes
    return doc


def render(result: Result) -> str:
    return "".join(json.dumps(diagnostic(f), ensure_ascii=False) + "\n" for f in result.findings)
