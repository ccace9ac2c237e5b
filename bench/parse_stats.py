"""Raw vs normalised tree-sitter parse quality over C trees (e.g. Linux mm/ fs/ kernel/).

Usage: python bench/parse_stats.py DIR [DIR...] [--jobs N]

Prints one JSON object per directory on its own line:
``{"dir", "raw": {...}, "normalized": {...}, "normalize_s_per_mb"}`` where each
figure set is :func:`reviewkit.cparse.stats.parse_stats` for that directory.
The work is spread over ``--jobs`` processes (default: all cores), one task per
(directory, mode), so timings are per task, not wall-clock for the whole run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from reviewkit.cparse.normalize import normalize
from reviewkit.cparse.stats import iter_c_files, parse_stats


def _stats(task: tuple[str, str]) -> tuple[str, str, dict[str, int | float]]:
    path, mode = task
    if mode == "normalize_only":
        return path, mode, _normalize_timing(path)
    return path, mode, parse_stats([path], raw=mode == "raw")[path]


def _normalize_timing(path: str) -> dict[str, int | float]:
    """Seconds spent in normalize() alone (files read first, so I/O is not counted)."""
    sources = []
    for name in iter_c_files([path]):
        with open(name, "rb") as fh:
            sources.append(fh.read())
    start = time.perf_counter()
    for src in sources:
        normalize(src)
    seconds = time.perf_counter() - start
    size = sum(map(len, sources))
    return {"bytes": size, "seconds": round(seconds, 3), "s_per_mb": round(seconds / (size / 1e6), 4) if size else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    tasks = [(d, mode) for d in args.dirs for mode in ("raw", "normalized", "normalize_only")]
    results: dict[str, dict[str, object]] = {d: {"dir": d} for d in args.dirs}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for path, mode, stats in pool.map(_stats, tasks):
            results[path][mode] = stats
    for d in args.dirs:
        print(json.dumps(_with_ratios(results[d])))
    return 0


def _with_ratios(entry: dict[str, object]) -> dict[str, object]:
    """Add ``clean_pct`` (clean / denominator) and ``clean_brace_pct`` to each figure set."""
    for mode in ("raw", "normalized"):
        stats = entry.get(mode)
        if isinstance(stats, dict) and stats.get("denominator"):
            den = stats["denominator"]
            stats["clean_pct"] = round(100 * stats["clean_functions"] / den, 1)
            stats["clean_brace_pct"] = round(100 * stats["clean_brace_functions"] / den, 1)
    return entry


if __name__ == "__main__":
    raise SystemExit(main())
