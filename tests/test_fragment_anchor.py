"""Fragment mode: a lock finding sits on the line that leaks, never on an unchanged line above it.

When a hunk ends inside a block (a loop body, an ``if``), the rest of the
function is unseen.  A path that leaves that block (the loop ends, the
condition is false) reaches the unseen rest, not the closing brace: it must
not become "the function ends after <the loop's header>", an unchanged line
that says nothing about what the patch did.  The patches are made here
with difflib (3 lines of context, as git makes them) from synthetic code.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from reviewkit.load.series import load
from reviewkit.review.pipeline import review

PATH = "drivers/misc/widget.c"


def _function(body: list[str]) -> list[str]:
    head = ["// SPDX-License-Identifier: GPL-2.0", "#include <linux/spinlock.h>", ""]
    head += [f"/* filler {n} */" for n in range(20)]
    head += ["static int widget_sum(struct widget *w)", "{", "\tstruct item *it;", "\tint sum = 0;", ""]
    return head + body + ["\treturn sum;", "}", ""]


LOOP = [
    "\tspin_lock(&w->lock);",
    "\tlist_for_each_entry(it, &w->items, node) {",
    "\t\tif (it->val < 0)",
    "\t\t\tcontinue;",
    "\t\tsum += it->val;",
    "\t\tit->val = 0;",
    "\t\tif (sum > 1000)",
    "\t\t\tbreak;",
    "\t\tsum++;",
    "\t\tsum++;",
    "\t}",
    "\tw->total = sum;",
    "\tspin_unlock(&w->lock);",
]
IF_BLOCK = [
    "\tspin_lock(&w->lock);",
    "\tif (w->total) {",
    "\t\tsum = w->total;",
    "\t\tw->total = 0;",
    "\t\tsum++;",
    "\t\tsum++;",
    "\t\tsum++;",
    "\t\tsum++;",
    "\t}",
    "\tw->count = sum;",
    "\tspin_unlock(&w->lock);",
]
NEW_RETURN = ["\t\tif (sum > 100000)", "\t\t\treturn -EOVERFLOW;"]


def _patch(tmp_path: Path, before: list[str], after: list[str]) -> Path:
    diff = difflib.unified_diff(
        [ln + "\n" for ln in before], [ln + "\n" for ln in after], f"a/{PATH}", f"b/{PATH}", n=3
    )
    # git names the enclosing function on each hunk header; difflib does not
    text = "".join(ln.replace(" @@\n", " @@ static int widget_sum(struct widget *w)\n") for ln in diff)
    patch = tmp_path / "bad.patch"
    patch.write_text(f"diff --git a/{PATH} b/{PATH}\n" + text, "utf-8")
    return patch


@pytest.mark.parametrize(
    ("body", "insert_at"),
    [(LOOP, 2), (LOOP, 3), (IF_BLOCK, 2), (IF_BLOCK, 3)],
    ids=["loop-top", "loop-after-if", "if-top", "if-second"],
)
def test_lock_finding_sits_on_the_new_exit(tmp_path: Path, body: list[str], insert_at: int) -> None:
    before = _function(body)
    at = before.index(body[0]) + insert_at
    after = before[:at] + NEW_RETURN + before[at:]
    found = review(load(str(_patch(tmp_path, before, after)))).findings
    locks = [f for f in found if f.rule == "lock-balance"]
    returning = after.index("\t\t\treturn -EOVERFLOW;") + 1
    assert [f.line for f in locks] == [returning], [f.message for f in locks]
    assert "when returning at" in locks[0].message


@pytest.mark.parametrize("body", [LOOP, IF_BLOCK], ids=["loop", "if"])
def test_a_statement_added_in_the_open_block_stays_quiet(tmp_path: Path, body: list[str]) -> None:
    """The unseen rest of the function releases the lock: a path leaving the block is no leak."""
    before = _function(body)
    at = before.index(body[0]) + 2
    after = [*before[:at], "\t\tsum += 2;", *before[at:]]
    found = review(load(str(_patch(tmp_path, before, after)))).findings
    assert [f for f in found if f.rule == "lock-balance"] == []
