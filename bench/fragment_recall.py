"""Lock bugs planted in real kernel functions, reviewed from the diff as a maintainer gets it.

    python bench/fragment_recall.py --tree /work/kernel/linux-source-6.1 --per-kind 40

For functions of Linux 6.1 that take a lock and release it in the same
block, this plants one edit at a time, commits nothing, and takes the patch
from ``git diff`` (git's default three lines of context) in a throwaway
repository holding the real files.  Bug kinds:

- ``early-return``: a new ``return`` between the acquire and the release;
- ``goto-to-return``: a ``goto`` to the label that releases becomes a ``return``;
- ``delete-release``: the release is deleted;
- ``duplicate-release``: the release is written twice;
- ``release-before-goto``: a release before a ``goto`` to the label that releases again;
- ``release-below-return``: the release moves below the ``return`` that follows it.

Benign edits of the same functions (must stay quiet): a statement under the
lock, a new error path through the unlock label, a rename of a local, an
annotation on a function that takes a caller's lock, a correct conversion of
the pair to ``guard()``.

Each patch is reviewed three ways: from the diff alone (``fragment``:
``reviewkit check PATCH`` outside any repository), with the repository
(``repo``: the same command run inside the throwaway repository, where the
patch's ``index`` line names the pre-image blob) and with ``--tree`` on the
pre-image (``tree``).  A bug counts as caught when lock-balance reports in
the planted function; a benign edit is quiet when it does not.
Kernel code is only read; nothing from it is executed.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reviewkit.cparse.parse import parse
from reviewkit.kernel import load_model
from reviewkit.load.series import load
from reviewkit.review.pipeline import review

BUGS = (
    "early-return",
    "goto-to-return",
    "delete-release",
    "duplicate-release",
    "release-before-goto",
    "release-below-return",
)
BENIGN = ("stmt-under-lock", "error-path-via-label", "rename-local", "annotation", "guard-conversion")
GUARD_CLASS = {
    "spin_lock": "spinlock",
    "spin_lock_irq": "spinlock_irq",
    "spin_lock_bh": "spinlock_bh",
    "raw_spin_lock": "raw_spinlock",
    "mutex_lock": "mutex",
    "rcu_read_lock": "rcu",
}
_CALL = re.compile(r"^(\s*)([a-z_][a-z0-9_]*)\s*\((.*)\);\s*(?:/\*.*\*/)?\s*$")
_GOTO = re.compile(r"^(\s*)goto\s+([A-Za-z_]\w*)\s*;")
_LABEL = re.compile(r"^([A-Za-z_]\w*):")
_RETURN = re.compile(r"^\s*return\b.*;")
_LOCAL = re.compile(r"^\s+(?:int|long|unsigned long|bool)\s+(ret|err|rc|error)\s*(?:=[^;]*)?;")


@dataclass
class Site:
    """An acquire and its release in one block of one function."""

    rel: str
    function: str
    start: int  # 1-based first line of the function
    end: int
    acquire: int  # 1-based
    release: int
    acquire_name: str
    lock_arg: str
    returns: str  # the value a planted return gives back ("" for void)
    shape: str = "pair"  # "pair", or "releases"/"acquires": the function hands the lock over


@dataclass
class Planted:
    kind: str
    site: Site
    rows: list[str]


@functools.cache
def lock_calls() -> tuple[dict[str, str], set[str]]:
    """acquire name -> its group, and every release name, from the kernel model."""
    model = load_model()
    acquires: dict[str, str] = {}
    releases: set[str] = set()
    for fam in model["locks"]["family"]:
        if fam.get("try") or fam.get("scoped") or fam.get("key") == "ret":
            continue
        for name in fam.get("acquire", []):
            acquires[name] = fam.get("group", "")
        releases.update(fam.get("release", []))
    return acquires, releases


def _first_arg(args: str) -> str:
    depth = 0
    for i, ch in enumerate(args):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            return args[:i].strip()
    return args.strip()


def _return_value(signature: str, name: str) -> str:
    head = signature.split(name + "(")[0]
    if re.search(r"\bvoid\s*$", head.strip() + " ") and "*" not in head:
        return ""
    if "*" in head:
        return "NULL"
    if re.search(r"\bbool\b", head):
        return "false"
    return "-EINVAL"


def sites_in(path: Path, rel: str, acquires: dict[str, str], releases: set[str]) -> Iterator[Site]:
    text = path.read_text("utf-8", errors="surrogateescape")
    rows = text.split("\n")
    for fn in parse(text).functions():
        if not fn.clean or fn.end_line - fn.start_line > 200:
            continue
        first, last = fn.start_line, fn.end_line
        signature = " ".join(rows[first - 1 : fn.body.start_point[0] + 1])
        calls = []
        for n in range(first, last + 1):
            m = _CALL.match(rows[n - 1])
            if m:
                calls.append((n, m.group(1), m.group(2), _first_arg(m.group(3))))
        handed = _handover(calls, acquires, releases)
        body = "\n".join(rows[first - 1 : last])
        if handed is not None and not _mentioned(body, handed[2], handed[0], acquires, releases):
            shape, n, arg = handed
            yield Site(rel, fn.name, first, last, n, n, "", arg, "", shape)
        for i, (n, indent, name, arg) in enumerate(calls):
            if name not in acquires:
                continue
            same = [c for c in calls[i + 1 :] if c[3] == arg and (c[2] in releases or c[2] in acquires)]
            if not same or same[0][2] not in releases or same[0][1] != indent:
                continue
            others = [c for c in calls if c[3] == arg and c[0] != n and c[0] != same[0][0]]
            if others:
                continue  # one pair per lock keeps the expected outcome unambiguous
            yield Site(rel, fn.name, first, last, n, same[0][0], name, arg, _return_value(signature, fn.name))
            break


def _handover(
    calls: list[tuple[int, str, str, str]], acquires: dict[str, str], releases: set[str]
) -> tuple[str, int, str] | None:
    """A lock the function only releases (the caller's) or only takes (handed back)."""
    by_arg: dict[str, list[str]] = defaultdict(list)
    first_line: dict[str, int] = {}
    for n, _ind, name, arg in calls:
        if name in acquires or name in releases:
            by_arg[arg].append("a" if name in acquires else "r")
            first_line.setdefault(arg, n)
    for arg, ops in by_arg.items():
        if not arg or arg == "":
            continue
        if set(ops) == {"r"}:
            return "releases", first_line[arg], arg
        if set(ops) == {"a"} and len(ops) == 1:
            return "acquires", first_line[arg], arg
    return None


def _mentioned(body: str, arg: str, shape: str, acquires: dict[str, str], releases: set[str]) -> bool:
    """Does the other side of a hand-over appear anywhere (an assignment, a macro argument)?"""
    names = set(acquires) if shape == "releases" else releases
    other = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\s*\(")
    lockish = re.compile(r"\b\w*(lock|unlock|srcu|rcu)\w*\s*\(\s*" + re.escape(arg))
    return bool(other.search(body) and lockish.search(body)) or len(lockish.findall(body)) > 1


def _indent_of(row: str) -> str:
    return row[: len(row) - len(row.lstrip())]


def _labels(rows: list[str], s: Site) -> dict[str, int]:
    return {m.group(1): n for n in range(s.start, s.end + 1) if (m := _LABEL.match(rows[n - 1]))}


def _ret(s: Site) -> str:
    return f"return {s.returns};" if s.returns else "return;"


def plant(kind: str, rows: list[str], s: Site) -> list[str] | None:
    """The function's file with one edit of ``kind``, or None where it does not apply."""
    if (s.shape == "pair") == (kind == "annotation"):
        return None  # annotations go on hand-over functions; every other edit on a lock/unlock pair
    out = list(rows)
    a, r = s.acquire - 1, s.release - 1
    ind = _indent_of(rows[a])
    labels = _labels(rows, s)
    gotos = [
        (n, m.group(1), m.group(2))
        for n in range(s.acquire + 1, s.release)
        if (m := _GOTO.match(rows[n - 1])) and labels.get(m.group(2), 0) > n and labels[m.group(2)] <= s.release
    ]
    if kind == "early-return":
        out[a + 1 : a + 1] = [f"{ind}if (unlikely(signal_pending(current)))", f"{ind}\t{_ret(s)}"]
    elif kind == "goto-to-return" and gotos:
        n, gind, _ = gotos[0]
        out[n - 1] = f"{gind}{_ret(s)}"
    elif kind == "delete-release":
        del out[r]
    elif kind == "duplicate-release":
        out[r + 1 : r + 1] = [rows[r]]
    elif kind == "release-before-goto" and gotos:
        n, gind, _ = gotos[0]
        head = rows[n - 2].rstrip()
        if len(_indent_of(head)) < len(gind) and head.endswith((")", "else")):
            # the braceless body of an ``if``: the release and the goto go in a new block, as its author
            # would write it (a bare line before the goto would make the goto unconditional)
            out[n - 2 : n] = [head + " {", gind + rows[r].strip(), rows[n - 1], _indent_of(head) + "}"]
        else:
            out[n - 1 : n - 1] = [gind + rows[r].strip()]
    elif kind == "release-below-return" and r + 1 < len(rows) and _RETURN.match(rows[r + 1]):
        if _indent_of(rows[r + 1]) != _indent_of(rows[r]):
            return None
        out[r], out[r + 1] = rows[r + 1], rows[r]
    elif kind == "stmt-under-lock":
        out[a + 1 : a + 1] = [f"{ind}smp_mb();"]
    elif kind == "error-path-via-label":
        label = next((lab for lab, n in labels.items() if s.acquire < n <= s.release), None)
        if label is None:
            return None
        # benign only when the label is reached holding what it releases: no other lock taken on the way
        # (``goto unlock`` before ``rtnl_lock()``, which ``unlock:`` releases, is a planted bug)
        acquires = lock_calls()[0]
        if any((m := _CALL.match(r)) and m.group(2) in acquires for r in rows[s.acquire : labels[label] - 1]):
            return None
        out[a + 1 : a + 1] = [f"{ind}if (unlikely(signal_pending(current)))", f"{ind}\tgoto {label};"]
    elif kind == "rename-local":
        local = next((m.group(1) for n in range(s.start, s.end + 1) if (m := _LOCAL.match(rows[n - 1]))), None)
        if local is None:
            return None
        word = re.compile(rf"\b{local}\b")
        for n in range(s.start - 1, s.end):
            out[n] = word.sub(local + "_val", out[n])
    elif kind == "annotation":
        brace = next((n for n in range(s.start - 1, s.end) if rows[n].startswith("{")), None)
        if brace is None:
            return None
        # What sparse wants said of a function that hands a lock over; it changes no code.
        lock = s.lock_arg.lstrip("&")
        sig = brace - 1
        out[sig] = rows[sig] + (f" __releases({lock})" if s.shape == "releases" else f" __acquires({lock})")
    elif kind == "guard-conversion":
        cls = GUARD_CLASS.get(s.acquire_name)
        after = rows[r + 1].strip() if r + 1 < len(rows) else ""
        if cls is None or (after != "}" and not _RETURN.match(rows[r + 1])) or _indent_of(rows[a]) != "\t":
            return None
        if any(_GOTO.match(rows[n - 1]) or _RETURN.match(rows[n - 1]) for n in range(s.acquire + 1, s.release)):
            return None  # a guard changes where those exits release; not a plain conversion
        out[a] = f"{ind}guard({cls})({'' if cls == 'rcu' else s.lock_arg});"
        del out[r]
    else:
        return None
    return out if out != rows else None


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo),
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.org",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
    }
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def choose_files(tree: Path, per_dir: int, seed: int) -> list[Path]:
    """Up to ``per_dir`` lock-taking C files from every top-level directory, in a fixed random order."""
    chosen = []
    for top in sorted(p for p in tree.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = [p for p in top.rglob("*.c") if p.is_file()]
        files.sort(key=lambda p: hashlib.blake2b(f"{seed}{p}".encode(), digest_size=8).digest())
        picked = 0
        for p in files:
            if picked >= per_dir:
                break
            try:
                text = p.read_text("utf-8", errors="surrogateescape")
            except OSError:
                continue
            if len(text) < 400_000 and re.search(r"\b(spin_lock|mutex_lock|rcu_read_lock|read_lock|down_write)", text):
                chosen.append(p)
                picked += 1
    return chosen


def judge(patch: Path, site: Site, mode: str, repo: Path, outside: Path, grown: int = 0) -> list[int]:
    """The lines where lock-balance reports in the planted function (a crash counts as line 0).

    A finding is in it when it names the function, or when the hunk header did not (git's
    default funcname names a hunk after a column-0 label) and its line lies in the function's
    post-image span (``grown``: lines the edit added).
    """
    cwd = repo if mode == "repo" else outside
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = review(
            load(str(patch)),
            tree=str(repo) if mode == "tree" else None,
            repo=str(repo) if mode == "repo" else None,
            rules=["lock-balance"],
        )
    except Exception as exc:  # a crash is a miss for bugs and a noise for benign edits: count it
        print(f"  error on {site.rel}:{site.function}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return [0]
    finally:
        os.chdir(old)
    return [
        f.line
        for f in result.findings
        if f.function == site.function
        or ((f.function or "").startswith("<hunk") and site.start <= f.line <= site.end + grown)
    ]


_UNLOCK_WORD = re.compile(r"unlock|(?:^|_)up(?:_|$)|(?:^|_)rel(?:ease)?(?:_|$)", re.IGNORECASE)


def names_lock(diff: str, site: Site) -> bool:
    """Does any line of the hunks show a call on the planted lock, or a label named for unlocking?

    Without either, nothing in the diff says a lock is involved: what a reviewer of the diff alone
    can see is "this path no longer goes through ``out:``", not which lock that label releases."""
    acquires, releases = lock_calls()
    names = "|".join(sorted(map(re.escape, set(acquires) | releases), key=len, reverse=True))
    call = re.compile(rf"\b(?:{names})\s*\(\s*" + re.escape(site.lock_arg) + r"\s*[,)]")
    rows = [r[1:] for r in diff.split("\n") if r[:1] in (" ", "+", "-") and not r.startswith(("+++", "---"))]
    labels = [m.group(1) for r in rows for m in [re.search(r"\bgoto\s+(\w+)|^(\w+):", r)] if m and m.group(1)]
    labels += [m.group(1) for r in rows if (m := _LABEL.match(r))]
    return any(call.search(r) for r in rows) or any(_UNLOCK_WORD.search(lab) for lab in labels)


def first_changed(diff: str) -> int:
    """Post-image line of the diff's first added line, or of the line after its first deleted one."""
    post = 0
    for row in diff.split("\n"):
        m = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", row)
        if m:
            post = int(m.group(1))
        elif post and row[:1] in ("+", "-"):
            return post
        elif post and row[:1] == " ":
            post += 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True, type=Path)
    ap.add_argument("--per-dir", type=int, default=12, help="lock-taking files read per top-level directory")
    ap.add_argument("--per-kind", type=int, default=40, help="planted edits per kind (at most)")
    ap.add_argument("--modes", default="fragment,repo,tree")
    ap.add_argument("--seed", type=int, default=61)
    ap.add_argument("--misses", action="store_true", help="list misses and noisy benign edits")
    ap.add_argument("--kinds", default="", help="comma-separated kinds to plant (default: all)")
    ap.add_argument("--dump", type=Path, help="copy every patch here, named MODE-good-... or MODE-bad-...")
    args = ap.parse_args(argv)
    kinds = [k for k in (*BUGS, *BENIGN) if not args.kinds or k in args.kinds.split(",")]
    started = time.perf_counter()
    acquires, releases = lock_calls()
    files = choose_files(args.tree, args.per_dir, args.seed)
    sites = [s for p in files for s in sites_in(p, str(p.relative_to(args.tree)), acquires, releases)]
    random.Random(args.seed).shuffle(sites)
    modes = args.modes.split(",")
    tally: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rk-frag-") as tmp:
        repo, outside = Path(tmp) / "repo", Path(tmp) / "outside"
        repo.mkdir()
        outside.mkdir()
        git(repo, "init", "-q")
        for p in files:
            dst = repo / p.relative_to(args.tree)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(p.read_bytes())
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "linux 6.1 files")
        planted: Counter[str] = Counter()
        for kind in kinds:
            for s in sites:
                if planted[kind] >= args.per_kind:
                    break
                target = repo / s.rel
                rows = target.read_text("utf-8", errors="surrogateescape").split("\n")
                new = plant(kind, rows, s)
                if new is None:
                    continue
                target.write_text("\n".join(new), "utf-8", errors="surrogateescape")
                diff = git(repo, "diff", "--", s.rel)
                git(repo, "checkout", "-q", "--", s.rel)
                patch = outside / f"{kind}-{planted[kind]}.patch"
                patch.write_text(f"From: bench <bench@example.org>\nSubject: [PATCH] {kind}\n\n---\n{diff}", "utf-8")
                planted[kind] += 1
                for mode in modes:
                    lines = judge(patch, s, mode, repo, outside, len(new) - len(rows))
                    hit = bool(lines)
                    good = hit if kind in BUGS else not hit
                    first = first_changed(diff)
                    if kind in BUGS and any(0 < n < first for n in lines):
                        tally[(kind, mode)]["above"] += 1  # on an unchanged line above the edit (issue 14 item 5)
                        if args.misses:
                            where = ",".join(str(n) for n in lines)
                            notes.append(
                                f"{mode:8s} {kind:22s} {s.rel}:{s.acquire} {s.function} above: {where} < {first}"
                            )
                    tally[(kind, mode)]["good" if good else "bad"] += 1
                    if kind in BUGS and not names_lock(diff, s):
                        tally[(kind, mode)]["blind"] += 1
                        tally[(kind, mode)]["blind-good"] += good
                    if not good and args.misses:
                        notes.append(f"{mode:8s} {kind:22s} {s.rel}:{s.acquire} {s.function}")
                    if args.dump:
                        args.dump.mkdir(parents=True, exist_ok=True)
                        out = args.dump / f"{mode}-{'good' if good else 'bad'}-{patch.name}"
                        out.write_text(patch.read_text("utf-8"), "utf-8")
    print(f"files: {len(files)} from every top-level directory; sites: {len(sites)}")
    print(f"{'kind':24s}" + "".join(f"{m:>16s}" for m in modes))
    for kind in kinds:
        cells = []
        for mode in modes:
            c = tally[(kind, mode)]
            total = c["good"] + c["bad"]
            cells.append(f"{c['good']}/{total} {100.0 * c['good'] / max(total, 1):5.1f}%")
        label = kind + (" (quiet)" if kind in BENIGN else " (caught)")
        print(f"{label:24s}" + "".join(f"{c:>16s}" for c in cells))
    for kind in kinds:
        blind = [(m, tally[(kind, m)]) for m in modes if tally[(kind, m)]["blind"]]
        if kind in BUGS and blind:
            cells = ", ".join(f"{m} {c['blind-good']}/{c['blind']}" for m, c in blind)
            print(f"  {kind}: patches whose diff shows no lock call and no unlock-named label, caught: {cells}")
    above = {m: sum(tally[(k, m)]["above"] for k in BUGS) for m in modes}
    print("bugs reported on a line above the edit: " + ", ".join(f"{m} {n}" for m, n in above.items()))
    print(f"seconds: {time.perf_counter() - started:.1f}")
    for line in notes:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
