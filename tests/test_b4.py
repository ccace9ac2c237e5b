"""b4's check-command protocols, as b4 runs them: the command line from the docs, split like a shell.

``b4 prep --check``: one patch email on stdin, cwd at the git top; every
stdout line is a finding, a line containing ``ERROR:`` fails, anything on
stderr fails, no output passes.  ``b4 review``: stdout is a JSON array of
check results.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from gitrepo import REVIEWKIT, clean_env, git, make_repo

DOCS = ROOT / "README.md"
TERSE_RE = re.compile(
    r"^(?P<file>[^:\s]+):(?P<line>\d+): (?P<level>ERROR|WARNING|CHECK): \[(?P<rule>[a-z0-9-]+)\] (?P<msg>\S.*)$"
)
LEVEL = {"error": "ERROR", "warning": "WARNING", "info": "CHECK"}


def _documented(key: str) -> list[str]:
    """The documented ``key = reviewkit ...`` command, as b4 splits it (shlex, no shell)."""
    for line in DOCS.read_text("utf-8").splitlines():
        name, _, value = line.strip().partition(" = ")
        if name == key and value.startswith("reviewkit "):
            argv = shlex.split(value)
            return [*REVIEWKIT, *argv[1:]]
    raise AssertionError(f"{DOCS} documents no {key} running reviewkit")


def _b4_run(argv: list[str], email: bytes, topdir: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, input=email, cwd=topdir, capture_output=True, env=clean_env(), timeout=180)


def _json_findings(email: bytes, topdir: Path, *, strict: bool = False) -> list[dict[str, Any]]:
    """What the check commands must print: every finding with ``strict``, else errors and warnings (checkpatch)."""
    proc = _b4_run([*REVIEWKIT, "check", "--format", "json", "-"], email, topdir)
    assert proc.returncode in (0, 1), proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    return findings if strict else [f for f in findings if f["severity"] != "info"]


@pytest.fixture
def topdir(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "linux")


def test_docs_keep_checkpatch_next_to_reviewkit() -> None:
    """Setting the key replaces b4's default checkpatch run: the docs must name both."""
    text = DOCS.read_text("utf-8")
    prep = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("prep-perpatch-check-cmd = ")]
    assert any("checkpatch.pl" in ln for ln in prep) and any("reviewkit" in ln for ln in prep)
    review = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("review-perpatch-check-cmd = ")]
    assert any("checkpatch" in ln for ln in review) and any("reviewkit" in ln for ln in review)


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_prep_check_line_protocol_on_seed(seed_mbox: Path, topdir: Path, strict: bool) -> None:
    """One line per finding; CHECK (info) lines only with --strict, as checkpatch prints them."""
    email = seed_mbox.read_bytes()
    proc = _b4_run(_documented("prep-perpatch-check-cmd") + (["--strict"] if strict else []), email, topdir)
    assert proc.stderr == b"", "anything on stderr fails the b4 check"
    lines = proc.stdout.decode("utf-8").splitlines()
    findings = _json_findings(email, topdir, strict=strict)
    assert findings, "the seed has findings to report"
    assert any(" CHECK: " in ln for ln in lines) == strict
    assert len(lines) == len(findings)
    for line, f in zip(lines, findings, strict=True):
        m = TERSE_RE.match(line)
        assert m, f"not a checkpatch --terse line: {line!r}"
        assert (m["file"], int(m["line"]), m["level"], m["rule"]) == (
            f["file"],
            f["line"],
            LEVEL[f["severity"]],
            f["rule"],
        )
        assert m["msg"] == " ".join(f["message"].split())
        assert ("ERROR:" in line) == (f["severity"] == "error")
    failed = bool(proc.stderr) or any("ERROR:" in ln for ln in lines)
    assert failed == any(f["severity"] == "error" for f in findings)


def test_prep_check_is_silent_on_a_clean_patch(topdir: Path, tmp_path: Path) -> None:
    (topdir / "Documentation").mkdir()
    (topdir / "Documentation" / "widget.rst").write_text("Widget\n======\n\nCounts frames.\n")
    git(topdir, "add", ".")
    git(topdir, "commit", "-q", "-m", "docs: describe the widget")
    email = git(topdir, "format-patch", "-1", "--stdout").encode()
    proc = _b4_run(_documented("prep-perpatch-check-cmd"), email, topdir)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    review = _b4_run(_documented("review-perpatch-check-cmd"), email, topdir)
    [result] = json.loads(review.stdout)
    assert result == {"tool": "reviewkit", "status": "pass", "summary": "no findings", "url": "", "details": "[]"}


def test_terse_never_prints_series_warnings(seed_mbox: Path, topdir: Path) -> None:
    """A 7/7 patch given as a file is an incomplete series: a note in text mode, silence in --terse."""
    proc = subprocess.run(
        [*REVIEWKIT, "check", "--format", "checkpatch", "--terse", str(seed_mbox)],
        cwd=topdir,
        capture_output=True,
        env=clean_env(),
    )
    assert proc.stderr == b""
    loud = subprocess.run([*REVIEWKIT, "check", str(seed_mbox)], cwd=topdir, capture_output=True, env=clean_env())
    assert b"series is incomplete" in loud.stderr


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_review_check_json_on_seed(seed_mbox: Path, topdir: Path, strict: bool) -> None:
    email = seed_mbox.read_bytes()
    proc = _b4_run(_documented("review-perpatch-check-cmd") + (["--strict"] if strict else []), email, topdir)
    assert proc.stderr == b""
    results = json.loads(proc.stdout)
    assert isinstance(results, list) and len(results) == 1
    [result] = results
    assert set(result) == {"tool", "status", "summary", "url", "details"}
    assert result["tool"] == "reviewkit" and result["url"] == ""
    findings = _json_findings(email, topdir, strict=strict)
    details = json.loads(result["details"])
    assert len(details) == len(findings)
    for d, f in zip(details, findings, strict=True):
        assert set(d) == {"status", "description", "srcline"}
        assert d["status"] == {"error": "fail", "warning": "warn", "info": "warn"}[f["severity"]]
        assert d["srcline"] == f"{f['file']}:{f['line']}"
        assert d["description"] == f"[{f['rule']}] " + " ".join(f["message"].split())
    worst = "fail" if any(d["status"] == "fail" for d in details) else "warn" if details else "pass"
    assert result["status"] == worst
    errors = sum(f["severity"] == "error" for f in findings)
    if errors:
        assert f"{errors} error" in result["summary"]


def _real_b4() -> str:
    pytest.importorskip("b4", reason="b4 is not installed (pip install -e '.[test-b4]')")
    exe = shutil.which("b4") or str(Path(sys.executable).parent / "b4")
    if not Path(exe).exists():
        pytest.skip("b4 has no command on PATH")
    return exe


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_real_b4_am_check_prints_checks_only_with_strict(
    seed_mbox: Path, topdir: Path, tmp_path: Path, strict: bool
) -> None:
    """Real ``b4 am --check`` with the documented am-perpatch-check-cmd: nits show only with --strict."""
    exe = _real_b4()
    script = Path(sys.executable).parent / "reviewkit"  # b4 names a check by its argv[0]
    if not script.exists():
        pytest.skip("no reviewkit console script next to the interpreter")
    argv = [str(script), *_documented("am-perpatch-check-cmd")[len(REVIEWKIT) :]] + (["--strict"] if strict else [])
    git(topdir, "config", "b4.am-perpatch-check-cmd", shlex.join(argv))
    env = clean_env(HOME=str(tmp_path), PATH=f"{Path(exe).parent}:/usr/bin:/bin")
    proc = subprocess.run(
        [exe, "--offline-mode", "am", "--check", "-m", str(seed_mbox), "-o", str(tmp_path / "out")],
        cwd=topdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)  # b4 paints its own bullets
    shown = [ln.split("● reviewkit: ", 1)[1] for ln in plain.splitlines() if "● reviewkit: " in ln]
    findings = _json_findings(seed_mbox.read_bytes(), topdir, strict=strict)
    assert [TERSE_RE.match(ln)["rule"] for ln in shown] == [f["rule"] for f in findings]  # type: ignore[index]
    assert any(" CHECK: " in ln for ln in shown) == strict
    assert any(" ERROR: " in ln for ln in shown)
