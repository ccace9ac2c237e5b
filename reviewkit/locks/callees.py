"""What a callee outside the lock model may have done with a lock it was given.

A whole-file scan sees one file: ``f2fs_gc()`` in gc.c drops the
``gc_lock`` that ``f2fs_ioc_gc()`` in file.c takes, a write-back helper
unlocks the page it is handed, a filesystem's failure handler drops the
operation lock on the error path.  None of that is in the caller's text,
and reporting it is exactly the noise that made kernel developers drop
sparse's lock checking.  These tests say when the caller's own text leaves
room for such a callee, so that ``lock-balance`` counts the case instead of
reporting it:

* :func:`consumed_by_callee`: the function never releases the lock and,
  after taking it, gives the object holding it to such a callee;
* :func:`given_away`: the lock itself goes to such a callee (a later
  acquire proves no double acquire);
* :func:`unknown_tail`: a leaking path calls such a callee, with a way into
  memory, where the paths that release the lock do not;
* :func:`ops_unlocked`: every path from the acquire to the leaking exit calls
  an operation through a pointer whose name says it unlocks (``fiq->ops->wake_forget_and_unlock(fiq)``),
  given the lock's object: every implementation drops it, by its contract.

A release on another path with nothing but neutral calls (``kfree()``,
``pr_err()``: ``neutral`` in locks.toml) on the leaking one stays the
classic missed unlock.
"""

from __future__ import annotations

import re
from typing import Any

from reviewkit.cparse.parse import descendants
from reviewkit.flow.cfg import reached
from reviewkit.flow.engine import CFG, K_COND, K_SWITCH, trail_steps
from reviewkit.locks.handback import _owners, unpaired_callback
from reviewkit.locks.model import LockModel, LockResult, lock_key
from reviewkit.locks.transfer import UNTAKEN


def released_somewhere(res: LockResult, key: str) -> bool:
    """Does some exit of ``res`` carry a release of ``key`` by this function (not a failed trylock)?"""
    return any(h.key == key and not h.count and h.entry != UNTAKEN for ex in res.exits for h in ex.state.facts.held)


def _outside(model: LockModel, name: str) -> bool:
    return name not in model.acquires and name not in model.releases and name not in model.queries


def consumed_by_callee(res: LockResult, cfg: CFG, model: LockModel, key: str, holding: list[Any] | None = None) -> bool:
    """The whole function never releases ``key`` itself, and after taking it passes the object holding
    the lock to a callee outside the lock model: that callee releases it.

    ``f2fs_down_write(&sbi->gc_lock); err = f2fs_gc(sbi, &ctl);``: a function that took a lock and gave
    its object away without ever releasing it cannot be told from that contract on its own text; a
    release on another path (the classic missed unlock) still can.  A fragment's unseen code may release
    it, and a ``pre_`` callback whose ``post_`` partner releases nothing leaks it: neither counts.  The
    lock itself given to a callee (``__list_lru_del(lru, l, ...)`` with ``l`` the locked list) is work
    done under it, not a hand-over."""
    if res.fv.fragment or released_somewhere(res, key) or unpaired_callback(res.fv, model, key):
        return False
    taken = {h.line for ex in res.exits for h in ex.state.facts.held if h.key == key and h.line is not None}
    taken |= {e.line for e in res.events if e.key == key} | {e.other_line for e in res.events if e.key == key}
    lines = {int(t) for t in taken if t is not None}
    if not lines:
        return False
    first = min(lines)
    if _release_call(cfg, model, key):
        return False  # it drops the lock itself somewhere (a caller's lock dropped and retaken)

    def hands_over(nodes: Any) -> bool:
        for n in nodes:
            if holding is not None and n.kind in (K_COND, K_SWITCH):
                continue  # a test asks about the object, it does not take the lock over
            for c in n.calls:
                if c.line is None or c.line <= first or c.line in lines or not _outside(model, c.name):
                    continue
                for a in c.args:
                    ak = lock_key(a)
                    if ak and key.startswith((ak + "->", ak + ".")):
                        return True
        return False

    if holding is None:  # a second acquire: anywhere after the first
        return hands_over(cfg.nodes)
    # a leak: every exit that keeps it went through the hand-over (a success exit that returns the
    # object locked and an error exit that only drops a reference are a hand-back and a leak)
    return all(hands_over(node for node, _label in trail_steps(ex.state)) for ex in holding)


def _release_call(cfg: CFG, model: LockModel, key: str) -> bool:
    """Does any call of the function release ``key`` by the lock model (on any path, feasible or not)?"""
    for n in cfg.nodes:
        for c in n.calls:
            if key in model.release_keys(c.name, c.args):
                return True
    return False


def given_away(res: LockResult, cfg: CFG, model: LockModel, key: str) -> bool:
    """Does the function pass the lock itself (``page``, ``&d->lock``) to a callee outside the lock model?

    Such a callee may release it (a page handed to a write-back helper comes back unlocked), so taking it
    again later proves no double acquire; a leak is still judged on the path (a callee given the object
    is the common case of a classic missed unlock)."""
    return any(_outside(model, c.name) and any(lock_key(a) == key for a in c.args) for n in cfg.nodes for c in n.calls)


def unknown_tail(
    res: LockResult, model: LockModel, ex: Any, h: Any, common: set[str], defined: frozenset[str]
) -> str | None:
    """The first callee on the exit's path after the acquire that may be what releases the lock there:
    called on no path that releases it (``common``: the callees of those paths), outside the lock model,
    not ``neutral``, not one of the file's own functions (``defined``: those are summarised), called for
    its effect (a statement: a call whose result the path then tests is what failed), given a way
    into memory (``gizmo_free_one(val)``, given a value only, cannot reach the lock); a test in a
    condition (``if (sprite_stale(sp))``) asks, it does not release."""
    for node, _label in reversed(trail_steps(ex.state)):
        if h.line is not None and node.line == h.line:
            return None
        if node.kind in (K_COND, K_SWITCH):
            continue
        for c in node.calls:
            if c.node.parent is None or c.node.parent.type != "expression_statement":
                continue  # ``err = write_inode_now(...)``, then tested: the operation that failed, no handler
            if c.name in common or c.name in defined or not _outside(model, c.name):
                continue
            if model.neutral.fullmatch(c.name) or any('"' in a for a in c.args):
                continue  # (a call given a format string is a log message: ``dbgprint(KERN_CRIT "...")``)
            if not any(an_object(res.fv.text, a) for a in c.args):
                continue
            return c.name
    return None


def an_object(text: str, arg: str) -> bool:
    """Is ``arg`` a way into memory (``&x``, ``a->b``, a name declared as a pointer in ``text``)?"""
    arg = arg.strip()
    if arg.startswith("&") or re.fullmatch(r"[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)+", arg):
        return True  # (a member path; ``f(ctx->tfm)`` nested in an argument is a value)
    return bool(re.fullmatch(r"[A-Za-z_]\w*", arg)) and re.search(rf"\*\s*{re.escape(arg)}\b", text) is not None


_UNLOCK_OP = re.compile(r"(?:^|_)unlock(?:_|$)")


def ops_unlocked(fv: Any, cfg: CFG, key: str, acquired: int | None, exit_id: int) -> bool:
    """Does every path from the acquire (line ``acquired``) to the exit (node ``exit_id``) call
    ``X->..._unlock(...)`` through a function pointer with the lock's object (or the lock) as an
    argument?"""
    fn = fv.function
    if fn is None or acquired is None or "unlock" not in fv.text:
        return False
    owners = {o for path in _owners(key) | {key} for o in (path, f"&{path}")}
    calls = []
    for cur in descendants(fn.body, ("call_expression",)):
        callee = cur.child_by_field_name("function")
        field = (
            callee.child_by_field_name("field") if callee is not None and callee.type == "field_expression" else None
        )
        if field is None or not _UNLOCK_OP.search(fv.parsed.text(field)):
            continue
        args = cur.child_by_field_name("arguments")
        if {lock_key(fv.parsed.text(a)) for a in (args.named_children if args is not None else [])} & owners:
            calls.append(cur)
    if not calls:
        return False
    ops = frozenset(
        n.id
        for n in cfg.nodes
        if n.ast is not None
        and any(n.ast.start_byte <= c.start_byte and c.end_byte <= n.ast.end_byte for c in calls)
        and n.ast.type not in ("compound_statement", "if_statement", "while_statement", "for_statement")
    )
    starts = [n for n in cfg.nodes if n.calls and n.ast is not None and fv.real_line(n.ast) == acquired]
    return bool(ops) and bool(starts) and exit_id not in reached(starts, ops)
