"""The command line as a git/checkpatch user meets it: errors, --version, help, the man page, --terse, explain."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT
from gitrepo import REVIEWKIT, clean_env, make_repo

from reviewkit import __version__
from reviewkit.report import formats

TEXT_HEAD_RE = re.compile(r"^[^\s:]+:\d+: (error|warning|info): \[[a-z0-9-]+\] \S.*$")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REVIEWKIT, *args], capture_output=True, text=True, cwd=cwd or ROOT / "fixtures", env=clean_env(), timeout=180
    )


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("reviewkit: error: ") and "Traceback" not in proc.stderr
    return lines[0]


def test_typo_subcommand_says_did_you_mean_once() -> None:
    line = _one_error_line(run("chek", "x.mbox"))
    assert line == "reviewkit: error: 'chek' is not a reviewkit command (did you mean 'check'?); see 'reviewkit help'"


def test_typo_option_and_format_say_did_you_mean(seed_mbox: Path) -> None:
    line = _one_error_line(run("check", "--trese", str(seed_mbox)))
    assert "unrecognized arguments: --trese (did you mean" in line and "'--terse'" in line
    assert "did you mean 'json'" in _one_error_line(run("check", "-f", "jsno", str(seed_mbox)))
    assert "did you mean 'lock-balance'" in _one_error_line(run("explain", "lock-balanse"))
    assert "did you mean 'check'" in _one_error_line(run("help", "chekc"))


def test_command_errors_name_the_command_not_the_program_twice(seed_mbox: Path) -> None:
    line = _one_error_line(run("check", "--reply-nits", "grup", str(seed_mbox)))
    assert line.startswith("reviewkit: error: check: argument --reply-nits: invalid choice: 'grup'")


def test_git_range_with_unknown_revision_is_our_own_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "linux")
    line = _one_error_line(run("check", "--git", "nosuch..HEAD", cwd=repo))
    assert line == "reviewkit: error: --git nosuch..HEAD: unknown revision 'nosuch' in this repository"
    line = _one_error_line(run("check", "--git", "HEAD~1...nosuch", cwd=repo))
    assert "unknown revision 'nosuch'" in line
    ok = run("check", "--git", "HEAD~1..HEAD", "--terse", cwd=repo)
    assert ok.returncode in (0, 1) and ok.stderr == ""


def test_summary_plurals(seed_mbox: Path) -> None:
    last = run("check", str(seed_mbox)).stdout.rstrip().splitlines()[-1]
    assert last == "reviewkit: 1 patch, 9 files: 1 error, 3 warnings, 9 infos"
    demo = run("check", str(ROOT / "fixtures" / "demo" / "series.mbox")).stdout.rstrip().splitlines()[-1]
    assert re.fullmatch(r"reviewkit: 3 patches, \d+ files?: \d+ errors?, \d+ warnings?, \d+ infos?", demo)
    assert not re.search(r"\b1 (errors|warnings|infos|files|patches)\b", demo)


def test_directory_input_names_the_patch_file(seed_mbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(seed_mbox, out / "0001-x.patch")
    text = run("check", "out", cwd=tmp_path).stdout
    assert "(out/0001-x.patch:152)" in text and "(out:" not in text
    emacs = run("check", "out", "-f", "checkpatch", "--emacs", cwd=tmp_path).stdout
    assert emacs.startswith("out/0001-x.patch:152: ERROR: [list-lru-memcg-guard]")


def test_format_help_lists_every_format() -> None:
    helptext = " ".join(run("check", "--help").stdout.split())
    for name in formats():
        assert name in helptext


def test_version() -> None:
    proc = run("--version")
    assert (proc.returncode, proc.stdout.strip()) == (0, f"reviewkit {__version__}")


@pytest.mark.parametrize("fmt", ["text", "checkpatch", "github"])
def test_terse_is_one_line_per_finding_in_every_line_format(seed_mbox: Path, fmt: str) -> None:
    findings = json.loads(run("check", "-f", "json", str(seed_mbox)).stdout)["findings"]
    proc = run("check", "-f", fmt, "--terse", "--strict", str(seed_mbox))
    lines = proc.stdout.splitlines()
    assert len(lines) == len(findings) and proc.stderr == ""
    for line, f in zip(lines, findings, strict=True):
        assert f"{f['file']}" in line and f["rule"] in line
    if fmt == "text":
        assert all(TEXT_HEAD_RE.match(ln) for ln in lines)


def test_terse_on_a_structured_format_is_a_usage_error(seed_mbox: Path) -> None:
    line = _one_error_line(run("check", "-f", "json", "--terse", str(seed_mbox)))
    assert "--terse: --format json has no one-line form" in line


def test_help_is_the_manual_and_the_man_page_is_made_from_it() -> None:
    manual = run("help").stdout
    for heading in ("## Synopsis", "## Commands", "## Silencing a finding on one line", "## Exit status"):
        assert heading in manual
    for command in ("check", "tui", "scan", "explain", "help", "rules"):
        assert f"### reviewkit {command}" in manual
    assert "--strict" in run("help", "check").stdout
    assert "NO_COLOR" in run("help", "color").stdout
    shipped = (ROOT / "docs" / "reviewkit.1").read_text("utf-8")
    assert shipped == run("help", "--man").stdout, "regenerate: reviewkit help --man > docs/reviewkit.1"


def test_man_page_renders_with_man(tmp_path: Path) -> None:
    man = shutil.which("man")
    if man is None:
        pytest.skip("no man(1) here")
    proc = subprocess.run(
        [man, "-l", str(ROOT / "docs" / "reviewkit.1")],
        capture_output=True,
        text=True,
        env={**clean_env(), "MANPAGER": "cat", "MANWIDTH": "80"},
    )
    assert proc.returncode == 0 and "warning:" not in proc.stderr, proc.stderr
    text = re.sub(r".\x08", "", proc.stdout)
    assert "REVIEWKIT(1)" in text and "reviewkit: ignore lock-balance" in text and "--no-pager" in text


def test_explain_finding_prints_path_why_and_fix(seed_mbox: Path) -> None:
    proc = run("explain", "mm/huge_memory.c:952", str(seed_mbox))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "# teardown-order:" in out
    assert "**warning** at `mm/huge_memory.c:952` in `thp_shrinker_init()`" in out
    assert "## The path" in out and "- line 953: `deferred_split_shrinker` released only now" in out
    assert "## Suggested fix (verified): Call shrinker_free() before list_lru_destroy()" in out
    assert "```diff\n--- a/mm/huge_memory.c" in out
    assert "## Why is this bad?" in out


def test_explain_untouched_file_says_did_you_mean(seed_mbox: Path) -> None:
    line = _one_error_line(run("explain", "mm/huge_memroy.c:952", str(seed_mbox)))
    assert "is not touched by" in line and "did you mean 'mm/huge_memory.c'" in line


def test_option_typo_is_matched_against_that_commands_options_only() -> None:
    """``scan --selct`` suggests scan's ``--select``; an option only check has is never offered to scan."""
    line = _one_error_line(run("scan", "--selct", "lock-balance", "x.c"))
    assert line.startswith("reviewkit: error: scan: unrecognized arguments: --selct") and "'--select'" in line
    line = _one_error_line(run("scan", "--no-fix", "x.c"))
    assert "scan: unrecognized arguments: --no-fix" in line and "'--no-fix'" not in line


def test_tui_help_is_the_key_table_of_the_session() -> None:
    """``tui --help`` prints the table ``?`` shows (tui/keys.py), not a hand-kept list that drifts."""
    from reviewkit.tui.keys import KEYS

    out = run("tui", "--help").stdout
    for _title, keys in KEYS:
        for key, what, _b4 in keys:
            line = next((ln for ln in out.splitlines() if ln.startswith(f"  {key} ")), None)
            assert line is not None and " ".join(what.split()[:3]) in line, key
    # the keys the description listed before the session took b4's keys (a accept, d dismiss, e explain)
    assert "a accept" not in out and "d dismiss" not in out and "e explain" not in out
    assert re.search(r"^  y +accept the fix", out, re.M) and re.search(r"^  z +dismiss", out, re.M)
    assert "Keys (? in the session shows the same table):" in run("help", "tui").stdout
