"""Clean edits of real lock-taking kernel functions, reviewed from the diff alone: the false-positive rate.

    python bench/clean_patches.py --tree /work/kernel/linux-source-6.1 --per-kind 25 --list

The precision target of issue 14 is at most 1 real clean patch in 20 getting
an error or a warning.  This plants, one at a time, edits that keep every
lock balanced in functions of Linux 6.1 that take a lock (the sites of
``bench/fragment_recall.py``), takes the patch from ``git diff`` (three
lines of context) and reviews it in fragment mode (outside any repository).
A patch counts as a false positive when lock-balance reports an error or a
warning anywhere in it.  Kinds: the benign edits of ``fragment_recall``
(a statement under the lock, a new error path through the unlock label, a
rename of a local, an annotation, a correct ``guard()`` conversion) and:

- ``reorder-unrelated``: two adjacent plain statements under the lock that
  share no name are swapped;
- ``log-on-error-path``: a ``pr_debug()`` before a ``goto`` that goes to the
  unlock label;
- ``change-constant``: a number in a statement of the function changes;
- ``return-before-lock``: a new early ``return`` just above the acquire;
- ``unlock-and-return``: a new error exit under the lock that releases it
  and returns;
- ``shrink-section``: the plain statement just above the release moves
  below it;
- ``goto-cleanup``: a ``goto`` above the acquire to a label that only
  returns becomes that ``return`` (the unneeded-goto cleanup);
- ``after-release``: a statement just below the release (near the end of
  the function, where a hunk header often names a label, not the function).

The last column counts the patches where a path stopped going to a label
the diff does not show and whose name says nothing of a lock
(``prepost-unseen-label-unnamed``): what a warning on every such path
would cost; ``fragment_recall``'s missed ``goto-to-return`` cases are of
that shape.

Kernel code is only read; nothing from it is executed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fragment_recall as fr

from reviewkit.load.series import load
from reviewkit.review.pipeline import review

EXTRA = (
    "reorder-unrelated",
    "log-on-error-path",
    "change-constant",
    "return-before-lock",
    "unlock-and-return",
    "shrink-section",
    "goto-cleanup",
    "after-release",
)
GUESS = "lock-balance.prepost-unseen-label-unnamed"
"""A path that stopped going to a neutral label nobody can see: the guess the rule does not make."""
KINDS = (*fr.BENIGN, *EXTRA)
_PLAIN = re.compile(r"^\s+[A-Za-z_][\w>.\-\[\]]*\s*(?:[+\-|&]?=\s*[^;{}]*)?;\s*$|^\s+[a-z_]\w*\([^;{}]*\);\s*$")
_NUMBER = re.compile(r"(?<![\w.])([2-9]|[1-9]\d+)(?![\w.])")
_WORD = re.compile(r"[A-Za-z_]\w*")


def _lockish(row: str) -> bool:
    return bool(re.search(r"lock|unlock|rcu|_up\b|\bup\(|down|guard|return|goto|break|continue", row))


def plant_extra(kind: str, rows: list[str], s: fr.Site) -> list[str] | None:
    """The file with one clean edit of ``kind`` in the site's function, or None where it does not apply."""
    if kind in fr.BENIGN:
        return fr.plant(kind, rows, s)
    if s.shape != "pair":
        return None
    out = list(rows)
    a, r = s.acquire - 1, s.release - 1
    ind = fr._indent_of(rows[a])
    if kind == "goto-cleanup":
        labels = fr._labels(rows, s)
        for n in range(s.start, s.acquire):
            m = fr._GOTO.match(rows[n - 1])
            at = labels.get(m.group(2), 0) if m else 0
            tail = [t.strip() for t in rows[at : s.end - 1] if t.strip()] if at > s.release else []
            if len(tail) == 1 and fr._RETURN.match(tail[0]) and m:
                out[n - 1] = m.group(1) + tail[0]
                return out
        return None
    if kind == "after-release":
        out[r + 1 : r + 1] = [f"{fr._indent_of(rows[r])}smp_mb();"]
        return out
    if kind == "return-before-lock":
        out[a:a] = [f"{ind}if (unlikely(signal_pending(current)))", f"{ind}\t{fr._ret(s)}"]
        return out
    if kind == "unlock-and-return":
        release = rows[r].strip()
        out[a + 1 : a + 1] = [
            f"{ind}if (unlikely(signal_pending(current))) {{",
            f"{ind}\t{release}",
            f"{ind}\t{fr._ret(s)}",
            f"{ind}}}",
        ]
        return out
    if kind == "shrink-section":
        above = rows[r - 1]
        if r - 1 <= a or not _PLAIN.match(above) or _lockish(above) or fr._indent_of(above) != fr._indent_of(rows[r]):
            return None
        out[r - 1], out[r] = rows[r], above
        return out
    if kind == "reorder-unrelated":
        for n in range(s.acquire, s.release - 2):  # 0-based rows strictly between acquire and release
            a, b = rows[n], rows[n + 1]
            if not (_PLAIN.match(a) and _PLAIN.match(b)) or fr._indent_of(a) != fr._indent_of(b):
                continue
            if _lockish(a) or _lockish(b) or set(_WORD.findall(a)) & set(_WORD.findall(b)):
                continue
            out[n], out[n + 1] = b, a
            return out
        return None
    if kind == "log-on-error-path":
        labels = fr._labels(rows, s)
        for n in range(s.acquire + 1, s.release):
            m = fr._GOTO.match(rows[n - 1])
            if m and s.acquire < labels.get(m.group(2), 0) <= s.release:
                out[n - 1 : n - 1] = [f'{m.group(1)}pr_debug("%s: failed\\n", __func__);']
                return out
        return None
    if kind == "change-constant":
        for n in range(s.start, s.end):
            row = rows[n - 1]
            if row.lstrip().startswith(("#", "/*", "*", "//")) or '"' in row or _lockish(row):
                continue
            m = _NUMBER.search(row)
            if m and row.rstrip().endswith(";"):
                out[n - 1] = row[: m.start()] + str(int(m.group(1)) + 1) + row[m.end() :]
                return out
        return None
    return None


def noisy(patch: Path, outside: Path, guesses: Counter[str] | None = None) -> list[str]:
    """lock-balance errors and warnings on the patch, from the diff alone."""
    old = os.getcwd()
    os.chdir(outside)
    try:
        result = review(load(str(patch)), rules=["lock-balance"])
    except Exception as exc:  # a crash is noise: count it
        return [f"crash: {type(exc).__name__}: {exc}"]
    finally:
        os.chdir(old)
    if guesses is not None and result.stats.get(GUESS):
        guesses["guess"] += 1
    return [
        f"{f.file}:{f.line}: {f.severity.name.lower()}: {f.message}"
        for f in result.findings
        if f.severity.name.lower() in ("error", "warning")
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True, type=Path)
    ap.add_argument("--per-dir", type=int, default=12, help="lock-taking files read per top-level directory")
    ap.add_argument("--per-kind", type=int, default=25, help="clean edits per kind (at most)")
    ap.add_argument("--seed", type=int, default=61)
    ap.add_argument("--list", action="store_true", help="print every noisy patch's findings")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    acquires, releases = fr.lock_calls()
    files = fr.choose_files(args.tree, args.per_dir, args.seed)
    sites = [s for p in files for s in fr.sites_in(p, str(p.relative_to(args.tree)), acquires, releases)]
    random.Random(args.seed).shuffle(sites)
    tally: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    dirs: set[str] = set()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rk-clean-") as tmp:
        repo, outside = Path(tmp) / "repo", Path(tmp) / "outside"
        repo.mkdir()
        outside.mkdir()
        fr.git(repo, "init", "-q")
        for p in files:
            dst = repo / p.relative_to(args.tree)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(p.read_bytes())
        fr.git(repo, "add", "-A")
        fr.git(repo, "commit", "-q", "-m", "linux 6.1 files")
        for kind in KINDS:
            used: set[tuple[str, str]] = set()
            for s in sites:
                if sum(tally[kind].values()) >= args.per_kind:
                    break
                if (s.rel, s.function) in used:
                    continue
                target = repo / s.rel
                rows = target.read_text("utf-8", errors="surrogateescape").split("\n")
                new = plant_extra(kind, rows, s)
                if new is None or new == rows:
                    continue
                used.add((s.rel, s.function))
                target.write_text("\n".join(new), "utf-8", errors="surrogateescape")
                diff = fr.git(repo, "diff", "--", s.rel)
                fr.git(repo, "checkout", "-q", "--", s.rel)
                patch = outside / f"{kind}-{len(used)}.patch"
                patch.write_text(f"From: bench <bench@example.org>\nSubject: [PATCH] {kind}\n\n---\n{diff}", "utf-8")
                found = noisy(patch, outside, tally[kind])
                dirs.add(s.rel.split("/")[0])
                tally[kind]["noisy" if found else "quiet"] += 1
                if found and args.list:
                    notes.append(f"{kind} {s.rel}:{s.acquire} {s.function}")
                    notes.extend("    " + f for f in found)
    total = Counter[str]()
    print(f"files: {len(files)}; sites: {len(sites)}; clean patches from {len(dirs)} top-level directories")
    print(f"{'kind':22s}{'patches':>9s}{'with error/warning':>20s}{'unnamed-label guess':>21s}")
    for kind in KINDS:
        c = tally[kind]
        total.update(c)
        print(f"{kind:22s}{c['quiet'] + c['noisy']:9d}{c['noisy']:20d}{c['guess']:21d}")
    n = total["quiet"] + total["noisy"]
    rate = 100.0 * total["noisy"] / max(n, 1)
    print(f"{'all':22s}{n:9d}{total['noisy']:20d}{total['guess']:21d}   false-positive rate {rate:.1f}%")
    print(f"seconds: {time.perf_counter() - started:.1f}")
    for line in notes:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
