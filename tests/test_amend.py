"""reviewkit amend: accepted fixes folded into the patches, written as the next version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import _frobseries
import pytest

from reviewkit.errors import InputError
from reviewkit.fixes.amend import amend_series, subject_for
from reviewkit.fixes.diff import fix_from_diff
from reviewkit.load.series import load
from reviewkit.review.pipeline import review


def _fixes(series):  # type: ignore[no-untyped-def]
    result = review(series, rules=["helper-extraction"])
    return [f.fix for f in result.findings if f.fix is not None and f.fix.verified]


def test_amended_series_applies_where_the_original_did(tmp_path: Path) -> None:
    repo, mbox = _frobseries.build(tmp_path)
    series = load(str(mbox))
    text = amend_series(series, _fixes(series))
    assert "[PATCH v3 1/2]" in text and "[PATCH v3 2/2]" in text
    assert text.count("Changes in v3:") == 2  # both patches were touched by the fix
    out = tmp_path / "v3.mbox"
    out.write_text(text)
    _frobseries.git(repo, "apply", "--check", str(mbox))
    _frobseries.git(repo, "am", "-q", str(out))
    core = (repo / "frob/core.c").read_text()
    assert "static struct frob_pool frob_reserve_pool;" in core and "int frob_reserve_take(" in core
    assert "frob_reserve_pool" not in (repo / "frob/user.c").read_text()
    assert "extern" not in (repo / "include/frob.h").read_text()
    again = review(load(str(out)), rules=["helper-extraction"])
    assert again.findings == []


def test_seed_next_version(seed_mbox: Path, tmp_path: Path) -> None:
    series = load(str(seed_mbox))
    fixes = _fixes(series)
    assert len(fixes) == 3
    text = amend_series(series, fixes)
    assert "Subject: [PATCH v4 7/7] mm: switch deferred split shrinker to list_lru" in text
    _head, _, rest = text.partition("\n---\n")
    assert "Changes in v4:" in rest.split("diff --git")[0]
    out = tmp_path / "v4.mbox"
    out.write_text(text)
    assert review(load(str(out)), rules=["helper-extraction"]).findings == []


def test_fix_outside_the_visible_lines_is_refused(tmp_path: Path) -> None:
    _repo, mbox = _frobseries.build(tmp_path)
    series = load(str(mbox))
    bad = fix_from_diff("touch an unseen line", "--- a/frob/user.c\n+++ b/frob/user.c\n@@ -15,1 +15,1 @@\n-x\n+y\n")
    with pytest.raises(InputError, match=r"touch an unseen line.*outside the lines the patch shows"):
        amend_series(series, [bad])
    stale = fix_from_diff("stale", "--- a/frob/user.c\n+++ b/frob/user.c\n@@ -12,1 +12,1 @@\n-x\n+y\n")
    with pytest.raises(InputError, match=r"stale.*does not match the series"):
        amend_series(series, [stale])


def test_subject_version() -> None:
    from reviewkit.load.series import Message, parse_subject

    class P:
        subject = parse_subject("[RFC PATCH 3/5] mm: x")

    assert subject_for(P, 2) == "[RFC PATCH v2 3/5] mm: x"  # type: ignore[arg-type]
    assert Message  # imported for the type only


def test_cli_writes_output_and_never_touches_input(tmp_path: Path) -> None:
    _repo, mbox = _frobseries.build(tmp_path)
    before = mbox.read_bytes()
    out = tmp_path / "out" / "v3.mbox"
    cmd = [sys.executable, "-m", "reviewkit", "amend", str(mbox), "--accept", "helper-extraction", "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == f"reviewkit: wrote v3 with 1 fix folded in to {out}"
    assert out.read_text().count("[PATCH v3 ") == 2
    assert mbox.read_bytes() == before
    same = subprocess.run([*cmd[:-1], str(mbox)], capture_output=True, text=True)
    assert same.returncode == 2 and "Traceback" not in same.stderr
    none = subprocess.run(
        [*cmd[:6], "whitespace-noise", "-o", str(tmp_path / "x.mbox")], capture_output=True, text=True
    )
    assert none.returncode == 2 and "no verified fix" in none.stderr


def test_seed_thread_next_version_keeps_the_ack_and_links_v3(thread_mbox: Path) -> None:
    from reviewkit.fixes.diffstat import diffstat

    series = load(str(thread_mbox))
    text = amend_series(series, _fixes(series))
    head, _, rest = text.partition("\n---\n")
    sob = "Signed-off-by: Johannes Weiner <hannes@cmpxchg.org>"
    assert head.rstrip().endswith(f"{sob}\nAcked-by: Shakeel Butt <shakeel.butt@linux.dev>")
    notes = rest.split("diff --git")[0]
    assert "- Link to v3: https://patch.msgid.link/20260318200000.7-hannes@cmpxchg.org\n" in notes
    assert "`" not in notes
    new = load_text_patch(text)
    assert notes.endswith(diffstat(new.diff_text) + "\n")


def test_seed_changes_read_like_the_authors_changelog(thread_mbox: Path) -> None:
    """One plain line per folded fix, no backticks, none of reviewkit's notes ("(... not in view)")."""
    series = load(str(thread_mbox))
    found = review(series, rules=["list-lru-memcg-guard", "teardown-order", "whitespace-noise"]).findings
    fixes = [f.fix for f in found if f.fix is not None and f.fix.verified]
    assert any("not in view" in f.title for f in fixes), "the guard's title carries a tool note"
    notes = amend_series(series, fixes).partition("\n---\n")[2].split("\n\n", 1)[0]
    lines = notes.splitlines()
    assert lines[0] == "Changes in v4:" and lines[-1].startswith("- Link to v3: ")
    changes = lines[1:-1]
    assert "- Guard list_lru_init_memcg_key() with mem_cgroup_disabled() at the call site" in changes
    assert "- Call shrinker_free() before list_lru_destroy()" in changes
    assert len(changes) == len(set(changes)) == len({f.title for f in fixes})
    for line in changes:
        assert line.startswith("- ") and "`" not in line and " (" not in line, line


def load_text_patch(text: str):  # type: ignore[no-untyped-def]
    from reviewkit.load.series import build_series, parse_message, patch_from_message, split_mbox

    msgs = [parse_message(raw, "v4", first, n) for n, (first, raw) in enumerate(split_mbox(text.encode()), 1)]
    assert build_series  # the same loader as everywhere
    return next(p for p in (patch_from_message(m, "v4") for m in msgs) if p is not None)
