"""Baseline files: the format, the API the TUI calls, and fingerprints that survive a real rebase."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import NOISE, git, make_repo, run_cli

from reviewkit.errors import InputError
from reviewkit.load.series import load
from reviewkit.model import Finding, Severity
from reviewkit.review import baseline
from reviewkit.review.pipeline import read_baseline, review


def _finding(line: int = 7, snippet: str = "\tw->count = 0;", rule: str = "demo-rule") -> Finding:
    return Finding(
        rule, Severity.WARNING, f"demo at {line}", "drivers/misc/widget.c", line, "widget_reset", snippet=snippet
    )


def test_add_and_remove_entry(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "baseline.json"
    a, b = _finding(), _finding(9, "\tw->pending = 0;")
    baseline.add_entry(path, a, "false positive: the lock is held by the caller", "dismissed")
    baseline.add_entry(path, b, "known", "accepted")
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    assert [set(e) for e in doc["findings"]] == [
        {"fingerprint", "rule", "file", "function", "snippet", "reason", "status"}
    ] * 2
    entry = next(e for e in doc["findings"] if e["fingerprint"] == a.fingerprint)
    assert entry == {
        "fingerprint": a.fingerprint,
        "rule": "demo-rule",
        "file": "drivers/misc/widget.c",
        "function": "widget_reset",
        "snippet": "\tw->count = 0;",
        "reason": "false positive: the lock is held by the caller",
        "status": "dismissed",
    }
    assert read_baseline(str(path)) == {a.fingerprint, b.fingerprint}  # what `check --baseline` reads
    baseline.add_entry(path, a, "changed my mind", "accepted")  # same fingerprint: updated, not duplicated
    assert [e.reason for e in baseline.load(path) if e.fingerprint == a.fingerprint] == ["changed my mind"]
    assert baseline.remove_entry(path, a.fingerprint) is True
    assert baseline.remove_entry(path, a.fingerprint) is False
    assert baseline.fingerprints(path) == {b.fingerprint}
    assert sorted(p.name for p in path.parent.iterdir()) == ["baseline.json"]  # atomic writes leave no temp files


def test_fingerprint_ignores_line_numbers_and_whitespace() -> None:
    assert _finding(7).fingerprint == _finding(70, "    w->count  =  0;").fingerprint
    assert _finding(7).fingerprint != _finding(7, "\tw->count = 1;").fingerprint
    assert _finding(7).fingerprint != _finding(7, rule="other-rule").fingerprint


def test_bad_files_and_values(tmp_path: Path) -> None:
    assert baseline.load(tmp_path / "missing.json") == []
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"bad\.json"):
        baseline.load(bad)
    bad.write_text(json.dumps({"version": 1, "findings": [{"rule": "x"}]}))
    with pytest.raises(InputError, match="fingerprint"):
        baseline.load(bad)
    bad.write_text(json.dumps({"version": 99, "findings": []}))
    with pytest.raises(InputError, match="newer"):
        baseline.load(bad)
    with pytest.raises(ValueError, match="status"):
        baseline.add_entry(tmp_path / "b.json", _finding(), "", "ignored")
    assert not (tmp_path / "b.json").exists()


def _noise(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.rule == "whitespace-noise" and f.file == NOISE[0]]


def test_baseline_survives_a_rebase(tmp_path: Path) -> None:
    """Record on v1 of the patch; rebase it onto a base that moved the code; still suppressed."""
    repo = make_repo(tmp_path / "linux")
    git(repo, "format-patch", "-q", "-1", "-o", str(tmp_path / "v1"))
    [v1] = sorted((tmp_path / "v1").glob("*.patch"))
    assert run_cli("baseline", "write", str(v1), "--reason", "style, fix later", cwd=repo).returncode == 0
    path = repo / baseline.DEFAULT_PATH
    before = _noise(review(load(str(v1))).findings)
    assert before and before[0].line == NOISE[1]
    # Upstream grows the file above the patched code; rebase the patch onto it.
    git(repo, "checkout", "-q", "-b", "upstream", "HEAD~1")
    src = repo / NOISE[0]
    text = src.read_text()
    src.write_text(
        text.replace(
            "#include <linux/spinlock.h>\n",
            "#include <linux/spinlock.h>\n#include <linux/slab.h>\n\n/* Widget driver. */\n",
        )
    )
    git(repo, "commit", "-q", "-a", "-m", "widget: include slab.h")
    git(repo, "checkout", "-q", "main")
    git(repo, "rebase", "-q", "upstream")
    git(repo, "format-patch", "-q", "-1", "-o", str(tmp_path / "v2"))
    [v2] = sorted((tmp_path / "v2").glob("*.patch"))
    after = _noise(review(load(str(v2))).findings)
    assert after and after[0].line == NOISE[1] + 3  # the finding moved ...
    assert after[0].fingerprint == before[0].fingerprint  # ... its fingerprint did not
    proc = run_cli("check", str(v2), "--format", "json", "--baseline", str(path), cwd=repo)
    assert not _noise_json(proc.stdout)
    proc = run_cli("check", str(v2), "--format", "json", cwd=repo)
    assert not _noise_json(proc.stdout)  # ./.reviewkit-baseline.json is read by default
    proc = run_cli("check", str(v2), "--format", "json", cwd=tmp_path)
    assert _noise_json(proc.stdout)  # elsewhere there is no baseline: the finding is back


def _noise_json(out: bytes) -> list[dict]:
    return [f for f in json.loads(out)["findings"] if f["rule"] == "whitespace-noise"]


def test_cli_write_list_remove_and_configured_path(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "linux")
    git(repo, "format-patch", "-q", "-1", "-o", str(tmp_path / "out"))
    [patch] = sorted((tmp_path / "out").glob("*.patch"))
    (repo / ".reviewkit.toml").write_text('baseline = "review/known.json"\n')
    proc = run_cli("baseline", "write", str(patch), "--status", "dismissed", "--reason", "noise", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    path = repo / "review" / "known.json"
    entries = baseline.load(path)
    assert entries and all(e.status == "dismissed" and e.reason == "noise" for e in entries)
    n = len(entries)
    recorded = f"{n} finding{'s' if n != 1 else ''} recorded as dismissed, {n} in the baseline"
    assert proc.stderr.decode() == f"reviewkit: {path}: {recorded}\n"
    # the configured baseline applies without --baseline
    assert json.loads(run_cli("check", str(patch), "--format", "json", cwd=repo).stdout)["findings"] == []
    listing = run_cli("baseline", "list", cwd=repo).stdout.decode()
    assert all(e.fingerprint in listing for e in entries)
    fp = next(e.fingerprint for e in entries if e.rule == "whitespace-noise")
    assert run_cli("baseline", "remove", fp, cwd=repo).returncode == 0
    assert _noise_json(run_cli("check", str(patch), "--format", "json", cwd=repo).stdout)
    again = run_cli("baseline", "remove", fp, cwd=repo)
    assert again.returncode == 2 and again.stderr.count(b"\n") == 1
