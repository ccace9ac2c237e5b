"""The pre-commit framework hooks, through ``pre-commit try-repo`` in a throwaway repository.

try-repo clones a repository at a commit, so the project (as this checkout
has it, committed or not) is first snapshotted into a throwaway repo of its
own; pre-commit then builds the hook environment from it with pip, which
needs only the package registry.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from gitrepo import NOISE, clean_env, git, make_repo, run_cli

from reviewkit.review.hooks import MARKER  # noqa: F401  (the package under test must import)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pre_commit") is None, reason="pre-commit is not installed (pip install -e '.[test]')"
)
OFFLINE = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
    "Could not find a version that satisfies",
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's files (tracked and untracked, not ignored) committed in a fresh repo."""
    proc = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        env=clean_env(),
    )
    if proc.returncode != 0:
        pytest.skip("the project is not a git checkout: nothing for try-repo to clone")
    dest = tmp_path_factory.mktemp("reviewkit-src")
    for name in filter(None, proc.stdout.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "-c", "user.name=ci", "-c", "user.email=ci@example.org", "commit", "-q", "-m", "snapshot")
    return dest


def _try_repo(repo: Path, project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(project), *args, "--verbose", "--color=never"]
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=clean_env(PRE_COMMIT_HOME=str(home)))
    out = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1) or "An unexpected error has occurred" in out:
        if any(marker in out for marker in OFFLINE):
            pytest.skip("pre-commit could not install the hook environment: the package registry is unreachable")
        pytest.fail(f"pre-commit try-repo failed:\n{out[-3000:]}")
    return proc


def test_manifest_is_valid() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert hooks["reviewkit"]["types"] == ["c"] and hooks["reviewkit"]["language"] == "python"
    series = hooks["reviewkit-series"]
    assert series["stages"] == ["pre-push"] and series["pass_filenames"] is False


def test_staged_change_is_reviewed(project: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "linux")
    (repo / ".reviewkit.toml").write_text('fail-on = "warning"\n')
    git(repo, "reset", "-q", "--soft", "HEAD~1")  # the stray blank line is now a staged change
    proc = _try_repo(repo, project, tmp_path / "pc-home", "reviewkit")
    assert proc.returncode == 1, proc.stdout
    assert f"reviewkit: staged: {NOISE[0]}:{NOISE[1]}: WARNING: [whitespace-noise]" in proc.stdout
    git(repo, "commit", "-q", "-m", "widget: count pending frames")
    # what `pre-commit run --all-files` passes: nothing staged, so whole files are not re-reviewed
    clean = run_cli("hook", "pre-commit", NOISE[0], cwd=repo)
    assert (clean.returncode, clean.stderr) == (0, b"")


def test_pre_push_reviews_the_pushed_range(project: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "linux")
    (repo / ".reviewkit.toml").write_text('fail-on = "warning"\n')
    args = ("reviewkit-series", "--hook-stage", "pre-push", "--from-ref", "HEAD~1", "--to-ref", "HEAD")
    proc = _try_repo(repo, project, tmp_path / "pc-home", *args)
    assert proc.returncode == 1, proc.stdout
    assert f"{NOISE[0]}:{NOISE[1]}: WARNING: [whitespace-noise]" in proc.stdout
