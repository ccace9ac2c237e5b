"""Run the CLI with a pseudo-terminal as stdin/stdout/stderr, as a user at a terminal does."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

REVIEWKIT = [sys.executable, "-m", "reviewkit"]


def run_in_pty(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """Exit status and everything the terminal received (CRLF folded to LF)."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    proc = subprocess.Popen(
        [*REVIEWKIT, *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, close_fds=True
    )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output for {timeout}s from {args}")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    status = proc.wait(timeout=timeout)
    return status, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
