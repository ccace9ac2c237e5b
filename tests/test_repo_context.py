"""Context from the user's repository (reviewkit.views.repo), in throwaway repositories made with git.

The widget below takes its lock at 35 and drops it at 45; the bad patch turns
the ``break`` at 39 into ``return -EOVERFLOW;`` inside that section.  With 3 lines of context
the acquire is not in the hunk, so only the file's pre-image from the repo
shows the leak: each context source (the patch's index blob, the b4
base-commit, HEAD, none) is checked by whether the leak is seen and by the
per-file note.  Every front end run in the same checkout must give the same
findings, and none of them may run anything the repository configures.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gitrepo import REVIEWKIT, clean_env, git, run_cli

from reviewkit.config import Config
from reviewkit.load.series import load
from reviewkit.review.pipeline import review

PATH = "drivers/misc/widget.c"
LEAK_LINE = 39


def widget_source() -> str:
    """The driver: lock at 35, the walk at 36, unlock at 45."""
    lines = ["// SPDX-License-Identifier: GPL-2.0", "#include <linux/spinlock.h>", "#include <linux/list.h>", ""]
    lines += ["struct widget {", "\tspinlock_t lock;", "\tstruct list_head items;", "\tint total;", "};", ""]
    lines += [f"/* register {n} */" for n in range(len(lines) + 1, 31)]
    lines += ["static int widget_sum(struct widget *w)", "{", "\tstruct item *it;", "\tint sum = 0;"]
    lines += [
        "\tspin_lock(&w->lock);",  # 35
        "\tlist_for_each_entry(it, &w->items, node) {",  # 36
        "\t\tsum += it->val;",
        "\t\tif (sum > 100000)",
        "\t\t\tbreak;",  # 39: the bad patch returns here instead
        "\t\tit->seen = 1;",
        "\t}",
        "\tw->total = sum;",
        "\tw->count++;",
        "\tw->gen++;",
        "\tspin_unlock(&w->lock);",  # 45
        "\treturn sum;",
        "}",
        "",
    ]
    assert lines[34] == "\tspin_lock(&w->lock);"
    return "\n".join(lines)


def bad_source() -> str:
    text = widget_source()
    return text.replace("\t\t\tbreak;\n", "\t\t\treturn -EOVERFLOW;\n")


def make_widget_repo(path: Path) -> tuple[Path, str]:
    """A repository with tags ``base`` and ``bad``; returns it and the bad patch (format-patch)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Rita Reviewer")
    git(path, "config", "user.email", "rita@example.org")
    src = path / PATH
    src.parent.mkdir(parents=True)
    src.write_text(widget_source())
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "widget: add the widget driver")
    git(path, "tag", "base")
    src.write_text(bad_source())
    assert src.read_text().split("\n")[LEAK_LINE - 1] == "\t\t\treturn -EOVERFLOW;"
    git(path, "commit", "-q", "-a", "-m", "widget: stop on overflow", "-m", "Signed-off-by: Rita <rita@example.org>")
    git(path, "tag", "bad")
    return path, git(path, "format-patch", "--stdout", "base..bad")


def _lock_lines(findings: list[Any]) -> list[int]:
    return [f.line for f in findings if f.rule == "lock-balance"]


def _review(patch_text: str, tmp_path: Path, repo: Path | None) -> tuple[list[int], dict[str, str], list[str]]:
    patch = tmp_path / "bad.patch"
    patch.write_text(patch_text)
    notes: list[str] = []
    rv = review(load(str(patch)), Config(), repo=str(repo) if repo else None, warn=notes.append)
    return _lock_lines(rv.findings), rv.stats.get("context", {}), notes


def _move_head_away(repo: Path) -> None:
    """HEAD at a commit the bad patch does not apply to (the walk was rewritten)."""
    src = repo / PATH
    src.write_text(widget_source().replace("\t\tsum += it->val;\n", "\t\tsum += it->weight;\n"))
    git(repo, "commit", "-q", "-a", "-m", "widget: sum the weights")


def _forget_blobs(patch_text: str) -> str:
    """The patch with index ids git does not have (a patch made in someone else's tree)."""
    return re.sub(r"(?m)^index [0-9a-f]+\.\.[0-9a-f]+", "index 1234567..89abcde", patch_text)


# --------------------------------------------------------------------------
# Each context source


def test_blob_on_the_index_line_is_the_pre_image(tmp_path: Path) -> None:
    repo, patch = make_widget_repo(tmp_path / "linux")
    _move_head_away(repo)
    lines, sources, notes = _review(patch, tmp_path, repo)
    assert lines == [LEAK_LINE]
    assert sources[PATH].startswith("blob ")
    assert notes == [f"{PATH}: context from {sources[PATH]}"]


def test_b4_base_commit_when_the_blob_is_unknown(tmp_path: Path) -> None:
    repo, patch = make_widget_repo(tmp_path / "linux")
    base = git(repo, "rev-parse", "base").strip()
    _move_head_away(repo)
    text = _forget_blobs(patch).replace("\n-- \n", f"\nbase-commit: {base}\n-- \n")
    lines, sources, _notes = _review(text, tmp_path, repo)
    assert lines == [LEAK_LINE]
    assert sources[PATH] == f"base-commit {base[:12]}"


def test_head_when_neither_blob_nor_base_commit(tmp_path: Path) -> None:
    repo, patch = make_widget_repo(tmp_path / "linux")
    git(repo, "checkout", "-q", "base")
    lines, sources, _notes = _review(_forget_blobs(patch), tmp_path, repo)
    assert lines == [LEAK_LINE]
    assert sources[PATH] == "HEAD"


def test_no_source_is_fragment_mode(tmp_path: Path) -> None:
    repo, patch = make_widget_repo(tmp_path / "linux")
    _move_head_away(repo)  # HEAD has the file, but the patch does not apply to it
    lines, sources, _notes = _review(_forget_blobs(patch), tmp_path, repo)
    assert lines == []  # the acquire is not in the hunk: the fragment cannot see the leak
    assert sources[PATH] == "the diff only (fragment)"
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    lines, sources, notes = _review(patch, tmp_path, elsewhere)
    assert (lines, sources, notes) == ([], {}, [])


def test_check_prints_the_source_note(tmp_path: Path) -> None:
    repo, patch = make_widget_repo(tmp_path / "linux")
    (tmp_path / "bad.patch").write_text(patch)
    proc = run_cli("check", str(tmp_path / "bad.patch"), cwd=repo)
    assert proc.returncode == 1, proc.stderr
    notes = [ln for ln in proc.stderr.decode().splitlines() if "context from" in ln]
    assert len(notes) == 1 and notes[0].startswith(f"reviewkit: note: {PATH}: context from blob ")
    fragment = run_cli("check", "--no-repo", str(tmp_path / "bad.patch"), cwd=repo)
    assert fragment.returncode == 0 and b"context from" not in fragment.stderr


# --------------------------------------------------------------------------
# Same findings through every front end


def _json_lines(proc: subprocess.CompletedProcess[bytes]) -> list[tuple[str, int, str]]:
    assert proc.returncode in (0, 1), proc.stderr
    return sorted((f["file"], f["line"], f["rule"]) for f in json.loads(proc.stdout)["findings"])


_TERSE = re.compile(r"(?P<file>[\w./-]+):(?P<line>\d+): (?:ERROR|WARNING|CHECK): \[(?P<rule>[\w-]+)\]", re.IGNORECASE)


def _terse_lines(text: str) -> list[tuple[str, int, str]]:
    return sorted((m["file"], int(m["line"]), m["rule"]) for m in _TERSE.finditer(text))


def test_every_front_end_gives_the_same_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, patch = make_widget_repo(tmp_path / "linux")
    out = tmp_path / "out"
    git(repo, "format-patch", "-q", "-o", str(out), "base..bad")
    patch_file = next(out.glob("*.patch"))
    results = {
        "check file": _json_lines(run_cli("check", "--format", "json", str(patch_file), cwd=repo)),
        "check dir": _json_lines(run_cli("check", "--format", "json", str(out), cwd=repo)),
        "check --git": _json_lines(run_cli("check", "--format", "json", "--git", "base..bad", cwd=repo)),
        "b4 stdin": _json_lines(run_cli("check", "--format", "json", "-", cwd=repo, stdin=patch.encode())),
    }
    b4 = run_cli("check", "--format", "b4-review", "-", cwd=repo, stdin=patch.encode())
    details = json.loads(json.loads(b4.stdout)[0]["details"])
    results["b4 review"] = sorted(
        (d["srcline"].rsplit(":", 1)[0], int(d["srcline"].rsplit(":", 1)[1]), d["description"][1:].split("]")[0])
        for d in details
    )
    hook = subprocess.run(
        [*REVIEWKIT, "hook", "run", str(patch_file)], cwd=repo, capture_output=True, env=clean_env(), timeout=180
    )
    results["hook"] = _terse_lines(hook.stderr.decode())
    monkeypatch.chdir(repo)
    from reviewkit.tui.app import Options, pipeline_review

    found = pipeline_review(Options(load(str(patch_file)), Config(), repo="."), lambda *_a: None)
    results["tui"] = sorted((f.file, f.line, f.rule) for f in found)
    assert (PATH, LEAK_LINE, "lock-balance") in results["check file"]
    assert all(v == results["check file"] for v in results.values()), results


# --------------------------------------------------------------------------
# Nothing of the repository runs

_HOOKS = [
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "post-index-change",
    "reference-transaction",
]


def _plant(repo: Path, marker: Path) -> None:
    """Every way a repository can make git run a program, each touching ``marker``."""
    script = repo.parent / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\ncat\n')
    script.chmod(0o755)
    hooks = repo / ".git" / "hooks"
    for name in _HOOKS:
        (hooks / name).write_text(f"#!/bin/sh\necho {name} >> {marker}\n")
        (hooks / name).chmod(0o755)
    (repo / ".gitattributes").write_text("*.c filter=evil diff=evil\n")
    for key, value in {
        "core.fsmonitor": str(script),
        "filter.evil.clean": str(script),
        "filter.evil.smudge": str(script),
        "filter.evil.process": str(script),
        "diff.evil.textconv": str(script),
        "diff.external": str(script),
        "core.pager": str(script),
        "core.sshCommand": str(script),
    }.items():
        git(repo, "config", key, value)


def test_planted_hooks_filters_and_fsmonitor_never_fire(tmp_path: Path) -> None:
    repo, patch = make_widget_repo(tmp_path / "linux")
    (repo / PATH).write_text(bad_source() + "\n/* staged */\n")
    git(repo, "add", PATH)  # staged before the traps are set: git add itself would run the clean filter
    marker = tmp_path / "fired.log"
    _plant(repo, marker)
    subprocess.run(["git", "status"], cwd=repo, capture_output=True, env=clean_env(), timeout=60)
    assert marker.exists(), "the planted fsmonitor must fire for a plain git command (else this test proves nothing)"
    marker.unlink()
    (tmp_path / "bad.patch").write_text(patch)
    runs = [
        ("check", str(tmp_path / "bad.patch")),
        ("check", "--git", "base..bad"),
        ("check", "--format", "b4-review", "-"),
        ("hook", "run", str(tmp_path / "bad.patch")),
        ("hook", "pre-commit", PATH),
        ("hook", "pre-push", "--from-ref", "base", "--to-ref", "bad"),
    ]
    for args in runs:
        proc = run_cli(*args, cwd=repo, stdin=patch.encode())
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert not marker.exists(), f"reviewkit {' '.join(args)} ran: {marker.read_text()}"
    proc = run_cli("check", "--format", "json", str(tmp_path / "bad.patch"), cwd=repo)
    assert (PATH, LEAK_LINE, "lock-balance") in _json_lines(proc), "the context still came from the repo"
    assert not marker.exists()


def test_review_api_without_repo_stays_fragment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Library callers (rule tests, the fixture harness) get fragment mode unless they pass ``repo``."""
    repo, patch = make_widget_repo(tmp_path / "linux")
    monkeypatch.chdir(repo)
    lines, sources, notes = _review(patch, tmp_path, None)
    assert (lines, sources, notes) == ([], {}, [])
    assert sys.modules["reviewkit.views.repo"] is not None
