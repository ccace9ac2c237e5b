"""Robustness bench: hostile and careless inputs through the real CLI, each under 500 MB and 10 s.

Reproduce: ``python bench/robustness.py [-n MUTATIONS] [--seed S] [--markdown]``.
Every input runs as ``python -m reviewkit ...`` in a child process with
``RLIMIT_AS`` = 500 MB and a 10 s wall-clock budget (tests/limits.py, the
same harness as tests/test_fuzz.py).  Counted per family: inputs tried,
tracebacks (or "internal error"), bad exits (not 0/1/2, or exit 2 without
exactly one ``reviewkit: error:`` line), hangs (killed at 10 s), and the
largest max RSS of a child.  All inputs are synthetic; nothing is kept.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from limits import Outcome, run_cli  # noqa: E402

DEMO = (ROOT / "fixtures" / "demo" / "series.mbox").read_bytes()
SEP = b"From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n"
DIFF = (
    b"diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n"
    b" static int f(void)\n {\n-\treturn 0;\n+\treturn 1;\n"
)
CTRL = [b"\x1b[8m", b"\x1b]52;c;ZXZpbA==\x07", b"\x1b[2K\r", "\u202e".encode(), b"\x00", b"\x9b"]

Setup = Callable[[Path], list[str]]
"""Lays out one case in a fresh directory; returns the reviewkit arguments."""


@dataclass
class Family:
    name: str
    tried: int = 0
    tracebacks: int = 0
    bad_exits: int = 0
    hangs: int = 0
    max_rss_kb: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, label: str, out: Outcome) -> None:
        self.tried += 1
        self.max_rss_kb = max(self.max_rss_kb, out.max_rss_kb)
        bad = ""
        if out.hung:
            self.hangs += 1
            bad = "hang"
        elif out.traceback:
            self.tracebacks += 1
            bad = "traceback"
        elif out.returncode not in (0, 1, 2) or (out.returncode == 2 and out.stderr.count("reviewkit: error:") != 1):
            self.bad_exits += 1
            bad = f"exit {out.returncode}"
        if bad and len(self.examples) < 3:
            self.examples.append(f"{label}: {bad}: {out.stderr.strip()[-200:]}")


def _mbox(subject: bytes, diff: bytes = DIFF) -> bytes:
    return SEP + b"From: Dev <dev@example.org>\nSubject: " + subject + b"\n\nwhy\n---\n" + diff


def _file(name: str, data: bytes, *args: str) -> Setup:
    def setup(d: Path) -> list[str]:
        (d / name).write_bytes(data)
        return ["check", name, *args]

    return setup


def counters() -> Iterator[tuple[str, Setup]]:
    for total in ("100000000", "1000000000", "9" * 30, "0", "1/2", ""):
        yield f"1/{total}", _file("s.mbox", _mbox(f"[PATCH 1/{total}] x".encode()))


def hunks() -> Iterator[tuple[str, Setup]]:
    for n in (50_000_000, 2**31, 2**63, 10**30):
        yield f"demo @@ -{n}", _file("s.mbox", DEMO.replace(b"@@ -55,6 +55,7 @@", f"@@ -{n},6 +{n},7 @@".encode()))
        yield f"length {n}", _file("p.diff", DIFF.replace(b"@@ -1,3 +1,3 @@", f"@@ -1,{n} +1,{n} @@".encode()))


def devices() -> Iterator[tuple[str, Setup]]:
    def fifo(d: Path) -> list[str]:
        os.mkfifo(d / "f.mbox")
        return ["check", "f.mbox"]

    def scan_links(d: Path) -> list[str]:
        (d / "mm").mkdir()
        (d / "mm" / "zero.c").symlink_to("/dev/zero")
        os.mkfifo(d / "mm" / "fifo.c")
        (d / "mm" / "ok.c").write_text("static int f(void)\n{\n\treturn 0;\n}\n")
        return ["scan", "mm", "--no-cache"]

    def tree_link(d: Path) -> list[str]:
        (d / "tree" / "mm").mkdir(parents=True)
        (d / "tree" / "mm" / "x.c").symlink_to("/dev/zero")
        (d / "p.diff").write_bytes(DIFF.replace(b"x.c", b"mm/x.c"))
        return ["check", "p.diff", "--tree", "tree"]

    def baseline(d: Path) -> list[str]:
        (d / "p.diff").write_bytes(DIFF)
        (d / ".reviewkit.toml").write_text('baseline = "zero"\n')
        (d / "zero").symlink_to("/dev/zero")
        return ["check", "p.diff"]

    yield "check FIFO", fifo
    yield "check /dev/zero", lambda d: ["check", "/dev/zero"]
    yield "scan symlink+FIFO", scan_links
    yield "--tree symlink", tree_link
    yield "baseline -> /dev/zero", baseline


def paths() -> Iterator[tuple[str, Setup]]:
    for p in ("../outside/secret.c", "a/../../x.c", "/etc/hostname", "mm//x.c", "d" * 300 + "/x.c", ""):

        def setup(d: Path, p: str = p) -> list[str]:
            (d / "tree").mkdir()
            (d / "outside").mkdir()
            (d / "outside" / "secret.c").write_text("static int f(void)\n{\n\treturn 0;\n}\n")
            (d / "p.diff").write_bytes(DIFF.replace(b"x.c", p.encode()))
            return ["check", "p.diff", "--tree", "tree"]

        yield f"path {p[:30]!r}", setup


def controls() -> Iterator[tuple[str, Setup]]:
    for c in CTRL:
        for fmt in ("text", "checkpatch", "github"):
            yield f"{c!r} {fmt}", _file("s.mbox", DEMO.replace(b"frobcache.c", b"frob" + c + b"cache.c"), "-f", fmt)


def configs() -> Iterator[tuple[str, Setup]]:
    cases = {
        "select typo": 'select = ["lock-balnce"]\n',
        "baseline outside": 'baseline = "../victim.json"\n',
        "bad regex": '[kernel.folio.failure]\nreturns = ["(x"]\n',
        "fail-on typo": 'fail-on = "eror"\n',
        "not toml": "select = [\n",
        "unknown key": "selct = []\n",
    }
    for label, text in cases.items():

        def setup(d: Path, text: str = text) -> list[str]:
            (d / ".reviewkit.toml").write_text(text)
            (d / "s.mbox").write_bytes(DEMO)
            return ["check", "s.mbox"]

        yield label, setup
    yield "--git=--output", lambda d: ["check", f"--git=--output={d}/victim"]
    yield "-o input", _file("s.mbox", DEMO, "-o", "s.mbox")
    yield "-o dir", _file("s.mbox", DEMO, "-o", ".")


def mutations(n: int, rng: random.Random) -> Iterator[tuple[str, Setup]]:
    """Random byte edits of the demo mbox: cuts, inserted controls, duplicated and dropped lines."""
    lines = DEMO.split(b"\n")
    for i in range(n):
        kind = rng.choice(["cut", "insert", "dup", "drop", "flip"])
        data = list(lines)
        if kind == "cut":
            blob = DEMO[: rng.randrange(len(DEMO))]
        else:
            at = rng.randrange(len(data))
            if kind == "insert":
                data.insert(at, rng.choice(CTRL) + data[at])
            elif kind == "dup":
                data[at:at] = data[at : at + rng.randrange(1, 30)]
            elif kind == "drop":
                del data[at : at + rng.randrange(1, 10)]
            else:
                row = bytearray(data[at] or b"x")
                row[rng.randrange(len(row))] = rng.randrange(256)
                data[at] = bytes(row)
            blob = b"\n".join(data)
        yield f"mutation {i} ({kind})", _file("s.mbox", blob)


def run(families: dict[str, Iterator[tuple[str, Setup]]]) -> list[Family]:
    results = []
    for name, cases in families.items():
        fam = Family(name)
        for label, setup in cases:
            with tempfile.TemporaryDirectory(prefix="rk-robust-") as tmp:
                args = setup(Path(tmp))
                fam.add(label, run_cli(args, tmp, env={"XDG_CACHE_HOME": str(Path(tmp) / "cache")}))
        results.append(fam)
    return results


def table(results: list[Family]) -> str:
    rows = [
        "| inputs | tried | tracebacks | bad exits | hangs (>10 s) | max RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for f in results:
        rows.append(
            f"| {f.name} | {f.tried} | {f.tracebacks} | {f.bad_exits} | {f.hangs} | {f.max_rss_kb / 1024:.0f} |"
        )
    total = Family("**total**")
    for f in results:
        total.tried += f.tried
        total.tracebacks += f.tracebacks
        total.bad_exits += f.bad_exits
        total.hangs += f.hangs
        total.max_rss_kb = max(total.max_rss_kb, f.max_rss_kb)
    rows.append(
        f"| {total.name} | {total.tried} | {total.tracebacks} | {total.bad_exits} | {total.hangs} |"
        f" {total.max_rss_kb / 1024:.0f} |"
    )
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100, help="random mutations of the demo mbox (default 100)")
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    families = {
        "subject counters (`[PATCH 1/100000000]`, ...)": counters(),
        "huge hunk header numbers": hunks(),
        "FIFO / device / symlink to /dev/zero": devices(),
        "diff paths (`..`, absolute, long) in tree mode": paths(),
        "control characters in names, 3 formats": controls(),
        "hostile configs and options": configs(),
        f"random mutations of the demo mbox (seed {args.seed})": mutations(args.n, rng),
    }
    results = run(families)
    print(table(results))
    for f in results:
        for ex in f.examples:
            print(f"- {f.name}: {ex}")
    return 1 if any(f.tracebacks or f.bad_exits or f.hangs for f in results) else 0


if __name__ == "__main__":
    sys.exit(main())
