"""Shared by the speed benches: install two revisions side by side and time child processes.

A bench compares a baseline revision with a new one *in the same run*
(rounds interleaved, so machine load hits both sides alike).  Each side is
installed non-editable (``pip --target``, with byte code compiled, as a user
gets it) from a ``git worktree`` of this repository; ``"."`` means the
working tree as it is (uncommitted changes included), for a quick look.

CPU is the child's user+system time from ``os.wait4`` (it covers the
processes it waited for, so ``scan -j 2`` workers count); RSS is the
largest resident set of any of them.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KERNEL = Path(os.environ.get("REVIEWKIT_KERNEL", "/work/kernel/linux-source-6.1"))
SEED = ROOT.parent / "shared" / "corpus" / "thp-list_lru-v3-7of7.mbox"


@dataclass
class Sample:
    cpu: float
    wall: float
    rss_mb: float
    rc: int


def install(rev: str, into: Path) -> Path:
    """Install ``rev`` (a git revision, or ``.`` for the work tree) into ``into``; returns its site dir."""
    into.mkdir(parents=True, exist_ok=True)
    src = ROOT
    if rev != ".":
        src = into / "src"
        if not src.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(src), rev], check=True)
    site = into / "site"
    stray = src / "build"  # setuptools builds in the source tree: never leave one in the checkout
    had_build = stray.exists()
    if site.exists():
        shutil.rmtree(site)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--target", str(site), str(src)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    if not had_build:
        shutil.rmtree(stray, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(site)], check=False, stdout=subprocess.DEVNULL)
    return site


def forget(into: Path) -> None:
    """Remove the worktree :func:`install` made under ``into`` (if any)."""
    src = into / "src"
    if src.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(src)], check=False)


_NEUTRAL: Path | None = None


def neutral_dir() -> Path:
    """An empty directory outside any checkout: where children run unless told otherwise.

    ``python -m reviewkit`` puts its working directory first on ``sys.path``:
    run from this repository's root it imports the checkout's ``reviewkit``,
    not the installed revision, and both sides of a bench measure the same
    code.  (A git checkout as working directory is also the repository
    context of ``check``: give ``cwd`` to measure that on purpose.)
    """
    global _NEUTRAL
    if _NEUTRAL is None:
        import tempfile

        _NEUTRAL = Path(tempfile.mkdtemp(prefix="rk-bench-cwd-"))
    return _NEUTRAL


def run(argv: list[str], *, site: Path | None = None, cwd: Path | None = None, stdout: object = None) -> Sample:
    """Run ``argv`` to completion (in ``cwd``, by default :func:`neutral_dir`); its CPU, wall time and peak RSS."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NO_COLOR"] = "1"
    if site is not None:
        env["PYTHONPATH"] = str(site)
    out = subprocess.DEVNULL if stdout is None else stdout
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd or neutral_dir(), stdout=out, stderr=subprocess.DEVNULL)  # type: ignore[arg-type]
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, proc.returncode)


def summary(samples: list[Sample]) -> str:
    cpu = [s.cpu for s in samples]
    wall = [s.wall for s in samples]
    spread = f" ±{statistics.stdev(cpu):.3f}" if len(cpu) > 1 else ""
    return (
        f"cpu median {statistics.median(cpu):.3f}s{spread} (min {min(cpu):.3f}) "
        f"wall median {statistics.median(wall):.3f}s  rss {max(s.rss_mb for s in samples):.0f} MB  "
        f"rc {sorted({s.rc for s in samples})}"
    )


def machine() -> str:
    """Load and date, for the RESULTS.md header (lscpu is in the section header)."""
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {up}"
