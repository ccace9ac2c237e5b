"""Judge a post-image path against its pre-image counterparts (see :mod:`reviewkit.locks.prepost`).

The unseen code is the same before and after the patch, so a difference in
what the *visible* part of a path does to a lock is the patch's doing:

- (a) the post-image path releases a lock fewer times than every
  counterpart did before leaving (a new early ``return``, a ``goto`` to
  another label, a deleted or moved release): it leaves with the lock held;
- (b) it releases a lock more often: a second release on the path, or it
  drops the lock and then runs code (a label, the unseen rest) that ran
  under it before the patch;
- (c) it acquires where the counterparts did not and leaves without
  releasing;
- a path that no longer goes to a label that is not in the patch, where the
  label's name says it unlocks (or nothing shows what it does): a warning
  that says what could not be seen.

A lock counts as held at the point where the paths part when the common
prefix took it, or when the counterpart's next step on it, with no unseen
code before, is a release ("a release with no visible acquire before it
means the lock is held on entry to the visible region").  Whatever is
unclear (counterparts that disagree, a trylock, a guard, a helper that may
drop a lock, unseen code only one side crosses) is counted, not reported.
"""
# size: the four verdicts (kept, dropped, new, skipped) share one notion of evidence from the pre-image path

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reviewkit.flow.engine import K_GOTO, CfgNode
from reviewkit.locks.model import LockModel, Summary, lock_label
from reviewkit.locks.prepost import Op, SidePath, counterparts, divergence, side_paths
from reviewkit.model import Finding, PathStep, Severity
from reviewkit.views.context import ReviewContext
from reviewkit.views.source import FunctionView

_GOTO = re.compile(r"\bgoto\b")

_UNLOCK_LABEL = re.compile(r"unlock|(?:^|_)up(?:_|$)|(?:^|_)rel(?:ease)?(?:_|$)", re.IGNORECASE)
"""A label named for releasing a lock: ``out_unlock``, ``unlock``, ``rcu_unlock``, ``out_up_read``."""


@dataclass
class Verdict:
    """One thing to report: where, how sure, what, and the pre-image path as evidence."""

    kind: str
    line: int
    severity: str
    message: str
    key: str = ""
    steps: list[tuple[int, str]] = field(default_factory=list)
    on_entry: bool = False
    """The only evidence that the lock is held is a pre-image release with no acquire before it in view."""
    exit_line: int | None = None
    """Where the path leaves, when the verdict sits on the patch's jump before it (:func:`_jump_at`)."""
    jump: str = ""


def judge(pre: list[SidePath], post: list[SidePath], bump: Callable[[str], None]) -> list[Verdict]:
    """Every post-image path against the pre-image paths it stands for."""
    out: dict[tuple[str, int, str], Verdict] = {}
    changed = Counter(
        k
        for k, _side, _line in {
            (o.key, side, o.line)
            for side, paths in (("pre", pre), ("post", post))
            for path in paths
            for o in path.ops
            if o.changed
        }
    )
    for p in post:
        qs = counterparts(p, pre)
        if not qs:
            bump("unmatched")
            continue
        if any(q.idents == p.idents for q in qs):
            continue  # the patch did not change this path
        released = {o.key for other in post for o in other.ops if o.kind == "rel" and other is not p}
        found = list(_judge_path(p, qs, bump, released, changed))
        for v in found:
            out.setdefault((v.kind, v.line, v.key), v)
    return sorted(out.values(), key=lambda v: (v.line, v.kind))


def _judge_path(
    p: SidePath,
    qs: list[SidePath],
    bump: Callable[[str], None],
    released: set[str] | None = None,
    changed: Counter[str] | None = None,
) -> Iterator[Verdict]:
    splits = [divergence(p, q) for q in qs]
    keys = {o.key for o in p.ops} | {o.key for q in qs for o in q.ops}
    if "*" in {o.key for o in p.ops if o.step >= min(splits) and o.changed}:
        bump("unclear-call")
        return
    judged = False
    for key in sorted(keys - {"*"}):
        if _unknown(p, key, qs, splits):
            bump("unclear-lock")
            continue
        bp = [p.balance(key, d) for d in splits]
        bq = [q.balance(key, d) for q, d in zip(qs, splits, strict=True)]
        if all(b > c for b, c in zip(bp, bq, strict=True)):
            judged = True
            yield from _kept(p, qs, splits, key, bump, key in (released or set()))
        elif all(b < c for b, c in zip(bp, bq, strict=True)):
            judged = True
            yield from _dropped(p, qs, splits, key, bump, (changed or Counter())[key])
        elif any(b != c for b, c in zip(bp, bq, strict=True)):
            bump("ambiguous")
            judged = True
    if not judged:
        yield from _skipped_unseen(p, qs, splits, bump)


def _unknown(p: SidePath, key: str, qs: list[SidePath], splits: list[int]) -> bool:
    if any(o.kind == "unknown" for o in p.ops_on(key, min(splits))):
        return True
    return any(o.kind == "unknown" for q, d in zip(qs, splits, strict=True) for o in q.ops_on(key, d))


def _held_at(p: SidePath, q: SidePath, split: int, key: str) -> Op | None:
    """The evidence that ``key`` is held where the paths part: the prefix's acquire, or the
    counterpart's next release with no unseen code before it; None when nothing shows it."""
    before = [o for o in p.ops_on(key) if o.step < split and o.kind in ("acq", "rel")]
    if before:
        return before[-1] if before[-1].kind == "acq" else None
    after = [o for o in q.ops_on(key, split) if o.kind in ("acq", "rel")]
    if after and after[0].kind == "rel" and not q.gaps_between(split, after[0].step):
        if any(i < after[0].step for i in q.changed_calls):
            # ``dentry = kern_path_locked(...)`` ... ``inode_unlock(inode)``, both removed: the call the
            # patch took away may have been the acquire, so the release proves no lock held on entry
            return None
        return after[0]
    return None


def _where(p: SidePath) -> str:
    ex = p.exit
    if ex.kind == "return":
        return f"when returning at {ex.line}"
    if ex.kind == "label":
        return f"at the `goto {ex.label}` (`{ex.label}:` is not in the patch)"
    if ex.kind == "gap":
        return f"at {ex.line}, where this path enters unseen code that runs to the end of the function"
    if ex.kind == "jump":
        return f"at the `{ex.label}` at {ex.line} (its loop or switch is not in the patch)"
    return f"when the function ends at {ex.line}"


def _exit_line(p: SidePath) -> int | None:
    if p.exit.line is not None:
        return p.exit.line
    # a goto to an unseen label: the goto itself
    for node in reversed(p.nodes):
        if node.line is not None:
            return node.line
    return None


def _through(q: SidePath, op: Op) -> str:
    """``released it at 245 (`spin_unlock(&x)`, after `unlock:`)``."""
    label = next((name for i, name, _line in reversed(q.labels) if i <= op.step), None)
    after = f", after `{label}:`" if label else ""
    return f"released it at {op.line} (`{op.src}`{after})"


def _kept(
    p: SidePath,
    qs: list[SidePath],
    splits: list[int],
    key: str,
    bump: Callable[[str], None],
    released_elsewhere: bool = False,
) -> Iterator[Verdict]:
    """(a)/(c): the path leaves with ``key`` held where its counterparts did not."""
    for q, d in zip(qs, splits, strict=True):
        if not p.gaps_after(d) <= q.gaps_after(d):
            bump("unseen-code-differs")
            return  # unseen code only this path runs might release it
    line = _exit_line(p)
    if line is None:
        return
    q, d = qs[0], splits[0]
    new_acq = [o for o in p.ops_on(key, d) if o.kind == "acq" and o.changed]
    lost = [o for o in q.ops_on(key, d) if o.kind == "rel"]
    held = _held_at(p, q, d, key)
    if held is None and new_acq and p.ops_on(key, d)[-1] is new_acq[-1]:
        in_view = not p.gaps_between(new_acq[-1].step, len(p.idents))
        if released_elsewhere and p.exit.kind in ("return", "end") and in_view:
            # released on other paths, kept on this one, acquire and exit in view: the hand-back shape
            # (error paths drop it, success returns it), which the lock analysis of the image judges
            bump("new-leak-in-view")
            return
        if p.exit.kind == "label":
            # it now jumps holding the new lock to a label the diff does not show, whose code is shared with
            # paths the diff does not show either, which may hold the lock there: a `goto err` whose label
            # releases it (the acquire moved above the goto: a fix of a release without the lock on this
            # path).  Falling into unseen code (a gap, a loop's next round) is still reported: code reached
            # by falling through is rarely shared with paths that took the lock elsewhere.
            bump("new-acquire-unseen-exit")
            return
        what = f"`{new_acq[-1].src}` at {new_acq[-1].line}"
        msg = f"{what} is still held {_where(p)}; before this patch this path did not take `{key}`"
        yield Verdict(
            "new-leak", line, "error", msg, key, [(new_acq[-1].line, f"`{new_acq[-1].src}` acquires `{key}`")]
        )
        return
    if held is None or not lost:
        bump("held-unknown")
        return
    if lost[0].changed and lost[0].block is not None and lost[0].block in p.changed_blocks:
        # ``percpu_up_write(&sbi->sem)`` became ``ext4_writepages_up_write(sb, ctx)``: the call the patch
        # wrote in the release's place may be a wrapper that releases it
        bump("release-replaced-by-call")
        return
    if p.passes(key, d):
        # ``f2fs_put_page(page, 1)`` on the new path: a helper the patch calls with the lock (or the object
        # holding it) may be what releases it now
        bump("lock-passed-to-new-call")
        return
    if p.exit.kind == "label" and not any(q.exit.ident == p.exit.ident for q in qs):
        if _UNLOCK_LABEL.search(p.exit.label):
            bump("other-unlock-label")
            return  # goto out_unlock instead of the release: the label presumably does it
        severity = "warning"
    else:
        severity = "error"
    what = f"`{held.src}` at {held.line}" if held.kind == "acq" else f"`{key}`"
    msg = f"{what} is still held {_where(p)}: before this patch this path {_through(q, lost[0])}"
    steps = [(lost[0].line, f"before this patch: `{lost[0].src}` releases `{key}` (pre-image line)")]
    jump = _jump_at(p, d)
    entry = held.kind == "rel"
    if jump is None or jump.line is None or jump.line == line:
        yield Verdict("lost-release", line, severity, msg, key, steps, on_entry=entry)
        return
    # the patch's `goto out` for `goto out_unlock`: the line that leaks is the jump, not the exit below it
    src = " ".join(jump.text.split())
    steps.append((line, "leaves with it held"))
    msg = f"`{src}` at {jump.line} skips the release: {msg}"
    yield Verdict("lost-release", jump.line, severity, msg, key, steps, on_entry=entry, exit_line=line, jump=src)


def _jump_at(p: SidePath, split: int) -> CfgNode | None:
    """The ``goto`` the patch wrote where ``p`` parts from its counterpart, when the path goes on from it
    through visible code to its exit (a goto to an unseen label is the exit already)."""
    if split >= len(p.nodes) - 1 or p.nodes[split].kind != K_GOTO or p.idents[split][0] != "c":
        return None
    return p.nodes[split]


def _dropped(
    p: SidePath, qs: list[SidePath], splits: list[int], key: str, bump: Callable[[str], None], changes: int = 0
) -> Iterator[Verdict]:
    """(b): the path releases ``key`` more often than its counterparts (or no longer takes it)."""
    rels = [o for o in p.ops_on(key, min(splits)) if o.kind in ("acq", "rel")]
    if not rels and p.exit.kind == "label" and all(q.exit.ident == p.exit.ident for q in qs):
        yield from _untaken_before_jump(p, qs, splits, key, bump, changes)
        return
    prior = [o for o in p.ops_on(key) if o.step < min(splits) and o.kind in ("acq", "rel")]
    seq = prior + rels
    for a, b in itertools.pairwise(seq):
        if a.kind == b.kind == "rel" and (a.changed or b.changed) and not p.gaps_between(a.step, b.step):
            mark = b if b.changed else a
            other = a if mark is b else b
            q_rels = [o for o in qs[0].ops_on(key) if o.kind == "rel"]
            once = f"; before this patch this path released it once, at {q_rels[0].line}" if q_rels else ""
            if mark is b:
                msg = (
                    f"`{mark.src}` at {mark.line} releases `{key}` a second time on this path "
                    f"(also released at {other.line}, with no acquire between){once}"
                )
            else:  # the patch added the first of the two: the one it wrote is the one to question
                msg = (
                    f"`{mark.src}` at {mark.line}, added by this patch, releases `{key}` and the path then "
                    f"releases it again at {other.line}, with no acquire between{once}"
                )
            yield Verdict(
                "double-release", mark.line, "error", msg, key, [(other.line, f"`{other.src}` releases `{key}`")]
            )
            return
    extra = [o for o in rels if o.kind == "rel" and o.changed]
    if not extra or p.exit.kind not in ("label", "gap") or any(q.exit.ident != p.exit.ident for q in qs):
        bump("release-added")
        return  # e.g. a missing unlock added before a return: a fix, not a bug
    r = extra[-1]
    if not all(_held_before_patch(p, q, key, r) for q in qs):
        bump("held-post-only")
        return  # only the patch's own acquire shows the lock held there: the pre-image never took it
    if p.exit.kind == "label":
        label = p.exit.label
        if _UNLOCK_LABEL.search(label):
            then = f"which by its name releases it: `{key}` is released twice"
        else:
            then = "if the code there releases it, this is a second release"
        msg = (
            f"`{r.src}` at {r.line} releases `{key}` before `goto {label}`, but before this patch this path "
            f"still held it at `{label}:` (not in the patch), {then}"
        )
    else:
        msg = (
            f"`{r.src}` at {r.line} releases `{key}`, but before this patch this path still held it in the "
            f"unseen code after {p.exit.line}, which runs to the end of the function (and may release it again)"
        )
    yield Verdict("early-release", r.line, "warning", msg, key, [(r.line, f"`{r.src}` releases `{key}`")])


def _untaken_before_jump(
    p: SidePath, qs: list[SidePath], splits: list[int], key: str, bump: Callable[[str], None], changes: int
) -> Iterator[Verdict]:
    """The patch deleted an acquire its counterparts made just before the same ``goto`` to a label the diff
    does not show: that label's code, unchanged, ran with the lock held on this path and now runs without
    it (a release there is a release of a lock not held: drbd's ``rcu_read_lock()`` before ``goto
    put_result``).  Only when that deleted acquire is the patch's one change to the lock in the function."""
    acqs = []
    for q, d in zip(qs, splits, strict=True):
        own = q.ops_on(key, d)
        if len(own) != 1 or own[0].kind != "acq" or not own[0].changed or q.gaps_after(own[0].step):
            bump("untaken-unclear")
            return
        acqs.append(own[0])
    if changes != 1 or len({o.line for o in acqs}) != 1:
        bump("untaken-other-changes")
        return
    line = _exit_line(p)
    if line is None:
        return
    a, label = acqs[0], p.exit.label
    msg = (
        f"`goto {label}` at {line} no longer holds `{key}`: before this patch this path took it just before "
        f"the jump (`{a.src}`, pre-image line {a.line}, removed), so the code at `{label}:` (not in the patch) "
        f"ran with it held; if that code releases it, it now releases a lock this path does not hold"
    )
    yield Verdict(
        "untaken-before-jump", line, "warning", msg, key, [(a.line, f"before this patch: `{a.src}` (pre-image line)")]
    )


def _held_before_patch(p: SidePath, q: SidePath, key: str, r: Op) -> bool:
    """Does the pre-image path ``q`` itself show ``key`` held where ``p`` now releases it early?

    Its own last visible operation on the lock is an acquire; or it shows none, and the post-image
    path reached ``r`` without an acquire the patch added (then the release ``r`` says the code
    before it, unchanged, ran with the lock held on both sides).  A lock the patch itself takes
    before ``r`` says nothing of the pre-image, which never took it.
    """
    own = [o for o in q.ops_on(key) if o.kind in ("acq", "rel")]
    if own:
        return own[-1].kind == "acq"
    return not any(o.kind == "acq" and o.changed for o in p.ops_on(key) if o.step < r.step)


def _skipped_unseen(
    p: SidePath, qs: list[SidePath], splits: list[int], bump: Callable[[str], None]
) -> Iterator[Verdict]:
    """The path now leaves where its counterparts went on into code the patch does not show
    (a label, or the unseen rest of the function), where they presumably released what they held."""
    targets = {q.exit.ident for q in qs}
    q = qs[0]
    if len(targets) != 1 or q.exit.kind not in ("label", "gap") or p.exit.ident == q.exit.ident:
        return
    if p.exit.kind not in ("return", "end", "label"):
        bump("unseen-unclear")
        return
    skipped = _skipped_label(p, q)
    if p.exit.kind == "label" and (_UNLOCK_LABEL.search(p.exit.label) or not _UNLOCK_LABEL.search(skipped)):
        bump("other-label")
        return  # one unseen label for another: only a label named for unlocking is missed for sure
    line = _exit_line(p)
    if line is None:
        return
    taken = _taken_at_exit(p)
    last = {o.key for o in p.ops if o.kind in ("acq", "rel")}
    named = bool(skipped) and q.exit.kind == "gap" and _UNLOCK_LABEL.search(skipped) is not None
    if q.exit.kind == "gap" and not named:
        if not taken:
            bump("unseen-nothing-held")
            return  # nothing shows a lock held where the paths part: counted, like an unnamed label
        where = f"went on, holding it, into the unseen code after {q.exit.line}, which runs to the end of the function"
    elif last and not taken:
        bump("label-nothing-held")
        return  # every lock the path took is released before it leaves: nothing for the label to release
    elif named:
        at = next(n for _i, name, n in reversed(q.labels) if name == skipped)
        where = f"went through `{skipped}:` at {at}, into code not in the patch"
    else:
        where = f"went to `{q.exit.label}:` (`goto {q.exit.label}` at {_exit_line(q)}; not in the patch)"
    leaves = {"return": f"returns at {line}", "end": f"ends the function at {line}"}.get(
        p.exit.kind, f"goes to `{p.exit.label}:` at {line}"
    )
    if taken:
        o = taken[-1]
        msg = f"`{o.src}` at {o.line} may still be held: this path now {leaves}, where before this patch it {where}"
    elif named:
        at = next(n for _i, name, n in reversed(q.labels) if name == skipped)
        msg = (
            f"this path now {leaves} without going through `{skipped}:` at {at}, as it did before this patch; by "
            f"its name that label releases a lock, in code after it that is not in the patch"
        )
    elif _UNLOCK_LABEL.search(skipped):
        msg = (
            f"this path now {leaves} without going through `{q.exit.label}:` (not in the patch), as it did before "
            f"this patch (`goto {q.exit.label}` at {_exit_line(q)}); by its name that label releases a lock"
        )
    else:
        # Nothing visible is held and the label's name says nothing of a lock: "if that code releases
        # a lock" is a guess, and a guess is counted, never reported (a plain `goto out` -> `return`
        # cleanup is common in clean patches).
        bump("unseen-label-unnamed")
        return
    goto = _exit_line(q) or line
    steps = [(goto, f"before this patch (pre-image line {goto}) the path went on into code not in the patch")]
    yield Verdict("skipped-unseen", line, "warning", msg, taken[-1].key if taken else "", steps)


def _skipped_label(p: SidePath, q: SidePath) -> str:
    """The label whose code ``q`` (the pre-image path) went into unseen and ``p`` no longer does: the
    unseen label it jumped to, or the last visible label it went through, with no lock operation after,
    before the unseen code (``out_unlock:`` as the last context line of a hunk); "" when none."""
    if q.exit.kind == "label":
        return q.exit.label
    if q.exit.kind != "gap" or not q.labels:
        return ""
    step, name, _line = q.labels[-1]
    if any(o.step > step for o in q.ops) or any(lab == name for _s, lab, _l in p.labels):
        return ""
    return name


def _taken_at_exit(p: SidePath) -> list[Op]:
    """Locks the path took, visibly, and still holds when it leaves, with no unseen code since."""
    last: dict[str, Op] = {}
    for o in p.ops:
        if o.kind in ("acq", "rel"):
            last[o.key] = o
    return [o for o in last.values() if o.kind == "acq" and not p.gaps_between(o.step, len(p.idents))]


def review(
    ctx: ReviewContext,
    post: FunctionView,
    kernel: dict[str, Any],
    model: LockModel,
    summaries: dict[str, Summary],
    rule: str,
    reported: list[Finding] | None = None,
) -> Iterator[Finding]:
    """The findings of the pre/post comparison for one changed function.

    Both images fragments (the diff alone): every lock.  Both whole (the
    repository's blob, ``--tree``): only the locks neither image visibly
    acquires, which the lock analysis of the whole function cannot judge
    (taken by a helper it has no summary for, or by the caller): more context
    must not lose what the diff alone proves.  ``reported`` are the rule's
    findings for the function already made, so the same line is not
    reported twice; a leak among them that the comparison traces to a
    ``goto`` the patch wrote is moved, in place, onto that ``goto`` (issue
    14 item 5: the line that leaks, the same as from the diff alone).
    """
    reported = reported if reported is not None else []
    if post.function is None:
        return
    pre = ctx.pre_function(post)
    fileview = ctx.file_view(post.path, post.patch)
    if pre is None or pre.fragment != post.fragment or pre.function is None or fileview is None:
        return
    mentioned = model.mentioned(post.text, summaries.keys()) or model.mentioned(pre.text, summaries.keys())
    if not mentioned and (not post.fragment or not _GOTO.search(pre.text)):
        return
    graph = ctx.facts.fragment_cfg if kernel is ctx.kernel else None
    sides = side_paths(pre, post, fileview, kernel, model, summaries, graph)

    def bump(what: str) -> None:
        ctx.bump(f"{rule}.prepost-{what}")

    if sides.skipped:
        bump(sides.skipped)
        return
    seen = {f.line for f in reported}
    locks = {f.extra.get("lock") for f in reported}
    acquired: set[str] = set()
    if not post.fragment:
        for fv in (pre, post):
            acquired |= ctx.facts.acquire_keys(fv, summaries, {n for n in fv.line_map if n is not None})
    for v in judge(sides.pre, sides.post, bump):
        if v.line in seen or (v.key and v.key in locks):
            _move_onto_jump(ctx, post, reported, v)
            continue  # the lock analysis of the post-image already said it
        if not post.fragment and (not v.key or v.key in acquired):
            bump("whole-judged")
            _move_onto_jump(ctx, post, reported, v)
            continue  # its acquire is in view: the lock analysis of the whole function judges it
        if v.on_entry and _acquire_removed_above(ctx, pre, v.key, summaries):
            bump("acquire-removed-above")
            continue
        seen.add(v.line)
        quoted, name = f"`{v.key}`", lock_label(model, v.key)  # "the ILOCK of `ip`", not ``ip@XFS_ILOCK_EXCL``
        steps = [PathStep(line, note.replace(quoted, name)) for line, note in v.steps]
        steps.append(PathStep(v.line, "here"))
        yield ctx.finding(
            rule,
            Severity.parse(v.severity),
            v.message.replace(quoted, name),
            post.path,
            v.line,
            patch=post.patch,
            function=post.name,
            path=steps,
            extra={"kind": v.kind, "lock": v.key, "prepost": True},
        )


def _move_onto_jump(ctx: ReviewContext, post: FunctionView, reported: list[Finding], v: Verdict) -> None:
    """The lock analysis's leak of ``v``'s lock at ``v``'s exit alone, put on the patch's jump instead."""
    if v.exit_line is None or v.kind != "lost-release":
        return
    for i, f in enumerate(reported):
        if f.extra.get("kind") != "leak" or f.extra.get("lock") != v.key or f.line != v.exit_line:
            continue
        if f.extra.get("exits", [f.line]) != [f.line]:
            continue  # held at other exits too: the jump is not the one line that leaks
        ctx.bump("lock-balance.prepost-moved-onto-jump")
        steps = [*f.path[:-1], PathStep(v.line, f"`{v.jump}`: the patch's jump past the release"), *f.path[-1:]]
        moved = ctx.finding(
            f.rule,
            f.severity,
            f"`{v.jump}` at {v.line} skips the release: {f.message}",
            f.file,
            v.line,
            patch=post.patch,
            function=f.function,
            path=steps,
            rationale=f.rationale,
            fix=f.fix,
            extra={**f.extra, "exit": f.line},
        )
        reported[i] = moved


def _acquire_removed_above(ctx: ReviewContext, pre: FunctionView, key: str, summaries: dict[str, Summary]) -> bool:
    """A lock "held on entry" to a piece whose start the diff does not show, and the piece of the file just
    above it, whose end it does not show either, loses an acquire of that lock in this patch: the two may be
    one function (a hunk git named after a label), whose lock pair the patch removed together (the
    locking moved to the callers, gfs2's ``__gfs2_log_flush``): what the release was for is gone too."""
    if not pre.fragment or pre.start_visible:
        return False
    view = ctx.file_view(pre.path, pre.patch)
    if view is None:
        return False
    above = [fn for fn in view.functions("pre") if fn.last_line < pre.first_line]
    if not above:
        return False
    last = max(above, key=lambda fn: fn.last_line)
    return not last.end_visible and key in ctx.facts.acquire_keys(last, summaries, last.changed_lines)
