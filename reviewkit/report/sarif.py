"""``--format sarif``: SARIF 2.1.0 as GitHub code scanning reads it.

Rules carry their docs (from the rule module docstring), results carry a
``partialFingerprints`` entry with reviewkit's rebase-stable fingerprint so
code scanning tracks a finding across pushes.
"""

from __future__ import annotations

import json
from typing import Any

from reviewkit import __version__
from reviewkit.fixes.diff import replacement_text, runs
from reviewkit.model import Applicability, Finding
from reviewkit.report import Result

FORMAT = "sarif"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _rules(result: Result) -> list[dict[str, Any]]:
    from reviewkit.engine.run import discover

    used = {f.rule for f in result.findings}
    out = []
    for rule in discover():
        if rule.id not in used:
            continue
        out.append(
            {
                "id": rule.id,
                "name": "".join(part.capitalize() for part in rule.id.split("-")),
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.title},
                "help": {"text": rule.doc.strip(), "markdown": rule.doc.strip()},
                "defaultConfiguration": {"level": _LEVEL[rule.severity.value]},
                "properties": {"tags": ["linux-kernel", "review"]},
            }
        )
    return out


def _fixes(f: Finding) -> list[dict[str, Any]]:
    """The fix as SARIF ``fixes[]``: whole-line replacements, each artifactChange with at least one.

    A deleted region runs from column 1 of its first line to column 1 of the
    line after its last, so whole lines (with their newlines) go; an empty
    region (start == end) is an insertion before that line.
    """
    if f.fix is None or f.fix.applicability is Applicability.DISPLAY:
        return []
    by_path: dict[str, list[dict[str, Any]]] = {}
    for r in runs(f.fix):
        region = {"startLine": r.start, "startColumn": 1, "endLine": r.end, "endColumn": 1}
        change: dict[str, Any] = {"deletedRegion": region}
        if r.lines:
            change["insertedContent"] = {"text": replacement_text(r)}
        by_path.setdefault(r.path, []).append(change)
    if not by_path:
        return []
    changes = [
        {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}, "replacements": reps}
        for path, reps in by_path.items()
    ]
    return [{"description": {"text": f.fix.title}, "artifactChanges": changes}]


def render(result: Result) -> str:
    rules = _rules(result)
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for f in result.findings:
        entry: dict[str, Any] = {
            "ruleId": f.rule,
            **({"ruleIndex": index[f.rule]} if f.rule in index else {}),
            "level": _LEVEL[f.severity.value],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": max(f.line, 1)},
                    },
                    **({"logicalLocations": [{"name": f.function, "kind": "function"}]} if f.function else {}),
                }
            ],
            "partialFingerprints": {"reviewkit/v1": f.fingerprint},
        }
        fixes = _fixes(f)
        if fixes:
            entry["fixes"] = fixes
        results.append(entry)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "reviewkit",
                        "version": __version__,
                        "informationUri": "https://example.invalid/reviewkit",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///"}},
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
