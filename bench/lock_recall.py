"""Planted-bug recall and benign-edit quietness of lock-balance on real kernel code.

Real functions of the tree (sampled evenly over the top-level directories
given, files in a fixed pseudo-random order) get one edit each, made into a
patch and reviewed with ``--tree`` (the real file is the pre-image, so only
what the edit introduced counts):

bugs (a ``lock-balance`` finding must land in the function)
  delete       a release right before a ``return``/``goto`` is deleted
  dup          a release is duplicated on the next line
  dup-goto     a ``goto L`` after the acquire gets a copy of the release ``L:`` starts with
  early-return an error ``return`` is added right after an acquire (its release comes later)
  wrong-flags  an ``*_irqrestore(x, flags)`` restores another flags variable

benign edits (no ``lock-balance`` finding may land in the function)
  stmt         a statement is added right after an acquire (under the lock)
  error-path   ``if (...) goto L;`` right after an acquire, ``L:`` starting with its release
  annotate     ``lockdep_assert_held(lock)`` right after an acquire

    python bench/lock_recall.py --tree /work/kernel/linux-source-6.1 kernel mm net fs drivers --max 40

``--misses`` lists what was not caught (bugs) or not quiet (benign), to read.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reviewkit.engine import run as engine
from reviewkit.engine.scan import c_files, file_view
from reviewkit.kernel import load_model
from reviewkit.load.series import load
from reviewkit.review.pipeline import review

BUGS = ("delete", "dup", "dup-goto", "early-return", "wrong-flags")
BENIGN = ("stmt", "error-path", "annotate")
_NEXT_EXIT = re.compile(r"^\s*(return\b|goto\b)")
_GOTO = re.compile(r"^(\s*)goto\s+(\w+)\s*;\s*$")
_LABEL = re.compile(r"^(\w+):\s*$")


@dataclass
class Mutation:
    kind: str
    path: Path
    rel: str
    function: str
    first: int
    """First line replaced (1-based)."""
    old: list[str]
    new: list[str]
    what: str


@dataclass
class _Fn:
    rows: list[str]
    lo: int
    hi: int
    name: str
    ret: str


def _calls(names: set[str]) -> re.Pattern[str]:
    alt = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(r"^(\s*)(" + alt + r")\s*\((.*)\);\s*$")


def _first_arg(args: str) -> str:
    depth = 0
    for i, ch in enumerate(args):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            return args[:i].strip()
    return args.strip()


def _error_return(ret: str) -> str:
    head = " ".join(ret.split())
    if re.search(r"\bvoid\b", head) and "*" not in head:
        return "return;"
    if "*" in head:
        return "return NULL;"
    if re.search(r"\bbool\b", head):
        return "return false;"
    return "return -EIO;"


class Planter:
    """Finds the edit sites of every kind in one function."""

    def __init__(self) -> None:
        model = load_model()
        fams = model["locks"]["family"]
        keyed = [f for f in fams if f.get("key", 0) == 0 and not f.get("try") and not f.get("scoped")]
        self.acq = _calls({n for f in keyed for n in f.get("acquire", [])})
        self.rel = _calls({n for f in keyed for n in f.get("release", [])})
        self.restore = _calls({n for f in fams if f.get("release_flags") == 1 for n in f.get("release", [])})
        self.pair = {a: set(f.get("release", [])) for f in keyed for a in f.get("acquire", [])}

    def sites(self, fn: _Fn) -> dict[str, list[tuple[int, list[str], list[str], str]]]:
        """kind -> [(first line, old rows, new rows, what)]."""
        rows = fn.rows
        out: dict[str, list[tuple[int, list[str], list[str], str]]] = {k: [] for k in BUGS + BENIGN}
        labels: dict[str, int] = {}
        for n in range(fn.lo, fn.hi + 1):
            m = _LABEL.match(rows[n - 1])
            if m:
                labels[m.group(1)] = n
        for n in range(fn.lo, fn.hi + 1):
            row = rows[n - 1]
            rel = self.rel.match(row)
            if rel:
                nxt = next((r for r in rows[n : n + 3] if r.strip()), "")
                if _NEXT_EXIT.match(nxt):
                    out["delete"].append((n, [row], [], row.strip()))
                out["dup"].append((n, [row], [row, row], row.strip()))
                rm = self.restore.match(row)
                if rm:
                    args = rm.group(3)
                    parts = args.rsplit(",", 1)
                    saved = re.compile(r"_irqsave\w*\s*\([^;]*\b" + re.escape(parts[-1].strip()) + r"\s*\)")
                    body = "\n".join(rows[fn.lo - 1 : n - 1])
                    if len(parts) == 2 and re.fullmatch(r"\s*\w+\s*", parts[1]) and saved.search(body):
                        bad = f"{rm.group(1)}{rm.group(2)}({parts[0]}, {parts[1].strip()}_planted);"
                        out["wrong-flags"].append((n, [row], [bad], row.strip()))
            acq = self.acq.match(row)
            if not acq:
                continue
            indent, name, args = acq.group(1), acq.group(2), acq.group(3)
            key = _first_arg(args)
            releases = self.pair.get(name, set())
            later = [
                k
                for k in range(n + 1, fn.hi + 1)
                if (m := self.rel.match(rows[k - 1])) and m.group(2) in releases and _first_arg(m.group(3)) == key
            ]
            if not later:
                continue
            retake = any(
                (m := self.rel.match(rows[k - 1])) and m.group(2) in releases and _first_arg(m.group(3)) == key
                for k in range(fn.lo, n)
            )  # released before it is taken: the caller's lock, retaken; a return after it hands it back held
            if not retake and not any(self.acq.match(rows[k - 1]) for k in range(n + 1, later[0])):
                ret = _error_return(fn.ret)
                early = [row, f"{indent}if (READ_ONCE(planted_cond))", f"{indent}\t{ret}"]
                out["early-return"].append((n, [row], early, row.strip()))
            out["stmt"].append((n, [row], [row, f"{indent}smp_mb();"], row.strip()))
            out["annotate"].append((n, [row], [row, f"{indent}lockdep_assert_held({key});"], row.strip()))
            for label, at in labels.items():
                first = next((r for r in rows[at : at + 3] if r.strip()), "")
                lm = self.rel.match(first)
                if not lm or lm.group(2) not in releases or _first_arg(lm.group(3)) != key or at <= n:
                    continue
                between = range(n + 1, at)
                if any(self.acq.match(rows[k - 1]) or self.rel.match(rows[k - 1]) for k in between):
                    continue  # the label is reached only with exactly this lock held
                jump = [row, f"{indent}if (READ_ONCE(planted_cond))", f"{indent}\tgoto {label};"]
                out["error-path"].append((n, [row], jump, row.strip()))
            for k in range(n + 1, later[-1] + 1):
                g = _GOTO.match(rows[k - 1])
                if not g or g.group(2) not in labels or labels[g.group(2)] <= k:
                    continue
                at = labels[g.group(2)]
                first = next((r for r in rows[at : at + 3] if r.strip()), "")
                lm = self.rel.match(first)
                prev = rows[k - 2] if k >= 2 else ""
                if lm and lm.group(2) in releases and _first_arg(lm.group(3)) == key and not self.rel.match(prev):
                    copy = g.group(1) + first.strip()
                    out["dup-goto"].append((k, [rows[k - 1]], [copy, rows[k - 1]], f"{first.strip()} before goto"))
        return out


def candidates(tree: Path, dirs: list[str], want: int, seed: int = 13) -> dict[str, list[Mutation]]:
    """Up to ``want`` mutations per kind from each of ``dirs`` (files in a seeded random order)."""
    planter = Planter()
    pre = re.compile(r"\b(?:spin_lock|mutex_lock|raw_spin_lock|read_lock|write_lock|down_|rcu_read_lock|xa_lock)")
    out: dict[str, list[Mutation]] = {k: [] for k in BUGS + BENIGN}
    for d in dirs:
        files = sorted(c_files([str(tree / d)]))
        random.Random(seed).shuffle(files)
        got: dict[str, int] = {k: 0 for k in out}
        for path in files:
            if all(v >= want for v in got.values()):
                break
            text = path.read_text("utf-8", errors="surrogateescape")
            if not pre.search(text):
                continue
            rows = text.split("\n")
            rel = str(path.relative_to(tree))
            for fv in file_view(path, text, rel).functions("post"):
                fn = fv.function
                if fn is None or not fn.clean:
                    continue
                head = fn.parsed.source[fn.node.start_byte : fn.body.start_byte].decode("utf-8", "replace")
                f = _Fn(rows, fv.first_line, fv.last_line, fv.name, head.split(fv.name)[0])
                for kind, sites in planter.sites(f).items():
                    for first, old, new, what in sites[:1]:  # one site per function and kind: spread out
                        if got[kind] < want:
                            out[kind].append(Mutation(kind, path, rel, fv.name, first, old, new, what))
                            got[kind] += 1
    return out


def patch_for(m: Mutation) -> str:
    rows = m.path.read_text("utf-8", errors="surrogateescape").split("\n")
    lo = max(1, m.first - 3)
    end = m.first + len(m.old) - 1
    hi = min(len(rows), end + 3)
    body = [" " + r for r in rows[lo - 1 : m.first - 1]]
    body += ["-" + r for r in m.old] + ["+" + r for r in m.new]
    body += [" " + r for r in rows[end:hi]]
    old_len = hi - lo + 1
    new_len = old_len - len(m.old) + len(m.new)
    header = f"@@ -{lo},{old_len} +{lo},{new_len} @@ {m.function}\n"
    return (
        "From: recall bench <bench@example.org>\n"
        f"Subject: [PATCH] planted {m.kind}: {m.what[:50]}\n\n---\n"
        f"diff --git a/{m.rel} b/{m.rel}\n--- a/{m.rel}\n+++ b/{m.rel}\n" + header + "\n".join(body) + "\n"
    )


def measure(tree: Path, muts: dict[str, list[Mutation]], say: Callable[[str], None]) -> dict[str, list[Mutation]]:
    rule = [r.id for r in engine.discover() if r.id == "lock-balance"]
    wrong: dict[str, list[Mutation]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, items in muts.items():
            bad = []
            for i, m in enumerate(items):
                p = Path(tmp) / f"{kind}{i}.patch"
                p.write_text(patch_for(m), "utf-8")
                result = review(load(str(p)), tree=str(tree), rules=rule)
                hit = any(f.function == m.function for f in result.findings)
                if hit != (kind in BUGS):
                    bad.append(m)
            wrong[kind] = bad
            n = len(items)
            ok = n - len(bad)
            label = "caught" if kind in BUGS else "quiet"
            say(f"{kind:13} {label:6} {ok:4}/{n:<4} = {100.0 * ok / max(n, 1):5.1f}%")
    return wrong


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", help="top-level directories to sample evenly")
    ap.add_argument("--tree", required=True, type=Path)
    ap.add_argument("--max", type=int, default=10, help="mutations per kind per directory")
    ap.add_argument("--kinds", default=",".join(BUGS + BENIGN))
    ap.add_argument("--misses", action="store_true", help="list the edits judged wrongly")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    kinds = set(args.kinds.split(","))
    muts = {k: v for k, v in candidates(args.tree, args.dirs, args.max).items() if k in kinds}
    print(f"dirs: {' '.join(args.dirs)}; up to {args.max} per kind per directory")
    wrong = measure(args.tree, muts, print)
    print(f"seconds: {time.perf_counter() - started:.1f}")
    if args.misses:
        for kind, items in wrong.items():
            for m in items:
                print(f"  {kind}: {m.rel}:{m.first} {m.function}: {m.what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
