"""whitespace-noise on the blank line checkpatch asks for after declarations.

The block's declarations are read on the syntax tree (fixtures/whitespace-noise/
after-declarations.patch holds the quiet forms); here: the same blank line is still
reported where it does not end the declarations, in a real git diff.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from reviewkit.load.series import load
from reviewkit.review.pipeline import review

RULE = "whitespace-noise"
BEFORE = (
    "// SPDX-License-Identifier: GPL-2.0\n\nstatic int gadget_two(struct gadget *g)\n{\n"
    "\tint a = g->a;\n\tint b = g->b;\n\tint c;\n\n\tc = a + b;\n\tgadget_note(g);\n\treturn c;\n}\n"
)


def _found(tmp_path: Path, after: str) -> list[int]:
    for side, text in (("a", BEFORE), ("b", after)):
        dst = tmp_path / side / "drivers" / "gadget.c"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text)
    diff = subprocess.run(
        ["git", "diff", "--no-index", "--no-prefix", "a/drivers/gadget.c", "b/drivers/gadget.c"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    patch = tmp_path / "p.patch"
    patch.write_text("From: T <t@example.org>\nSubject: [PATCH] gadget\n\n---\n" + diff)
    return [f.line for f in review(load(str(patch)), rules=[RULE]).findings if f.rule == RULE]


def test_a_blank_line_between_two_declarations_is_reported(tmp_path: Path) -> None:
    after = BEFORE.replace("\tint a = g->a;\n", "\tint a = g->a;\n\n")
    assert _found(tmp_path, after) == [6]


def test_a_blank_line_between_two_statements_is_reported(tmp_path: Path) -> None:
    after = BEFORE.replace("\tc = a + b;\n", "\tc = a + b;\n\n")
    assert _found(tmp_path, after) == [10]
