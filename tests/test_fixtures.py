"""Every fixture under fixtures/<rule-id>/ proves its rule both ways.

Positive (``ruleid:``) and negative (``ok:``) markers are asserted, and any
finding of any rule on a line that is not marked for it fails: precision is
tested on every fixture, not only on the rule the folder is named after.
A marker may carry the message it expects (``ruleid: RULE "substring"``),
and a fixture ``X.patch`` with a golden ``X.patch.fixed`` states the fixes
it must offer, byte for byte (set ``REVIEWKIT_UPDATE_GOLDEN=1`` to rewrite
the golden files after an intended change, then read the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FIXTURES
from markers import Expectations, parse_c, parse_patch

from reviewkit.engine import run as engine
from reviewkit.engine.scan import scan_text
from reviewkit.load.series import load
from reviewkit.model import Finding
from reviewkit.review.pipeline import review

RULE_DIRS = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "demo")
CASES = [f for d in RULE_DIRS for f in sorted(d.iterdir()) if f.suffix in (".c", ".patch", ".mbox")]


def _findings(path: Path) -> list[Finding]:
    text = path.read_text("utf-8")
    if path.suffix == ".c":
        return scan_text(str(path), text, engine.discover())
    tree = path.with_suffix(".tree")
    return review(load(str(path)), tree=str(tree) if tree.is_dir() else None).findings


def _expectations(path: Path) -> Expectations:
    text = path.read_text("utf-8")
    return parse_c(text, str(path)) if path.suffix == ".c" else parse_patch(text)


def render_fixes(findings: list[Finding], root: Path) -> str:
    """The offered fixes as a golden text: a header line per fix, then its diff."""
    out = []
    for f in sorted(findings, key=lambda f: (f.file, f.line, f.rule)):
        if f.fix is None:
            continue
        fix = f.fix.to_json()
        name = Path(f.file).name if Path(f.file).is_absolute() else f.file
        out.append(f"## [{f.rule}] {name}:{f.line}: {fix['title']} ({fix['safety']})\n{fix['diff']}")
    return "".join(out).replace(str(root).lstrip("/"), "<fixtures>")  # a diff names /abs as a/abs


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path) -> None:
    exp = _expectations(path)
    findings = _findings(path)
    assert exp.marks, f"{path} has no ruleid:/ok: markers"
    errors = exp.check([(f.rule, f.file, f.line, f.message) for f in findings])
    assert not errors, "\n".join(errors)
    golden = path.with_name(path.name + ".fixed")
    got = render_fixes(findings, FIXTURES)
    if os.environ.get("REVIEWKIT_UPDATE_GOLDEN") and got:
        golden.write_text(got, "utf-8")
    if golden.is_file():
        assert got == golden.read_text("utf-8"), f"fixes differ from {golden.name}"


def test_every_rule_states_a_message_and_every_fixable_rule_a_fixed_text() -> None:
    """The harness is only as strong as what fixtures state: each rule's fixtures use it."""
    with_message: set[str] = set()
    with_golden: set[str] = set()
    fixable: set[str] = set()
    for path in CASES:
        with_message |= _expectations(path).rules_with_messages()
        findings = _findings(path)
        rules_fixed = {f.rule for f in findings if f.fix is not None}
        fixable |= rules_fixed
        if path.with_name(path.name + ".fixed").is_file():
            with_golden |= rules_fixed
    ids = {r.id for r in engine.discover()}
    problems = [f"{r}: no fixture marker states a message" for r in sorted(ids - with_message)]
    problems += [f"{r}: offers fixes but no fixture has a .fixed golden" for r in sorted(fixable - with_golden)]
    assert not problems, "\n".join(problems)


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
