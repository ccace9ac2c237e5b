"""Throughput of ``reviewkit scan`` per worker: local process pool against the Dask executor.

    python bench/dask_scan.py [--kernel DIR] [--dirs mm] [--workers 1 2]

Each configuration is run as its own process, cold (``--no-cache``), on the
same files, in the same run (the machine is shared: compare rows of one run,
not runs).  A Dask row starts a ``LocalCluster`` of N worker processes and
points ``--scheduler`` at it, as a user with a real cluster would; the
cluster's start-up is outside the timing, the scan's connection is inside.
Prints files/s and files/s per worker, and checks that every configuration
reports the same findings.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

KERNEL = Path(os.environ.get("REVIEWKIT_KERNEL", "/work/kernel/linux-source-6.1"))


def scan(paths: list[str], extra: list[str]) -> tuple[float, dict]:
    argv = [sys.executable, "-m", "reviewkit", "scan", "--no-cache", "-q", "-f", "json", *extra, *paths]
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr.strip()}")
    return took, json.loads(proc.stdout)


def key(doc: dict) -> list[tuple]:
    return sorted((f["rule"], f["file"], f["line"], f["message"]) for f in doc["findings"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", type=Path, default=KERNEL)
    ap.add_argument("--dirs", nargs="+", default=["mm"])
    ap.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    args = ap.parse_args()
    from dask.distributed import LocalCluster

    paths = [str(args.kernel / d) for d in args.dirs]
    rows = []
    ref = None
    for n in args.workers:
        took, doc = scan(paths, ["-j", str(n)])
        rows.append((f"local -j {n}", n, took, doc))
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            took, ddoc = scan(paths, ["--executor", "dask", "--scheduler", cluster.scheduler_address])
        rows.append((f"dask {n} worker(s)", n, took, ddoc))
    print(f"{'configuration':20s} {'files':>6s} {'seconds':>8s} {'files/s':>8s} {'per worker':>10s}")
    for label, n, took, doc in rows:
        files = doc["stats"]["files"]
        print(f"{label:20s} {files:6d} {took:8.1f} {files / took:8.1f} {files / took / n:10.1f}")
        ref = ref if ref is not None else key(doc)
        if key(doc) != ref:
            print(f"  findings differ from the first row: {label}")
            return 1
    print("findings identical across configurations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
