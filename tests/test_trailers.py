"""The next version keeps what the thread gave: trailers, a link back, git's own diffstat.

Oracles are the real tools: ``git format-patch`` for the diffstat (in a
throwaway repository, after ``git am`` of what amend wrote) and ``b4 am -m``
for the patches, version, cover letter and follow-up trailers of a thread
(skipped when b4 is not installed: ``pip install -e '.[test-b4]'``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import _frobseries
import pytest
from _threads import two_versions

from reviewkit.fixes.amend import amend_series, change_line
from reviewkit.fixes.diffstat import diffstat
from reviewkit.load.series import load
from reviewkit.load.trailers import follow_ups, given_trailers
from reviewkit.review.pipeline import review

# --------------------------------------------------------------------------
# diffstat


def _stat_block(mail: str) -> str:
    """What format-patch wrote between ``---`` and the diff."""
    return mail[mail.index("\n---\n") + 5 : mail.index("\ndiff --git")]


def test_diffstat_matches_format_patch(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _frobseries.git(repo, "init", "-q", "-b", "main")
    deep = "drivers/a/very/long/directory/name/that/goes/on/and/on/file_with_a_long_name.h"
    _frobseries.write(
        repo,
        {
            "small.c": "".join(f"int s{i};\n" for i in range(10)),
            "big.c": "".join(f"int b{i};\n" for i in range(500)),
            deep: "x\n" * 5,
            "gone.c": "y\n" * 3,
        },
    )
    _frobseries.git(repo, "add", "-A")
    _frobseries.git(repo, "commit", "-qm", "base")
    _frobseries.write(
        repo,
        {
            "small.c": "".join(f"int s{i};\n" for i in range(9)) + "int z;\n",
            "big.c": "".join(f"int c{i};\n" for i in range(300)) + "".join(f"int b{i};\n" for i in range(400, 500)),
            deep: "x\n" * 4 + "q\n",
            "new.c": "n\n",
        },
    )
    (repo / "gone.c").unlink()
    _frobseries.git(repo, "add", "-A")
    _frobseries.git(repo, "commit", "-qm", "change")
    mail = _frobseries.git(repo, "format-patch", "--stdout", "-1").stdout.decode()
    assert diffstat(mail[mail.index("diff --git") :]) == _stat_block(mail)


def test_diffstat_of_the_seed_is_the_one_git_wrote(seed_mbox: Path) -> None:
    patch = load(str(seed_mbox)).patches[0]
    text = seed_mbox.read_text("utf-8")
    assert diffstat(patch.diff_text) == _stat_block(text)
    assert " include/linux/huge_mm.h    |   6 +-\n" in diffstat(patch.diff_text)


# --------------------------------------------------------------------------
# trailers and the link, through amend into a real repository


def _threaded_frob(tmp_path: Path) -> tuple[Path, Path]:
    repo, _mbox = _frobseries.build(tmp_path)
    _frobseries.git(repo, "checkout", "-q", "main")
    out = _frobseries.git(
        repo, "format-patch", "--stdout", "--thread=shallow", "--cover-letter", "--subject-prefix=PATCH v2", "HEAD~2"
    ).stdout.decode()
    _frobseries.git(repo, "checkout", "-q", "HEAD~2")
    out = out.replace("*** SUBJECT HERE ***", "frob: reserve pool").replace("*** BLURB HERE ***", "Reserve first.")
    series = load_text(tmp_path / "plain.mbox", out)
    cover_id = series.cover.message_id if series.cover else ""
    p2 = series.patches[1].message_id
    replies = [
        (
            "Mara Intainer <mara@example.org>",
            cover_id,
            "Re: [PATCH v2 0/2] frob: reserve pool",
            "> Reserve first.\n\nAcked-by: Mara Intainer <mara@example.org>\n",
        ),
        (
            "Rita Viewer <rita@example.org>",
            p2,
            "Re: [PATCH v2 2/2] frob: reserve in the users",
            "> Both users reserve pool space first.\n\nReviewed-by: Rita Viewer <rita@example.org>\n",
        ),
    ]
    for n, (who, parent, subject, body) in enumerate(replies):
        out += (
            f"\nFrom reviewkit Mon Sep 17 00:00:00 2001\nFrom: {who}\nDate: Mon, 2 Mar 2026 10:0{n}:00 +0000\n"
            f"Subject: {subject}\nMessage-Id: <reply{n}@example.org>\nIn-Reply-To: {parent}\n\n{body}"
        )
    thread = tmp_path / "thread.mbox"
    thread.write_text(out, "utf-8")
    return repo, thread


def load_text(path: Path, text: str):  # type: ignore[no-untyped-def]
    path.write_text(text, "utf-8")
    return load(str(path))


def test_amend_carries_thread_trailers_link_and_git_diffstat(tmp_path: Path) -> None:
    repo, thread = _threaded_frob(tmp_path)
    series = load(str(thread))
    fixes = [f.fix for f in review(series, rules=["helper-extraction"]).findings if f.fix and f.fix.verified]
    text = amend_series(series, fixes)
    out = tmp_path / "v3.mbox"
    out.write_text(text, "utf-8")
    cover_link = f"- Link to v2: https://patch.msgid.link/{series.cover.message_id.strip('<>')}"  # type: ignore[union-attr]
    assert cover_link in text and "`" not in text.split("diff --git")[0]
    mails = re.split(r"(?m)^(?=From reviewkit )", text)
    (tmp_path / "patches.mbox").write_text("".join(m for m in mails if "\ndiff --git" in m), "utf-8")
    _frobseries.git(repo, "am", "-q", str(tmp_path / "patches.mbox"))
    log = _frobseries.git(repo, "log", "--format=%B%x00", "-2").stdout.decode().split("\x00")
    patch2, patch1 = log[0], log[1]
    assert "Acked-by: Mara Intainer <mara@example.org>" in patch1 and "Reviewed-by" not in patch1
    assert patch2.strip().endswith(
        "Reviewed-by: Rita Viewer <rita@example.org>\nAcked-by: Mara Intainer <mara@example.org>"
    )
    # the diffstat of each amended patch is the one git writes for the commit it became
    written = [m for m in re.split(r"(?m)^From reviewkit ", text) if "\ndiff --git" in m]
    for n, mail in enumerate(written):
        git_mail = _frobseries.git(repo, "format-patch", "--stdout", "-1", f"HEAD~{1 - n}").stdout.decode()
        assert _stat_block(mail).split("\n\n")[-1] == _stat_block(git_mail)


def test_only_unquoted_trailers_count() -> None:
    body = "> Reviewed-by: Quoted Person <q@example.org>\n\nLooks good.\n\nTested-by: Me <me@example.org>\n-- \nMe\n"
    assert given_trailers(body) == [("Tested-by", "Me <me@example.org>")]


def test_change_lines_are_plain_text() -> None:
    assert change_line("Rename `l` to `lru_one` in  deferred_split_scan()") == (
        "- Rename l to lru_one in deferred_split_scan()\n"
    )


@pytest.mark.parametrize(
    ("title", "line"),
    [
        # what reviewkit could not see is a note to the reviewer, not a change the author made
        (
            "Guard `list_lru_init_memcg_key()` with mem_cgroup_disabled() at the call site (mm/list_lru.c not in view)",
            "Guard list_lru_init_memcg_key() with mem_cgroup_disabled() at the call site",
        ),
        # any aside, with code and parentheses of its own in it
        (
            "Add `folio_add_irq()` and call it (the declaration of `flags` is kept: lines (2) may use it)",
            "Add folio_add_irq() and call it",
        ),
        ("Return early (unsafe) when `memcg` is NULL", "Return early when memcg is NULL"),
        # parentheses of code stay: a call, and a condition inside backticks
        ("Call shrinker_free() before list_lru_destroy()", "Call shrinker_free() before list_lru_destroy()"),
        ("Brace `if (x) y();` as the other branch", "Brace if (x) y(); as the other branch"),
    ],
)
def test_change_lines_leave_out_the_tools_notes(title: str, line: str) -> None:
    assert change_line(title) == f"- {line}\n"


# --------------------------------------------------------------------------
# b4 as the oracle


def _b4() -> str:
    """The b4 command of the b4 package this interpreter imports: on PATH, else beside sys.executable
    (a venv's bin/, which CI runs without activating, so PATH does not have it)."""
    pytest.importorskip("b4", reason="b4 is not installed (pip install -e '.[test-b4]')")
    beside = Path(sys.executable).parent / "b4"
    exe = shutil.which("b4") or (str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None)
    if exe is None:
        pytest.skip(f"b4 is importable but has no command on PATH or in {beside.parent}")
    return exe


def test_b4_is_found_beside_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    """A venv's b4, PATH not set up for it (CI runs the venv's python directly): the oracle runs, not skips."""
    pytest.importorskip("b4", reason="b4 is not installed (pip install -e '.[test-b4]')")
    beside = Path(sys.executable).parent / "b4"
    if not beside.is_file():
        pytest.skip(f"b4 is installed elsewhere than {beside.parent}")
    monkeypatch.setenv("PATH", "/nonexistent")
    try:
        found = _b4()
    except pytest.skip.Exception as exc:
        pytest.fail(f"the b4 oracle tests would skip: {exc}")
    assert Path(found) == beside


def _b4_am(mbox: Path, out: Path) -> tuple[list[dict[str, object]], str | None]:
    """b4's patches (subject, diff, trailers) and cover letter text for ``mbox``, without the network."""
    env = {"HOME": str(out.parent), "PATH": "/usr/bin:/bin:" + str(Path(_b4()).parent), "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(
        [_b4(), "--offline-mode", "am", "-m", str(mbox), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=out.parent,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    mbx = next(out.glob("*.mbx"))
    patches = []
    for msg in load(str(mbx)).patches:
        patches.append({"subject": msg.subject.raw, "diff": msg.diff_text.strip(), "trailers": msg.trailers})
    covers = list(out.glob("*.cover"))
    return patches, covers[0].read_text("utf-8") if covers else None


@pytest.mark.parametrize("which", ["seed", "two-versions"])
def test_patches_version_cover_and_trailers_equal_b4(which: str, tmp_path: Path, thread_mbox: Path) -> None:
    _b4()
    mbox = thread_mbox if which == "seed" else two_versions(tmp_path)
    theirs, cover = _b4_am(mbox, tmp_path / "b4out")
    series = load(str(mbox))
    added = follow_ups(series)
    ours = [
        {
            "subject": p.subject.raw,
            "diff": p.diff_text.strip(),
            "trailers": [*p.trailers, *((t.name, t.value) for t in added[p.position])],
        }
        for p in series.patches
    ]
    assert ours == theirs
    assert {p.version for p in series.patches} == {
        int(re.search(r"v(\d+)", t["subject"]).group(1))  # type: ignore[union-attr, arg-type]
        for t in theirs
    }
    if cover is None:
        assert series.cover is None
    else:
        assert series.cover is not None
        assert f"Subject: {series.cover.subject.raw}" in cover
        assert series.cover.body.split("\n-- \n")[0].strip() in cover
