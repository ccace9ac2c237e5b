"""``--format sarif``: SARIF 2.1.0 as GitHub code scanning reads it.

Rules carry their docs (from the rule module docstring), results carry a
``partialFingerprints`` entry with reviewkit's rebase-stable fingerprint so
code scanning tracks a finding across pushes.
"""

from __future__ import annotations

import json
from typing import Any

from reviewkit import __version__
from reviewkit.report import Result

FORMAT = "sarif"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _rules(result: Result) -> list[dict[str, Any]]:
    from reviewkit.engine import discover

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


def render(result: Result) -> str:
    rules = _rules(result)
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for f in result.findings:
        entry: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index.get(f.rule, 0),
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
