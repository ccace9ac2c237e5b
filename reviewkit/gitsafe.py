"""Running git in the user's repository without running anything of that repository.

A repository's config can name programs git runs on its own: hooks, an
fsmonitor hook, clean/smudge filters, textconv drivers, an external diff,
an ssh command.  reviewkit only reads (``rev-parse``, ``cat-file blob``,
``format-patch``), and every call goes through :func:`safe_git` /
:data:`SAFE_CONFIG`, so none of them fires even in a hostile checkout.
``cat-file`` is never given ``--filters`` or ``--textconv``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SAFE_CONFIG = (
    "-c",
    "core.fsmonitor=",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.untrackedCache=false",
    "-c",
    "core.sshCommand=",
    "-c",
    "diff.external=",
)
"""``git`` options that switch off everything in a repository's config that could run a program."""

_TIMEOUT = 60


def safe_env() -> dict[str, str]:
    """The environment for git: no pager, no prompt, no optional locks, no external diff."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_EXTERNAL_DIFF", "PAGER")}
    env.update({"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"})
    return env


def run_git(args: list[str], cwd: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes] | None:
    """``git <SAFE_CONFIG> args`` in ``cwd`` (``stdin`` its input, else none); None when git is missing or timed out."""
    try:
        if stdin is not None:
            return subprocess.run(
                ["git", *SAFE_CONFIG, *args],
                cwd=cwd,
                capture_output=True,
                input=stdin,
                env=safe_env(),
                timeout=_TIMEOUT,
            )
        return subprocess.run(
            ["git", *SAFE_CONFIG, *args],
            cwd=cwd,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=safe_env(),
            timeout=_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def safe_git(args: list[str], cwd: str | Path, stdin: bytes | None = None) -> bytes | None:
    """stdout of a successful ``git <SAFE_CONFIG> args``; None when it failed."""
    proc = run_git(args, cwd, stdin)
    return proc.stdout if proc is not None and proc.returncode == 0 else None
