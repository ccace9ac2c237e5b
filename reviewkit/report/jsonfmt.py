"""``--format json``: the stable, versioned machine-readable report.

Schema version 1 (a contract: fields are only ever added):
``{"version": 1, "tool": "reviewkit", "series": {...}, "findings": [...],
"stats": {...}}``; each finding has ``rule``, ``severity``, ``patch`` (the N
of N/M), ``file``, ``line``, ``function``, ``message``, ``fix``
(``{"diff": ...}`` or null) and more (see Finding.to_json).  ``stats.suppressed`` counts the findings a
``/* reviewkit: ignore RULE */`` comment silenced and ``stats.suppressions``
lists them (``rule``, ``file``, ``line``, ``fingerprint``); added fields.
"""

from __future__ import annotations

import json

from reviewkit.report import Result, series_json

FORMAT = "json"
SCHEMA_VERSION = 1


def render(result: Result) -> str:
    doc = {
        "version": SCHEMA_VERSION,
        "tool": "reviewkit",
        "series": series_json(result.series),
        "findings": [f.to_json() for f in result.findings],
        "stats": {**result.stats, "counts": result.counts()},
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
