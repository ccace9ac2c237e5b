"""reviewkit compare: patch matching, patch-ids, resolved / persists / new."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES

from reviewkit.cli import main
from reviewkit.load.series import load
from reviewkit.review.compare import NEW, PERSISTS, RESOLVED, classify, match_patches, patch_id
from reviewkit.review.pipeline import review

FIXTURE = FIXTURES / "short-identifier" / "new-locals.patch"
V1_TEXT = re.sub(
    r"(\+\tstruct gadget_req \*r;[^\n]*\n)", r"\1+\tstruct gadget_stats *a;\n", FIXTURE.read_text()
).replace("+\t\tgq->submitted++;\n", "+\t\tgq->submitted++;\n+\t\ta = NULL;\n")
V1_TEXT = re.sub(r"^@@ -40,11 \+57,16 @@", "@@ -40,11 +57,18 @@", V1_TEXT, flags=re.M)
"""v1: the fixture plus a one-letter local `a` that is no loop's cursor (it persists into v2)."""


def _shift(text: str, by: int) -> str:
    """Move every hunk ``by`` lines down: what a rebase onto a changed file does."""

    def move(m: re.Match[str]) -> str:
        return f"@@ -{int(m.group(1)) + by},{m.group(2)} +{int(m.group(3)) + by},{m.group(4)} @@"

    return re.sub(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@", move, text, flags=re.M)


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    path = tmp_path / "v1.patch"
    path.write_text(V1_TEXT)
    return path


def _v2(tmp_path: Path) -> Path:
    """v2: shifted by 7 lines, `q` renamed (resolved), `a` kept (persists), a new one-letter local `u` (new)."""
    text = _shift(V1_TEXT, 7).replace("[PATCH]", "[PATCH v2]")
    marker = r" /\* ruleid: short-identifier[^*]*\*/"  # the marker may state the message
    text = re.sub(r"struct gadget_queue \*q;" + marker, "struct gadget_queue *gq;", text)
    text = text.replace(
        "\t\tq = &g->queues[i];\n+\t\ttotal += q->pending;", "\t\tgq = &g->queues[i];\n+\t\ttotal += gq->pending;"
    )
    text = re.sub(r"(\+\tstruct gadget_stats \*a;\n)", r"\1+\tstruct gadget_stats *u;\n", text)
    text = text.replace("+\t\ta = NULL;\n", "+\t\ta = NULL;\n+\t\tu = a;\n")
    text = re.sub(r"^@@ -47,11 \+64,18 @@", "@@ -47,11 +64,20 @@", text, flags=re.M)
    path = tmp_path / "v2.patch"
    path.write_text(text)
    return path


def test_patch_id_ignores_line_numbers_but_not_content() -> None:
    text = load(str(FIXTURE)).patches[0].diff_text
    assert patch_id(text) == patch_id(_shift(text, 100))
    assert patch_id(text) != patch_id(text.replace("total += q->pending", "total += q->pending + 1"))
    assert patch_id(text) == patch_id(text.replace("\t", "        "))  # whitespace is not content


def test_patch_id_matches_git(seed_mbox: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git not installed")
    for path in (FIXTURE, seed_mbox):
        proc = subprocess.run([git, "patch-id", "--stable"], input=path.read_bytes(), capture_output=True, check=True)
        assert patch_id(load(str(path)).patches[0].diff_text) == proc.stdout.split()[0].decode()


def test_match_by_patch_id_then_subject(tmp_path: Path, v1: Path) -> None:
    old = load(str(v1))
    same = tmp_path / "same.patch"
    same.write_text(_shift(V1_TEXT, 3).replace("[PATCH]", "[PATCH v2]").replace("batch pending", "batch the pending"))
    assert [m.how for m in match_patches(old, load(str(same)))] == ["patch-id"]
    assert [m.how for m in match_patches(old, load(str(_v2(tmp_path))))] == ["subject"]


def test_classify_resolved_persists_new(tmp_path: Path, v1: Path) -> None:
    old = review(load(str(v1)), rules=["short-identifier"])
    new = review(load(str(_v2(tmp_path))), rules=["short-identifier"])
    result = classify(old, new)
    by_status = {
        s: sorted((i.finding.extra["name"], i.finding.line) for i in result.items if i.status == s)
        for s in (RESOLVED, PERSISTS, NEW)
    }
    assert by_status[RESOLVED] == [("q", 25)]
    assert by_status[PERSISTS] == [("a", 69)]  # moved from 62: same fingerprint
    assert by_status[NEW] == [("u", 70)]
    persisting = next(i for i in result.items if i.status == PERSISTS)
    assert persisting.old is not None and persisting.old.fingerprint == persisting.finding.fingerprint


def test_compare_seed_with_itself(seed_mbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(seed_mbox), str(seed_mbox), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"][RESOLVED] == 0 and doc["summary"][NEW] == 0 and doc["summary"][PERSISTS] > 0
    assert doc["patches"][0]["matched_by"] == "patch-id"


def test_compare_command_text_and_exit_status(tmp_path: Path, v1: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v2 = _v2(tmp_path)
    assert main(["compare", str(v1), str(v2), "--select", "short-identifier"]) == 0
    out = capsys.readouterr().out
    assert "resolved  drivers/misc/gadget.c:25" in out
    assert "persists  drivers/misc/gadget.c:69 (was 62)" in out
    assert "new       drivers/misc/gadget.c:70" in out
    assert out.strip().splitlines()[-1] == "reviewkit compare: 1 resolved, 1 persist, 1 new"
    assert main(["compare", str(v1), str(v2), "--select", "short-identifier", "--fail-on", "info"]) == 1


def test_compare_bad_input(tmp_path: Path, v1: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(v1), str(tmp_path / "missing.mbox")]) == 2
    assert "no such file" in capsys.readouterr().err
