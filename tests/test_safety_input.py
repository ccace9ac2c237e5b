"""Issue 16, the input side: nothing in a patch or a tree can exhaust memory, hang, or read outside.

Every run goes through the real CLI in a child process under the fuzz
budgets (500 MB address space, 10 s): a regression shows as a MemoryError,
an "internal error" or a timeout, not as a slow suite.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from limits import run_cli

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo" / "series.mbox"

ONE_DIFF = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-int a;\n+int b;\n"


SEP = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"


def _mbox(subject: str, diff: str = ONE_DIFF) -> bytes:
    return f"{SEP}From: Dev <dev@example.org>\nSubject: {subject}\n\nwhy\n---\n{diff}".encode()


def _clean(outcome, allowed: tuple[int, ...] = (0, 1)) -> None:  # type: ignore[no-untyped-def]
    assert not outcome.hung, "ran past the time budget"
    assert not outcome.traceback, outcome.stderr
    assert outcome.returncode in allowed, outcome.stderr


# item 2 -----------------------------------------------------------------


@pytest.mark.parametrize("total", ["100000000", "1000000000", "9" * 40])
def test_a_huge_subject_counter_costs_nothing(tmp_path: Path, total: str) -> None:
    (tmp_path / "s.mbox").write_bytes(_mbox(f"[PATCH 1/{total}] x: y"))
    out = run_cli(["check", "s.mbox"], tmp_path)
    _clean(out)
    assert "series is incomplete: patch 2/" in out.stderr
    assert out.stderr.count("\n") < 5


# item 3 -----------------------------------------------------------------


def test_a_huge_hunk_line_number_allocates_nothing_per_line(tmp_path: Path) -> None:
    text = DEMO.read_text("utf-8").replace("@@ -55,6 +55,7 @@", "@@ -50000055,6 +50000055,7 @@")
    assert "50000055" in text
    (tmp_path / "s.mbox").write_text(text, "utf-8")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = run_cli(["check", "s.mbox"], tmp_path, env={"TMPDIR": str(tmp)})
    _clean(out)
    assert "drivers/misc/frobcache.c:50000058: warning: [whitespace-noise]" in out.stdout
    assert "@@ -50000055,7 +50000055,6 @@" in out.stdout  # the fix keeps the real numbers


# item 4 -----------------------------------------------------------------


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_check_refuses_a_fifo_and_a_device(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "fake-device.mbox")
    for target in (str(fifo), "/dev/zero"):
        out = run_cli(["check", target], tmp_path)
        _clean(out, (2,))
        assert "not a regular file" in out.stderr
        assert out.stderr.count("\n") == 1


def test_a_symlink_to_a_device_in_scan_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "ok.c").write_text("static int f(void)\n{\n\treturn 0;\n}\n")
    (tmp_path / "mm" / "zero.c").symlink_to("/dev/zero")
    _fifo(tmp_path / "mm" / "fifo.c")
    out = run_cli(["scan", "mm"], tmp_path)
    _clean(out)
    assert "mm/zero.c: not scanned: a device" in out.stderr
    assert "mm/fifo.c: not scanned: a FIFO" in out.stderr
    assert "scanned 3 files" in out.stdout


def _tree_patch(path: str) -> str:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,4 +1,4 @@\n"
        " static int f(void)\n {\n-\treturn 0;\n+\treturn 1;\n }\n"
    )


def test_tree_mode_refuses_a_symlink_to_a_device(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "zero.c").symlink_to("/dev/zero")
    (tmp_path / "p.diff").write_text(_tree_patch("mm/zero.c"))
    out = run_cli(["check", "p.diff", "--tree", "tree"], tmp_path)
    _clean(out)
    assert "mm/zero.c:" in out.stderr and "reviewed as a fragment" in out.stderr


def test_a_baseline_that_is_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p.diff").write_text(ONE_DIFF)
    out = run_cli(["check", "p.diff", "--baseline", "/dev/zero"], tmp_path)
    _clean(out, (2,))
    assert "not a regular file" in out.stderr


# item 6 -----------------------------------------------------------------


@pytest.mark.parametrize("form", ["../outside/secret.c", "mm/../../outside/secret.c", "ABS"])
def test_tree_mode_never_reads_outside_the_tree(tmp_path: Path, form: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.c"
    secret.write_text("static int f(void)\n{\n\treturn 0;\n}\n")
    tree = tmp_path / "work" / "tree"
    tree.mkdir(parents=True)
    path = str(secret) if form == "ABS" else form
    (tmp_path / "work" / "p.diff").write_text(_tree_patch(path))
    out = run_cli(["check", "p.diff", "--tree", "tree"], tmp_path / "work")
    _clean(out)
    # the file is refused by name (like git apply), so it falls back to the patch's own lines
    assert "reviewed as a fragment" in out.stderr and "nothing outside tree" in out.stderr, out.stderr


def test_unsafe_path_rules_match_git_apply() -> None:
    from reviewkit.views.treemode import unsafe_path

    assert unsafe_path("mm/slab.c") is None
    assert unsafe_path("mm/..slab.c") is None  # a name, not a component
    for bad in ("../x.c", "a/../../x.c", "/etc/x.c", "mm/..", ""):
        assert unsafe_path(bad) is not None, bad


def test_tree_read_outside_is_refused_even_through_a_symlink(tmp_path: Path) -> None:
    from reviewkit.views.treemode import read_tree_file

    (tmp_path / "secret.c").write_text("x")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.c").symlink_to(tmp_path / "secret.c")
    (tree / "in.c").write_text("int a;\n")
    assert read_tree_file(tree, "in.c") == "int a;\n"
    for rel in ("../secret.c", str(tmp_path / "secret.c"), "link.c"):
        with pytest.raises(OSError):
            read_tree_file(tree, rel)


# item 7 -----------------------------------------------------------------


def test_git_revision_cannot_be_an_option(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(tmp_path),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        check=True,
    )
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for rev in (f"--output={victim}", "-o/tmp/x", "--stdout"):
        out = run_cli(["check", f"--git={rev}"], tmp_path)
        _clean(out, (2,))
        assert "cannot start with '-'" in out.stderr
    assert victim.read_text() == "precious\n"


def test_git_range_passes_end_of_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from reviewkit import gitsafe
    from reviewkit.load import series

    seen: list[list[str]] = []
    real = gitsafe.run_git

    def spy(args: list[str], cwd: str | Path, *rest: object, **kw: object) -> object:
        seen.append(list(args))
        return real(args, cwd, *rest, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(gitsafe, "run_git", spy)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(series.InputError):
        series.load_git_range("HEAD~1..HEAD", str(tmp_path))
    fmt = [a for a in seen if a and a[0] == "format-patch"]
    assert fmt and fmt[0][-2:] == ["--end-of-options", "HEAD~1..HEAD"]


# item 14 (input side) ---------------------------------------------------


@pytest.mark.parametrize(
    "hunk",
    [
        "@@ -1,5 +1,5 @@\n a\n-b\n+c\n@@ -9 +9 @@\n-x\n+y\n",
        "@@ -1,2 +1,2 @@\n a\n-b\n+c\n d\n e\n@@ -9 +9 @@\n-x\n+y\n",
    ],
)
def test_a_malformed_diff_is_one_stderr_line(tmp_path: Path, hunk: str) -> None:
    (tmp_path / "p.mbox").write_bytes(_mbox("[PATCH] x", f"--- a/x.c\n+++ b/x.c\n{hunk}"))
    out = run_cli(["check", "p.mbox"], tmp_path)
    _clean(out, (2,))
    assert out.stderr.count("\n") == 1, out.stderr
    assert "malformed diff" in out.stderr


def test_a_truncated_mbox_says_so(tmp_path: Path) -> None:
    cut = _mbox("[PATCH] a: one") + b"\n" + SEP.encode() + b"From: Dev <dev@example.org>\nSubject: [PATCH] a: t"
    (tmp_path / "cut.mbox").write_bytes(cut)
    out = run_cli(["check", "cut.mbox"], tmp_path)
    _clean(out)
    assert "truncated" in out.stderr
    (tmp_path / "whole.mbox").write_bytes(_mbox("[PATCH] a: one"))
    assert "truncated" not in run_cli(["check", "whole.mbox"], tmp_path).stderr
