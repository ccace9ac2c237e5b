"""Every fixture under fixtures/<rule-id>/ proves its rule both ways.

Positive (``ruleid:``) and negative (``ok:``) markers are asserted, and any
finding of any rule on a line that is not marked for it fails: precision is
tested on every fixture, not only on the rule the folder is named after.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from markers import parse_c, parse_patch

from reviewkit.engine import run as engine
from reviewkit.engine.scan import scan_text
from reviewkit.load.series import load
from reviewkit.review.pipeline import review

RULE_DIRS = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "demo")
CASES = [f for d in RULE_DIRS for f in sorted(d.iterdir()) if f.suffix in (".c", ".patch", ".mbox")]


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path) -> None:
    text = path.read_text("utf-8")
    rules = engine.discover()
    if path.suffix == ".c":
        exp = parse_c(text, str(path))
        findings = scan_text(str(path), text, rules)
    else:
        exp = parse_patch(text)
        tree = path.with_suffix(".tree")
        findings = review(load(str(path)), tree=str(tree) if tree.is_dir() else None).findings
    assert exp.marks, f"{path} has no ruleid:/ok: markers"
    errors = exp.check([(f.rule, f.file, f.line) for f in findings])
    assert not errors, "\n".join(errors)


def test_every_rule_has_both_kinds_of_fixture() -> None:
    """A rule with no negative fixture cannot show it stays quiet."""
    missing = []
    for rule in engine.discover():
        folder = FIXTURES / rule.id
        texts = [p.read_text("utf-8") for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
        joined = "\n".join(texts)
        if f"ruleid: {rule.id}" not in joined:
            missing.append(f"{rule.id}: no ruleid fixture")
        if f"ok: {rule.id}" not in joined:
            missing.append(f"{rule.id}: no ok fixture")
    assert not missing, "\n".join(missing)
