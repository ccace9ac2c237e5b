"""The one renderer and parser of fix diffs: golden output on a small view, and render -> parse -> render."""

from __future__ import annotations

import pytest

from reviewkit.fixes.diff import CONTEXT, DiffError, fix_from_diff, hunks, parse, render, runs
from reviewkit.fixes.edits import edit_on_lines, edit_on_text, edit_on_view, merge_edits
from reviewkit.model import Applicability, Edit, Fix
from reviewkit.views.source import FileView, Line

POST = [
    "static int gadget_probe(struct gadget *g)",  # 10
    "{",
    "\tint err;",
    "",
    "\terr = gadget_init(g);",
    "\tif (err)",  # 15
    "\t\treturn err;",
    "\tgadget_enable(g);",
    "\tgadget_count++;",
    "\treturn 0;",
    "}",  # 20
]


def _view() -> FileView:
    """A fragment view showing post-image lines 10-20 of drivers/misc/gadget.c."""
    lines = [Line(n, text, False, 0) for n, text in enumerate(POST, 10)]
    return FileView("drivers/misc/gadget.c", "drivers/misc/gadget.c", None, lines, [])  # type: ignore[arg-type]


def test_golden_replacement_with_symmetric_context() -> None:
    fix = Fix("Check the enable", (edit_on_view(_view(), 17, 18, ("\terr = gadget_enable(g);", "\tif (err)")),))
    assert render(fix) == (
        "--- a/drivers/misc/gadget.c\n"
        "+++ b/drivers/misc/gadget.c\n"
        "@@ -14,7 +14,8 @@\n"
        " \terr = gadget_init(g);\n"
        " \tif (err)\n"
        " \t\treturn err;\n"
        "-\tgadget_enable(g);\n"
        "+\terr = gadget_enable(g);\n"
        "+\tif (err)\n"
        " \tgadget_count++;\n"
        " \treturn 0;\n"
        " }\n"
    )


def test_golden_context_is_cut_to_the_shorter_side() -> None:
    # line 20 is the last visible line: no trailing context, so no leading context either
    fix = Fix("Drop the brace", (edit_on_view(_view(), 20, 21, ()),))
    assert render(fix) == "--- a/drivers/misc/gadget.c\n+++ b/drivers/misc/gadget.c\n@@ -20,1 +20,0 @@\n-}\n"


def test_golden_insertion_and_nearby_edits_share_a_hunk() -> None:
    view = _view()
    fix = Fix(
        "Two nearby edits",
        (edit_on_view(view, 14, 14, ("\t/* bring it up */",)), edit_on_view(view, 18, 19, ())),
    )
    assert render(fix) == (
        "--- a/drivers/misc/gadget.c\n"
        "+++ b/drivers/misc/gadget.c\n"
        "@@ -12,9 +12,9 @@\n"
        " \tint err;\n"
        " \n"
        "+\t/* bring it up */\n"
        " \terr = gadget_init(g);\n"
        " \tif (err)\n"
        " \t\treturn err;\n"
        " \tgadget_enable(g);\n"
        "-\tgadget_count++;\n"
        " \treturn 0;\n"
        " }\n"
    )


def test_edits_far_apart_get_their_own_hunks_and_shifted_headers() -> None:
    lines = {n: f"line {n}" for n in range(1, 40)}
    fix = Fix(
        "Far apart",
        (edit_on_lines("a.c", lines, 5, 5, ("new a", "new b")), edit_on_lines("a.c", lines, 30, 31, ("changed",))),
    )
    (file,) = hunks(fix).values()
    assert [(h.old_start, h.old_len, h.new_start, h.new_len) for h in file] == [(2, 6, 2, 8), (27, 7, 29, 7)]


def test_short_reach_keeps_edits_apart() -> None:
    lines = {n: f"line {n}" for n in range(1, 40)}
    gap = 2 * CONTEXT  # six unchanged lines between the edits
    near = [edit_on_lines("a.c", lines, n, n + 1, (f"renamed {n}",)) for n in (10, 11 + gap)]
    kept_apart = [edit_on_lines("a.c", lines, e.start, e.end, e.lines, reach=gap - 1) for e in near]
    assert len(hunks(Fix("t", tuple(near)))["a.c"]) == 1
    assert len(hunks(Fix("t", tuple(kept_apart)))["a.c"]) == 2


def test_the_end_of_a_file_is_not_a_line() -> None:
    edit = edit_on_text("x.c", "int a;\nint b;\nint c;\n", 3, 4, ("int d;",))
    assert render(Fix("t", (edit,))) == "--- a/x.c\n+++ b/x.c\n@@ -3,1 +3,1 @@\n-int c;\n+int d;\n"


@pytest.mark.parametrize(
    "edits",
    [
        [(17, 18, ("\terr = gadget_enable(g);", "\tif (err)"))],
        [(20, 21, ())],
        [(14, 14, ("\t/* bring it up */",)), (18, 19, ())],
        [(12, 13, ("\tint ret;",)), (13, 14, ("\t/* blank */",))],  # adjacent: one change run
        [(10, 10, ("/* header */", "")), (19, 20, ("\treturn err;",))],
    ],
)
def test_render_parse_round_trip(edits: list[tuple[int, int, tuple[str, ...]]]) -> None:
    view = _view()
    fix = Fix("t", tuple(edit_on_view(view, s, e, new) for s, e, new in edits), Applicability.UNSAFE)
    text = render(fix)
    again = Fix("t", tuple(parse(text)), Applicability.UNSAFE)
    assert render(again) == text
    # the parsed edits are the fix's edits, at the same places with the same texts
    assert [(e.path, e.start, e.end, e.lines, e.old) for e in again.edits] == [
        (e.path, e.start, e.end, e.lines, e.old) for e in fix.edits
    ]
    assert runs(again) == runs(fix)


def test_adjacent_edits_are_one_run_for_formats() -> None:
    view = _view()
    fix = Fix("t", (edit_on_view(view, 12, 13, ("\tint ret;",)), edit_on_view(view, 13, 14, ("",))))
    assert [(e.start, e.end, e.lines) for e in runs(fix)] == [(12, 14, ("\tint ret;", ""))]


def test_multi_file_round_trip_keeps_the_file_order() -> None:
    text = (
        "--- a/include/gadget.h\n+++ b/include/gadget.h\n@@ -4,0 +4,1 @@\n+int gadget_enable(struct gadget *g);\n"
        "--- a/drivers/gadget.c\n+++ b/drivers/gadget.c\n@@ -1,3 +1,3 @@\n x\n-y\n+z\n w\n"
    )
    fix = fix_from_diff("Both", text)
    assert [e.path for e in fix.edits] == ["include/gadget.h", "drivers/gadget.c"]
    assert fix.edits[0] == Edit("include/gadget.h", 5, 5, ("int gadget_enable(struct gadget *g);",))
    assert fix.edits[1] == Edit("drivers/gadget.c", 2, 3, ("z",), ("y",), ("x",), ("w",))
    assert render(fix) == text


def test_json_keeps_its_shape() -> None:
    fix = fix_from_diff("Drop y", "--- a/a.c\n+++ b/a.c\n@@ -2,1 +2,0 @@\n-y\n", Applicability.DISPLAY)
    assert fix.to_json() == {
        "title": "Drop y",
        "diff": "--- a/a.c\n+++ b/a.c\n@@ -2,1 +2,0 @@\n-y\n",
        "safety": "display",
        "verified": False,
    }


@pytest.mark.parametrize("text", ["this is not a diff\n", "", "--- a/a.c\n+++ b/a.c\n@@ -1,2 +1,2 @@\n-x\n"])
def test_garbage_does_not_parse(text: str) -> None:
    with pytest.raises(DiffError):
        parse(text)


def test_merge_concatenates_insertions_and_rejects_overlaps() -> None:
    a = [Edit("a.c", 5, 5, ("one",))]
    b = [Edit("a.c", 5, 5, ("two",)), Edit("a.c", 8, 9, ())]
    c = [Edit("a.c", 8, 10, ("clash",))]
    merged, rejected = merge_edits([a, b, c])
    assert [(e.start, e.end, e.lines) for e in merged] == [(5, 5, ("one", "two")), (8, 9, ())]
    assert rejected == [2]
