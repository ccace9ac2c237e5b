"""``reviewkit scan --executor dask``: the same report as the local executor, from a real Dask cluster.

Skipped when Dask is not installed (the ``[dask]`` extra; CI installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def _scan(*extra: str) -> dict:
    env = {**os.environ, "REVIEWKIT_DEBUG": ""}
    argv = [sys.executable, "-m", "reviewkit", "scan", "--no-cache", "-q", "-f", "json", *extra, str(FIXTURES)]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _findings(doc: dict) -> list[tuple]:
    return sorted((f["rule"], f["file"], f["line"], f["message"]) for f in doc["findings"])


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def test_dask_scheduler_gives_the_local_report(cluster) -> None:
    local = _scan("-j", "1")
    assert local["findings"], "the fixture tree has findings to compare"
    remote = _scan("--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert _findings(remote) == _findings(local)
    assert remote["stats"]["files"] == local["stats"]["files"]


def test_every_worker_is_set_up_and_used(cluster) -> None:
    """Setup runs lazily per worker (a worker that joins late is set up too): the batches reach both."""
    from reviewkit.engine.dask_executor import DaskExecutor

    ex = DaskExecutor(2, cluster.scheduler_address)
    got = sorted(ex.map_unordered(_where, list(range(200)), setup=_mark, setup_args=("ready",)))
    assert [n for n, _pid, _ready in got] == list(range(200))
    assert all(ready == "ready" for _n, _pid, ready in got)
    assert len({pid for _n, pid, _ready in got}) == 2


def test_unreachable_scheduler_is_one_line_and_exit_2() -> None:
    env = {**os.environ, "REVIEWKIT_DEBUG": ""}
    argv = [sys.executable, "-m", "reviewkit", "scan", "--no-cache", "-q", "--executor", "dask"]
    argv += ["--scheduler", "tcp://127.0.0.1:9", str(FIXTURES / "lock-balance")]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "cannot connect" in proc.stderr


def test_scheduler_without_a_distributed_executor_is_refused() -> None:
    from reviewkit.engine.executor import get_executor
    from reviewkit.errors import UsageError

    with pytest.raises(UsageError, match="--scheduler"):
        get_executor("local", 2, scheduler="tcp://127.0.0.1:8786")


_STATE: dict[str, str] = {}


def _mark(value: str) -> None:
    _STATE["ready"] = value


def _where(n: int) -> tuple[int, int, str]:
    import time

    time.sleep(0.01)  # long enough that one worker cannot drain the queue alone
    return n, os.getpid(), _STATE.get("ready", "")
