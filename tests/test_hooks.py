"""The sendemail-validate hook, end to end in throwaway repositories.

This machine's git (2.39) has no send-email, so the installed hook script is
called directly, in the 1-argument form of git < 2.41 and in the 2-argument
form of git >= 2.41 with GIT_SENDEMAIL_FILE_COUNTER/TOTAL, the way git
send-email calls it: once per file, cwd at the top of the work tree.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest
from gitrepo import NOISE, clean_env, git, make_repo, run_cli
from plugins import make_plugin

PATATT = """#!/bin/sh
# stand-in for patatt's hook: `patatt sign --hook "$1"` (signs the file in place)
echo "signed $1" >> "$(git rev-parse --git-dir)/patatt.log"
printf 'X-Developer-Signature: v=1; fake\\n' >> "$1"
"""


SIGNATURE = b"X-Developer-Signature: v=1; fake\n"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hook(repo: Path) -> Path:
    return repo / ".git" / "hooks" / "sendemail-validate"


def _call(
    repo: Path, *args: str, counter: tuple[int, int] | None = None, pythonpath: str = ""
) -> subprocess.CompletedProcess[str]:
    extra = {"PYTHONPATH": pythonpath} if pythonpath else {}
    if counter:
        extra |= {"GIT_SENDEMAIL_FILE_COUNTER": str(counter[0]), "GIT_SENDEMAIL_FILE_TOTAL": str(counter[1])}
    hook = Path(git(repo, "rev-parse", "--git-path", "hooks").strip())
    hook = (hook if hook.is_absolute() else repo / hook) / "sendemail-validate"
    return subprocess.run([str(hook), *args], cwd=repo, capture_output=True, text=True, env=clean_env(**extra))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "linux")


@pytest.fixture
def patched(repo: Path) -> Path:
    """The repo with a patatt-style hook already in place, and reviewkit's installed over it."""
    hook = _hook(repo)
    hook.write_text(PATATT)
    hook.chmod(0o755)
    proc = run_cli("hook", "install", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return repo


def _format_patch(repo: Path, out: Path, *args: str) -> list[Path]:
    git(repo, "format-patch", "-q", "-o", str(out), *args)
    return sorted(out.glob("*.patch"))


def test_install_keeps_existing_hook_and_uninstall_restores_it(repo: Path) -> None:
    hook = _hook(repo)
    hook.write_text(PATATT)
    hook.chmod(0o750)
    before, mode = _sha(hook), stat.S_IMODE(hook.stat().st_mode)
    proc = run_cli("hook", "install", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    chained = hook.with_name("sendemail-validate.reviewkit-chained")
    assert _sha(chained) == before and stat.S_IMODE(chained.stat().st_mode) == mode
    assert "reviewkit hook run" in hook.read_text() and os.access(hook, os.X_OK)
    assert run_cli("hook", "install", cwd=repo).returncode == 0  # idempotent: never chains itself
    assert _sha(chained) == before
    proc = run_cli("hook", "uninstall", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert _sha(hook) == before and stat.S_IMODE(hook.stat().st_mode) == mode
    assert not chained.exists()


def test_uninstall_without_previous_hook_removes_it(repo: Path) -> None:
    assert run_cli("hook", "install", cwd=repo).returncode == 0
    assert _hook(repo).exists()
    assert run_cli("hook", "uninstall", cwd=repo).returncode == 0
    assert not _hook(repo).exists()


def test_uninstall_leaves_a_foreign_hook_alone(repo: Path) -> None:
    hook = _hook(repo)
    hook.write_text(PATATT)
    proc = run_cli("hook", "uninstall", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.decode().count("\n") == 1 and "not installed by reviewkit" in proc.stderr.decode()
    assert hook.read_text() == PATATT


def test_core_hooks_path_is_honoured(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", "ci/hooks")
    assert run_cli("hook", "install", cwd=repo).returncode == 0
    assert (repo / "ci" / "hooks" / "sendemail-validate").is_file()
    assert not _hook(repo).exists()
    assert run_cli("hook", "uninstall", cwd=repo).returncode == 0
    assert not (repo / "ci" / "hooks").exists()  # the directory install created goes too


def test_one_arg_form_blocks_at_configured_level(patched: Path, tmp_path: Path) -> None:
    (patched / ".reviewkit.toml").write_text('fail-on = "warning"\n')
    [patch] = _format_patch(patched, tmp_path / "out", "-1")
    before = _sha(patch)
    proc = _call(patched, str(patch))
    assert proc.returncode == 1
    assert f"{NOISE[0]}:{NOISE[1]}: WARNING: [whitespace-noise]" in proc.stderr
    assert proc.stdout == ""
    assert _sha(patch) == before  # reviewkit never touches $1
    assert not (patched / ".git" / "patatt.log").exists()  # the send is aborted before the chained hook


def test_one_arg_form_below_level_passes_and_runs_chained_hook(patched: Path, tmp_path: Path) -> None:
    [patch] = _format_patch(patched, tmp_path / "out", "-1")
    original = patch.read_bytes()
    proc = _call(patched, str(patch))
    assert proc.returncode == 0, proc.stderr
    assert "[whitespace-noise]" in proc.stderr  # still shown, just not blocking (fail-on: error)
    assert patch.read_bytes() == original + SIGNATURE
    assert (patched / ".git" / "patatt.log").read_text() == f"signed {patch}\n"


def test_compose_scratch_file_is_skipped(patched: Path, tmp_path: Path) -> None:
    (patched / ".reviewkit.toml").write_text('fail-on = "warning"\n')
    [patch] = _format_patch(patched, tmp_path / "out", "-1")
    scratch = tmp_path / "compose"
    scratch.write_text('GIT: Lines beginning in "GIT:" will be removed.\n' + patch.read_text())
    proc = _call(patched, str(scratch))
    assert proc.returncode == 0
    assert "reviewkit" not in proc.stderr


def test_two_arg_form_with_counters(patched: Path, tmp_path: Path) -> None:
    """A cover letter and two patches: each finding reported once, state cleaned after the last file."""
    files = _format_patch(patched, tmp_path / "out", "--cover-letter", "-2")
    headers = tmp_path / "smtp-headers"
    headers.write_text("To: widget-list@example.org\nCc: rita@example.org\n")
    originals = [f.read_bytes() for f in files]
    stderr = ""
    for n, f in enumerate(files, 1):
        proc = _call(patched, str(f), str(headers), counter=(n, len(files)))
        assert proc.returncode == 0, proc.stderr
        stderr += proc.stderr
        if n < len(files):
            assert (patched / ".git" / "reviewkit" / "sendemail").is_dir()
    assert stderr.count("[whitespace-noise]") == 1
    assert not (patched / ".git" / "reviewkit" / "sendemail").exists()
    # only the chained hook (after reviewkit) changed the files
    assert [f.read_bytes() for f in files] == [o + SIGNATURE for o in originals]
    log = (patched / ".git" / "patatt.log").read_text().splitlines()
    assert log == [f"signed {f}" for f in files]


def test_series_level_check_runs_once_on_the_last_file(patched: Path, tmp_path: Path) -> None:
    """A rule that only fires on a whole series is reported on the last file, once."""
    site = make_plugin(tmp_path / "site")
    files = _format_patch(patched, tmp_path / "out", "--cover-letter", "-2")
    outputs = []
    for n, f in enumerate(files, 1):
        proc = _call(patched, str(f), counter=(n, len(files)), pythonpath=str(site))
        outputs.append((proc.returncode, proc.stderr))
    assert [rc for rc, _ in outputs] == [0, 0, 1]
    assert all("[demo-series]" not in err for _, err in outputs[:-1])
    assert outputs[-1][1].count("reviewkit: series: ") == 1 and "[demo-series]" in outputs[-1][1]


def test_hook_run_rejects_a_bad_level(repo: Path, tmp_path: Path) -> None:
    [patch] = _format_patch(repo, tmp_path / "out", "-1")
    proc = run_cli("hook", "run", "--fail-on", "sometimes", str(patch), cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("reviewkit: error: ") and proc.stderr.count(b"\n") == 1
