"""Teardown-order swaps planted in real kernel teardown code, reviewed in tree mode.

    python bench/lifecycle_recall.py --tree /work/kernel/linux-source-6.1 --per-kind 40

Teardown sites are found by the lifecycle table (reviewkit/kernel/lifecycle.toml),
not by the rule: a statement that stops a registration (``free_irq()``,
``del_timer_sync()``, ``cancel_work_sync()``, ``kthread_stop()``,
``unregister_shrinker()``, ...) directly followed, at the same indentation,
by a statement that frees something (``kfree()``, ``iounmap()``,
``list_lru_destroy()``, ...).  Each site is planted once: the two
statements swap, so the free runs while the callback can still run.  The
patch (a unified diff against the real file) is reviewed with
``--tree`` on the unmodified tree, in process (the same pipeline as
``reviewkit check PATCH --tree TREE``; ``--cli`` runs the command itself).

A plant is a *real* bug only when the callback can touch what is freed.
That is judged here independently of the rule, from the text: the file
registers a callback for the stopped handle (the table's ``callback``
argument of a setup call, or a ``.scan_objects =``/``.notifier_call =``/
``.function =`` field, whose handle ends like the stop call's; any callback
of the kind when none does) whose body names the freed object's last member
(``->mmio_base``) or the freed file-scope object, or, for a freed pointer
the stop call names (``free_irq(irq, p); kfree(p)``), dereferences anything.
A delayed work cancelled after the workqueue the file queues it on
(``queue_delayed_work(wq, &dw, t)``) is destroyed is real too, whatever its
callback touches: its timer queues onto the freed workqueue.
Recall is caught / real; plants the text check cannot confirm are counted
apart.  The unmodified function must stay quiet: a benign edit (a comment
line above the stop call) of every site is reviewed the same way.

Swap kinds (by the stop call's registration kind): ``lru-vs-shrinker``,
``buffer-vs-irq``, ``object-vs-timer`` (timer, hrtimer), ``object-vs-work``,
``list-vs-kthread``, ``object-vs-notifier``, ``object-vs-rcu``.
Kernel code is only read; nothing from it is executed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from reviewkit.load.series import load
from reviewkit.review.pipeline import review

LIFECYCLE = Path(__file__).resolve().parent.parent / "reviewkit" / "kernel" / "lifecycle.toml"
SWAP_KIND = {
    "shrinker": "lru-vs-shrinker",
    "irq": "buffer-vs-irq",
    "timer": "object-vs-timer",
    "hrtimer": "object-vs-timer",
    "work": "object-vs-work",
    "kthread": "list-vs-kthread",
    "notifier": "object-vs-notifier",
    "rcu": "object-vs-rcu",
}
RULE = "teardown-order"


@dataclass
class Table:
    stops: dict[str, str]
    """stop call -> kind"""
    patterns: list[tuple[re.Pattern[str], str]]
    frees: dict[str, int]
    """free call -> argument freed"""
    setups: dict[str, tuple[str, list[int], object]]
    """setup call -> (kind, callback argument positions, handle position or "ret" or a list)"""
    stop_handle: dict[str, object]
    """stop call -> handle position (a list: the last is the dev_id)"""
    fields: dict[str, str]
    """callback field -> kind"""
    inits: dict[str, tuple[str, object]]
    """setup call that only initialises (state "allocated") -> (kind, handle position)"""
    arms: dict[str, tuple[str, object]]
    """call that arms or registers (state "registered") -> (kind, handle position)"""


def table() -> Table:
    data = tomllib.loads(LIFECYCLE.read_text("utf-8"))["lifecycle"]
    stops: dict[str, str] = {}
    patterns = []
    setups: dict[str, tuple[str, list[int], object]] = {}
    inits: dict[str, tuple[str, object]] = {}
    arms: dict[str, tuple[str, object]] = {}
    stop_handle: dict[str, object] = {}
    fields = {f: "shrinker" for f in data.get("callback_fields", ["scan_objects", "count_objects"])}
    for c in data["walker"]["calls"]:
        if c["state"] == "gone":
            stops[c["name"]] = "shrinker"
            stop_handle[c["name"]] = c.get("arg", 0)
    for kind in data.get("kinds", []):
        for f in kind.get("callback_fields", []):
            fields.setdefault(f, kind["kind"])
        for c in kind.get("calls", []):
            if c["state"] == "gone":
                stop_handle[c.get("name", c.get("pattern"))] = c.get("handle", 0)
                if "pattern" in c:
                    patterns.append((re.compile(c["pattern"]), kind["kind"]))
                else:
                    stops[c["name"]] = kind["kind"]
            if "callback" in c and "name" in c:
                setups[c["name"]] = (kind["kind"], list(c["callback"]), c.get("handle", 0))
            if "name" in c and c["state"] == "allocated":
                inits[c["name"]] = (kind["kind"], c.get("handle", 0))
            if "name" in c and c["state"] == "registered":
                arms[c["name"]] = (kind["kind"], c.get("handle", 0))
    frees = {d["name"]: int(d.get("arg", 0)) for d in data["destroy"]}
    return Table(
        stops=stops,
        patterns=patterns,
        frees=frees,
        setups=setups,
        stop_handle=stop_handle,
        fields=fields,
        inits=inits,
        arms=arms,
    )


def stop_kind(t: Table, name: str) -> str | None:
    if name in t.stops:
        return t.stops[name]
    return next((k for p, k in t.patterns if p.match(name)), None)


STMT = re.compile(r"^(\s+)([A-Za-z_]\w*)\((.*)\);\s*$")


def split_args(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


@dataclass
class Site:
    rel: str
    row: int
    """0-based row of the stop call (the free is the next row)"""
    kind: str
    stop: str
    freed: str
    stop_args: str = ""
    handle: tuple[str, ...] = ()
    """member chain of what the stop call names (``(set_charged_work,)`` of ``&di->set_charged_work``)"""
    free: str = ""
    """the freeing call (``destroy_workqueue``)"""


def chain(text: str) -> tuple[str, ...]:
    """Member chain below the root (``&lio->q.wk.work`` -> (q, wk, work)); a plain name is itself."""
    text = re.sub(r"^\(\s*[\w\s*]+\)\s*", "", text.strip()).lstrip("&").strip()
    parts = tuple(p.strip() for p in re.split(r"->|\.", text))
    return parts[1:] if len(parts) > 1 else parts


def same_handle(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One chain ends the other (``cwq->wk.work`` is ``oct->dma_comp_wq.wk.work``; ``q.wk.work`` is not
    ``r.wk.work``): what a setup through a local and a teardown through the owner both name."""
    n = min(len(a), len(b))
    return n > 0 and a[-n:] == b[-n:]


def sites_in(path: Path, rel: str, t: Table) -> list[Site]:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return []
    return sites_in_text(text, rel, t)


def sites_in_text(text: str, rel: str, t: Table) -> list[Site]:
    rows = text.split("\n")
    out = []
    for i in range(len(rows) - 1):
        a, b = STMT.match(rows[i]), STMT.match(rows[i + 1])
        if a is None or b is None or a.group(1) != b.group(1):
            continue
        kind = stop_kind(t, a.group(2))
        if kind is None or b.group(2) not in t.frees:
            continue
        args = split_args(b.group(3))
        idx = t.frees[b.group(2)]
        if idx >= len(args):
            continue
        freed = args[idx].lstrip("&").strip()
        if kind == "shrinker" and b.group(2) != "list_lru_destroy":
            continue
        where = t.stop_handle.get(a.group(2), next((p.pattern for p, _k in t.patterns if p.match(a.group(2))), 0))
        if isinstance(where, str):
            where = t.stop_handle.get(where, 0)
        s_args = split_args(a.group(3))
        pos = where[-1] if isinstance(where, list) else where
        handle = chain(s_args[pos]) if isinstance(pos, int) and pos < len(s_args) else ()
        out.append(Site(rel, i, kind, a.group(2), freed, a.group(3), handle, b.group(2)))
    return out


def callbacks(text: str, t: Table, kind: str, handle: tuple[str, ...]) -> set[str]:
    """Callback functions the file registers for ``handle`` (by the table, from the text).

    ``handle`` is the member chain of what the stop call names; a setup
    whose chain ends the other (:func:`same_handle`) is this registration.  When none does
    (a handle passed through a helper), every callback of the kind counts.
    """
    mine: set[str] = set()
    every: set[str] = set()
    for name, (k, idxs, where) in t.setups.items():
        if k != kind:
            continue
        for m in re.finditer(rf"\b{re.escape(name)}\s*\(", text):
            depth, j = 1, m.end()
            while j < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            args = split_args(text[m.end() : j - 1])
            cbs = {args[i] for i in idxs if i < len(args) and re.fullmatch(r"\w+", args[i])}
            every |= cbs
            if where == "ret":
                lhs = re.search(r"([\w>.\-]+)\s*=\s*$", text[max(0, m.start() - 80) : m.start()])
                got = chain(lhs.group(1)) if lhs else ()
            else:
                pos = where[-1] if isinstance(where, list) else where
                got = chain(args[pos]) if isinstance(pos, int) and pos < len(args) else ()
            if same_handle(got, handle):
                mine |= cbs
    for field, k in t.fields.items():
        if k == kind or (kind == "timer" and field == "function"):
            for m in re.finditer(rf"([\w>.\-]*?)(?:->|\.)\s*{field}\s*=\s*&?(\w+)", text):
                every.add(m.group(2))
                if same_handle(chain(m.group(1) or ""), handle):
                    mine.add(m.group(2))
            for m in re.finditer(rf"struct\s+\w+\s+(\w+)\s*=\s*\{{[^}}]*\.{field}\s*=\s*&?(\w+)", text):
                every.add(m.group(2))
                if same_handle((m.group(1),), handle):
                    mine.add(m.group(2))
    return mine or every


def body_of(text: str, name: str) -> str | None:
    m = re.search(rf"^[^\s#][^;{{]*\b{re.escape(name)}\s*\([^;{{]*\)\s*\{{", text, re.M)
    if m is None:
        return None
    end = text.find("\n}", m.end())
    return text[m.end() : end] if end > 0 else None


DELAYED_QUEUE = re.compile(r"\b(?:queue|mod)_delayed_work(?:_on)?\s*\(")


def queued_on_freed(text: str, site: Site) -> bool:
    """A delayed work stopped after its workqueue is destroyed: the file queues it on that queue.

    ``queue_delayed_work(p->wq, &p->dw, t)`` then ``destroy_workqueue(p->wq);
    cancel_delayed_work_sync(&p->dw)``: the pending timer queues onto the
    freed workqueue, whatever the callback touches.  Matched by member chain.
    """
    if site.free != "destroy_workqueue" or "delayed" not in site.stop:
        return False
    queue = chain(site.freed)
    for m in DELAYED_QUEUE.finditer(text):
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        args = split_args(text[m.end() : j - 1])
        at = 1 if "_on" in m.group(0) else 0
        if len(args) > at + 1 and chain(args[at]) == queue and same_handle(chain(args[at + 1]), site.handle):
            return True
    return False


def reachable(text: str, t: Table, site: Site) -> bool:
    """Text check, independent of the rule: a callback of the kind touches what is freed."""
    if queued_on_freed(text, site):
        return True
    last = re.split(r"->|\.", site.freed)[-1]
    is_member = "->" in site.freed or "." in site.freed
    for cb in callbacks(text, t, site.kind, site.handle):
        body = body_of(text, cb)
        if body is None:
            continue
        if is_member and re.search(rf"(->|\.)\s*{re.escape(last)}\b", body):
            return True
        if is_member:
            continue
        name = re.escape(site.freed)
        if re.search(rf"^(?:static\s+)?[\w\s*]*\b{name}\s*(?:=|;|\[)", text, re.M):
            if re.search(rf"\b{name}\b", body):  # a file-scope object: the callback must name it
                return True
        elif re.search(rf"\b{name}\b", site.stop_args) and "->" in body:
            return True  # the context itself, freed while its callback can still run
    return False


CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def calls_before(text: str, row: int) -> list[tuple[str, list[str]]]:
    """(name, arguments) of the calls in the function holding ``row``, up to that row."""
    rows = text.split("\n")
    start = next((i for i in range(row, -1, -1) if rows[i].startswith("{")), None)
    if start is None:
        return []
    body = "\n".join(rows[start : row + 1])
    out = []
    for m in CALL.finditer(body):
        depth, j = 1, m.end()
        while j < len(body) and depth:
            depth += {"(": 1, ")": -1}.get(body[j], 0)
            j += 1
        out.append((m.group(1), split_args(body[m.end() : j - 1])))
    return out


def initialised_only(text: str, t: Table, site: Site) -> bool:
    """The stopped handle is set up in this very function and never armed or handed on before the stop.

    ``INIT_WORK(&v->w, fn)`` on an error path that never queued it: the
    callback cannot be running, so the swap is no bug (the rule's documented
    "only initialised" case).  A handle passed to any other call may have
    been armed by it, and counts as live.
    """
    inited = False
    for name, args in calls_before(text, site.row)[:-1]:
        spec = t.inits.get(name)
        pos = spec[1] if spec is not None else None
        mine = spec is not None and spec[0] == site.kind and isinstance(pos, int) and pos < len(args)
        if mine and isinstance(pos, int) and same_handle(chain(args[pos]), site.handle):
            inited = True
            continue
        if inited and any(same_handle(chain(a), site.handle) for a in args):
            return False  # armed, or handed to a call that may arm it
    return inited


def make_patch(rel: str, before: list[str], after: list[str], out: Path) -> Path:
    diff = difflib.unified_diff([r + "\n" for r in before], [r + "\n" for r in after], f"a/{rel}", f"b/{rel}", n=3)
    body = "".join(diff)
    out.write_text(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: Bench <bench@example.org>\nDate: Thu, 1 Jan 2026 00:00:00 +0000\n"
        f"Subject: [PATCH] {rel}: reorder teardown\n\n---\n"
        f"diff --git a/{rel} b/{rel}\n{body}-- \n2.43.0\n",
        "utf-8",
    )
    return out


def judge(patch: Path, tree: Path, site: Site, cli: bool, anywhere: bool = False) -> bool:
    """True when teardown-order reports on the planted rows (``anywhere``: anywhere in the file)."""
    rows = {site.row + 1, site.row + 2}
    if cli:
        proc = subprocess.run(
            ["reviewkit", "check", str(patch), "--tree", str(tree), "--rule", RULE, "--format", "json"],
            capture_output=True,
            text=True,
        )
        data = json.loads(proc.stdout or "{}")
        found = [(f["file"], f["line"]) for f in data.get("findings", []) if f["rule"] == RULE]
    else:
        result = review(load(str(patch)), tree=str(tree), rules=[RULE])
        found = [(f.file, f.line) for f in result.findings if f.rule == RULE]
    return any(path == site.rel and (anywhere or line in rows) for path, line in found)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", type=Path, required=True)
    ap.add_argument("--per-kind", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cli", action="store_true", help="run `reviewkit check` per patch instead of in process")
    ap.add_argument("--misses", action="store_true", help="list every missed real plant")
    opts = ap.parse_args(argv)
    t = table()
    start = time.monotonic()
    by_kind: dict[str, list[Site]] = defaultdict(list)
    for path in sorted(opts.tree.rglob("*.c")):
        rel = str(path.relative_to(opts.tree))
        for s in sites_in(path, rel, t):
            by_kind[SWAP_KIND[s.kind]].append(s)
    rng = random.Random(opts.seed)
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    loud: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for swap, found in sorted(by_kind.items()):
            rng.shuffle(found)
            stats[swap]["sites"] = len(found)
            for s in found:
                if stats[swap]["real"] >= opts.per_kind:
                    break
                text = (opts.tree / s.rel).read_text("utf-8", errors="replace")
                rows = text.split("\n")
                if initialised_only(text, t, s):
                    stats[swap]["not_live"] += 1
                    continue
                real = reachable(text, t, s)
                swapped = [*rows[: s.row], rows[s.row + 1], rows[s.row], *rows[s.row + 2 :]]
                patch = make_patch(s.rel, rows, swapped, Path(tmp) / "plant.patch")
                caught = judge(patch, opts.tree, s, opts.cli)
                where = f"{s.rel}:{s.row + 1} {s.stop}() / {s.freed}"
                if real:
                    stats[swap]["real"] += 1
                    stats[swap]["caught"] += caught
                    if not caught:
                        misses.append(f"{swap}: {where}")
                else:
                    stats[swap]["unconfirmed"] += 1
                    stats[swap]["unconfirmed_caught"] += caught
                ind = re.match(r"\s*", rows[s.row]).group(0)  # type: ignore[union-attr]
                benign = [*rows[: s.row], f"{ind}/* teardown reviewed */", *rows[s.row :]]
                patch = make_patch(s.rel, rows, benign, Path(tmp) / "benign.patch")
                stats[swap]["benign"] += 1
                if judge(patch, opts.tree, s, opts.cli, anywhere=True):
                    stats[swap]["benign_loud"] += 1
                    loud.append(f"{swap}: {where}")
    total_real = sum(c["real"] for c in stats.values())
    total_caught = sum(c["caught"] for c in stats.values())
    print("| swap kind | sites in tree | never armed | real plants | caught | unconfirmed (caught) | benign quiet |")
    print("|---|---|---|---|---|---|---|")
    for swap, c in sorted(stats.items()):
        print(
            f"| {swap} | {c['sites']} | {c['not_live']} | {c['real']} | {c['caught']} | "
            f"{c['unconfirmed']} ({c['unconfirmed_caught']}) | {c['benign'] - c['benign_loud']}/{c['benign']} |"
        )
    rate = 100.0 * total_caught / total_real if total_real else 0.0
    print(f"\nreal plants caught: {total_caught}/{total_real} = {rate:.1f}%  ({time.monotonic() - start:.0f} s)")
    if opts.misses:
        for m in misses:
            print("missed:", m)
    for m in loud:
        print("benign edit reported:", m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
