"""``reviewkit check`` of the seed mbox against ``checkpatch.pl --no-tree`` on the same file (CPU, paired).

    python bench/check_speed.py BASE_REV [NEW_REV] [--rounds 10] [--mbox FILE]

Each round runs checkpatch, the baseline and the new revision once, in
turn, so load on this shared machine falls on all three alike; the medians
of user+system CPU are compared.  checkpatch runs from the kernel tree
(``perl scripts/checkpatch.pl --no-tree FILE``), as a maintainer runs it.
The import cost of the check path (``-X importtime``, summed top-level
modules) is printed for both revisions.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from paired import KERNEL, SEED, Sample, forget, install, machine, neutral_dir, run, summary


def import_ms(site: Path, mbox: Path) -> float:
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reviewkit", "check", str(mbox)],
        capture_output=True,
        text=True,
        env=env,
        cwd=neutral_dir(),
    )
    total = 0
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):
            total += int(m.group(1))
    return total / 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("new", nargs="?", default=".")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--mbox", type=Path, default=SEED)
    args = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="rk-check-speed-") as tmp:
        sides = {"base": install(args.base, Path(tmp) / "base"), "new": install(args.new, Path(tmp) / "new")}
        try:
            got: dict[str, list[Sample]] = {"checkpatch": [], "base": [], "new": []}
            checkpatch = ["perl", "scripts/checkpatch.pl", "--no-tree", str(args.mbox)]
            for site in sides.values():  # warm the page cache, compile nothing at run time
                run([sys.executable, "-m", "reviewkit", "check", str(args.mbox)], site=site)
            run(checkpatch, cwd=KERNEL)
            for _ in range(args.rounds):
                got["checkpatch"].append(run(checkpatch, cwd=KERNEL))
                for name, site in sides.items():
                    got[name].append(run([sys.executable, "-m", "reviewkit", "check", str(args.mbox)], site=site))
            ref = statistics.median(s.cpu for s in got["checkpatch"])
            for name, samples in got.items():
                ratio = statistics.median(s.cpu for s in samples) / ref
                print(f"{name:10s} {summary(samples)}  {ratio:.2f}x checkpatch")
            for name, site in sides.items():
                print(f"{name:10s} imports {import_ms(site, args.mbox):.0f} ms (-X importtime, top-level sum)")
        finally:
            for name in sides:
                forget(Path(tmp) / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
