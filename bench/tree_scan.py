"""``reviewkit scan -j 2`` of a kernel tree (or some of its directories), cold then warm, paired.

    python bench/tree_scan.py BASE_REV [NEW_REV] [--dirs fs,drivers/net] [-j 2] [--no-base]

Each side gets an empty cache directory (``XDG_CACHE_HOME``): the first run
is cold and fills it, the second is warm (every file replayed).  Printed per
run: wall, CPU of all processes, the largest RSS of any one process (a
worker's, the figure the 150 MB target is about), files per second.  With
``--dirs ""`` the whole tree is scanned (about 32,000 files: long).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from paired import KERNEL, forget, install, machine, run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("new", nargs="?", default=".")
    ap.add_argument("--dirs", default="fs,drivers/net", help="comma-separated, relative to the tree ('' = all)")
    ap.add_argument("-j", "--jobs", default="2")
    ap.add_argument("--no-base", action="store_true", help="measure the new revision only")
    args = ap.parse_args()
    targets = [str(KERNEL / d) for d in args.dirs.split(",") if d] or [str(KERNEL)]
    files = sum(1 for t in targets for _r, _d, names in os.walk(t) for n in names if n.endswith(".c"))
    print(machine())
    print(f"{files} .c files under {', '.join(targets)}")
    with tempfile.TemporaryDirectory(prefix="rk-tree-scan-") as tmp:
        base = Path(tmp)
        revs = {"new": args.new} if args.no_base else {"base": args.base, "new": args.new}
        sides = {name: install(rev, base / name) for name, rev in revs.items()}
        try:
            for name, site in sides.items():
                cache = base / f"{name}-cache"
                cache.mkdir()
                os.environ["XDG_CACHE_HOME"] = str(cache)
                for label in ("cold", "warm"):
                    argv = [sys.executable, "-m", "reviewkit", "scan", *targets, "-j", args.jobs, "-q", "-f", "json"]
                    with (base / f"{name}-{label}.json").open("w") as out:
                        s = run(argv, site=site, stdout=out)
                    print(
                        f"{name:4s} {label}: wall {s.wall:7.1f}s cpu {s.cpu:7.1f}s max rss {s.rss_mb:5.0f} MB "
                        f"{files / s.wall:6.1f} files/s rc {s.rc}",
                        flush=True,
                    )
        finally:
            for name in sides:
                forget(base / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
