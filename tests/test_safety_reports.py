"""Issue 16, item 11: a patch's control characters never reach the reviewer's terminal raw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from limits import run_cli

from reviewkit.fixes.diff import fix_from_diff
from reviewkit.model import Finding, Severity
from reviewkit.report import Result, checkpatch, github, jsonfmt, text

ROOT = Path(__file__).resolve().parent.parent
HIDE, ERASE, CLIP, BIDI = "\x1b[8m", "\x1b[2K\r", "\x1b]52;c;ZXZpbA==\x07", "\u202e"


def _finding() -> Finding:
    f = Finding(
        "lock-balance",
        Severity.ERROR,
        f"held {HIDE}when returning{CLIP}",
        f"mm/{BIDI}evil{HIDE}.c",
        7,
        function=f"f{ERASE}",
        snippet=f"\treturn 0; /* {ERASE}{HIDE} */",
    )
    diff = f"--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1 +1 @@\n-{HIDE}a\n+b\x9b31m\n"
    f.fix = fix_from_diff(f"drop {CLIP}", diff, verified=True)
    return f


@pytest.mark.parametrize("module", [text, checkpatch, github])
def test_human_formats_escape_control_characters(module: object) -> None:
    out = module.render(Result(None, [_finding()], {}, {}))  # type: ignore[attr-defined]
    assert not any(ch in out for ch in ("\x1b", "\x07", "\x9b", BIDI, "\r")), repr(out)
    assert "\\x1b" in out
    assert out.count("\n") >= 1


def test_terse_lines_of_the_hooks_are_escaped() -> None:
    line = checkpatch.terse_line(_finding())
    assert "\x1b" not in line and "\\x1b[8m" in line


def test_json_keeps_the_exact_text() -> None:
    doc = json.loads(jsonfmt.render(Result(None, [_finding()], {}, {})))
    assert doc["findings"][0]["file"] == f"mm/{BIDI}evil{HIDE}.c"


def test_undecodable_bytes_print_as_escapes() -> None:
    assert text.escape_controls("a\udcffb\tc\n") == "a\\xffb\tc\n"


def test_end_to_end_a_file_name_with_escapes(tmp_path: Path) -> None:
    demo = (ROOT / "fixtures" / "demo" / "series.mbox").read_text("utf-8")
    (tmp_path / "s.mbox").write_text(demo.replace("frobcache.c", f"frob{HIDE}cache.c"), "utf-8")
    for fmt in ("text", "checkpatch", "github"):
        out = run_cli(["check", "s.mbox", "-f", fmt], tmp_path)
        assert out.returncode == 1, out.stderr
        assert "\x1b" not in out.stdout + out.stderr and "\\x1b[8m" in out.stdout
