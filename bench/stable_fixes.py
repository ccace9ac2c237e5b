"""Real lock fixes and real clean patches: two Debian 6.1 stable trees, diffed file by file.

    python bench/stable_fixes.py --old /work/kernel/linux-source-6.1 \
        --new /work/kernel/v192/linux-source-6.1 candidates > /tmp/candidates.txt
    python bench/stable_fixes.py --old ... --new ... --truth bench/stable_fixes_truth.tsv judge

Planted bugs say what the tool does on bugs we thought of; this says what it
does on patches real people wrote.  Between two stable releases of Debian's
``linux-source-6.1`` (6.1.176 and 6.1.192, both from Debian's archive:
``apt-get download linux-source-6.1=VERSION``) thousands of .c files changed,
almost all by backported fixes.  Each changed file gives one patch, made with
``git diff --no-index`` (git's default three lines of context).

- ``candidates`` lists every file whose diff changes how many lock calls it
  makes or turns a ``return`` into a ``goto`` (a text test, independent of
  reviewkit), with its diff, for a human to read: is this a fix of a lock
  imbalance?  The verdicts go in a TSV (path, verdict, reason), which names
  files and functions only and holds no kernel text.
- ``goto-returns`` counts, per verdict, the files whose patch (a fix reversed) turns a
  ``goto L`` into a ``return`` while ``L:`` is not in the diff, and those where the hunk shows
  no lock call and ``L`` is not named for unlocking: what a warning on every such path, the
  only evidence of ``fragment_recall``'s missed goto-to-return plants, would fire on.
- ``judge`` reviews, for every file the TSV calls a fix, the *reversed* patch
  (the bug re-introduced, as its author might have posted it) from the diff
  alone (``fragment``), inside a throwaway repository holding the pre-image
  (``repo``: the ``index`` line names its blob) and with ``--tree``; and, for
  every other changed file that makes lock calls, the forward patch (a real,
  merged fix that is not a lock fix: it should be quiet) from the diff alone
  and with the repository.  A bug counts as caught on a lock-balance error or
  warning in the reversed patch; a clean patch is noisy on any lock-balance
  error or warning.

Kernel code is only read and diffed; nothing from it is executed or copied.
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fragment_recall as fr

from reviewkit.load.series import load
from reviewkit.review.pipeline import review

_CALLNAME = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")
_GOTO = re.compile(r"^[+-]\s*goto\s+\w+\s*;")
_RET = re.compile(r"^[+-]\s*return\b")


def changed_files(old: Path, new: Path, max_lines: int) -> list[str]:
    """Relative paths of .c files present in both trees whose diff is at most ``max_lines`` changed lines."""
    out = subprocess.run(
        ["diff", "-rq", "-x", "*.[^c]", "-x", "tools", "-x", "samples", str(old), str(new)],
        capture_output=True,
        text=True,
    ).stdout
    rels = []
    for line in out.splitlines():
        m = re.match(r"Files (.+) and (.+) differ$", line)
        if m and m.group(1).endswith(".c"):
            rel = os.path.relpath(m.group(1), old)
            rels.append(rel)
    keep = []
    for rel in sorted(rels):
        d = file_diff(old, new, rel)
        n = sum(1 for r in d.split("\n") if r[:1] in ("+", "-") and not r.startswith(("+++", "---")))
        if 0 < n <= max_lines:
            keep.append(rel)
    return keep


@functools.cache
def file_diff(a_root: Path, b_root: Path, rel: str) -> str:
    """``git diff --no-index`` of one file, with the paths git would write in a repository."""
    proc = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "--", str(a_root / rel), str(b_root / rel)],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"},
    )
    text = proc.stdout
    for root, side in ((a_root, "a"), (b_root, "b")):
        text = text.replace(f"{side}{root}/{rel}", f"{side}/{rel}")
    return text


def lock_delta(diff: str, names: set[str]) -> tuple[Counter[str], bool]:
    """Lock calls added minus removed per name, and whether a ``return`` was turned into a ``goto``."""
    delta: Counter[str] = Counter()
    gotos_added = returns_removed = False
    for row in diff.split("\n"):
        if row.startswith(("+++", "---")) or not row or row[0] not in "+-":
            continue
        sign = 1 if row[0] == "+" else -1
        for name in _CALLNAME.findall(row):
            if name in names:
                delta[name] += sign
        if _GOTO.match(row) and sign > 0:
            gotos_added = True
        if _RET.match(row) and sign < 0:
            returns_removed = True
    return Counter({k: v for k, v in delta.items() if v}), gotos_added and returns_removed


def makes_lock_calls(diff: str, names: set[str]) -> bool:
    """Whether any line of the diff (context included) calls a lock API: the patch touches locking code."""
    return any(n in names for r in diff.split("\n") for n in _CALLNAME.findall(r) if r[:1] in (" ", "+", "-"))


def cmd_candidates(args: argparse.Namespace, names: set[str]) -> int:
    files = changed_files(args.old, args.new, args.max_lines)
    shown = 0
    for rel in files:
        d = file_diff(args.old, args.new, rel)
        delta, goto = lock_delta(d, names)
        if not delta and not goto:
            continue
        shown += 1
        print(f"=== {rel}  delta={dict(delta)} return->goto={goto}")
        print(d)
    print(f"# {shown} candidates of {len(files)} changed files (<= {args.max_lines} changed lines)", file=sys.stderr)
    return 0


_GOTO_TO = re.compile(r"^-\s*goto\s+(\w+)\s*;")
_UNLOCK_WORD = re.compile(r"unlock|(?:^|_)up(?:_|$)|(?:^|_)rel(?:ease)?(?:_|$)", re.IGNORECASE)


def goto_returns(diff: str, names: set[str]) -> tuple[int, int]:
    """Change blocks that turn a ``goto L`` into a ``return`` while no line of the file's diff shows ``L:``:
    (all of them, those whose hunk shows no lock call and whose label's name says nothing of unlocking)."""
    rows = diff.split("\n")
    shown = {m.group(1) for r in rows if r[:1] in (" ", "+", "-") and (m := re.match(r"^[ +-](\w+):", r))}
    hunks: list[list[str]] = []
    for r in rows:
        if r.startswith("@@"):
            hunks.append([])
        elif hunks and r[:1] in (" ", "+", "-"):
            hunks[-1].append(r)
    every = blind = 0
    for hunk in hunks:
        locks = any(n in names for r in hunk for n in _CALLNAME.findall(r[1:]))
        block: list[str] = []
        for r in [*hunk, " "]:
            if r[:1] in ("+", "-"):
                block.append(r)
                continue
            labels = [m.group(1) for b in block if (m := _GOTO_TO.match(b))]
            unseen = [lab for lab in labels if lab not in shown]
            if unseen and any(_RET.match(b) and b[0] == "+" for b in block):
                every += 1
                blind += not locks and not any(_UNLOCK_WORD.search(lab) for lab in unseen)
            block = []
    return every, blind


def cmd_goto_returns(args: argparse.Namespace, names: set[str]) -> int:
    """How often real patches turn ``goto L`` into ``return`` with ``L:`` out of view (a text test)."""
    truth = read_truth(args.truth) if args.truth else {}
    tally: Counter[str] = Counter()
    for rel in changed_files(args.old, args.new, args.max_lines):
        fwd = file_diff(args.old, args.new, rel)
        verdict = truth.get(rel, ("", ""))[0] or ("lock-code" if makes_lock_calls(fwd, names) else "other")
        # a fix is reviewed reversed (the bug re-introduced); every other file forward, as it was merged
        diff = file_diff(args.new, args.old, rel) if verdict == "fix" else fwd
        every, blind = goto_returns(diff, names)
        tally[f"{verdict} files"] += 1
        tally[f"{verdict} with"] += every > 0
        tally[f"{verdict} blind"] += blind > 0
        if blind and args.list:
            print(f"  {verdict:9s} {rel}: {blind} goto->return with no lock and no unlock-named label in view")
    for verdict in ("fix", "not-fix", "lock-code", "other"):
        n = tally[f"{verdict} files"]
        if n:
            print(
                f"{verdict:9s} {n:5d} files; a goto to an unseen label becomes a return: {tally[f'{verdict} with']}; "
                f"with no lock call in its hunk and no unlock-named label: {tally[f'{verdict} blind']}"
            )
    return 0


def _lock_findings(patch: Path, cwd: Path, tree: Path | None = None, repo: Path | None = None) -> list[str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = review(
            load(str(patch)),
            tree=str(tree) if tree else None,
            repo=str(repo) if repo else None,
            rules=["lock-balance"],
        )
    except Exception as exc:  # a crash is a miss for a bug and noise for a clean patch: count it
        return [f"crash: {type(exc).__name__}: {exc}"]
    finally:
        os.chdir(old)
    return [
        f"{f.file}:{f.line}: {f.severity.name.lower()}: {f.message}"
        for f in result.findings
        if f.severity.name.lower() in ("error", "warning")
    ]


def _repo_of(root: Path, base: Path, rels: list[str]) -> Path:
    """A throwaway repository holding the pre-image of every file in ``rels`` (and its directory's headers)."""
    root.mkdir(parents=True)
    fr.git(root, "init", "-q")
    for rel in rels:
        src = base / rel
        for p in [src, *sorted(src.parent.glob("*.h"))]:
            dst = root / p.relative_to(base)
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(p.read_bytes())
    fr.git(root, "add", "-A")
    fr.git(root, "commit", "-q", "--allow-empty", "-m", "base")
    return root


def read_truth(path: Path) -> dict[str, tuple[str, str]]:
    with path.open(newline="") as fh:
        return {
            row[0]: (row[1], row[2] if len(row) > 2 else "")
            for row in csv.reader(fh, delimiter="\t")
            if row and not row[0].startswith("#")
        }


def cmd_judge(args: argparse.Namespace, names: set[str]) -> int:
    started = time.perf_counter()
    truth = read_truth(args.truth)
    fixes = sorted(rel for rel, (verdict, _) in truth.items() if verdict == "fix")
    files = changed_files(args.old, args.new, args.max_lines)
    # A clean patch: a merged change that is not a lock fix, in code that makes lock calls.  The
    # not-fix candidates (they change lock calls) are the hard part of that set; count them apart.
    hard = sorted(rel for rel, (verdict, _) in truth.items() if verdict == "not-fix" and rel in set(files))
    clean = (
        hard
        + [rel for rel in files if rel not in truth and makes_lock_calls(file_diff(args.old, args.new, rel), names)][
            : args.max_clean
        ]
    )
    tally: Counter[str] = Counter()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rk-stable-") as tmp:
        t = Path(tmp)
        outside = t / "outside"
        outside.mkdir()
        bug_repo = _repo_of(t / "bugs", args.new, fixes)
        clean_repo = _repo_of(t / "clean", args.old, clean)
        for i, rel in enumerate(fixes):
            patch = outside / f"bug-{i}.patch"
            body = file_diff(args.new, args.old, rel)
            patch.write_text(f"From: bench <bench@example.org>\nSubject: [PATCH] {rel}\n\n---\n{body}", "utf-8")
            for mode in args.modes.split(","):
                found = _lock_findings(
                    patch,
                    bug_repo if mode == "repo" else outside,
                    tree=args.new if mode == "tree" else None,
                    repo=bug_repo if mode == "repo" else None,
                )
                tally[f"bug {mode} {'caught' if found else 'missed'}"] += 1
                if args.list:
                    notes.append(f"bug   {mode:8s} {'caught' if found else 'MISSED'} {rel}  {found[:1]}")
        for i, rel in enumerate(clean):
            patch = outside / f"clean-{i}.patch"
            body = file_diff(args.old, args.new, rel)
            patch.write_text(f"From: bench <bench@example.org>\nSubject: [PATCH] {rel}\n\n---\n{body}", "utf-8")
            for mode in ("fragment", "repo"):
                found = _lock_findings(
                    patch, clean_repo if mode == "repo" else outside, repo=clean_repo if mode == "repo" else None
                )
                tally[f"clean {mode} {'noisy' if found else 'quiet'}"] += 1
                if rel in hard:
                    tally[f"hard {mode} {'noisy' if found else 'quiet'}"] += 1
                if found and args.list:
                    notes.extend(f"clean {mode:8s} NOISY  {rel}  {f}" for f in found)
    print(f"real fixes reversed: {len(fixes)}; real clean patches touching lock code: {len(clean)}", end="")
    print(f" ({len(hard)} change lock calls)")
    for mode in args.modes.split(","):
        c, m = tally[f"bug {mode} caught"], tally[f"bug {mode} missed"]
        print(f"  bugs caught, {mode:8s}: {c}/{c + m} = {100.0 * c / max(c + m, 1):.1f}%")
    for mode in ("fragment", "repo"):
        n, q = tally[f"clean {mode} noisy"], tally[f"clean {mode} quiet"]
        print(f"  clean patches with an error/warning, {mode:8s}: {n}/{n + q} = {100.0 * n / max(n + q, 1):.1f}%")
        n, q = tally[f"hard {mode} noisy"], tally[f"hard {mode} quiet"]
        print(f"    of which changing lock calls, {mode:8s}: {n}/{n + q} = {100.0 * n / max(n + q, 1):.1f}%")
    print(f"seconds: {time.perf_counter() - started:.1f}")
    for line in notes:
        print("  " + line)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, type=Path, help="the older stable tree (the patches' pre-image)")
    ap.add_argument("--new", required=True, type=Path, help="the newer stable tree")
    ap.add_argument("--max-lines", type=int, default=40, help="skip files with more changed lines (several commits)")
    ap.add_argument("--truth", type=Path, help="TSV of verdicts: path, fix|not-fix, reason")
    ap.add_argument("--modes", default="fragment,repo,tree")
    ap.add_argument("--max-clean", type=int, default=400)
    ap.add_argument("--list", action="store_true", help="list every bug and every noisy clean patch")
    ap.add_argument("command", choices=("candidates", "judge", "goto-returns"))
    args = ap.parse_args(argv)
    acquires, releases = fr.lock_calls()
    names = set(acquires) | releases
    if args.command == "judge" and args.truth is None:
        ap.error("judge needs --truth")
    if args.command == "goto-returns":
        return cmd_goto_returns(args, names)
    return cmd_candidates(args, names) if args.command == "candidates" else cmd_judge(args, names)


if __name__ == "__main__":
    sys.exit(main())
