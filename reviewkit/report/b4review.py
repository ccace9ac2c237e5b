"""``--format b4-review``: the JSON a ``b4 review`` check command prints.

b4 runs each ``b4.review-perpatch-check-cmd`` with one patch email on
stdin and reads a JSON array of results from stdout.  reviewkit answers
with one result: ``{"tool": "reviewkit", "status": "pass|warn|fail",
"summary": "...", "url": "", "details": "<JSON string>"}`` where
``details`` holds ``[{"status", "description", "srcline"}]``, one entry
per finding (``description`` is ``[rule] message``, ``srcline`` the
``FILE:LINE`` it is about).  Errors fail, warnings warn; info findings are
checkpatch's CHECK and, as in checkpatch, are printed only with
``--strict`` (then they warn); no findings is a pass.
"""

from __future__ import annotations

import json
from typing import Any

from reviewkit.model import Finding
from reviewkit.report import Result

FORMAT = "b4-review"
STRICT_CHECKS = True
"""As checkpatch: info findings only with ``--strict`` (the command drops them before rendering)."""
TOOL = "reviewkit"
_STATUS = {"error": "fail", "warning": "warn", "info": "warn"}
_ORDER = {"pass": 0, "warn": 1, "fail": 2}


def detail(f: Finding) -> dict[str, str]:
    return {
        "status": _STATUS[f.severity.value],
        "description": f"[{f.rule}] {' '.join(f.message.split())}",
        "srcline": f"{f.file}:{f.line}",
    }


def _summary(result: Result) -> str:
    c = result.counts()
    parts = [
        f"{n} {name}{'s' if n != 1 else ''}"
        for n, name in ((c["error"], "error"), (c["warning"], "warning"), (c["info"], "check"))
        if n
    ]
    return ", ".join(parts) if parts else "no findings"


def check_result(result: Result) -> dict[str, Any]:
    details = [detail(f) for f in result.findings]
    status = max((d["status"] for d in details), key=_ORDER.__getitem__, default="pass")
    return {"tool": TOOL, "status": status, "summary": _summary(result), "url": "", "details": json.dumps(details)}


def render(result: Result) -> str:
    return json.dumps([check_result(result)], indent=2) + "\n"
