"""Run the real CLI in a child process with a memory and time budget.

Used by the safety and fuzz tests: an input that makes reviewkit allocate
without bound fails with a MemoryError (a traceback, or exit status 2 with
"internal error") under ``RLIMIT_AS`` instead of swapping the test machine,
and a hang is a ``TimeoutExpired``.  Budgets are the ones issue 16 sets.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MEMORY_BYTES = 500 * 1024 * 1024
SECONDS = 10.0


@dataclass
class Outcome:
    returncode: int | None
    """None: killed at the time budget."""
    stdout: str
    stderr: str
    max_rss_kb: int = 0

    @property
    def hung(self) -> bool:
        return self.returncode is None

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr or "internal error" in self.stderr


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_cli(
    args: list[str],
    cwd: str | Path | None = None,
    *,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    seconds: float = SECONDS,
) -> Outcome:
    """``python -m reviewkit ARGS`` under the budgets; never raises for the child's failure."""
    full_env = {**os.environ, "REVIEWKIT_NO_CACHE": "1", **(env or {})}
    full_env.pop("REVIEWKIT_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewkit", *args],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limit,
    )
    chunks: dict[str, bytes] = {}

    def drain(name: str, stream: IO[bytes]) -> None:
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=(n, s), daemon=True)
        for n, s in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for t in readers:
        t.start()
    if proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(stdin or b"")
        proc.stdin.close()
    deadline = time.monotonic() + seconds
    code: int | None = None
    rss = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            code, rss = os.waitstatus_to_exitcode(status), usage.ru_maxrss
            break
        if time.monotonic() > deadline:
            proc.kill()
            _pid, _status, usage = os.wait4(proc.pid, 0)
            rss = usage.ru_maxrss
            break
        time.sleep(0.02)
    proc.returncode = code if code is not None else -9
    for t in readers:
        t.join(5)
    out, err = chunks.get("out", b""), chunks.get("err", b"")
    return Outcome(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), rss)
