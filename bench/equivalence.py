"""Are two commits' reports byte-identical?  The check behind a behaviour-preserving restructure.

    python bench/equivalence.py OLD_REV NEW_REV [--kernel DIR]

Each revision is installed (non-editable, as a user gets it) into its own
temporary directory and run as a separate process on the same inputs: the
seed mbox, the seed thread, the demo series, a 100-patch synthetic series,
``reviewkit scan --no-cache`` of Linux 6.1 mm/ and kernel/, and the revision's
own lock recall bench.  JSON reports are compared after dropping timing
fields (``stats.seconds`` and friends); the exit code is part of the result.
A revision is run from a ``git worktree`` of this repository, so uncommitted
changes are not part of either side.  Nothing is run from the kernel tree.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "corpus"
KERNEL = Path(os.environ.get("REVIEWKIT_KERNEL", "/work/kernel/linux-source-6.1"))
_TIMING_KEYS = re.compile(r"seconds|elapsed|duration|time|cpu|wall|rss", re.I)


def install(rev: str, into: Path) -> Path:
    """Install ``rev`` with pip --target; returns the directory to put on PYTHONPATH."""
    src = into / "src"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(src), rev], check=True)
    site = into / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(src),
        ],
        check=True,
    )
    return site


def scrub(value: object) -> object:
    """Drop timing fields anywhere in a JSON document: they differ run to run."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if not _TIMING_KEYS.search(k)}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def jobs(series100: Path) -> dict[str, list[str]]:
    """The inputs, as reviewkit command lines (argument lists after ``python -m reviewkit``)."""
    out: dict[str, list[str]] = {
        "demo": ["check", str(ROOT / "fixtures" / "demo" / "series.mbox"), "--format", "json"],
        "series100": ["check", str(series100), "--format", "json"],
    }
    if SHARED.is_dir():
        out["seed"] = ["check", str(SHARED / "thp-list_lru-v3-7of7.mbox"), "--format", "json"]
        out["thread"] = ["check", str(SHARED / "thp-list_lru-v3-7of7-thread.mbox"), "--format", "json"]
    if KERNEL.is_dir():
        for d in ("mm", "kernel"):
            out[f"scan-{d}"] = ["scan", str(KERNEL / d), "--no-cache", "-q", "--format", "json", "-j", "2"]
    return out


def run_rev(site: Path, src: Path, argv: list[str], cwd: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "reviewkit", *argv], capture_output=True, text=True, env=env, cwd=cwd)
    try:
        doc = json.dumps(scrub(json.loads(proc.stdout)), indent=1, sort_keys=True)
    except json.JSONDecodeError:
        doc = proc.stdout
    return proc.returncode, doc + "\n--stderr--\n" + re.sub(r"\d+\.\d+ ?s\b", "<t>", proc.stderr)


def recall(site: Path, src: Path) -> str:
    """The revision's own lock recall bench, minus its timing line."""
    script = src / "bench" / "lock_recall.py"
    if not (script.is_file() and KERNEL.is_dir()):
        return "skipped"
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, str(script), "--tree", str(KERNEL), "mm", "--max", "200"],
        capture_output=True,
        text=True,
        env=env,
        cwd=src,
    )
    return "\n".join(line for line in proc.stdout.splitlines() if not line.startswith("seconds:"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--no-recall", action="store_true", help="skip the lock recall bench")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rk-equiv-") as tmp:
        base = Path(tmp)
        series100 = base / "series100.mbox"
        subprocess.run([sys.executable, str(HERE / "gen_series.py"), "-n", "100", "-o", str(series100)], check=True)
        sides = {}
        for name, rev in (("old", args.old), ("new", args.new)):
            site = install(rev, base / name)
            sides[name] = (site, base / name / "src")
        same = True
        try:
            for label, argv in jobs(series100).items():
                results = {}
                for name, (site, src) in sides.items():
                    started = time.perf_counter()
                    results[name] = run_rev(site, src, argv, base)
                    took = time.perf_counter() - started
                    print(f"{label:10s} {name}: rc={results[name][0]} {took:6.1f}s", flush=True)
                if results["old"] == results["new"]:
                    print(f"{label:10s} identical ({len(results['old'][1])} bytes)")
                else:
                    same = False
                    print(f"{label:10s} DIFFERENT")
                    diff = difflib.unified_diff(
                        f"rc={results['old'][0]}\n{results['old'][1]}".splitlines(),
                        f"rc={results['new'][0]}\n{results['new'][1]}".splitlines(),
                        "old",
                        "new",
                        lineterm="",
                        n=2,
                    )
                    print("\n".join(list(diff)[:60]))
            if not args.no_recall:
                rec = {name: recall(site, src) for name, (site, src) in sides.items()}
                verdict = "identical" if rec["old"] == rec["new"] else "DIFFERENT"
                same = same and rec["old"] == rec["new"]
                print(f"recall     {verdict}: " + " | ".join(rec["new"].splitlines()[:3]))
        finally:
            for name in sides:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base / name / "src")])
        print("ALL IDENTICAL" if same else "DIFFERENCES FOUND")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
