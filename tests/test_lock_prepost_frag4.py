"""lock-balance from the diff, the classes of the held-out stable pair and the lost-release placement.

Synthetic kernel-style functions, edited as the real patches of each class
were (bench/stable_fixes.py, 6.1.170 -> 6.1.176): a hunk inside a struct
initializer after a function's last hunk, two definitions of one function
name, a lock moved above a ``goto`` to a label the diff does not show; and
a path that now jumps past a visible unlock-named label.  With the
repository, a lost release is reported on the patch's line that skips it.
"""

from __future__ import annotations

from pathlib import Path

from test_lock_prepost_classes import FILLER, FLAT, _diff, _edit, _file, _line, _review

from reviewkit.load.series import load
from reviewkit.views.build import build_context

# -- a hunk in file scope after a function's last hunk (a struct of ops) ------------------------

OPS = _file(
    "static void gizmo_set(struct gizmo *g, int mode)\n{\n\tunsigned long flags;\n\n"
    "\tspin_lock_irqsave(&g->lock, flags);\n" + FLAT + "\tg->mode = mode;\n"
    "\tspin_unlock_irqrestore(&g->lock, flags);\n}\n\n"
    "static void gizmo_pm(struct gizmo *g, int state)\n{\n\tg->regs[5] = state;\n}\n\n"
    "static int gizmo_type(struct gizmo *g)\n{\n\treturn g->type;\n}\n\n"
    + "".join(f"static int gizmo_op{i}(struct gizmo *g)\n{{\n\treturn {i};\n}}\n\n" for i in range(4))
    + "static const struct gizmo_ops gizmo_ops = {\n\t.set\t= gizmo_set,\n\t.op0\t= gizmo_op0,\n"
    "\t.op1\t= gizmo_op1,\n\t.op2\t= gizmo_op2,\n\t.op3\t= gizmo_op3,\n\t.pm\t= gizmo_pm,\n"
    "\t.type\t= gizmo_type,\n};\n"
)


def test_a_struct_hunk_is_not_the_rest_of_the_function_before_it(tmp_path: Path) -> None:
    """zs.c/dz.c: deleting ``gizmo_pm`` and its ``.pm`` line; the second hunk's header is the struct."""
    after = _edit(OPS, "static void gizmo_pm(struct gizmo *g, int state)\n{\n\tg->regs[5] = state;\n}\n\n", "")
    after = _edit(after, "\t.pm\t= gizmo_pm,\n", "")
    found, _stats = _review(tmp_path, OPS, after)
    assert found == [], [f.message for f in found]


def test_a_release_lost_next_to_a_struct_hunk_is_still_reported(tmp_path: Path) -> None:
    after = _edit(
        OPS, "\tspin_unlock_irqrestore(&g->lock, flags);\n}\n\nstatic void gizmo_pm", "}\n\nstatic void gizmo_pm"
    )
    after = _edit(after, "\t.pm\t= gizmo_pm,\n", "")
    found, _stats = _review(tmp_path, OPS, after)
    assert [f.line for f in found] == [_line(after, "g->mode = mode;") + 1], [f.message for f in found]


# -- two definitions of one name (#ifdef ... #else) -----------------------------------------------

TWICE = _file(
    "#ifdef CONFIG_GIZMO_STATS\nstatic void gizmo_count(struct gizmo *g)\n{\n\tspin_lock(&g->lock);\n"
    + FLAT
    + "\tg->count++;\n\tspin_unlock(&g->lock);\n}\n#else\nstatic void gizmo_count(struct gizmo *g)\n{\n"
    + FLAT
    + "\tg->count++;\n"
    + FLAT
    + "}\n#endif\n"
)


def test_each_definition_of_a_name_pairs_with_its_own_pre_image(tmp_path: Path) -> None:
    """Two hunks, one in each definition: the second is not compared with the first's pre-image."""
    after = TWICE.replace("\tg->count++;\n", "\tg->count += 1;\n")
    found, _stats = _review(tmp_path, TWICE, after)
    assert found == [], [f.message for f in found]


def test_the_pre_image_of_a_second_definition_is_its_own(tmp_path: Path) -> None:
    after = TWICE.replace("\tg->count++;\n", "\tg->count += 1;\n")
    patch = tmp_path / "p.patch"
    patch.write_text("From: T <t@example.org>\nSubject: [PATCH] gizmo\n\n---\n" + _diff(tmp_path, TWICE, after))
    ctx = build_context(load(str(patch)))
    posts = [fn for fn in ctx.functions("post") if fn.name == "gizmo_count"]
    assert len(posts) == 2
    pairs = [(fn.first_line, pre.first_line) for fn in posts if (pre := ctx.pre_function(fn)) is not None]
    assert pairs == [(fn.first_line, fn.first_line) for fn in posts]  # no line shifts: each its own


def test_a_lost_release_in_the_first_definition_is_reported(tmp_path: Path) -> None:
    after = TWICE.replace("\tg->count++;\n\tspin_unlock(&g->lock);\n", "\tg->count += 1;\n")
    after = after.replace("\tg->count++;\n", "\tg->count += 1;\n")
    found, _stats = _review(tmp_path, TWICE, after)
    assert [f.line for f in found] == [_line(after, "#else") - 1], [(f.line, f.message) for f in found]


# -- a lock moved above a goto to a label the diff does not show ---------------------------------

REBUILD = _file(
    "static void gizmo_rebuild(struct gizmo *g)\n{\n\tint ret;\n\n\tret = gizmo_query(g);\n\tif (ret) {\n"
    '\t\tdev_err(g->dev, "query failed\\n");\n\t\tgoto err;\n\t}\n\n\tmutex_lock(&g->lock);\n\n'
    + FLAT
    + "\tmutex_unlock(&g->lock);\n\treturn;\nerr:\n\tgizmo_reset(g);\n\tmutex_unlock(&g->lock);\n}\n"
)


def test_a_lock_moved_above_a_goto_to_an_unseen_label_is_not_a_leak(tmp_path: Path) -> None:
    """ice_dcb_lib.c: the label releases the lock, which the goto path did not hold before the patch."""
    after = _edit(REBUILD, "\tmutex_lock(&g->lock);\n\n\tgizmo_step", "\tgizmo_step")
    after = _edit(after, "\tret = gizmo_query(g);\n", "\tmutex_lock(&g->lock);\n\n\tret = gizmo_query(g);\n")
    found, stats = _review(tmp_path, REBUILD, after)
    assert found == [], [f.message for f in found]
    assert stats.get("lock-balance.prepost-new-acquire-unseen-exit", 0) >= 1


def test_a_new_lock_kept_to_a_return_in_view_is_still_reported(tmp_path: Path) -> None:
    after = _edit(REBUILD, "\t\tgoto err;\n", "\t\treturn;\n")
    after = _edit(after, "\tret = gizmo_query(g);\n", "\tmutex_lock(&g->lock);\n\tret = gizmo_query(g);\n")
    found, _stats = _review(tmp_path, REBUILD, after)
    assert _line(after, "\t\treturn;") in [f.line for f in found], [f.message for f in found]


# -- a path that now jumps past a visible unlock-named label ---------------------------------------

FILL = _file(
    "static int gizmo_fill(struct gizmo *g, int len)\n{\n\tint ret = 0;\n\n\tmutex_lock(&g->lock);\n"
    + FLAT
    + "\tif (g->count < 0) {\n\t\tret = -EINVAL;\n\t\tgoto out_unlock;\n\t}\n"
    + FLAT
    + "\tg->buf = kmalloc(len, GFP_KERNEL);\n\tif (!g->buf) {\n\t\tret = -ENOMEM;\n\t\tgoto out_unlock;\n\t}\n"
    "\tg->count++;\nout_unlock:\n" + FLAT + "\tmutex_unlock(&g->lock);\nout:\n\treturn ret;\n}\n"
)


def test_a_goto_past_a_visible_unlock_label_is_a_warning_on_the_goto(tmp_path: Path) -> None:
    after = _edit(FILL, "\t\tret = -ENOMEM;\n\t\tgoto out_unlock;\n", "\t\tret = -ENOMEM;\n\t\tgoto out;\n")
    found, _stats = _review(tmp_path, FILL, after)
    assert [(f.line, f.severity.value) for f in found] == [(_line(after, "goto out;"), "warning")], [
        f.message for f in found
    ]
    assert "`out_unlock:`" in found[0].message


def test_a_goto_past_it_after_releasing_is_quiet(tmp_path: Path) -> None:
    after = _edit(
        FILL,
        "\t\tret = -ENOMEM;\n\t\tgoto out_unlock;\n",
        "\t\tret = -ENOMEM;\n\t\tmutex_unlock(&g->lock);\n\t\tgoto out;\n",
    )
    found, _stats = _review(tmp_path, FILL, after)
    assert found == [], [f.message for f in found]


def test_with_the_repository_the_lost_release_is_on_the_goto(tmp_path: Path) -> None:
    """Issue 14 item 5 in repository mode: the patch's line that skips the release, not the return below."""
    after = _edit(FILL, "\t\tret = -ENOMEM;\n\t\tgoto out_unlock;\n", "\t\tret = -ENOMEM;\n\t\tgoto out;\n")
    found, _stats = _review(tmp_path, FILL, after, repo=True)
    assert [f.line for f in found] == [_line(after, "goto out;")], [(f.line, f.message) for f in found]
    assert any(step.line == _line(after, "return ret;") for step in found[0].path)


def test_with_the_repository_a_release_deleted_above_the_brace_is_on_the_brace(tmp_path: Path) -> None:
    before = _file(
        "static void gizmo_tick(struct gizmo *g)\n{\n\tspin_lock(&g->lock);\n"
        + FILLER.replace("\t\t", "\t")
        + "\tg->ticks++;\n\tspin_unlock(&g->lock);\n}\n"
    )
    after = _edit(before, "\tspin_unlock(&g->lock);\n", "")
    found, _stats = _review(tmp_path, before, after, repo=True)
    assert [f.line for f in found] == [_line(after, "g->ticks++;") + 1], [(f.line, f.message) for f in found]


# -- a lock pair removed from a function whose release sits in a hunk named after a label ----------

FLUSH = _file(
    "void gizmo_flush(struct gizmo *g, int flags)\n{\n\tint ret = 0;\n\n\tdown_write(&g->flush_lock);\n"
    "\tgizmo_trace(g, 1);\n\nrepeat:\n" + FLAT + "\tret = gizmo_write(g, flags);\n\tif (ret == -EAGAIN)\n"
    "\t\tgoto repeat;\n\tif (ret)\n\t\tgoto out;\n"
    + FLAT
    + "out:\n"
    + FLAT
    + "\tup_write(&g->flush_lock);\n\tgizmo_free(g);\n}\n"
)


def test_a_lock_pair_moved_to_the_caller_across_a_label_hunk_is_not_a_lost_release(tmp_path: Path) -> None:
    """gfs2 ``__gfs2_log_flush``: the function no longer takes the lock; a new wrapper does."""
    after = _edit(
        FLUSH,
        "void gizmo_flush(struct gizmo *g, int flags)\n",
        "static void __gizmo_flush(struct gizmo *g, int flags)\n",
    )
    after = _edit(after, "\tdown_write(&g->flush_lock);\n", "")
    after = _edit(after, "\tup_write(&g->flush_lock);\n", "")
    after += (
        "\nvoid gizmo_flush(struct gizmo *g, int flags)\n{\n\tdown_write(&g->flush_lock);\n"
        "\t__gizmo_flush(g, flags);\n\tup_write(&g->flush_lock);\n}\n"
    )
    found, stats = _review(tmp_path, FLUSH, after)
    assert found == [], [f.message for f in found]
    assert stats.get("lock-balance.prepost-acquire-removed-above", 0) == 1


def test_only_the_release_deleted_in_a_label_hunk_is_still_reported(tmp_path: Path) -> None:
    after = _edit(FLUSH, "\tup_write(&g->flush_lock);\n", "")
    found, _stats = _review(tmp_path, FLUSH, after)
    assert [f.line for f in found] == [_line(after, "gizmo_free(g);") + 1], [f.message for f in found]


# -- an acquire deleted just before a goto to a label the diff does not show ----------------------

DUMP = _file(
    "static int gizmo_dump(struct gizmo *g, struct sk_buff *skb)\n{\n\tstruct gizmo_res *res = NULL;\n"
    "\tint ret = 0;\n\n\tif (g->filter) {\n\t\tret = -ENOENT;\n\t\tres = gizmo_find(g, g->filter);\n"
    "\t\tif (!res) {\n\t\t\trcu_read_lock();\n\t\t\tgoto put_result;\n\t\t}\n\t\tg->res = res;\n\t}\n"
    + FLAT
    + "\trcu_read_lock();\n"
    + FLAT
    + "put_result:\n\tgizmo_put(g, ret);\n\trcu_read_unlock();\n\treturn ret;\n}\n"
)


def test_an_acquire_deleted_before_a_goto_to_an_unseen_label_is_a_warning(tmp_path: Path) -> None:
    """drbd ``drbd_adm_dump_devices`` reversed: the label's code now runs without the lock on this path."""
    after = _edit(
        DUMP,
        "\t\tif (!res) {\n\t\t\trcu_read_lock();\n\t\t\tgoto put_result;\n\t\t}\n",
        "\t\tif (!res)\n\t\t\tgoto put_result;\n",
    )
    found, _stats = _review(tmp_path, DUMP, after)
    assert [(f.line, f.severity.value) for f in found] == [(_line(after, "goto put_result;"), "warning")], [
        f.message for f in found
    ]
    assert "`put_result:`" in found[0].message


def test_the_fix_that_adds_the_acquire_before_the_goto_is_quiet(tmp_path: Path) -> None:
    before = _edit(
        DUMP,
        "\t\tif (!res) {\n\t\t\trcu_read_lock();\n\t\t\tgoto put_result;\n\t\t}\n",
        "\t\tif (!res)\n\t\t\tgoto put_result;\n",
    )
    found, _stats = _review(tmp_path, before, DUMP)
    assert found == [], [f.message for f in found]


def test_a_new_lock_carried_into_unseen_fall_through_code_is_still_reported(tmp_path: Path) -> None:
    after = _edit(REBUILD, "\tmutex_lock(&g->lock);\n\n", "\tmutex_lock(&g->lock);\n\tspin_lock(&g->slock);\n\n")
    found, _stats = _review(tmp_path, REBUILD, after)
    assert [f.extra.get("lock") for f in found] == ["g->slock"], [f.message for f in found]


# -- the one goto to a label-named hunk's label retargeted: both images stitched alike -------------

LOOKUP = _file(
    "static struct gizmo_node *gizmo_lookup(struct gizmo *g, u64 idx)\n{\n\tstruct gizmo_node *node;\n\n"
    "\tspin_lock_irq(&g->tree_lock);\n" + FLAT + "\tnode = kmalloc(sizeof(*node), GFP_ATOMIC);\n\tif (!node)\n"
    "\t\tgoto out;\n\n" + FLAT + "\tnode->idx = idx;\n" + FLAT + "out:\n\tspin_unlock_irq(&g->tree_lock);\n\n"
    "\treturn node;\n}\n"
)


def test_a_goto_retargeted_from_a_label_named_hunk_pairs_both_images(tmp_path: Path) -> None:
    """i915_active.c ``active_instance``: `goto out` -> `goto err`, a new `err:` that unlocks too."""
    after = _edit(LOOKUP, "\t\tgoto out;\n", "\t\tgoto err;\n")
    after = _edit(
        after, "\treturn node;\n}\n", "\treturn node;\n\nerr:\n\tspin_unlock_irq(&g->tree_lock);\n\n\treturn NULL;\n}\n"
    )
    found, _stats = _review(tmp_path, LOOKUP, after)
    assert found == [], [f.message for f in found]


def test_a_goto_retargeted_to_a_label_that_does_not_unlock_is_reported(tmp_path: Path) -> None:
    """The label the hunk header names releases by its name: the new path skips it (its code is unseen)."""
    before = LOOKUP.replace("goto out;", "goto out_unlock;").replace("out:\n", "out_unlock:\n")
    after = _edit(before, "\t\tgoto out_unlock;\n", "\t\tgoto err;\n")
    after = _edit(after, "\treturn node;\n}\n", "\treturn node;\n\nerr:\n\treturn NULL;\n}\n")
    found, _stats = _review(tmp_path, before, after)
    assert [(f.line, f.severity.value) for f in found] == [(_line(after, "return NULL;"), "warning")], [
        (f.line, f.message) for f in found
    ]
    assert "`out_unlock:`" in found[0].message
