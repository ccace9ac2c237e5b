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

V1 = FIXTURES / "short-identifier" / "new-locals.patch"


def _shift(text: str, by: int) -> str:
    """Move every hunk ``by`` lines down: what a rebase onto a changed file does."""

    def move(m: re.Match[str]) -> str:
        return f"@@ -{int(m.group(1)) + by},{m.group(2)} +{int(m.group(3)) + by},{m.group(4)} @@"

    return re.sub(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@", move, text, flags=re.M)


def _v2(tmp_path: Path) -> Path:
    """v2: shifted by 7 lines, `q` renamed (resolved), a new one-letter local `t` (new)."""
    text = _shift(V1.read_text(), 7).replace("[PATCH]", "[PATCH v2]")
    marker = r" /\* ruleid: short-identifier[^*]*\*/"  # the marker may state the message
    text = re.sub(r"struct gadget_queue \*q;" + marker, "struct gadget_queue *gq;", text)
    text = text.replace(
        "\t\tq = &g->queues[i];\n+\t\ttotal += q->pending;", "\t\tgq = &g->queues[i];\n+\t\ttotal += gq->pending;"
    )
    text = re.sub(r"(\+\tstruct gadget_req \*r;" + marker + r"\n)", r"\1+\tstruct gadget_stats *t;\n", text)
    text = text.replace("+\t\tgq->submitted++;\n", "+\t\tgq->submitted++;\n+\t\tt = NULL;\n")
    text = re.sub(r"^@@ -47,11 \+64,16 @@", "@@ -47,11 +64,18 @@", text, flags=re.M)
    path = tmp_path / "v2.patch"
    path.write_text(text)
    return path


def test_patch_id_ignores_line_numbers_but_not_content() -> None:
    text = load(str(V1)).patches[0].diff_text
    assert patch_id(text) == patch_id(_shift(text, 100))
    assert patch_id(text) != patch_id(text.replace("total += q->pending", "total += q->pending + 1"))
    assert patch_id(text) == patch_id(text.replace("\t", "        "))  # whitespace is not content


def test_patch_id_matches_git(seed_mbox: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git not installed")
    for path in (V1, seed_mbox):
        proc = subprocess.run([git, "patch-id", "--stable"], input=path.read_bytes(), capture_output=True, check=True)
        assert patch_id(load(str(path)).patches[0].diff_text) == proc.stdout.split()[0].decode()


def test_match_by_patch_id_then_subject(tmp_path: Path) -> None:
    old = load(str(V1))
    same = tmp_path / "same.patch"
    same.write_text(
        _shift(V1.read_text(), 3).replace("[PATCH]", "[PATCH v2]").replace("batch pending", "batch the pending")
    )
    assert [m.how for m in match_patches(old, load(str(same)))] == ["patch-id"]
    assert [m.how for m in match_patches(old, load(str(_v2(tmp_path))))] == ["subject"]


def test_classify_resolved_persists_new(tmp_path: Path) -> None:
    old = review(load(str(V1)), rules=["short-identifier"])
    new = review(load(str(_v2(tmp_path))), rules=["short-identifier"])
    result = classify(old, new)
    by_status = {
        s: sorted((i.finding.extra["name"], i.finding.line) for i in result.items if i.status == s)
        for s in (RESOLVED, PERSISTS, NEW)
    }
    assert by_status[RESOLVED] == [("q", 25)]
    assert by_status[PERSISTS] == [("r", 68)]  # moved from 61: same fingerprint
    assert by_status[NEW] == [("t", 69)]
    persisting = next(i for i in result.items if i.status == PERSISTS)
    assert persisting.old is not None and persisting.old.fingerprint == persisting.finding.fingerprint


def test_compare_seed_with_itself(seed_mbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(seed_mbox), str(seed_mbox), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"][RESOLVED] == 0 and doc["summary"][NEW] == 0 and doc["summary"][PERSISTS] > 0
    assert doc["patches"][0]["matched_by"] == "patch-id"


def test_compare_command_text_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v2 = _v2(tmp_path)
    assert main(["compare", str(V1), str(v2), "--select", "short-identifier"]) == 0
    out = capsys.readouterr().out
    assert "resolved  drivers/misc/gadget.c:25" in out
    assert "persists  drivers/misc/gadget.c:68 (was 61)" in out
    assert "new       drivers/misc/gadget.c:69" in out
    assert out.strip().splitlines()[-1] == "reviewkit compare: 1 resolved, 1 persist, 1 new"
    assert main(["compare", str(V1), str(v2), "--select", "short-identifier", "--fail-on", "info"]) == 1


def test_compare_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(V1), str(tmp_path / "missing.mbox")]) == 2
    assert "no such file" in capsys.readouterr().err
