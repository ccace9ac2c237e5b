"""Series size: ``reviewkit check`` of one mbox of N one-hunk patches, N = 1k, 3k, 10k (paired, one run).

    python bench/series_scale.py BASE_REV [NEW_REV] [--sizes 1000,3000,10000] [--timeout 0] [--git]

The series come from ``bench/gen_series.py --one-hunk`` (same seed, so the
N-patch series is the first N patches of a larger one's generator).  For
each size the baseline and the new revision run once, in turn; printed:
CPU (user+system), wall, peak RSS, CPU per patch (flat when linear), and
the rules' own wall seconds from the JSON report (``stats.rule_seconds``),
which show which rule grows faster than the series.  ``--timeout 0``
(default) lifts the per-rule budget so no rule is skipped.  The two JSON
reports of each size are compared with timing fields dropped (a speed
change must not change a finding).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from equivalence import scrub
from paired import HERE, forget, install, machine, run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("new", nargs="?", default=".")
    ap.add_argument("--sizes", default="1000,3000,10000")
    ap.add_argument("--timeout", default="0")
    ap.add_argument(
        "--git",
        action="store_true",
        help="run from an empty git repository (check's repository context, as in a user's checkout)",
    )
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(machine())
    with tempfile.TemporaryDirectory(prefix="rk-series-scale-") as tmp:
        base = Path(tmp)
        sides = {"base": install(args.base, base / "base"), "new": install(args.new, base / "new")}
        cwd = None
        if args.git:
            cwd = base / "checkout"
            cwd.mkdir()
            subprocess.run(["git", "init", "-q", str(cwd)], check=True)
        try:
            for n in sizes:
                mbox = base / f"series{n}.mbox"
                gen = [sys.executable, str(HERE / "gen_series.py"), "-n", str(n), "--one-hunk", "-o", str(mbox)]
                run(gen)
                reports: dict[str, object] = {}
                for name, site in sides.items():
                    out = base / f"{name}{n}.json"
                    argv = ["check", str(mbox), "-f", "json", "-o", str(out), "--timeout", args.timeout]
                    s = run([sys.executable, "-m", "reviewkit", *argv], site=site, cwd=cwd)
                    report = json.loads(out.read_text()) if out.exists() else {}
                    reports[name] = scrub(report)
                    stats = report.get("stats", {})
                    rules = stats.get("rule_seconds", {})
                    top = sorted(rules.items(), key=lambda kv: -kv[1])[:4]
                    print(
                        f"n={n:6d} {name:4s} cpu {s.cpu:7.1f}s wall {s.wall:7.1f}s rss {s.rss_mb:4.0f} MB "
                        f"{1000 * s.cpu / n:5.1f} ms/patch rc {s.rc}  " + " ".join(f"{k}={v:.1f}" for k, v in top),
                        flush=True,
                    )
                same = reports["base"] == reports["new"]
                print(f"n={n:6d} reports {'identical' if same else 'DIFFER'} (timing fields dropped)", flush=True)
                for line in [] if same else differences(reports["base"], reports["new"]):
                    print(f"         {line}", flush=True)
        finally:
            for name in sides:
                forget(base / name)
    return 0


def differences(base: object, new: object) -> list[str]:
    """Where two scrubbed reports differ: the findings (how many on each side only) and each stats key."""
    a = base if isinstance(base, dict) else {}
    b = new if isinstance(new, dict) else {}
    fa = {json.dumps(f, sort_keys=True) for f in a.get("findings", [])}
    fb = {json.dumps(f, sort_keys=True) for f in b.get("findings", [])}
    out = [f"findings: {len(fa - fb)} only in base, {len(fb - fa)} only in new"] if fa != fb else ["findings identical"]
    sa, sb = a.get("stats", {}), b.get("stats", {})
    for key in sorted(set(sa) | set(sb)):
        if sa.get(key) != sb.get(key):
            out.append(f"stats.{key}: {str(sa.get(key))[:60]} -> {str(sb.get(key))[:60]}")
    for key in sorted((set(a) | set(b)) - {"findings", "stats"}):
        if a.get(key) != b.get(key):
            out.append(f"{key} differs")
    return out


if __name__ == "__main__":
    sys.exit(main())
