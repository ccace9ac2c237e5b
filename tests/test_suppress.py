"""``/* reviewkit: ignore RULE */`` in the code a series adds: silences that rule on that line only."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from gitrepo import REVIEWKIT, clean_env

from reviewkit.review.suppress import ids_in

CODE = """\
// SPDX-License-Identifier: GPL-2.0
struct gadget_queue;

static unsigned int gadget_count(struct gadget *g)
{
	struct gadget_queue *q;@HERE@
	unsigned int total = 0;
@ABOVE@	struct gadget_queue *b;

	q = g->queues;
	b = g->backlog;
	total = q->pending + b->pending;
	return total;
}
"""


def code(here: str = "", above: str = "") -> str:
    return CODE.replace("@HERE@", here).replace("@ABOVE@", above)


def new_file_patch(path: str, code: str) -> str:
    """A one-patch series adding ``path`` with ``code`` (hunk counts computed, never hand-written)."""
    lines = code.rstrip("\n").split("\n")
    body = "".join(f"+{ln}\n" for ln in lines)
    return (
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: Test Author <author@example.org>\n"
        "Date: Mon, 2 Mar 2026 10:00:00 +0000\n"
        "Subject: [PATCH] gadget: count pending requests\n\n"
        "Count them.\n\nSigned-off-by: Test Author <author@example.org>\n---\n"
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def _check(tmp_path: Path, code: str, *extra: str) -> subprocess.CompletedProcess[str]:
    patch = tmp_path / "0001-gadget.patch"
    patch.write_text(new_file_patch("drivers/misc/gadget.c", code))
    return subprocess.run(
        [*REVIEWKIT, "check", "--no-repo", str(patch), *extra],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )


def _json(tmp_path: Path, code: str) -> tuple[dict, str]:
    proc = _check(tmp_path, code, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout), proc.stderr


def _lines(doc: dict) -> list[tuple[str, int]]:
    return [(f["rule"], f["line"]) for f in doc["findings"]]


def test_both_locals_are_flagged_without_comments(tmp_path: Path) -> None:
    doc, _ = _json(tmp_path, code(here="", above=""))
    assert _lines(doc) == [("short-identifier", 6), ("short-identifier", 8)]
    assert doc["stats"]["suppressed"] == 0 and doc["stats"]["suppressions"] == []


def test_comment_on_the_line_silences_that_line_only(tmp_path: Path) -> None:
    doc, _ = _json(tmp_path, code(here=" /* reviewkit: ignore short-identifier */", above=""))
    assert _lines(doc) == [("short-identifier", 8)]
    assert doc["stats"]["suppressed"] == 1
    [gone] = doc["stats"]["suppressions"]
    assert (gone["rule"], gone["file"], gone["line"]) == ("short-identifier", "drivers/misc/gadget.c", 6)


def test_comment_line_above_silences_the_next_line(tmp_path: Path) -> None:
    above = "\t// reviewkit: ignore short-identifier -- mirrors the hardware's names\n"
    doc, _ = _json(tmp_path, code(here="", above=above))
    assert _lines(doc) == [("short-identifier", 6)]
    assert doc["stats"]["suppressed"] == 1


def test_another_rules_id_silences_nothing(tmp_path: Path) -> None:
    doc, _ = _json(tmp_path, code(here=" /* reviewkit: ignore lock-balance */", above=""))
    assert _lines(doc) == [("short-identifier", 6), ("short-identifier", 8)]
    assert doc["stats"]["suppressed"] == 0


def test_unknown_id_is_a_note_with_did_you_mean(tmp_path: Path) -> None:
    proc = _check(tmp_path, code(here=" /* reviewkit: ignore short-identfier */", above=""))
    assert proc.returncode == 0  # info findings do not fail the run
    assert "drivers/misc/gadget.c:6: 'reviewkit: ignore short-identfier': no such rule" in proc.stderr
    assert "did you mean 'short-identifier'?" in proc.stderr
    assert "drivers/misc/gadget.c:6: info: [short-identifier]" in proc.stdout  # a typo silences nothing


def test_text_summary_counts_suppressed(tmp_path: Path) -> None:
    proc = _check(tmp_path, code(here=" /* reviewkit: ignore short-identifier */", above=""))
    assert proc.stdout.rstrip().splitlines()[-1] == (
        "reviewkit: 1 patch, 1 file: 0 errors, 0 warnings, 1 info (1 suppressed by comments)"
    )


def test_a_comment_in_the_commit_message_silences_nothing(tmp_path: Path) -> None:
    """Only the post-image counts: a series cannot silence a finding from its commit message."""
    patch = new_file_patch("drivers/misc/gadget.c", code()).replace(
        "Count them.\n", "Count them.\n\n\t/* reviewkit: ignore short-identifier */\n"
    )
    (tmp_path / "x.patch").write_text(patch)
    proc = subprocess.run(
        [*REVIEWKIT, "check", "--no-repo", "-f", "json", "x.patch"], cwd=tmp_path, capture_output=True, text=True
    )
    assert [f["line"] for f in json.loads(proc.stdout)["findings"]] == [6, 8]


MODIFY = "".join(
    line + "\n"
    for line in (
        "diff --git a/drivers/misc/gadget.c b/drivers/misc/gadget.c",
        "index 1111111..2222222 100644",
        "--- a/drivers/misc/gadget.c",
        "+++ b/drivers/misc/gadget.c",
        "@@ -10,5 +10,6 @@ static unsigned int gadget_count(struct gadget *g)",
        " {",
        " \tunsigned int total = 0;",
        "-\t/* reviewkit: ignore short-identifier */",
        "+\tstruct gadget_queue *q;",
        " ",
        "+\tq = g->queues;",
        " \treturn total;",
    )
)


def test_a_comment_on_a_removed_line_silences_nothing(tmp_path: Path) -> None:
    head = new_file_patch("x", "x").split("diff --git", 1)[0]
    (tmp_path / "m.patch").write_text(head + MODIFY)
    proc = subprocess.run(
        [*REVIEWKIT, "check", "--no-repo", "-f", "json", "m.patch"], cwd=tmp_path, capture_output=True, text=True
    )
    doc = json.loads(proc.stdout)
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("short-identifier", 12)]
    assert doc["stats"]["suppressed"] == 0


@pytest.mark.parametrize(
    ("line", "ids"),
    [
        ("\tx = 1; /* reviewkit: ignore lock-balance */", ["lock-balance"]),
        ("\t/* reviewkit: ignore lock-balance, teardown-order -- why */", ["lock-balance", "teardown-order"]),
        ("\t// reviewkit: ignore short-identifier: a reason", ["short-identifier"]),
        ("\t/* reviewkit ignores nothing here */", []),
        ('\tpr_info("reviewkit: ignore lock-balance");', []),
    ],
)
def test_comment_forms(line: str, ids: list[str]) -> None:
    assert ids_in(line) == ids


def test_explain_shows_how_to_silence(tmp_path: Path) -> None:
    proc = subprocess.run([*REVIEWKIT, "explain", "lock-balance"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0
    assert "/* reviewkit: ignore lock-balance */" in proc.stdout


# --------------------------------------------------------------------------
# scan: whole files honour the same comments (every line of a file is code after the change)


def _scan(tmp_path: Path, files: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return subprocess.run(
        [*REVIEWKIT, "scan", "--rule", "short-identifier", "-j", "1", *extra, *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")),
        timeout=120,
    )


def _scan_json(tmp_path: Path, files: dict[str, str], *extra: str) -> dict:
    proc = _scan(tmp_path, files, "-f", "json", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_scan_honours_a_comment_on_the_line_and_above(tmp_path: Path) -> None:
    above = "\t/* reviewkit: ignore short-identifier -- the hardware's names */\n"
    doc = _scan_json(
        tmp_path,
        {"here.c": code(here=" /* reviewkit: ignore short-identifier */"), "above.c": code(above=above)},
    )
    assert sorted((f["file"], f["line"]) for f in doc["findings"]) == [("above.c", 6), ("here.c", 8)]
    assert doc["stats"]["suppressed"] == 2
    assert sorted((s["file"], s["line"]) for s in doc["stats"]["suppressions"]) == [("above.c", 9), ("here.c", 6)]


def test_scan_without_comments_or_with_another_rules_id_reports_both(tmp_path: Path) -> None:
    doc = _scan_json(tmp_path, {"plain.c": code(), "other.c": code(here=" /* reviewkit: ignore lock-balance */")})
    assert sorted((f["file"], f["line"]) for f in doc["findings"]) == [
        ("other.c", 6),
        ("other.c", 8),
        ("plain.c", 6),
        ("plain.c", 8),
    ]
    assert doc["stats"]["suppressed"] == 0


def test_scan_text_counts_suppressed_and_notes_an_unknown_id(tmp_path: Path) -> None:
    ok, typo = " /* reviewkit: ignore short-identifier */", " /* reviewkit: ignore short-identfier */"
    proc = _scan(tmp_path, {"ok.c": code(here=ok), "typo.c": code(here=typo)})
    assert proc.returncode == 0, proc.stderr
    assert "ok.c:6:" not in proc.stdout and "ok.c:8: info: [short-identifier]" in proc.stdout
    assert "typo.c:6: info: [short-identifier]" in proc.stdout  # a typo silences nothing
    assert "typo.c:6: 'reviewkit: ignore short-identfier': no such rule" in proc.stderr
    assert "did you mean 'short-identifier'?" in proc.stderr
    assert proc.stdout.rstrip().endswith("3 findings (1 suppressed by comments)")


def test_scan_replayed_from_the_cache_still_honours_the_comment(tmp_path: Path) -> None:
    files = {"here.c": code(here=" /* reviewkit: ignore short-identifier */")}
    first = _scan_json(tmp_path, files)
    again = _scan_json(tmp_path, files)
    assert first["stats"]["cached"] == 0 and again["stats"]["cached"] == 1
    assert [(f["file"], f["line"]) for f in again["findings"]] == [("here.c", 8)]
    assert again["stats"]["suppressed"] == 1
