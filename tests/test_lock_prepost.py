"""lock-balance from the diff alone: each post-image path against its pre-image counterpart.

Each case writes a synthetic kernel-style file, edits it, and takes the
patch from ``git diff --no-index`` (three lines of context, function names
in the hunk headers) so that the acquire or the release is outside the
hunk, as in a real patch.  Bugs must be reported on the exit (or the second
release) with the pre-image path as evidence; fixes and neutral edits must
stay quiet, and what the comparison could not pair is counted in the stats.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from reviewkit.load.series import load
from reviewkit.model import function_phrase
from reviewkit.review.pipeline import review

RULE = "lock-balance"
FILLER = "".join(f"\tgadget_step(g, {i});\n" for i in range(8))


def _function(body: str) -> str:
    return f"// SPDX-License-Identifier: GPL-2.0\n\nstatic int gadget_op(struct gadget *g)\n{{\n{body}}}\n"


BEFORE = _function(
    "\tint ret = 0;\n\n\tmutex_lock(&g->lock);\n"
    + FILLER
    + "\tif (g->dead) {\n\t\tret = -ENODEV;\n\t\tgoto out;\n\t}\n\tgadget_touch(g);\n"
    + FILLER
    + "out:\n\tmutex_unlock(&g->lock);\n\treturn ret;\n"
)


def _review(tmp_path: Path, before: str, after: str, **kw: object):
    for side, text in (("a", before), ("b", after)):
        dst = tmp_path / side / "drivers" / "gadget.c"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text)
    diff = subprocess.run(
        ["git", "diff", "--no-index", "--no-prefix", "a/drivers/gadget.c", "b/drivers/gadget.c"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    assert "@@" in diff
    patch = tmp_path / "p.patch"
    patch.write_text("From: T <t@example.org>\nSubject: [PATCH] gadget\n\n---\n" + diff)
    res = review(load(str(patch)), rules=[RULE], **kw)
    return [f for f in res.findings if f.rule == RULE], res.stats


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_release_before_goto_to_a_neutral_label_says_what_it_could_not_see(tmp_path: Path) -> None:
    after = _edit(
        BEFORE,
        "\t\tret = -ENODEV;\n\t\tgoto out;\n",
        "\t\tret = -ENODEV;\n\t\tmutex_unlock(&g->lock);\n\t\tgoto out;\n",
    )
    found, _stats = _review(tmp_path, BEFORE, after)
    assert len(found) == 1, found
    f = found[0]
    assert f.severity.name.lower() == "warning"
    assert f.extra["prepost"] and f.extra["lock"] == "g->lock"
    assert "before `goto out`" in f.message and "if the code there releases it" in f.message
    assert f.line == after.split("\n").index("\t\tmutex_unlock(&g->lock);") + 1


def test_goto_to_return_skips_the_label(tmp_path: Path) -> None:
    """A label named for unlocking is missed for sure; a neutral one is a guess: counted, not reported."""
    named = BEFORE.replace("goto out;", "goto out_unlock;").replace("out:\n", "out_unlock:\n")
    after = _edit(named, "\t\tret = -ENODEV;\n\t\tgoto out_unlock;\n", "\t\tret = -ENODEV;\n\t\treturn ret;\n")
    found, _stats = _review(tmp_path / "named", named, after)
    assert [f.extra.get("kind") for f in found] == ["skipped-unseen"], found
    assert "out_unlock:" in found[0].message
    after = _edit(BEFORE, "\t\tret = -ENODEV;\n\t\tgoto out;\n", "\t\tret = -ENODEV;\n\t\treturn ret;\n")
    found, stats = _review(tmp_path / "neutral", BEFORE, after)
    assert found == [], found
    assert any("unseen-label-unnamed" in k for k in stats), stats


def test_moved_release_is_reported_on_the_exit_with_the_pre_image_line(tmp_path: Path) -> None:
    after = _edit(BEFORE, "\tmutex_unlock(&g->lock);\n\treturn ret;\n", "\treturn ret;\n\tmutex_unlock(&g->lock);\n")
    found, _stats = _review(tmp_path, BEFORE, after)
    ret_line = after.split("\n").index("\treturn ret;") + 1
    pre_release = BEFORE.split("\n").index("\tmutex_unlock(&g->lock);") + 1
    assert any(
        f.line == ret_line and f"released it at {pre_release}" in f.message and f.severity.name.lower() == "error"
        for f in found
    ), found


def test_fixes_and_neutral_edits_stay_quiet(tmp_path: Path) -> None:
    cases = [
        # a new error path through the label that releases
        _edit(BEFORE, "\tgadget_touch(g);\n", "\tif (gadget_stale(g))\n\t\tgoto out;\n\tgadget_touch(g);\n"),
        # the error path now goes to another label named for unlocking (a typical fix)
        _edit(BEFORE, "\t\tgoto out;\n", "\t\tgoto out_unlock;\n"),
        # a statement under the lock
        _edit(BEFORE, "\tgadget_touch(g);\n", "\tgadget_touch(g);\n\tsmp_mb();\n"),
    ]
    for i, after in enumerate(cases):
        found, _stats = _review(tmp_path / str(i), BEFORE, after)
        assert not found, (i, found)


def test_missing_unlock_added_before_return_is_a_fix(tmp_path: Path) -> None:
    before = _function(
        "\tspin_lock(&g->slock);\n"
        + FILLER
        + "\tif (g->dead)\n\t\treturn -ENODEV;\n\tg->users++;\n"
        + FILLER
        + "\tspin_unlock(&g->slock);\n\treturn 0;\n"
    )
    after = _edit(
        before,
        "\tif (g->dead)\n\t\treturn -ENODEV;\n",
        "\tif (g->dead) {\n\t\tspin_unlock(&g->slock);\n\t\treturn -ENODEV;\n\t}\n",
    )
    found, stats = _review(tmp_path, before, after)
    assert not found, found
    assert stats.get(f"{RULE}.prepost-release-added", 0) >= 1


def test_an_unknown_helper_replacing_the_release_is_counted_not_reported(tmp_path: Path) -> None:
    after = _edit(BEFORE, "\tmutex_unlock(&g->lock);\n\treturn ret;\n", "\tgadget_unlock_all(g);\n\treturn ret;\n")
    found, stats = _review(tmp_path, BEFORE, after)
    assert not found, found
    assert stats.get(f"{RULE}.prepost-unclear-call", 0) >= 1


def test_whole_pre_image_is_left_to_the_lock_analysis(tmp_path: Path) -> None:
    after = _edit(BEFORE, "\t\tret = -ENODEV;\n\t\tgoto out;\n", "\t\tret = -ENODEV;\n\t\treturn ret;\n")
    tree = tmp_path / "tree" / "drivers"
    tree.mkdir(parents=True)
    (tree / "gadget.c").write_text(BEFORE)
    found, _stats = _review(tmp_path, BEFORE, after, tree=str(tmp_path / "tree"))
    assert found and not any(f.extra.get("prepost") for f in found), found


LABELLED = _function(
    "\tint ret;\n\n\tmutex_lock(&g->lock);\n\tret = gadget_prepare(g);\n\tif (ret)\n\t\tgoto out_unlock;\n"
    + FILLER
    + "out_unlock:\n"
    + FILLER
    + "\tmutex_unlock(&g->lock);\n\treturn ret;\n"
)


def test_hunk_named_after_a_label_is_still_a_function(tmp_path: Path) -> None:
    """git's default funcname (no ``diff=cpp``) names this hunk ``out_unlock:``: the deleted
    release is still reported, on the return, in a function the report says it could not name."""
    after = _edit(LABELLED, "\tmutex_unlock(&g->lock);\n", "")
    found, _stats = _review(tmp_path / "bug", LABELLED, after)
    assert len(found) == 1, found
    assert found[0].line == after.split("\n").index("\treturn ret;") + 1
    assert found[0].function is not None and "out_unlock:" in found[0].function
    said = function_phrase(found[0].function)
    assert said == "the function with the label out_unlock: (its name is not in the patch)", said
    quiet = _edit(LABELLED, "\tmutex_unlock(&g->lock);\n", "\tgadget_note(g);\n\tmutex_unlock(&g->lock);\n")
    found, _stats = _review(tmp_path / "ok", LABELLED, quiet)
    assert found == []


def test_hunk_starting_in_a_then_branch_is_compared(tmp_path: Path) -> None:
    """The hunk's ``else`` has no visible ``if``: a plain else-body does not stop the comparison."""
    before = _function(
        "\tmutex_lock(&g->lock);\n"
        + FILLER
        + "\tif (g->flags)\n\t\tg->state |= 1;\n\telse\n\t\tg->state &= ~1;\n"
        + "\tmutex_unlock(&g->lock);\n\n\tgadget_note(g);\n"
    )
    after = _edit(before, "\tmutex_unlock(&g->lock);\n", "")
    found, _stats = _review(tmp_path / "bug", before, after)
    assert [f.extra.get("kind") for f in found] == ["lost-release"], found
    assert found[0].line == len(after.split("\n")) - 1  # the closing brace, where it leaks (item 5)
    quiet = _edit(before, "\t\tg->state &= ~1;\n", "\t\tg->state &= ~3;\n")
    found, stats = _review(tmp_path / "ok", before, quiet)
    assert found == [] and not stats.get(f"{RULE}.prepost-parse-error"), stats


def test_renamed_local_in_the_return_is_the_same_exit(tmp_path: Path) -> None:
    """The release is in unseen code between two hunks of a rename: what the pre-image analysis
    said of ``return ret`` it says of ``return ret_val``, so the rename adds nothing."""
    before = _function(
        "\tint ret;\n\n\tret = gadget_prepare(g);\n\tif (ret < 0)\n\t\tgoto error;\n\n\tmutex_lock(&g->lock);\n"
        "\tret = gadget_update(g);\n" + FILLER + "\tmutex_unlock(&g->lock);\n" + FILLER + "error:\n\treturn ret;\n"
    )
    after = re.sub(r"\bret\b", "ret_val", before)
    found, _stats = _review(tmp_path, before, after)
    assert found == [], found
    leak = _edit(after, "\treturn ret_val;\n", "\tspin_lock(&g->slock);\n\treturn ret_val;\n")
    found, _stats = _review(tmp_path / "bug", before, leak)  # a lock the patch takes is still judged
    assert found and all(f.line == leak.split("\n").index("\treturn ret_val;") + 1 for f in found), found
