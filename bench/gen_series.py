"""Generate a realistic synthetic kernel-style patch series (default: 100 patches).

The code is made up here, in kernel style: per-file structs, locks of every
kind the rules model (spinlock, irqsave, mutex, rwlock, RCU), list walks,
goto-ladder error unwinding, init/exit pairs with shrinkers and list_lrus.
Each patch edits the current state of one to three files (so later patches
apply on top of earlier ones, as in a real series), with git-style hunk
headers naming the enclosing function.  A fraction of the edits carry the
bugs the rules look for (an error return with a lock held, teardown in the
wrong order), so a run has findings to report, not only clean code.

    python bench/gen_series.py -n 100 -o /tmp/series.mbox
    python bench/gen_series.py -n 100 --split /tmp/series.d   # one .patch per patch
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

SUBSYSTEMS = ["mm", "mm/damon", "drivers/misc", "fs/toyfs", "lib", "kernel/sched", "net/toy"]
NOUNS = ["pool", "zone", "cache", "queue", "slab", "chunk", "node", "bucket", "ring", "table", "arena", "region"]
VERBS = ["shrink", "scan", "drain", "flush", "grow", "walk", "reclaim", "merge", "split", "account", "refill"]
LOCKS = [
    ("spin_lock(&{o}->lock);", "spin_unlock(&{o}->lock);"),
    ("spin_lock_irqsave(&{o}->lock, flags);", "spin_unlock_irqrestore(&{o}->lock, flags);"),
    ("mutex_lock(&{o}->mutex);", "mutex_unlock(&{o}->mutex);"),
    ("read_lock(&{o}->rwlock);", "read_unlock(&{o}->rwlock);"),
    ("rcu_read_lock();", "rcu_read_unlock();"),
]
FUNC_RE = re.compile(r"^[A-Za-z_][^;]*\(")


@dataclass
class Func:
    name: str
    noun: str
    lines: list[str]


@dataclass
class SourceFile:
    path: str
    noun: str
    funcs: list[Func] = field(default_factory=list)

    def text(self) -> str:
        head = [
            "// SPDX-License-Identifier: GPL-2.0",
            f"/* {self.path}: synthetic {self.noun} management for benchmarks */",
            "#include <linux/list.h>",
            "#include <linux/spinlock.h>",
            "#include <linux/mutex.h>",
            "",
            f"struct {self.noun} {{",
            "\tspinlock_t lock;",
            "\tstruct mutex mutex;",
            "\trwlock_t rwlock;",
            "\tstruct list_head items;",
            "\tunsigned long nr;",
            "};",
            "",
        ]
        body: list[str] = []
        for fn in self.funcs:
            body.extend(fn.lines)
            body.append("")
        return "\n".join(head + body)


class Gen:
    """Deterministic generator of files and edits."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.used: set[str] = set()

    def name(self, noun: str) -> str:
        while True:
            cand = f"{noun}_{self.rnd.choice(VERBS)}_{self.rnd.choice(NOUNS)}"
            if cand not in self.used:
                self.used.add(cand)
                return cand
            noun = f"{noun}{self.rnd.randint(2, 9)}"

    def statement(self, o: str, depth: int) -> list[str]:
        t = "\t" * depth
        kind = self.rnd.random()
        if kind < 0.35:
            return [f"{t}{o}->nr += {self.rnd.randint(1, 64)};"]
        if kind < 0.55:
            return [f"{t}if (!{o}->nr)", f"{t}\treturn -ENOENT;"]
        if kind < 0.75 and depth < 3:
            return [
                f"{t}list_for_each_entry(it, &{o}->items, list) {{",
                f"{t}\tif (it->flags & {self.rnd.randint(1, 255)})",
                f"{t}\t\tcontinue;",
                f"{t}\tcount++;",
                f"{t}}}",
            ]
        if kind < 0.9:
            acq, rel = self.rnd.choice(LOCKS)
            return [f"{t}{acq.format(o=o)}", f"{t}{o}->nr--;", f"{t}{rel.format(o=o)}"]
        return [f"{t}count = {self.rnd.choice(VERBS)}_{self.rnd.choice(NOUNS)}({o}, count);"]

    def function(self, noun: str) -> Func:
        name = self.name(noun)
        o = noun[0]
        lines = [
            f"static int {name}(struct {noun} *{o})",
            "{",
            "\tstruct toy_item *it;",
            "\tunsigned long flags;",
            "\tint count = 0;",
            "",
        ]
        for _ in range(self.rnd.randint(3, 12)):
            lines.extend(self.statement(o, 1))
        lines.extend(["", "\treturn count;", "}"])
        return Func(name, noun, lines)

    def init_exit(self, noun: str) -> list[Func]:
        lru, shr = f"{noun}_lru", f"{noun}_shrinker"
        init = [
            f"static int __init {noun}_init(void)",
            "{",
            f'\t{shr} = shrinker_alloc(SHRINKER_MEMCG_AWARE, "{noun}");',
            f"\tif (!{shr})",
            "\t\treturn -ENOMEM;",
            f"\tif (list_lru_init_memcg({lru}_ptr, {shr}))",
            "\t\tgoto free_shrinker;",
            f"\tshrinker_register({shr});",
            "\treturn 0;",
            "",
            "free_shrinker:",
            f"\tshrinker_free({shr});",
            "\treturn -ENOMEM;",
            "}",
        ]
        exit_ = [
            f"static void __exit {noun}_exit(void)",
            "{",
            f"\tshrinker_free({shr});",
            f"\tlist_lru_destroy({lru}_ptr);",
            "}",
        ]
        return [Func(f"{noun}_init", noun, init), Func(f"{noun}_exit", noun, exit_)]

    def source(self, path: str) -> SourceFile:
        noun = self.rnd.choice(NOUNS) + str(self.rnd.randint(0, 99))
        sf = SourceFile(path, noun)
        sf.funcs = [self.function(noun) for _ in range(self.rnd.randint(6, 20))]
        if self.rnd.random() < 0.5:
            sf.funcs.extend(self.init_exit(noun))
        return sf

    def edit(self, sf: SourceFile) -> str:
        """Change one function in place; returns a one-line description."""
        fn = self.rnd.choice(sf.funcs)
        o = sf.noun[0]
        body_start = fn.lines.index("{") + 4
        at = self.rnd.choice(_slots(fn.lines, body_start))
        roll = self.rnd.random()
        if fn.name.endswith("_exit") and roll < 0.5:
            fn.lines[2], fn.lines[3] = fn.lines[3], fn.lines[2]  # teardown order flipped: a finding
            return f"reorder teardown in {fn.name}()"
        if roll < 0.45:
            acq, rel = self.rnd.choice(LOCKS)
            block = [f"\t{acq.format(o=o)}", f"\tif ({o}->nr > {self.rnd.randint(2, 500)}) {{"]
            if self.rnd.random() < 0.25:
                block += ["\t\tcount = -EBUSY;", "\t\treturn count;"]  # returns with the lock held: a finding
            else:
                block += [f"\t\t{rel.format(o=o)}", "\t\treturn -EBUSY;"]
            block += ["\t}", f"\t{o}->nr = 0;", f"\t{rel.format(o=o)}"]
            fn.lines[at:at] = block
            return f"serialise {o}->nr updates in {fn.name}()"
        if roll < 0.7:
            fn.lines[at:at] = self.statement(o, 1)
            return f"account more carefully in {fn.name}()"
        target = fn.lines[at] if at < len(fn.lines) else ""
        removable = target.startswith("\t") and target.endswith(";") and "return" not in target
        if roll < 0.85 and removable and at > body_start and not fn.lines[at - 1].rstrip().endswith(")"):
            del fn.lines[at]
            return f"drop a redundant step from {fn.name}()"
        new = self.function(sf.noun)
        sf.funcs.insert(sf.funcs.index(fn) + 1, new)
        return f"add {new.name}()"


def _slots(lines: list[str], start: int) -> list[int]:
    """Indexes where a new depth-1 statement can go: between two complete top-level statements."""
    out = []
    for i in range(start, len(lines)):
        cur, prev = lines[i], lines[i - 1]
        at_top = cur.startswith("\t") and not cur.startswith("\t\t") and cur.strip() not in ("}",)
        prev_done = prev == "" or (prev.endswith((";", "}", "{")) and not prev.startswith("\t\t"))
        if at_top and prev_done and not prev.rstrip().endswith("{"):
            out.append(i)
    return out or [start]


def hunk_headers(diff: list[str], old_lines: list[str]) -> list[str]:
    """git's default funcname: the last line before the hunk starting with a letter and an open paren."""
    out = []
    for line in diff:
        m = re.match(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@", line)
        if m:
            start = int(m.group(1)) - 1
            name = next(
                (old_lines[i] for i in range(min(start, len(old_lines)) - 1, -1, -1) if FUNC_RE.match(old_lines[i])), ""
            )
            line = f"{line.rstrip()} {name}".rstrip()
        out.append(line)
    return out


def file_diff(path: str, old: str, new: str) -> tuple[str, int, int]:
    a, b = old.split("\n"), new.split("\n")
    diff = list(difflib.unified_diff(a, b, f"a/{path}", f"b/{path}", n=3, lineterm=""))
    if not diff:
        return "", 0, 0
    ins = sum(1 for ln in diff[2:] if ln.startswith("+"))
    dels = sum(1 for ln in diff[2:] if ln.startswith("-"))
    body = "\n".join(hunk_headers(diff, a)[2:])
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{body}\n", ins, dels


def generate(n: int, seed: int = 1, one_hunk: bool = False) -> list[str]:
    """``n`` patch emails (mbox messages), in series order.

    ``one_hunk``: every patch makes one edit to one file (one hunk), the
    shape of the series-size bench (bench/series_scale.py).
    """
    gen = Gen(seed)
    files: dict[str, SourceFile] = {}
    for i in range(max(4, n // 6)):
        path = f"{gen.rnd.choice(SUBSYSTEMS)}/toy{i}.c"
        files[path] = gen.source(path)
    messages = []
    for k in range(1, n + 1):
        touched = gen.rnd.sample(sorted(files), 1 if one_hunk else gen.rnd.randint(1, 3))
        before = {p: files[p].text() for p in touched}
        what = [gen.edit(files[p]) for p in touched for _ in range(1 if one_hunk else gen.rnd.randint(1, 3))]
        diffs, stat, total_i, total_d = [], [], 0, 0
        for p in touched:
            text, ins, dels = file_diff(p, before[p], files[p].text())
            if text:
                diffs.append(text)
                stat.append(f" {p} | {ins + dels}")
                total_i, total_d = total_i + ins, total_d + dels
        subject_path = touched[0].rsplit("/", 1)[0]
        msg = [
            f"From {k:040x} Mon Sep 17 00:00:00 2001",
            "From: Bench Author <bench@example.org>",
            f"Date: Mon, 2 Mar 2026 10:{k // 60:02d}:{k % 60:02d} +0000",
            f"Message-Id: <bench-{seed}-{k}@example.org>",
            f"Subject: [PATCH {k}/{n}] {subject_path}: {what[0]}",
            "",
            *(f"This patch does: {w}." for w in what),
            "",
            "Signed-off-by: Bench Author <bench@example.org>",
            "---",
            *stat,
            f" {len(diffs)} files changed, {total_i} insertions(+), {total_d} deletions(-)",
            "",
            "".join(diffs).rstrip("\n"),
            "-- ",
            "2.43.0",
            "",
        ]
        messages.append("\n".join(msg))
    return messages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100, help="number of patches")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one-hunk", action="store_true", help="one edit of one file per patch")
    ap.add_argument("-o", "--output", help="write one mbox here (default: stdout)")
    ap.add_argument("--split", metavar="DIR", help="also write DIR/NNNN.patch, one file per patch")
    args = ap.parse_args()
    msgs = generate(args.n, args.seed, args.one_hunk)
    if args.split:
        out = Path(args.split)
        out.mkdir(parents=True, exist_ok=True)
        for k, m in enumerate(msgs, 1):
            (out / f"{k:04d}-bench.patch").write_text(m)
    text = "\n".join(msgs)
    if args.output:
        Path(args.output).write_text(text)
    elif not args.split:
        print(text, end="")


if __name__ == "__main__":
    main()
