"""lock-balance on the shapes real merged patches have that the pre/post comparison misread.

Each case is a synthetic kernel-style function edited as a real patch of
that class was (found by diffing two stable trees, see
bench/stable_fixes.py): a ``break``/``continue`` whose loop is above the
hunk, a lock the patch both adds and drops, a removed call that was the
acquire, a condition naming the lock's own object, a hunk ending inside an
``if`` condition, a lock-free function that becomes a lock wrapper, and a
lost release of a lock taken in a helper (repository mode).  Clean edits
must stay quiet; the bug shapes next to them must still be reported.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from reviewkit.config import Config
from reviewkit.load.series import load
from reviewkit.review.pipeline import review

RULE = "lock-balance"
PATH = "drivers/misc/gizmo.c"
FILLER = "".join(f"\t\tgizmo_step(g, {i});\n" for i in range(8))
FLAT = FILLER.replace("\t\t", "\t")


def _file(*bodies: str) -> str:
    return "// SPDX-License-Identifier: GPL-2.0\n\n" + "\n".join(bodies)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _diff(tmp_path: Path, before: str, after: str) -> str:
    for side, text in (("a", before), ("b", after)):
        dst = tmp_path / side / PATH
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text)
    diff = subprocess.run(
        ["git", "diff", "--no-index", "--no-prefix", f"a/{PATH}", f"b/{PATH}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    assert "@@" in diff
    return diff


def _review(tmp_path: Path, before: str, after: str, repo: bool = False):
    """Findings and stats of the patch from the diff alone, or inside a repository holding the pre-image."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    patch = tmp_path / "p.patch"
    where = None
    if repo:
        where = tmp_path / "repo"
        (where / PATH).parent.mkdir(parents=True)
        (where / PATH).write_text(before)
        _git(where, "init", "-q")
        _git(where, "add", ".")
        _git(where, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "base")
        (where / PATH).write_text(after)
        diff = _git(where, "diff")
        _git(where, "checkout", "-q", "--", PATH)
    else:
        diff = _diff(tmp_path, before, after)
    patch.write_text("From: T <t@example.org>\nSubject: [PATCH] gizmo\n\n---\n" + diff)
    res = review(load(str(patch)), Config(), repo=str(where) if where else None, warn=lambda _m: None)
    return [f for f in res.findings if f.rule == RULE], res.stats


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _line(text: str, needle: str) -> int:
    rows = [i + 1 for i, row in enumerate(text.split("\n")) if needle in row]
    assert len(rows) == 1, needle
    return rows[0]


# -- 1. break/continue whose loop or switch is not in the patch --------------------------------

WALK = _file(
    "static void gizmo_drain(struct gizmo *g)\n{\n\tstruct gizmo_item *it;\n\n"
    "\tspin_lock_bh(&g->list_lock);\n\tlist_for_each_entry(it, &g->items, node) {\n"
    "\t\tspin_lock_irq(&it->lock);\n" + FILLER + "\t\tit->state = 1;\n"
    "\t\tspin_unlock_irq(&it->lock);\n\t}\n\tspin_unlock_bh(&g->list_lock);\n}\n"
)


def test_continue_out_of_an_unseen_loop_is_not_the_next_statement(tmp_path: Path) -> None:
    after = _edit(
        WALK,
        "\t\tit->state = 1;\n",
        "\t\tit->state = 1;\n\t\tif (it->pending) {\n\t\t\tspin_unlock_irq(&it->lock);\n"
        "\t\t\tgizmo_finish(it);\n\t\t\tcontinue;\n\t\t}\n",
    )
    found, _stats = _review(tmp_path, WALK, after)
    assert found == [], [f.message for f in found]


SWITCH = _file(
    "static int gizmo_event(struct gizmo *g, int op)\n{\n\tint v = 0;\n\n\tswitch (op) {\n\tcase 1:\n"
    "\t\tmutex_lock(&g->lock);\n" + FILLER + "\t\tv = g->buf[0];\n\t\tmutex_unlock(&g->lock);\n"
    "\t\tgizmo_step(g, v);\n\t\tbreak;\n\tcase 2:\n\t\tmutex_lock(&g->lock);\n"
    + FILLER
    + "\t\tv = g->buf[1];\n\t\tmutex_unlock(&g->lock);\n\t\tbreak;\n\t}\n\treturn v;\n}\n"
)


def test_break_out_of_an_unseen_switch_case_is_not_a_fall_through(tmp_path: Path) -> None:
    after = _edit(
        SWITCH,
        "\t\tv = g->buf[1];\n",
        "\t\tif (!g->buf) {\n\t\t\tmutex_unlock(&g->lock);\n\t\t\tbreak;\n\t\t}\n\t\tv = g->buf[1];\n",
    )
    found, _stats = _review(tmp_path, SWITCH, after)
    assert found == [], [f.message for f in found]


def test_a_break_path_that_lost_its_release_is_still_reported(tmp_path: Path) -> None:
    before = _edit(
        WALK,
        "\t\tit->state = 1;\n",
        "\t\tit->state = 1;\n\t\tif (it->dead) {\n\t\t\tspin_unlock_irq(&it->lock);\n\t\t\tbreak;\n\t\t}\n",
    )
    after = _edit(before, "\t\tif (it->dead) {\n\t\t\tspin_unlock_irq(&it->lock);\n", "\t\tif (it->dead) {\n")
    found, _stats = _review(tmp_path, before, after)
    assert [f.extra.get("kind") for f in found] == ["lost-release"], [f.message for f in found]
    assert "at the `break`" in found[0].message and found[0].line == _line(after, "\t\t\tbreak;")


# -- 2. a lock the patch adds and drops: the pre-image never held it -----------------------------

ISR = _file(
    "static int gizmo_isr(struct gizmo *g)\n{\n\tu32 status = g->status;\n\n"
    + FLAT
    + "\tif (!g->cur) {\n\t\tif (!(status & 1))\n\t\t\treturn 0;\n"
    + FILLER
    + "\t\treturn 1;\n\t}\n"
    + FLAT
    + "\tgizmo_clear(g);\n\n"
    + FLAT
    + "\treturn gizmo_handle(g);\n}\n"
)


def test_a_lock_the_patch_adds_is_no_evidence_of_the_pre_image_holding_it(tmp_path: Path) -> None:
    after = _edit(ISR, "\tif (!g->cur) {\n", "\tspin_lock(&g->lock);\n\tif (!g->cur) {\n\t\tspin_unlock(&g->lock);\n")
    after = _edit(after, "\tgizmo_clear(g);\n", "\tgizmo_clear(g);\n\tspin_unlock(&g->lock);\n")
    found, stats = _review(tmp_path, ISR, after)
    assert found == [], [f.message for f in found]
    assert stats.get(f"{RULE}.prepost-held-post-only")


# -- 3. a removed call may have been the acquire -----------------------------------------------

LOOKUP = _file(
    "static int gizmo_attach(struct gizmo *g, const char *name)\n{\n\tstruct dentry *d;\n\tint ret;\n\n"
    "\td = gizmo_lookup_locked(name, &g->path);\n\tif (IS_ERR(d))\n\t\treturn PTR_ERR(d);\n"
    "\tinode_unlock(g->path.dentry->d_inode);\n\n" + FLAT + "\tret = gizmo_add(g, d);\n\treturn ret;\n}\n"
)


def test_an_orphan_release_after_a_removed_call_proves_nothing_held_on_entry(tmp_path: Path) -> None:
    after = _edit(
        LOOKUP,
        "\td = gizmo_lookup_locked(name, &g->path);\n\tif (IS_ERR(d))\n\t\treturn PTR_ERR(d);\n"
        "\tinode_unlock(g->path.dentry->d_inode);\n",
        "\td = gizmo_lookup(name, &g->path);\n\tif (IS_ERR(d))\n\t\treturn PTR_ERR(d);\n",
    )
    found, _stats = _review(tmp_path, LOOKUP, after)
    assert found == [], [f.message for f in found]


def test_a_deleted_orphan_release_alone_is_still_reported(tmp_path: Path) -> None:
    after = _edit(LOOKUP, "\tinode_unlock(g->path.dentry->d_inode);\n", "")
    found, _stats = _review(tmp_path, LOOKUP, after)
    assert [f.extra.get("kind") for f in found] == ["lost-release"], [f.message for f in found]


# -- 4. a condition naming the lock's own object stays correlated -------------------------------

NESTED = _file(
    "void gizmo_walk(struct gizmo_state *st, struct mm_struct *mm)\n{\n\tconst struct gizmo_range *r = st->range;\n\n"
    "\tmmap_write_lock(mm);\n\twhile (r->start != r->end) {\n\t\tgizmo_walk_range(mm, r->start, r->end);\n"
    "\t\tr++;\n\t}\n\tmmap_write_unlock(mm);\n\n\tst->done(st);\n}\n"
)


def test_a_nested_lock_under_a_condition_on_its_own_address(tmp_path: Path) -> None:
    after = _edit(
        NESTED,
        "\tmmap_write_lock(mm);\n",
        "\tmmap_write_lock(mm);\n\tif (mm != &init_mm)\n\t\tmmap_write_lock_nested(&init_mm, SINGLE_DEPTH_NESTING);\n",
    )
    after = _edit(
        after,
        "\tmmap_write_unlock(mm);\n",
        "\tif (mm != &init_mm)\n\t\tmmap_write_unlock(&init_mm);\n\tmmap_write_unlock(mm);\n",
    )
    for repo in (False, True):
        found, _stats = _review(tmp_path / str(repo), NESTED, after, repo=repo)
        assert found == [], (repo, [f.message for f in found])


def test_a_nested_lock_released_under_another_condition_is_reported(tmp_path: Path) -> None:
    after = _edit(
        NESTED,
        "\tmmap_write_lock(mm);\n",
        "\tmmap_write_lock(mm);\n\tif (mm != &init_mm)\n\t\tmmap_write_lock_nested(&init_mm, SINGLE_DEPTH_NESTING);\n",
    )
    bad = _edit(
        after,
        "\tmmap_write_unlock(mm);\n",
        "\tif (mm != st->mm)\n\t\tmmap_write_unlock(&init_mm);\n\tmmap_write_unlock(mm);\n",
    )
    found, _stats = _review(tmp_path / "other", NESTED, bad, repo=True)
    assert found, "a release under a different condition leaves the lock held on one path"


# -- 5. a hunk that ends inside an if condition ---------------------------------------------------

JOIN = _file(
    "static int gizmo_join(struct gizmo *g, void __user *dst)\n{\n\tint ret;\n\n"
    + FLAT
    + "\tmutex_lock(&g->lock);\n\tret = gizmo_join_one(g);\n\tmutex_unlock(&g->lock);\n\tif (ret)\n\t\tgoto err;\n\n"
    "\tg->id = 1;\n\tif (copy_to_user(u64_to_user_ptr(g->resp),\n\t\t\t &g->id, sizeof(g->id))) {\n"
    "\t\tret = -EFAULT;\n\t\tgoto err_leave;\n\t}\n\n"
    "\tgizmo_store(g);\n\n" + FLAT + "\treturn 0;\n\nerr_leave:\n\tmutex_lock(&g->lock);\n\tgizmo_leave(g);\n"
    "\tmutex_unlock(&g->lock);\nerr:\n" + FLAT + "\treturn ret;\n}\n"
)


def test_a_hunk_ending_inside_a_condition_keeps_the_if_shape(tmp_path: Path) -> None:
    """The lock is now held across the copy and dropped after it, and on the error path at the label."""
    after = _edit(
        JOIN,
        "\tmutex_unlock(&g->lock);\n\tif (ret)\n\t\tgoto err;\n",
        "\tif (ret) {\n\t\tmutex_unlock(&g->lock);\n\t\tgoto err;\n\t}\n",
    )
    after = _edit(after, "\t\tgoto err_leave;\n\t}\n\n", "\t\tgoto err_leave;\n\t}\n\tmutex_unlock(&g->lock);\n\n")
    after = _edit(after, "err_leave:\n\tmutex_lock(&g->lock);\n", "err_leave:\n")
    found, _stats = _review(tmp_path, JOIN, after)
    assert found == [], [f.message for f in found]


# -- 6. a lock-free function made a lock wrapper (repository mode) -------------------------------

OPEN = _file(
    "struct gizmo_dev *gizmo_open_dev(char **inputp)\n{\n\tstruct gizmo_dev *dev;\n\n"
    "\tdev = gizmo_get_dev(*inputp);\n\tif (!dev)\n\t\treturn ERR_PTR(-ENODEV);\n"
    + FLAT
    + "\tif (gizmo_is_part(dev)) {\n\t\tgizmo_put_dev(dev);\n\t\treturn ERR_PTR(-ENODEV);\n\t}\n\n"
    "\t*inputp += 1;\n\treturn dev;\n}\n"
)


def test_a_function_made_to_hand_its_new_lock_to_the_caller(tmp_path: Path) -> None:
    after = _edit(
        OPEN,
        "\t*inputp += 1;\n",
        "\tmutex_lock(&dev->queue->qos_mutex);\n\tif (!gizmo_live(dev)) {\n\t\tmutex_unlock(&dev->queue->qos_mutex);\n"
        "\t\tgizmo_put_dev(dev);\n\t\treturn ERR_PTR(-ENODEV);\n\t}\n\n\t*inputp += 1;\n",
    )
    found, stats = _review(tmp_path, OPEN, after, repo=True)
    assert found == [], [f.message for f in found]
    assert stats.get(f"{RULE}.handed-to-caller")
    # the same lock kept on an error exit is still a leak
    leaky = after.replace("\t\tmutex_unlock(&dev->queue->qos_mutex);\n", "")
    found, _stats = _review(tmp_path / "leak", OPEN, leaky, repo=True)
    assert found and "before this patch that exit released it" not in found[0].message, [f.message for f in found]


# -- 7. a lost release of a lock taken in a helper, with the repository -------------------------

PAGE_IN = _file(
    "static int gizmo_page_in(struct gizmo *g, bool pagein)\n{\n\tstruct page *dpage;\n\tint ret = 0;\n\n"
    "\tret = gizmo_setup(g);\n\tif (ret)\n\t\treturn ret;\n\n\tdpage = gizmo_get_page(g);\n\tif (!dpage) {\n"
    "\t\tret = -1;\n\t\tgoto out_finalize;\n\t}\n\n\tif (pagein) {\n\t\tret = gizmo_copy(g, dpage);\n"
    "\t\tif (ret) {\n\t\t\tunlock_page(dpage);\n\t\t\tput_page(dpage);\n\t\t\tgoto out_finalize;\n\t\t}\n\t}\n\n"
    "\tgizmo_map(g, dpage);\nout_finalize:\n\tgizmo_finalize(g);\n\treturn ret;\n}\n"
)


def test_a_release_of_a_helper_taken_lock_lost_with_the_repository(tmp_path: Path) -> None:
    after = _edit(
        PAGE_IN,
        "\t\tif (ret) {\n\t\t\tunlock_page(dpage);\n\t\t\tput_page(dpage);\n\t\t\tgoto out_finalize;\n\t\t}\n",
        "\t\tif (ret)\n\t\t\tgoto out_finalize;\n",
    )
    for repo in (False, True):
        found, _stats = _review(tmp_path / str(repo), PAGE_IN, after, repo=repo)
        assert [f.extra.get("kind") for f in found] == ["lost-release"], (repo, [f.message for f in found])
        assert "unlock_page(dpage)" in found[0].message


# -- the second round of stable-tree shapes ------------------------------------------------------

CLAIM = _file(
    "static int gizmo_claim(struct gizmo *g)\n{\n\tstruct gizmo_item *it;\n\tint status = 0;\n\n"
    "\tif (!g->items)\n\t\tgoto out;\n\n" + FLAT + "\tspin_lock(&g->flc_lock);\nrestart:\n"
    "\tlist_for_each_entry(it, &g->list, node) {\n" + FILLER + "\t\tspin_unlock(&g->flc_lock);\n"
    "\t\tstatus = gizmo_recall(it);\n\t\tif (status < 0)\n\t\t\tgoto out;\n\t\tspin_lock(&g->flc_lock);\n"
    "\t}\n\tspin_unlock(&g->flc_lock);\nout:\n\treturn status;\n}\n"
)


def test_a_hunk_named_after_a_label_of_the_function_goes_on_it(tmp_path: Path) -> None:
    """git names the second hunk ``restart:``: it is the same function, whose release is there."""
    after = _edit(
        CLAIM,
        "\tspin_lock(&g->flc_lock);\nrestart:\n",
        "\tdown_write(&g->rwsem);\n\tspin_lock(&g->flc_lock);\nrestart:\n",
    )
    after = _edit(
        after,
        "\t\tif (status < 0)\n\t\t\tgoto out;\n",
        "\t\tif (status < 0) {\n\t\t\tup_write(&g->rwsem);\n\t\t\tgoto out;\n\t\t}\n",
    )
    after = _edit(
        after, "\tspin_unlock(&g->flc_lock);\nout:\n", "\tspin_unlock(&g->flc_lock);\n\tup_write(&g->rwsem);\nout:\n"
    )
    found, _stats = _review(tmp_path, CLAIM, after)
    assert found == [], [f.message for f in found]
    leaky = after.replace("\t\t\tup_write(&g->rwsem);\n\t\t\tgoto out;\n", "\t\t\tgoto out;\n")
    found, _stats = _review(tmp_path / "leak", CLAIM, leaky)
    assert found, "the error path of the joined hunk keeps the new lock"


MIGRATE = _file(
    "static int gizmo_migrate(struct gizmo *g)\n{\n\tint ret = 0;\n\n\tif (!g->ok)\n\t\treturn -EINVAL;\n\n"
    "\tpercpu_down_write(&g->sbi->wp_rwsem);\n"
    + FLAT
    + "\tret = gizmo_move(g);\n"
    + FLAT
    + "out_stop:\n"
    + FLAT
    + "out_unlock:\n\tpercpu_up_write(&g->sbi->wp_rwsem);\n\treturn ret;\n}\n"
)


def test_a_release_replaced_by_a_wrapper_call_is_not_a_lost_release(tmp_path: Path) -> None:
    after = _edit(MIGRATE, "\tpercpu_down_write(&g->sbi->wp_rwsem);\n", "\tctx = gizmo_wp_down_write(g->sb);\n")
    after = _edit(after, "\tpercpu_up_write(&g->sbi->wp_rwsem);\n", "\tgizmo_wp_up_write(g->sb, ctx);\n")
    found, _stats = _review(tmp_path, MIGRATE, after)
    assert found == [], [f.message for f in found]
    deleted = _edit(MIGRATE, "\tpercpu_up_write(&g->sbi->wp_rwsem);\n", "")
    found, _stats = _review(tmp_path / "deleted", MIGRATE, deleted)
    assert found, "a release deleted with nothing in its place is still lost"


RETRY = _file(
    "static int gizmo_retry(struct gizmo *g, struct page *last)\n{\n\tint ret = 0;\n\n"
    + FLAT
    + "\tlock_page(last);\n\tgizmo_wait(last);\n\tset_page_dirty(last);\n\tunlock_page(last);\n"
    + FLAT
    + "\tgizmo_done(g);\nout:\n\treturn ret;\n}\n"
)


def test_the_lock_passed_to_a_new_call_on_the_new_path_may_be_released_there(tmp_path: Path) -> None:
    after = _edit(
        RETRY,
        "\tlock_page(last);\n",
        "\tlock_page(last);\n\tif (unlikely(last->mapping != g->mapping)) {\n\t\tgizmo_put_page(last, 1);\n"
        "\t\tret = -EAGAIN;\n\t\tgoto out;\n\t}\n",
    )
    for repo in (False, True):
        found, _stats = _review(tmp_path / str(repo), RETRY, after, repo=repo)
        assert found == [], (repo, [f.message for f in found])


WATCH = _file(
    "static int gizmo_get_nd(struct gizmo_watch *w, struct path *parent)\n{\n"
    "\tstruct dentry *d = gizmo_path_locked(w->path, parent);\n\tif (IS_ERR(d))\n\t\treturn PTR_ERR(d);\n"
    "\tw->ino = d->ino;\n\tinode_unlock(d_backing_inode(parent->dentry));\n\tdput(d);\n\treturn 0;\n}\n"
)


def test_whole_function_no_caller_lock_after_a_removed_call(tmp_path: Path) -> None:
    after = _edit(
        WATCH,
        "\tstruct dentry *d = gizmo_path_locked(w->path, parent);\n",
        "\tstruct dentry *d;\n\n\td = gizmo_path_parent(w->path, parent);\n",
    )
    after = _edit(after, "\tinode_unlock(d_backing_inode(parent->dentry));\n", "")
    found, _stats = _review(tmp_path, WATCH, after)
    assert found == [], [f.message for f in found]
    only = _edit(WATCH, "\tinode_unlock(d_backing_inode(parent->dentry));\n", "")
    found, _stats = _review(tmp_path / "only", WATCH, only)
    assert found, "deleting the release alone still leaves the caller's lock held"


COLLECT = _file(
    "static void gizmo_collect(struct gizmo *g, struct page *page)\n{\n\tint n = 0;\n\n"
    + FLAT
    + "\tget_page(page);\n\n"
    + FLAT
    + "\tif (trylock_page(page)) {\n\t\tn = gizmo_setup(page);\n"
    + FILLER
    + "\t\tg->n += n;\n"
    + FILLER
    + "\t\tgizmo_note(g, n);\n"
    + FILLER
    + "\t}\n"
    + FLAT
    + "}\n"
)


def test_an_acquire_renamed_with_its_object_is_not_introduced(tmp_path: Path) -> None:
    after = _edit(COLLECT, "\tget_page(page);\n", "\tfolio = page_folio(page);\n\tfolio_get(folio);\n")
    after = _edit(after, "\tif (trylock_page(page)) {\n", "\tif (folio_trylock(folio)) {\n")
    found, _stats = _review(tmp_path, COLLECT, after)
    assert found == [], [f.message for f in found]


LANE = _file(
    "unsigned int gizmo_acquire_lane(struct gizmo *g)\n{\n\tunsigned int cpu, lane;\n\n\tcpu = gizmo_cpu();\n"
    "\tlane = cpu % g->num_lanes;\n\tspin_lock(&g->lanes[lane].lock);\n\treturn lane;\n}\n"
)


def test_a_hand_back_function_that_hands_back_another_lock(tmp_path: Path) -> None:
    after = _edit(
        LANE,
        "\tspin_lock(&g->lanes[lane].lock);\n",
        "\tmutex_lock(&g->lane[lane].mutex);\n",
    ).replace("(struct gizmo *g)\n{", "(struct gizmo *g)\n\t__acquires(&g->lane[lane].mutex)\n{")
    for repo in (False, True):
        found, _stats = _review(tmp_path / str(repo), LANE, after, repo=repo)
        assert found == [], (repo, [f.message for f in found])


def test_a_function_named_for_taking_its_locks_returns_with_them(tmp_path: Path) -> None:
    before = _file(
        "void gizmo_refill(struct gizmo *g)\n{\n\tint n;\n\n\tspin_lock(&g->wl_lock);\n"
        + FLAT
        + "\tspin_unlock(&g->wl_lock);\n"
        + FLAT
        + "}\n"
    )
    after = _edit(before, "void gizmo_refill(struct gizmo *g)", "void gizmo_refill_and_lock(struct gizmo *g)")
    after = _edit(after, "\tspin_lock(&g->wl_lock);\n", "\tdown_write(&g->fm_protect);\n\tspin_lock(&g->wl_lock);\n")
    found, _stats = _review(tmp_path, before, after)
    assert found == [], [f.message for f in found]


LOOKUP_LOOP = _file(
    "static struct gizmo_peer *gizmo_lookup_peer(struct gizmo_conn *conn)\n{\n\tstruct gizmo_dev *entry;\n"
    "\tstruct gizmo_peer *peer = NULL;\n\n\trcu_read_lock();\n\n"
    "\tlist_for_each_entry_rcu(entry, &gizmo_devices, list) {\n"
    "\t\tpeer = gizmo_peer_lookup(entry, conn);\n\t\tif (peer)\n\t\t\tbreak;\n\t}\n\n\trcu_read_unlock();\n\n"
    "\treturn peer;\n}\n"
)


def test_a_release_deleted_after_a_loop_whose_break_starts_the_hunk(tmp_path: Path) -> None:
    """The hunk opens on ``break;`` (its loop unseen): the path that skips it still pairs with the
    pre-image's, though the statement it reaches is the one the patch deleted."""
    after = _edit(LOOKUP_LOOP, "\trcu_read_unlock();\n\n\treturn peer;", "\n\treturn peer;")
    found, _stats = _review(tmp_path, LOOKUP_LOOP, after)
    assert [f.extra.get("kind") for f in found] == ["lost-release"], [f.message for f in found]
