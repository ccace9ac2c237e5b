"""Throwaway git repositories with a small synthetic driver, for end-to-end integration tests.

The driver is written for these tests (no kernel code).  Its second commit
adds a stray blank line next to unchanged code, which whitespace-noise
reports as a warning at drivers/misc/widget.c:24.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REVIEWKIT = [sys.executable, "-m", "reviewkit"]
NOISE = ("drivers/misc/widget.c", 24)
"""Where the second commit's stray blank line lands (post-image line)."""

WIDGET_V1 = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spinlock.h>

struct widget {
\tspinlock_t lock;
\tunsigned long count;
\tunsigned long pending;
};

static int widget_queue(struct widget *w)
{
\tunsigned long flags;

\tspin_lock_irqsave(&w->lock, flags);
\tw->count++;
\tspin_unlock_irqrestore(&w->lock, flags);
\treturn 0;
}

static void widget_reset(struct widget *w)
{
\tw->count = 0;
\tw->pending = 0;
}
"""

WIDGET_V2 = WIDGET_V1.replace("\tw->count++;\n", "\tw->count++;\n\tw->pending++;\n").replace(
    "\tw->count = 0;\n", "\tw->count = 0;\n\n"
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would make git or reviewkit read the user's setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "REVIEWKIT_DEBUG": "", **extra})
    return env


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=clean_env(), timeout=60)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def make_repo(path: Path) -> Path:
    """A repository with the driver at v1 (commit 1) and v2 (commit 2, the stray blank line)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Rita Reviewer")
    git(path, "config", "user.email", "rita@example.org")
    src = path / "drivers" / "misc" / "widget.c"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(WIDGET_V1)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "widget: add the widget driver")
    src.write_text(WIDGET_V2)
    git(
        path,
        "commit",
        "-q",
        "-a",
        "-m",
        "widget: count pending frames",
        "-m",
        "Signed-off-by: Rita Reviewer <rita@example.org>",
    )
    return path


def run_cli(
    *args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*REVIEWKIT, *args], cwd=cwd, input=stdin, capture_output=True, env=env or clean_env(), timeout=180
    )
