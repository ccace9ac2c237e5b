"""Planted-bug recall of lock-balance on real kernel code.

For every release call (a ``release`` of ``reviewkit/kernel/locks.toml``)
that is the statement right before a ``return`` or ``goto`` in a cleanly
parsed function of the given directories, build a one-line patch deleting
it, review that patch with ``--tree`` (the real file is the pre-image) and
check that a ``lock-balance`` finding lands in that function.  Tree mode
reports only what the patch introduced, so a finding that was already there
does not count.  Mutations are sampled evenly (``--max``) so the run stays
short and repeatable.

    python bench/lock_recall.py --tree /work/kernel/linux-source-6.1 mm --max 300
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reviewkit.engine import run as engine
from reviewkit.engine.scan import c_files, file_view
from reviewkit.kernel import load_model
from reviewkit.load.series import load
from reviewkit.review.pipeline import review

_NEXT_EXIT = re.compile(r"^\s*(return\b|goto\b)")


@dataclass
class Mutation:
    path: Path
    rel: str
    line: int
    function: str
    text: str


def candidates(tree: Path, dirs: list[str]) -> list[Mutation]:
    model = load_model()
    releases = {n for fam in model["locks"]["family"] for n in fam.get("release", [])}
    call_re = re.compile(
        r"^\s*(" + "|".join(sorted(map(re.escape, releases), key=len, reverse=True)) + r")\s*\(.*\);\s*$"
    )
    out = []
    for path in c_files([str(tree / d) for d in dirs]):
        text = path.read_text("utf-8", errors="surrogateescape")
        rows = text.split("\n")
        rel = str(path.relative_to(tree))
        view = file_view(path, text, rel)
        for fv in view.functions("post"):
            fn = fv.function
            if fn is None or not fn.clean:
                continue
            for n in range(fv.first_line, fv.last_line):
                row = rows[n - 1]
                nxt = next((r for r in rows[n : n + 3] if r.strip()), "")
                if call_re.match(row) and _NEXT_EXIT.match(nxt):
                    out.append(Mutation(path, rel, n, fv.name, row.strip()))
    return out


def patch_deleting(m: Mutation) -> str:
    rows = m.path.read_text("utf-8", errors="surrogateescape").split("\n")
    lo, hi = max(1, m.line - 3), min(len(rows), m.line + 3)
    body = []
    for n in range(lo, hi + 1):
        body.append(("-" if n == m.line else " ") + rows[n - 1])
    old_len = hi - lo + 1
    header = f"@@ -{lo},{old_len} +{lo},{old_len - 1} @@ {m.function}\n"
    return (
        "From: recall bench <bench@example.org>\n"
        f"Subject: [PATCH] planted: drop {m.text[:50]}\n\n---\n"
        f"diff --git a/{m.rel} b/{m.rel}\n--- a/{m.rel}\n+++ b/{m.rel}\n" + header + "\n".join(body) + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--tree", required=True, type=Path)
    ap.add_argument("--max", type=int, default=300)
    ap.add_argument("--misses", action="store_true", help="list the mutations that were not found")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    muts = candidates(args.tree, args.dirs)
    step = max(1, len(muts) // args.max) if args.max else 1
    sample = muts[::step][: args.max or None]
    rule = [r.id for r in engine.discover() if r.id == "lock-balance"]
    found = missed = 0
    misses = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, m in enumerate(sample):
            p = Path(tmp) / f"m{i}.patch"
            p.write_text(patch_deleting(m), "utf-8")
            result = review(load(str(p)), tree=str(args.tree), rules=rule)
            if any(f.function == m.function for f in result.findings):
                found += 1
            else:
                missed += 1
                misses.append(m)
    total = found + missed
    print(f"candidates: {len(muts)} releases right before a return/goto in {' '.join(args.dirs)}")
    print(f"sampled: {total} (every {step}th)")
    print(f"found: {found}/{total} = {100.0 * found / max(total, 1):.1f}% recall")
    print(f"seconds: {time.perf_counter() - started:.1f}")
    if args.misses:
        for m in misses:
            print(f"  missed {m.rel}:{m.line} {m.function}: {m.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
