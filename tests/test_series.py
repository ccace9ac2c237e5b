"""Loading real and synthetic series: mbox, thread, .patch, directory, stdin, git."""

from __future__ import annotations

import base64
import quopri
import subprocess
from pathlib import Path

import pytest

from reviewkit.load.series import load, load_git_range, parse_subject, split_mbox
from reviewkit.views.build import file_views

SIMPLE_DIFF = """\
diff --git a/lib/demo.c b/lib/demo.c
index 1111111..2222222 100644
--- a/lib/demo.c
+++ b/lib/demo.c
@@ -1,4 +1,5 @@
 int demo(void)
 {
+\tint ret = 0;
 \treturn 0;
 }
"""


def _message(
    subject: str,
    body: str,
    *,
    sep: str = "From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001",
    headers: str = "",
) -> str:
    return (
        f"{sep}\nFrom: Ann Author <ann@example.org>\nDate: Tue, 3 Mar 2026 09:00:00 +0000\n"
        f"Subject: {subject}\nMessage-Id: <{abs(hash(subject))}@example.org>\n{headers}\n{body}"
    )


def _patch_body(msg: str = "Add a return value.") -> str:
    return f"{msg}\n\nSigned-off-by: Ann Author <ann@example.org>\n---\n lib/demo.c | 1 +\n\n{SIMPLE_DIFF}-- \n2.43.0\n"


@pytest.mark.parametrize(
    ("raw", "version", "index", "total", "reply"),
    [
        ("[PATCH v3 7/7] mm: switch", 3, 7, 7, False),
        ("[RFC PATCH 0/5] mm: cover", 1, 0, 5, False),
        ("[PATCHv2 03/10] net: thing", 2, 3, 10, False),
        ("[PATCH net-next v4 1/2] net: thing", 4, 1, 2, False),
        ("Re: [PATCH v3 7/7] mm: switch", 3, 7, 7, True),
        ("RE: Re: [PATCH] fix", 1, 1, 1, True),
    ],
)
def test_parse_subject_like_b4(raw: str, version: int, index: int, total: int, reply: bool) -> None:
    s = parse_subject(raw)
    assert (s.version, s.index, s.total, s.is_reply) == (version, index, total, reply)
    assert not s.title.startswith("[")


def test_seed_loads_as_one_patch_nine_files(seed_mbox: Path) -> None:
    series = load(str(seed_mbox))
    assert len(series.patches) == 1
    patch = series.patches[0]
    assert (patch.version, patch.index, patch.total) == (3, 7, 7)
    assert len(patch.patchset) == 9
    assert (patch.patchset.added, patch.patchset.removed) == (151, 301)
    assert patch.author_name == "Johannes Weiner"
    assert ("Signed-off-by", "Johannes Weiner <hannes@cmpxchg.org>") in patch.trailers
    assert "test_shrinker_bit" in patch.commit_message
    assert "diff --git" not in patch.commit_message
    assert any("incomplete" in w for w in series.warnings)


def test_thread_gives_same_patch_and_thirteen_replies(seed_mbox: Path, thread_mbox: Path) -> None:
    single = load(str(seed_mbox)).patches[0]
    thread = load(str(thread_mbox))
    assert len(thread.patches) == 1
    assert thread.patches[0].diff_text == single.diff_text
    assert len(thread.replies) == 13
    assert all(r.subject.is_reply for r in thread.replies)


def test_patch_lines_point_into_the_input_file(seed_mbox: Path) -> None:
    patch = load(str(seed_mbox)).patches[0]
    raw = seed_mbox.read_text("utf-8").split("\n")
    checked = 0
    for pf in patch.patchset:
        for hunk in pf:
            for line in hunk:
                if line.line_type in "+- ":
                    assert raw[patch.input_line(line.diff_line_no) - 1] == line.line_type + line.value.rstrip("\n")
                    checked += 1
    assert checked > 400


def test_every_changed_function_of_huge_memory_is_found(seed_mbox: Path) -> None:
    patch = load(str(seed_mbox)).patches[0]
    view = next(v for v in file_views(patch) if v.path == "mm/huge_memory.c")
    post = {fv.name for fv in view.changed_functions("post")}
    pre = {fv.name for fv in view.changed_functions("pre")}
    assert {
        "thp_shrinker_init",
        "thp_shrinker_exit",
        "vma_alloc_anon_folio_pmd",
        "__folio_freeze_and_split_unmapped",
        "__folio_unqueue_deferred_split",
        "deferred_split_folio",
        "deferred_split_count",
        "deferred_split_isolate",
        "deferred_split_scan",
    } <= post
    # functions the patch deletes exist only in the pre-image
    assert {"split_queue_lock", "split_queue_lock_irqsave", "reparent_deferred_split_queue"} <= pre
    assert not {"split_queue_lock", "reparent_deferred_split_queue"} & post


def test_function_view_marks_gaps_and_visibility(seed_mbox: Path) -> None:
    patch = load(str(seed_mbox)).patches[0]
    view = next(v for v in file_views(patch) if v.path == "mm/huge_memory.c")
    fv = next(f for f in view.functions("post") if f.name == "__folio_freeze_and_split_unmapped")
    assert not fv.start_visible and not fv.end_visible
    assert fv.first_line == 3761 and fv.last_line == 3898
    assert fv.gaps and fv.gaps[0].after is None and fv.gaps[-1].before is None
    fn = fv.function
    assert fn is not None and fn.clean, "stitched fragment must parse clean"
    exit_fn = next(f for f in view.functions("post") if f.name == "thp_shrinker_exit")
    assert exit_fn.start_visible and exit_fn.end_visible and not exit_fn.gaps


def test_mboxrd_and_separators() -> None:
    data = (
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: a\n\n>From the start\n"
        b"From git@z Thu Jan  1 00:00:00 1970\nSubject: b\n\nx\n"
    )
    chunks = split_mbox(data)
    assert len(chunks) == 2
    assert b"\nFrom the start" in chunks[0][1]


def test_multi_patch_mbox_is_ordered_with_cover(tmp_path: Path) -> None:
    cover = _message("[PATCH v2 0/2] demo: cover", "This series does things.\n")
    p2 = _message("[PATCH v2 2/2] demo: second", _patch_body("Second."))
    p1 = _message("[PATCH v2 1/2] demo: first", _patch_body("First."))
    reply = _message("Re: [PATCH v2 1/2] demo: first", "> +\tint ret = 0;\nWhy?\n")
    f = tmp_path / "s.mbox"
    f.write_text(cover + p2 + reply + p1)
    series = load(str(f))
    assert [p.index for p in series.patches] == [1, 2]
    assert series.cover is not None and series.title == "demo: cover"
    assert len(series.replies) == 1
    assert series.warnings == []


def test_missing_patch_is_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "s.mbox"
    f.write_text(
        _message("[PATCH 1/3] demo: first", _patch_body()) + _message("[PATCH 3/3] demo: third", _patch_body())
    )
    series = load(str(f))
    assert len(series.patches) == 2
    assert any("2/3" in w for w in series.warnings)


def test_directory_of_patches(tmp_path: Path) -> None:
    (tmp_path / "0002-second.patch").write_text(_message("[PATCH 2/2] demo: second", _patch_body()))
    (tmp_path / "0001-first.patch").write_text(_message("[PATCH 1/2] demo: first", _patch_body()))
    (tmp_path / "notes.txt").write_text("not a patch")
    series = load(str(tmp_path))
    assert [p.subject.title for p in series.patches] == ["demo: first", "demo: second"]


@pytest.mark.parametrize("encoding", ["quoted-printable", "base64", "8bit-crlf"])
def test_transfer_encodings(tmp_path: Path, encoding: str) -> None:
    body = _patch_body("Fix caf\u00e9 handling.")
    if encoding == "quoted-printable":
        payload = quopri.encodestring(body.encode()).decode()
        headers = "Content-Transfer-Encoding: quoted-printable\nContent-Type: text/plain; charset=utf-8\n"
        text = _message("[PATCH] demo: qp", payload, headers=headers)
    elif encoding == "base64":
        payload = base64.encodebytes(body.encode()).decode()
        headers = "Content-Transfer-Encoding: base64\nContent-Type: text/plain; charset=utf-8\n"
        text = _message("[PATCH] demo: b64", payload, headers=headers)
    else:
        headers = "Content-Transfer-Encoding: 8bit\nContent-Type: text/plain; charset=utf-8\n"
        text = _message("[PATCH] demo: crlf", body, headers=headers).replace("\n", "\r\n")
    f = tmp_path / "p.patch"
    f.write_bytes(text.encode())
    patch = load(str(f)).patches[0]
    assert "caf\u00e9" in patch.commit_message
    assert patch.patchset.added == 1
    assert "\r" not in patch.diff_text


def test_bare_git_diff_is_one_patch(tmp_path: Path) -> None:
    f = tmp_path / "change.diff"
    f.write_text(SIMPLE_DIFF)
    series = load(str(f))
    assert len(series.patches) == 1 and series.patches[0].patchset.added == 1


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_git_range(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "ann@example.org")
    _git(repo, "config", "user.name", "Ann Author")
    (repo / "demo.c").write_text("int demo(void)\n{\n\treturn 0;\n}\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    for n in (1, 2):
        (repo / "demo.c").write_text(f"int demo(void)\n{{\n\tint x = {n};\n\treturn x;\n}}\n")
        _git(repo, "commit", "-qam", f"demo: change {n}")
    series = load_git_range("HEAD~2..HEAD", str(repo))
    assert [p.subject.title for p in series.patches] == ["demo: change 1", "demo: change 2"]
    assert [p.index for p in series.patches] == [1, 2]
