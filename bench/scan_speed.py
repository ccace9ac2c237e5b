"""``reviewkit scan`` of one kernel directory, one process, cold, against a bare tree-sitter parse of it.

    python bench/scan_speed.py BASE_REV [NEW_REV] [--dir mm] [--rounds 2] [--rule ID]... [--profile FILE]

Per round: the bare parse (a fresh interpreter that reads every .c file and
parses it with tree-sitter-c, nothing else), then ``scan --no-cache -j 1 -f
json`` of the baseline and of the new revision (``--rule``: only those rules, on both
sides).  CPU is user+system of the child (medians over rounds).  The two JSON reports are compared with
timing fields dropped: a speed change must not change a finding.
``--profile`` writes a cProfile of the new revision's scan (not timed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from equivalence import scrub
from paired import KERNEL, Sample, forget, install, machine, run, summary

BARE = """
import os, sys, tree_sitter, tree_sitter_c
parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_c.language()))
n = 0
for root, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if name.endswith(".c"):
            with open(os.path.join(root, name), "rb") as fh:
                parser.parse(fh.read())
            n += 1
print(n)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("new", nargs="?", default=".")
    ap.add_argument("--dir", default="mm", help="directory of the kernel tree (default mm)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rule", action="append", default=[], help="scan with this rule only (repeatable)")
    ap.add_argument("--profile", type=Path)
    args = ap.parse_args()
    target = KERNEL / args.dir
    print(machine())
    with tempfile.TemporaryDirectory(prefix="rk-scan-speed-") as tmp:
        base = Path(tmp)
        sides = {"base": install(args.base, base / "base"), "new": install(args.new, base / "new")}
        try:
            got: dict[str, list[Sample]] = {"parse": [], "base": [], "new": []}
            reports: dict[str, str] = {}
            for _ in range(args.rounds):
                got["parse"].append(run([sys.executable, "-c", BARE, str(target)]))
                for name, site in sides.items():
                    out = base / f"{name}.json"
                    with out.open("w") as fh:
                        argv = [sys.executable, "-m", "reviewkit", "scan", str(target), "--no-cache", "-j", "1"]
                        argv += [f"--rule={rule}" for rule in args.rule]
                        got[name].append(run([*argv, "-q", "-f", "json"], site=site, stdout=fh))
                    reports[name] = json.dumps(scrub(json.loads(out.read_text())), sort_keys=True)
            ref = statistics.median(s.cpu for s in got["parse"])
            for name, samples in got.items():
                ratio = statistics.median(s.cpu for s in samples) / ref
                print(f"{name:6s} {summary(samples)}  {ratio:.2f}x bare parse")
            same = reports["base"] == reports["new"]
            count = len(json.loads(reports["new"]).get("findings", []))
            print(f"findings: {'identical' if same else 'DIFFERENT'} ({count} findings)")
            if args.profile:
                prof = [sys.executable, "-m", "cProfile", "-o", str(args.profile), "-m", "reviewkit", "scan"]
                run([*prof, str(target), "--no-cache", "-j", "1", "-q", "-f", "json"], site=sides["new"])
        finally:
            for name in sides:
                forget(base / name)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
