"""Rule documentation is the rule module's docstring, and it is complete.

The same text feeds `reviewkit explain`, `reviewkit rules`, SARIF and the
README table, so it is checked here like code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewkit.engine.run import discover

ROOT = Path(__file__).resolve().parent.parent
RULES = discover()
ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_doc_has_the_fixed_sections(rule) -> None:
    doc = rule.doc
    assert ID_RE.match(rule.id), "rule ids are kebab-case"
    summary = doc.strip().splitlines()[0]
    assert summary.endswith(".") and len(summary) < 110
    for heading in ("## What it does", "## Why is this bad?", "## Example"):
        assert heading in doc, f"{rule.id}: missing {heading!r}"


def test_readme_rule_table_lists_every_rule() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme.split("<!-- rules-table -->", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^\| `([a-z0-9-]+)` \| (\w+) \|", table, re.MULTILINE)
    assert listed == [(r.id, r.severity.value) for r in RULES]
