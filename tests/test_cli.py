"""The command line as a user runs it: real process, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

REVIEWKIT = [sys.executable, "-c", "from reviewkit.cli import entry; entry()"]
DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "series.mbox"


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "REVIEWKIT_DEBUG": ""}
    # run outside the checkout so the installed package is what gets tested
    where = cwd or Path(__file__).resolve().parent.parent / "fixtures"
    return subprocess.run([*REVIEWKIT, *args], input=stdin, capture_output=True, cwd=where, env=env, timeout=120)


def test_seed_json_report(seed_mbox: Path) -> None:
    proc = run("check", str(seed_mbox), "--format", "json")
    assert proc.returncode in (0, 1)
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1 and doc["tool"] == "reviewkit"
    assert doc["series"]["patches"][0]["insertions"] == 151
    assert doc["series"]["patches"][0]["deletions"] == 301
    for f in doc["findings"]:
        assert {"rule", "severity", "patch", "file", "line", "function", "message", "fix"} <= f.keys()
        assert f["fix"] is None or "diff" in f["fix"]
    rules = {f["rule"] for f in doc["findings"]}
    assert "whitespace-noise" in rules
    noise = [f for f in doc["findings"] if f["rule"] == "whitespace-noise"]
    assert [(f["file"], f["line"]) for f in noise] == [("mm/khugepaged.c", 1084)]
    assert "stats" in doc and doc["stats"]["files"] == 9


def test_text_report_is_checkpatch_like(seed_mbox: Path) -> None:
    proc = run("check", str(seed_mbox))
    first = proc.stdout.decode().splitlines()[0]
    assert first.split(": ")[0].count(":") == 1  # FILE:LINE
    assert "[" in first and "]" in first


def test_stdin_single_message(seed_mbox: Path) -> None:
    proc = run("check", "-", "--format", "json", stdin=seed_mbox.read_bytes())
    doc = json.loads(proc.stdout)
    assert doc["series"]["source"] == "<stdin>"
    assert doc["series"]["warnings"] == []  # a single patch on stdin is not an incomplete series


def test_sarif_is_2_1_0(seed_mbox: Path) -> None:
    proc = run("check", str(seed_mbox), "--format", "sarif")
    doc = json.loads(proc.stdout)
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    assert run0["tool"]["driver"]["name"] == "reviewkit"
    for res in run0["results"]:
        loc = res["locations"][0]["physicalLocation"]
        assert loc["region"]["startLine"] >= 1 and loc["artifactLocation"]["uri"]
        assert res["ruleId"] in {r["id"] for r in run0["tool"]["driver"]["rules"]}


def test_fail_on_controls_exit_status(tmp_path: Path) -> None:
    patch = Path(__file__).resolve().parent.parent / "fixtures" / "whitespace-noise" / "blank-lines.patch"
    assert run("check", str(patch), "--select", "whitespace-noise").returncode == 0
    assert run("check", str(patch), "--select", "whitespace-noise", "--fail-on", "warning").returncode == 1


BAD_INPUTS = {
    "empty": b"",
    "not-mbox": b"Dear list,\n\nplease find attached nothing.\n",
    "binary": b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4,
    "no-diff": b"From: a@b.c\nSubject: [PATCH] x\n\njust words, no diff\n",
    "undecodable": (
        b"From: a@b.c\nSubject: [PATCH] x\nContent-Type: text/plain; charset=utf-8\n\n"
        b"msg \xff\xfe\n---\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"
    ),
    "truncated": (
        b"From: a@b.c\nSubject: [PATCH] x\n\nmsg\n---\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n"
        b"@@ -1,5 +1,6 @@\n int f(void)\n {\n+\tx();\n"
    ),
    "binary-diff-only": (
        b"From: a@b.c\nSubject: [PATCH] x\n\nmsg\n---\ndiff --git a/fw.bin b/fw.bin\nindex 1..2 100644\n"
        b"GIT binary patch\nliteral 4\nLcmZ?wbYuVk00RI4\n\n"
    ),
    "bad-charset": b"From: a@b.c\nSubject: [PATCH] x\nContent-Type: text/plain; charset=klingon\n\nmsg\n",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    f = tmp_path / f"{name}.mbox"
    f.write_bytes(BAD_INPUTS[name])
    before = f.read_bytes()
    proc = run("check", str(f))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("reviewkit: error: "), err
    assert "Traceback" not in err and str(f) in err
    assert f.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ["check", "/nonexistent/series.mbox"],
        ["check", "{tmp}"],
        ["check", "--format", "yaml", "{seed}"],
        ["check"],
        ["frobnicate"],
        ["explain", "no-such-rule"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, seed_mbox: Path, args: list[str]) -> None:
    argv = [a.format(tmp=tmp_path, seed=seed_mbox) for a in args]
    proc = run(*argv)
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert "Traceback" not in err and err.strip(), err


def test_stdin_bad_input() -> None:
    proc = run("check", "-", stdin=b"\x00\x01\x02")
    assert proc.returncode == 2 and b"<stdin>" in proc.stderr


def test_output_file_written_atomically(tmp_path: Path, seed_mbox: Path) -> None:
    out = tmp_path / "report.json"
    proc = run("check", str(seed_mbox), "--format", "json", "-o", str(out))
    assert proc.returncode in (0, 1) and proc.stdout == b""
    assert json.loads(out.read_text())["tool"] == "reviewkit"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_demo_series_runs() -> None:
    proc = run("check", str(DEMO))
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stdout.decode().rstrip().splitlines()[-1].startswith("reviewkit: 3 patches")


def test_rules_and_explain_list_every_rule() -> None:
    listing = run("rules", "--format", "json")
    rules = json.loads(listing.stdout)
    assert any(r["id"] == "whitespace-noise" for r in rules)
    for r in rules:
        proc = run("explain", r["id"])
        assert proc.returncode == 0 and r["title"] in proc.stdout.decode()


def test_a_crashing_rule_does_not_hide_the_others(tmp_path: Path) -> None:
    """A bug in one rule is reported on stderr; the other rules still report."""
    from reviewkit.engine import run as engine
    from reviewkit.load.series import load
    from reviewkit.model import Severity
    from reviewkit.review.pipeline import review
    from reviewkit.views.build import build_context

    def boom(ctx: object) -> list:
        raise RuntimeError("synthetic rule bug")

    broken = engine.Rule("broken-rule", Severity.ERROR, "Broken.", boom, "test", engine.discover()[0].module)
    series = load(str(Path(__file__).resolve().parent.parent / "fixtures" / "whitespace-noise" / "blank-lines.patch"))
    ctx = build_context(series)
    rules = [broken, *[r for r in engine.discover() if r.id == "whitespace-noise"]]
    findings = engine.run(ctx, rules)
    assert [f.rule for f in findings] == ["whitespace-noise", "whitespace-noise"]
    assert ctx.stats["rule_errors"] == ["rule broken-rule failed: RuntimeError: synthetic rule bug"]
    assert review(series).findings  # the normal path is unaffected


def test_parse_stats_json_shape(tmp_path: Path) -> None:
    """`scan --parse-stats DIR --format json` gives files/functions/clean_functions totals."""
    (tmp_path / "a.c").write_text(
        "static int __init demo_init(void)\n{\n\tstruct item *it;\n\n"
        "\tlist_for_each_entry(it, &head, node) {\n\t\tit->n++;\n\t}\n\treturn 0;\n}\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.c").write_text("int broken(void)\n{\n\treturn (;\n}\n")
    proc = run("scan", "--parse-stats", str(tmp_path), "--format", "json")
    doc = json.loads(proc.stdout)
    assert (doc["files"], doc["functions"], doc["denominator"]) == (2, 2, 2)
    assert doc["clean_functions"] == 1  # the iterator macro is normalised; the broken body is not clean
    assert str(tmp_path) in doc["paths"]


def test_huge_input_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """A runaway input is one line and exit 2 (limit lowered here to keep the test small)."""
    from reviewkit import cli
    from reviewkit.load import series

    monkeypatch.setattr(series, "MAX_INPUT_BYTES", 1024)
    big = tmp_path / "huge.mbox"
    big.write_bytes(b"From: a@b.c\nSubject: [PATCH] x\n\n" + b"x" * 4096)
    assert cli.main(["check", str(big)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "too large" in err and str(big) in err


def test_written_files_get_normal_permissions(tmp_path: Path) -> None:
    """Atomic writes must not leave 0600 files behind (mkstemp's default)."""
    import stat

    from reviewkit.io import write_atomic

    old = os.umask(0o022)
    try:
        fresh = tmp_path / "reply.eml"
        write_atomic(fresh, "x\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "hook"
        kept.write_text("#!/bin/sh\n")
        kept.chmod(0o755)
        write_atomic(kept, "#!/bin/sh\nexit 0\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o755
    finally:
        os.umask(old)


def test_scan_skips_series_only_rules_unless_selected(tmp_path: Path) -> None:
    """A whole-file audit must not report every pre-existing one-letter local in a tree."""
    src = tmp_path / "old.c"
    src.write_text(
        "struct list_lru_one;\n\nint walk(struct list_head *h)\n{\n\tstruct list_lru_one *l = first(h);\n\n"
        + "".join(f"\tstep({n}, l);\n" for n in range(60))
        + "\treturn 0;\n}\n"
    )
    default = json.loads(run("scan", "--no-cache", "-q", "-f", "json", str(src)).stdout)
    assert [f["rule"] for f in default["findings"]] == []
    asked = run("scan", "--no-cache", "-q", "-f", "json", "--rule", "short-identifier", str(src))
    assert {f["rule"] for f in json.loads(asked.stdout)["findings"]} == {"short-identifier"}


def test_scan_select_and_ignore_speak_checks_vocabulary(tmp_path: Path) -> None:
    """``--select``/``--ignore`` mean in scan what they mean in check; an unknown id is still a usage error."""
    src = tmp_path / "old.c"
    src.write_text("int walk(struct list_head *h)\n{\n\tstruct list_lru_one *l = first(h);\n\n\treturn step(l);\n}\n")
    asked = run("scan", "--no-cache", "-q", "-f", "json", "--select", "short-identifier", str(src))
    assert {f["rule"] for f in json.loads(asked.stdout)["findings"]} == {"short-identifier"}
    both = run(
        "scan",
        "--no-cache",
        "-q",
        "-f",
        "json",
        "--select",
        "short-identifier",
        "--ignore",
        "short-identifier",
        str(src),
    )
    assert json.loads(both.stdout)["findings"] == []
    assert run("scan", "--no-cache", "-q", "--ignore", "no-such-rule", str(src)).returncode == 2


def test_scan_fix_of_an_absolute_path_applies_from_the_root(tmp_path: Path) -> None:
    """``scan /abs/f.c``: the suggested diff names ``a/abs/f.c`` (not ``a//abs``), so ``git apply -p1`` works from /."""
    src = tmp_path / "teardown.c"
    src.write_bytes((ROOT / "fixtures" / "teardown-order" / "callback-kinds.c").read_bytes())
    out = json.loads(run("scan", "--no-cache", "-q", "-f", "json", "--select", "teardown-order", str(src)).stdout)
    fixes = [f["fix"]["diff"] for f in out["findings"] if f.get("fix")]
    assert fixes, out
    assert fixes[0].startswith(f"--- a/{str(src).lstrip('/')}\n")
    before = src.read_text()
    patch = tmp_path / "fix.diff"
    patch.write_text(fixes[0])
    proc = subprocess.run(["git", "apply", "-p1", str(patch)], cwd="/", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert src.read_text() != before


def test_check_takes_scans_rule_option_and_repeats_it() -> None:
    """``check --rule A --rule B`` is ``check --select A,B`` (scan's name, repeatable); so is --ignore."""

    def ran(*opts: str) -> list[str]:
        proc = run("check", str(DEMO), "-f", "json", *opts)
        assert proc.returncode in (0, 1), proc.stderr
        return sorted(json.loads(proc.stdout)["stats"]["rule_seconds"])

    both = ran("--select", "lock-balance,teardown-order")
    assert both == ["lock-balance", "teardown-order"]
    assert ran("--rule", "lock-balance", "--rule", "teardown-order") == both
    assert ran("--select", "lock-balance", "--rule", "teardown-order") == both
    rest = ran("--ignore", "lock-balance", "--ignore", "teardown-order")
    assert rest and not set(rest) & set(both)
    assert ran("--ignore", "lock-balance,teardown-order") == rest
    bad = run("check", str(DEMO), "--rule", "lock-balanc")
    assert bad.returncode == 2 and b"did you mean 'lock-balance'" in bad.stderr
