"""Colour and pager at a real (pseudo) terminal, and their absence in pipes, as git behaves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from _pty import REVIEWKIT, run_in_pty
from gitrepo import clean_env, git

SGR_RE = re.compile(r"\x1b\[[0-9;]*m")
ANY_ESC_RE = re.compile(r"\x1b")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty HOME: no global git config, no pager settings of the person running the tests."""
    h = tmp_path / "home"
    h.mkdir()
    return h


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = clean_env(**{"HOME": str(home), "TERM": "xterm-256color", **extra})
    for name in ("NO_COLOR", "PAGER", "REVIEWKIT_PAGER", "LESS", "XDG_CONFIG_HOME"):
        if name not in extra:
            env.pop(name, None)
    return env


def _fake_pager(folder: Path, name: str) -> Path:
    """A pager that records its stdin and $LESS in ``name.log`` and passes the text through."""
    log = folder / f"{name}.log"
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "data = sys.stdin.read()\n"
        f"open({str(log)!r}, 'w').write('LESS=' + os.environ.get('LESS', '') + '\\n' + data)\n"
        "sys.stdout.write(data)\n"
    )
    script.chmod(0o755)
    return script


def test_colour_on_a_terminal(seed_mbox: Path, tmp_path: Path, home: Path) -> None:
    status, out = run_in_pty(["check", "--no-pager", str(seed_mbox)], cwd=tmp_path, env=_env(home))
    assert status == 1
    assert "\x1b[1;31merror:\x1b[m" in out and "\x1b[1;33mwarning:\x1b[m" in out and "\x1b[1;32minfo:\x1b[m" in out
    assert "\x1b[1mmm/huge_memory.c:925:\x1b[m" in out
    assert re.search(r"\x1b\[32m\+\t", out) and re.search(r"\x1b\[31m-\t", out), "fix diff lines coloured"
    assert "\x1b[36m@@ " in out
    # the only escape sequences on the terminal are SGR colours we wrote
    assert len(ANY_ESC_RE.findall(out)) == len(SGR_RE.findall(out))
    plain = SGR_RE.sub("", out)
    assert "reviewkit: 1 patch, 9 files: 1 error, 3 warnings, 9 infos" in plain


def test_no_color_and_color_never_on_a_terminal(seed_mbox: Path, tmp_path: Path, home: Path) -> None:
    _, out = run_in_pty(["check", "-P", str(seed_mbox)], cwd=tmp_path, env=_env(home, NO_COLOR="1"))
    assert "mm/huge_memory.c:925: error:" in out and "\x1b" not in out
    _, out = run_in_pty(["check", "--color=never", "-P", str(seed_mbox)], cwd=tmp_path, env=_env(home))
    assert "mm/huge_memory.c:925: error:" in out and "\x1b" not in out
    _, out = run_in_pty(["check", "-P", str(seed_mbox)], cwd=tmp_path, env=_env(home, TERM="dumb"))
    assert "\x1b" not in out


def test_pipe_gets_no_colour_unless_asked(seed_mbox: Path, tmp_path: Path, home: Path) -> None:
    def piped(*args: str, **env: str) -> str:
        return subprocess.run(
            [*REVIEWKIT, "check", *args, str(seed_mbox)], capture_output=True, text=True, env=_env(home, **env)
        ).stdout

    assert "\x1b" not in piped()
    assert "\x1b[1;31merror:\x1b[m" in piped("--color=always")
    assert "\x1b[1;31merror:\x1b[m" in piped("--color", NO_COLOR="1"), "an explicit flag wins over NO_COLOR"
    assert "\x1b[1;31mERROR:\x1b[m" in piped("--color=always", "-f", "checkpatch")
    assert "\x1b" not in piped("--color=always", "-f", "json")


def test_pager_on_a_terminal_like_git(seed_mbox: Path, tmp_path: Path, home: Path) -> None:
    pager = _fake_pager(tmp_path, "pager")
    status, out = run_in_pty(["check", str(seed_mbox)], cwd=tmp_path, env=_env(home, PAGER=str(pager)))
    assert status == 1
    log = (tmp_path / "pager.log").read_text()
    assert log.startswith("LESS=FRX\n"), "git's default LESS when the user has none"
    assert "\x1b[1;31merror:\x1b[m" in log, "colour goes into the pager (less -R shows it)"
    assert "series is incomplete" in log, "stderr on a terminal goes to the pager too, as in git"
    assert "mm/huge_memory.c:925" in out


def test_no_pager_and_pipes_never_page(seed_mbox: Path, tmp_path: Path, home: Path) -> None:
    pager = _fake_pager(tmp_path, "pager")
    env = _env(home, PAGER=str(pager), LESS="-S")
    run_in_pty(["--no-pager", "check", str(seed_mbox)], cwd=tmp_path, env=env)
    run_in_pty(["check", "-P", str(seed_mbox)], cwd=tmp_path, env=env)
    assert not (tmp_path / "pager.log").exists()
    subprocess.run([*REVIEWKIT, "check", "--pager", str(seed_mbox)], capture_output=True, env=env, cwd=tmp_path)
    assert not (tmp_path / "pager.log").exists(), "output into a pipe is never paged"
    run_in_pty(["check", str(seed_mbox), "--pager"], cwd=tmp_path, env=env)
    assert (tmp_path / "pager.log").read_text().startswith("LESS=-S\n"), "the user's LESS is kept"


def test_pager_choice_never_reads_the_repositorys_config(seed_mbox: Path, tmp_path: Path, home: Path) -> None:
    """GIT_PAGER > global core.pager > PAGER; a checkout's own core.pager is never run."""
    repo = tmp_path / "linux"
    repo.mkdir()
    git(repo, "init", "-q")
    hostile = _fake_pager(tmp_path, "repo-pager")
    git(repo, "config", "core.pager", str(hostile))
    env_pager = _fake_pager(tmp_path, "env-pager")
    run_in_pty(["check", str(seed_mbox)], cwd=repo, env=_env(home, PAGER=str(env_pager)))
    assert not (tmp_path / "repo-pager.log").exists()
    assert (tmp_path / "env-pager.log").exists()

    global_pager = _fake_pager(tmp_path, "global-pager")
    (home / ".gitconfig").write_text(f"[core]\n\tpager = {global_pager}\n")
    run_in_pty(["check", str(seed_mbox)], cwd=repo, env=_env(home, PAGER=str(env_pager)))
    assert (tmp_path / "global-pager.log").exists(), "the user's global core.pager wins over PAGER, as in git"

    git_pager = _fake_pager(tmp_path, "git-pager")
    run_in_pty(["check", str(seed_mbox)], cwd=repo, env=_env(home, GIT_PAGER=str(git_pager)))
    assert (tmp_path / "git-pager.log").exists()
    assert not (tmp_path / "repo-pager.log").exists()


def test_pager_cat_or_empty_means_none(seed_mbox: Path, tmp_path: Path, home: Path) -> None:
    for value in ("cat", ""):
        status, out = run_in_pty(["check", str(seed_mbox)], cwd=tmp_path, env=_env(home, PAGER=value))
        assert status == 1 and "mm/huge_memory.c:925" in out


def test_explain_renders_markdown_on_a_terminal(tmp_path: Path, home: Path) -> None:
    _, out = run_in_pty(["explain", "-P", "short-identifier"], cwd=tmp_path, env=_env(home))
    plain = SGR_RE.sub("", out)
    assert "What it does" in plain and "## What it does" not in plain
    assert "\x1b[" in out
    piped = subprocess.run([*REVIEWKIT, "explain", "short-identifier"], capture_output=True, text=True, cwd=tmp_path)
    assert "## What it does" in piped.stdout and "\x1b" not in piped.stdout


def test_check_never_imports_rich(seed_mbox: Path, tmp_path: Path) -> None:
    """rich is for explain/help on a terminal; the plain check path (hooks, b4) does not pay for it."""
    code = (
        "import sys\nfrom reviewkit.cli import main\n"
        f"status = main(['check', '--color=always', {str(seed_mbox)!r}])\n"
        "sys.stderr.write('RICH=%s\\n' % any(m == 'rich' or m.startswith('rich.') for m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert "RICH=False" in proc.stderr
    assert "\x1b[1;31merror:" in proc.stdout


def test_terminal_width_is_not_needed(tmp_path: Path, home: Path) -> None:
    """A pty of size 0x0 (no TIOCSWINSZ) still renders: the width falls back to 100 columns."""
    status, out = run_in_pty(["help", "-P", "suppress"], cwd=tmp_path, env=_env(home, COLUMNS=""))
    assert status == 0 and "reviewkit: ignore lock-balance" in SGR_RE.sub("", out)
