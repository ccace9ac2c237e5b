"""reviewkit against checkpatch.pl and Coccinelle, on the same inputs, in one run.

    python bench/run_bench.py                       # seed, 100-patch series, mm/ scan
    python bench/run_bench.py --whole-tree          # also the whole kernel tree (minutes)
    python bench/run_bench.py --pathological        # also the full-size pathological C inputs

Every tool runs as a separate process, timed on the wall clock, with the CPU
time of the process and its children (the machine is shared: CPU time is the
fairer number when the load is high, so both are printed).  Finding counts
are printed side by side; the tools look for different things, so the counts
say what each reports on the same input, not who is right.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KERNEL = Path(os.environ.get("REVIEWKIT_KERNEL", "/work/kernel/linux-source-6.1"))
SEED = ROOT.parent / "shared" / "corpus" / "thp-list_lru-v3-7of7.mbox"
REVIEWKIT = [sys.executable, "-m", "reviewkit"]
CHECKPATCH = ["perl", str(KERNEL / "scripts" / "checkpatch.pl"), "--no-tree", "--no-color"]
MINI_LOCK = KERNEL / "scripts" / "coccinelle" / "locks" / "mini_lock.cocci"


@dataclass
class Run:
    wall: float
    cpu: float
    rss_kb: int
    rc: int
    out: str
    err: str


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run once; CPU time and peak RSS of the command and all its descendants."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, after.ru_maxrss, proc.returncode, proc.stdout, proc.stderr)


def repeat(cmd: list[str], n: int, env: dict[str, str] | None = None) -> tuple[float, float, float, Run]:
    """(min wall, median wall, median cpu, last run) over ``n`` runs."""
    runs = [run(cmd, env) for _ in range(n)]
    walls = [r.wall for r in runs]
    return min(walls), statistics.median(walls), statistics.median(r.cpu for r in runs), runs[-1]


def reviewkit_count(out: str) -> int:
    try:
        return len(json.loads(out)["findings"])
    except (ValueError, KeyError):
        return -1


def checkpatch_count(out: str) -> int:
    total = 0
    for m in re.finditer(r"^total: (\d+) errors, (\d+) warnings, (?:(\d+) checks, )?", out, re.M):
        total += sum(int(g) for g in m.groups() if g)
    return total


def spatch_count(out: str) -> int:
    return len(re.findall(r"preceding lock on line", out))


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "spatch": (shutil.which("spatch") or "absent"),
    }


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []

    def add(self, *cells: object) -> None:
        self.rows.append(tuple(str(c) for c in cells))
        print(" | ".join(self.rows[-1]), flush=True)

    def markdown(self, header: tuple[str, ...]) -> str:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "n/a"


def bench_seed(t: Table, n: int) -> None:
    if not SEED.is_file():
        print(f"skip seed: {SEED} absent")
        return
    env = {"REVIEWKIT_NO_CACHE": "1"}
    base = repeat([sys.executable, "-c", "pass"], n)
    rk = repeat([*REVIEWKIT, "check", str(SEED), "--format", "json"], n, env)
    cp = repeat([*CHECKPATCH, str(SEED)], max(3, n // 3))
    t.add("python -c pass (baseline)", f"{base[0]:.3f}", f"{base[1]:.3f}", f"{base[2]:.3f}", "-", "-")
    t.add("reviewkit check seed", f"{rk[0]:.3f}", f"{rk[1]:.3f}", f"{rk[2]:.3f}", reviewkit_count(rk[3].out), "-")
    t.add(
        "checkpatch.pl seed",
        f"{cp[0]:.3f}",
        f"{cp[1]:.3f}",
        f"{cp[2]:.3f}",
        checkpatch_count(cp[3].out),
        f"reviewkit/checkpatch wall {ratio(rk[1], cp[1])}",
    )


def bench_series(t: Table, patches: int) -> None:
    with tempfile.TemporaryDirectory(prefix="rk-bench-") as tmp:
        mbox, split = Path(tmp) / "series.mbox", Path(tmp) / "split"
        subprocess.run(
            [sys.executable, str(HERE / "gen_series.py"), "-n", str(patches), "-o", str(mbox), "--split", str(split)],
            check=True,
        )
        rk = run([*REVIEWKIT, "check", str(mbox), "--format", "json"], {"REVIEWKIT_NO_CACHE": "1"})
        cp = run([*CHECKPATCH, *sorted(str(p) for p in split.iterdir())])
        t.add(
            f"reviewkit check {patches}-patch series",
            f"{rk.wall:.3f}",
            "-",
            f"{rk.cpu:.3f}",
            reviewkit_count(rk.out),
            "-",
        )
        t.add(
            f"checkpatch.pl {patches} patches",
            f"{cp.wall:.3f}",
            "-",
            f"{cp.cpu:.3f}",
            checkpatch_count(cp.out),
            f"reviewkit/checkpatch wall {ratio(rk.wall, cp.wall)}",
        )


def bench_scan(t: Table, target: Path, label: str, jobs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="rk-cache-") as cache:
        env = {"XDG_CACHE_HOME": cache}
        scan = [*REVIEWKIT, "scan", str(target), "--rule", "lock-balance", "-j", str(jobs), "--format", "json", "-q"]
        cold = run(scan, env)
        warm = run(scan, env)
    with tempfile.TemporaryDirectory(prefix="rk-spatch-") as spatch_cwd:  # spatch -j leaves per-run dirs in cwd
        sp = run(
            [
                "spatch",
                "-D",
                "report",
                "--no-includes",
                "--include-headers",
                "--very-quiet",
                "--sp-file",
                str(MINI_LOCK),
                "--dir",
                str(target),
                "-j",
                str(jobs),
            ],
            cwd=Path(spatch_cwd),
        )
    count = reviewkit_count(cold.out)
    t.add(
        f"reviewkit scan lock-balance {label} -j{jobs} (cold)",
        f"{cold.wall:.3f}",
        "-",
        f"{cold.cpu:.3f}",
        count,
        f"max RSS of one process so far {cold.rss_kb // 1024} MB",
    )
    t.add(
        f"reviewkit scan lock-balance {label} -j{jobs} (cached)",
        f"{warm.wall:.3f}",
        "-",
        f"{warm.cpu:.3f}",
        reviewkit_count(warm.out),
        "-",
    )
    t.add(
        f"spatch mini_lock.cocci {label} -j{jobs}",
        f"{sp.wall:.3f}",
        "-",
        f"{sp.cpu:.3f}",
        spatch_count(sp.out),
        f"reviewkit/spatch wall {ratio(cold.wall, sp.wall)}",
    )


def bench_pathological(t: Table) -> None:
    sys.path.insert(0, str(HERE))
    from pathological import inputs

    with tempfile.TemporaryDirectory(prefix="rk-patho-") as tmp:
        for name, text in inputs().items():
            path = Path(tmp) / name
            path.write_text(text)
            r = run([*REVIEWKIT, "scan", str(path), "-j", "1", "--no-cache"])
            notes = sum(1 for line in r.err.splitlines() if "skipped" in line)
            t.add(
                f"reviewkit scan {name} ({text.count(chr(10))} lines)",
                f"{r.wall:.3f}",
                "-",
                f"{r.cpu:.3f}",
                f"rc={r.rc}",
                f"{notes} rule(s) skipped",
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10, help="repetitions for the latency runs")
    ap.add_argument("--patches", type=int, default=100)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--whole-tree", action="store_true", help="also scan the whole kernel tree")
    ap.add_argument("--pathological", action="store_true", help="also the full-size pathological inputs")
    ap.add_argument("--markdown", metavar="FILE", help="append the table to FILE")
    args = ap.parse_args()
    info = machine()
    print(json.dumps(info))
    print("what | wall min s | wall median s | cpu s | findings | note")
    t = Table()
    bench_seed(t, args.n)
    bench_series(t, args.patches)
    bench_scan(t, KERNEL / "mm", "mm/", args.jobs)
    if args.whole_tree:
        bench_scan(t, KERNEL, "whole tree", args.jobs)
    if args.pathological:
        bench_pathological(t)
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as fh:
            fh.write("\n" + " ".join(f"{k}: {v};" for k, v in info.items()) + "\n\n")
            fh.write(t.markdown(("what", "wall min s", "wall median s", "cpu s", "findings", "note")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
