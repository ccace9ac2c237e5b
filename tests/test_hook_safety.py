"""Issue 16, items 1 and 10: the send-email hook runs nothing from the repository and fails one way.

The hook is called directly, as git send-email calls it (cwd at the top of
the work tree), in throwaway repositories.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import clean_env, git, make_repo, run_cli
from plugins import make_plugin

from reviewkit.errors import UsageError
from reviewkit.review import hooks

PATATT = '#!/bin/sh\necho "signed $1" >> "$(git rev-parse --git-dir)/patatt.log"\n'


def _hook(repo: Path) -> Path:
    return repo / ".git" / "hooks" / "sendemail-validate"


def _call(repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(_hook(repo)), *args], cwd=repo, capture_output=True, text=True, env=clean_env(**env))


def _patch(repo: Path, out: Path) -> Path:
    git(repo, "format-patch", "-q", "-o", str(out), "-1")
    return next(out.glob("*.patch"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "linux")
    _hook(repo).write_text(PATATT)
    _hook(repo).chmod(0o755)
    return repo


def _plant(repo: Path, proof: Path) -> None:
    """What a hostile repository would carry to get code run by the hook."""
    code = f"open({str(proof)!r}, 'a').write(__name__ + '\\n')\n"
    (repo / "reviewkit").mkdir()
    (repo / "reviewkit" / "__init__.py").write_text(code)
    (repo / "reviewkit" / "__main__.py").write_text(code)
    (repo / "unidiff.py").write_text(code)
    (repo / "evil_rules.py").write_text(code + "ID = 'evil'\ndef check(ctx):\n    return []\n")
    info = repo / "evil-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[reviewkit.rules]\nevil = evil_rules\n")


def test_the_hook_imports_nothing_from_the_work_tree(repo: Path, tmp_path: Path) -> None:
    assert run_cli("hook", "install", cwd=repo).returncode == 0
    patch = _patch(repo, tmp_path / "out")
    proof = tmp_path / "ran.txt"
    _plant(repo, proof)
    for env in ({}, {"PYTHONPATH": ""}, {"PYTHONPATH": ".:evil"}):
        proc = _call(repo, str(patch), **env)
        assert not proof.exists(), f"repository code ran ({env}): {proof.read_text()}"
        assert "[whitespace-noise]" in proc.stderr  # reviewkit itself did review the patch
    assert (repo / ".git" / "patatt.log").exists()


def test_plugins_never_come_from_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewkit.config import installed_entry_points

    site = make_plugin(tmp_path / "site")
    monkeypatch.chdir(site)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(sys, "path", ["", *sys.path])
    assert not [ep for ep in installed_entry_points("reviewkit.rules") if ep.name == "demo-series"]
    monkeypatch.chdir(tmp_path)
    assert [ep for ep in installed_entry_points("reviewkit.rules") if ep.name == "demo-series"]


# item 10 ----------------------------------------------------------------


def test_a_failed_install_keeps_the_existing_hook(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _hook(repo).read_bytes()

    def full_disk(*a: object, **k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(hooks, "write_atomic", full_disk)
    with pytest.raises(UsageError, match="nothing was changed"):
        hooks.install(repo)
    assert _hook(repo).read_bytes() == before
    assert not (_hook(repo).parent / hooks.CHAINED).exists()
    assert not list(_hook(repo).parent.glob(".*reviewkit-new"))


def test_a_failed_rename_puts_the_existing_hook_back(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    before = _hook(repo).read_bytes()
    real = os.replace
    calls: list[str] = []

    def second_fails(src: object, dst: object) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(5, "I/O error")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(hooks.os, "replace", second_fails)
    with pytest.raises(UsageError):
        hooks.install(repo)
    monkeypatch.setattr(hooks.os, "replace", real)
    assert _hook(repo).read_bytes() == before
    assert not (_hook(repo).parent / hooks.CHAINED).exists()


def _break_python(repo: Path, how: str, tmp_path: Path) -> None:
    hook = _hook(repo)
    text = hook.read_text()
    if how == "interpreter":
        text = text.replace(f"REVIEWKIT_PYTHON={sys.executable}", "REVIEWKIT_PYTHON=/nonexistent/python3")
    else:  # an interpreter without reviewkit
        bare = tmp_path / "bare-python"
        bare.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n')
        bare.chmod(0o755)
        text = text.replace(f"REVIEWKIT_PYTHON={sys.executable}", f"REVIEWKIT_PYTHON={bare}")
    hook.write_text(text)


@pytest.mark.parametrize("how", ["interpreter", "module"])
def test_reviewkit_failing_stops_the_send_the_same_way(repo: Path, tmp_path: Path, how: str) -> None:
    assert run_cli("hook", "install", cwd=repo).returncode == 0
    patch = _patch(repo, tmp_path / "out")
    _break_python(repo, how, tmp_path)
    proc = _call(repo, str(patch))
    assert proc.returncode not in (0, 1), proc.stderr
    assert "not reviewed" in proc.stderr and "nothing was sent" in proc.stderr
    assert not (repo / ".git" / "patatt.log").exists()  # the send stops: nothing to sign


@pytest.mark.parametrize("how", ["interpreter", "module"])
def test_fail_open_sends_and_keeps_the_chain(repo: Path, tmp_path: Path, how: str) -> None:
    proc = run_cli("hook", "install", "--fail-open", cwd=repo)
    assert proc.returncode == 0 and "sends anyway" in str(proc.stdout)
    patch = _patch(repo, tmp_path / "out")
    _break_python(repo, how, tmp_path)
    proc = _call(repo, str(patch))
    assert proc.returncode == 0, proc.stderr
    assert "NOT reviewed" in proc.stderr
    assert (repo / ".git" / "patatt.log").read_text() == f"signed {patch}\n"


def test_a_reviewkit_error_fails_closed(repo: Path, tmp_path: Path) -> None:
    assert run_cli("hook", "install", cwd=repo).returncode == 0
    proc = _call(repo, str(tmp_path / "missing.patch"))
    assert proc.returncode == 2 and "nothing was sent" in proc.stderr


def test_only_gits_compose_marker_skips_review(repo: Path, tmp_path: Path) -> None:
    (repo / ".reviewkit.toml").write_text('fail-on = "warning"\n')
    assert run_cli("hook", "install", cwd=repo).returncode == 0
    patch = _patch(repo, tmp_path / "out")
    text = patch.read_text()
    sneaky = tmp_path / "sneaky.patch"
    sneaky.write_text(text.replace("\n---\n", "\nGIT: this line starts like a compose file\n---\n", 1))
    assert "GIT: this line" in sneaky.read_text()
    assert _call(repo, str(sneaky)).returncode == 1
    compose = tmp_path / "compose"
    compose.write_text('From x # This line is ignored.\nGIT: Lines beginning in "GIT:" will be removed.\nGIT:\n')
    assert _call(repo, str(compose)).returncode == 0
