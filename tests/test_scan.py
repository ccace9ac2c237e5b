"""``reviewkit scan``: parallel results equal serial ones, the prefilter hides only
what cannot matter, budgets and rule failures become notes, output streams."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import toy_rules
from toy_rules import BAD, CRASH, SLOW, make

from reviewkit.cli import main
from reviewkit.commands.scan import Progress
from reviewkit.engine import run as engine
from reviewkit.engine.scan import file_view, scan, scan_context

CLEAN = "static int helper_{n}(int x)\n{{\n\treturn x + {n};\n}}\n"
DIRTY = "int user_{n}(int x)\n{{\n\tif (x)\n\t\ttoy_bad(x);\n\treturn x;\n}}\n"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("REVIEWKIT_NO_CACHE", raising=False)
    return cache


def make_tree(root: Path, files: int = 12) -> Path:
    """``files`` C files under two directories; every third one calls toy_bad()."""
    for n in range(files):
        sub = root / ("a" if n % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{n}.c").write_text((DIRTY if n % 3 == 0 else CLEAN).format(n=n))
    (root / "a" / "notes.txt").write_text("toy_bad( in a text file is not scanned\n")
    return root


def triples(results: list) -> list[tuple[str, str, int, str]]:
    return sorted((f.rule, f.file, f.line, f.message) for r in results for f in r.findings)


def test_parallel_equals_serial(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "src")
    rules = make(BAD)
    serial = list(scan([str(tree)], rules, jobs=1, use_cache=False))
    parallel = list(scan([str(tree)], rules, jobs=2, use_cache=False))
    assert len(serial) == len(parallel) == 12
    assert triples(serial) == triples(parallel)
    assert len(triples(serial)) == 4
    assert all(f.line == 4 and "toy_bad()" in f.message for r in serial for f in r.findings)


def test_results_stream_per_file(tmp_path: Path) -> None:
    """The scan is a generator of per-file results: the first arrives before the rest are done."""
    tree = make_tree(tmp_path / "src", files=6)
    gen = scan([str(tree)], make(BAD), jobs=1, use_cache=False)
    first = next(gen)
    assert first.path.endswith(".c") and not first.cached
    assert len([first, *gen]) == 6


def test_prefilter_hides_files_and_functions_without_tokens() -> None:
    text = DIRTY.format(n=1) + CLEAN.format(n=2) + CLEAN.format(n=3)
    views = [file_view(Path("one.c"), text, "one.c"), file_view(Path("two.c"), CLEAN.format(n=4), "two.c")]
    ctx = scan_context(views)
    toy_rules.SEEN.clear()
    findings = engine.run(ctx, make(BAD))
    assert [f.line for f in findings] == [4]
    assert toy_rules.SEEN["toy-bad"] == ["user_1"]
    assert not views[1]._functions, "a file without any token must not even be parsed"
    assert ctx.stats["prefilter_skipped_files"] == 1
    assert ctx.stats["prefilter_skipped_functions"] == 2


def test_prefilter_never_changes_findings(tmp_path: Path) -> None:
    """Same rule with and without TOKENS: identical findings."""
    text = "".join((DIRTY if n % 2 else CLEAN).format(n=n) for n in range(8))
    with_tokens = engine.run(scan_context([file_view(Path("x.c"), text, "x.c")]), make(BAD))
    plain = make(BAD)[0]
    plain.module = type(BAD)("plain")  # a module without TOKENS
    without = engine.run(scan_context([file_view(Path("x.c"), text, "x.c")]), [plain])
    assert [(f.line, f.message) for f in with_tokens] == [(f.line, f.message) for f in without]


def test_budget_overrun_is_a_note_not_a_crash(tmp_path: Path) -> None:
    src = tmp_path / "slow.c"
    src.write_text("void stuck(void)\n{\n\ttoy_slow();\n\ttoy_bad(1);\n}\n")
    [res] = scan([str(src)], make(SLOW, BAD), jobs=1, timeout=0.3, use_cache=False)
    assert any("[toy-slow] skipped" in n for n in res.notes)
    assert [f.rule for f in res.findings] == ["toy-bad"], "the other rules still report"


def test_rule_crash_is_a_note_and_not_cached(tmp_path: Path) -> None:
    src = tmp_path / "crash.c"
    src.write_text("void boom(void)\n{\n\ttoy_crash();\n\ttoy_bad(1);\n}\n")
    for _ in range(2):
        [res] = scan([str(src)], make(CRASH, BAD), jobs=1)
        assert not res.cached
        assert any("[toy-crash] skipped: internal error: ValueError" in n for n in res.notes)
        assert [f.rule for f in res.findings] == ["toy-bad"]


def test_unreadable_file_is_a_note(tmp_path: Path) -> None:
    [res] = scan([], make(BAD), files=[str(tmp_path / "gone.c")], use_cache=False)
    assert res.notes and "not scanned" in res.notes[0] and not res.findings


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def test_cli_json_is_the_same_serial_parallel_and_cached(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "src")
    docs = []
    for args in (["-j", "1", "--no-cache"], ["-j", "2"], ["-j", "2"]):
        rc, out, err = run_cli("scan", str(tree), "--format", "json", *args)
        assert rc in (0, 1), err
        assert "Traceback" not in err
        docs.append(json.loads(out))
    assert docs[0]["findings"] == docs[1]["findings"] == docs[2]["findings"]
    assert docs[2]["stats"]["cached"] == docs[2]["stats"]["files"] == 12


def test_cli_text_streams_and_summarises(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "src", files=4)
    rc, out, err = run_cli("scan", str(tree), "-j", "2", "--no-cache")
    assert rc in (0, 1)
    assert out.rstrip().splitlines()[-1].startswith("reviewkit: scanned 4 files")
    assert "\r" not in err, "no progress bar when stderr is not a terminal"


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "{tmp}/missing"],
        ["scan", "{tmp}", "--rule", "no-such-rule"],
        ["scan", "{tmp}", "--format", "yaml"],
        ["scan", "{tmp}", "-j", "-3"],
        ["scan", "{tmp}", "--executor", "nowhere", "-j", "2"],
    ],
)
def test_cli_usage_errors_exit_2(tmp_path: Path, argv: list[str]) -> None:
    make_tree(tmp_path, files=3)
    rc, _out, err = run_cli(*[a.format(tmp=tmp_path) for a in argv])
    assert rc == 2
    assert err.startswith("reviewkit: error: ") and err.count("\n") == 1, err


def test_progress_bar_only_on_a_terminal() -> None:
    quiet, loud = io.StringIO(), io.StringIO()
    for stream, enabled in ((quiet, False), (loud, True)):
        bar = Progress(10, stream, enabled)
        for done in range(1, 11):
            bar.update(done, findings=done // 2, cached=0)
        bar.clear()
    assert quiet.getvalue() == ""
    assert "10/10 files" in loud.getvalue() and loud.getvalue().endswith("\r\x1b[K")


def test_cli_output_file_is_written_whole(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "src", files=4)
    out_file = tmp_path / "report" / "scan.json"
    rc, out, _err = run_cli("scan", str(tree), "-j", "1", "--format", "json", "-o", str(out_file))
    assert rc in (0, 1) and out == ""
    assert json.loads(out_file.read_text())["stats"]["files"] == 4


def _square(x: int) -> int:
    return x * x


def _setup(marker: list[int]) -> None:
    marker.append(1)


def test_executors_return_every_result() -> None:
    from reviewkit.engine.executor import ProcessExecutor, SerialExecutor, get_executor
    from reviewkit.errors import UsageError

    assert isinstance(get_executor("local", 1), SerialExecutor)
    assert isinstance(get_executor("local", 2), ProcessExecutor)
    marker: list[int] = []
    assert list(SerialExecutor().map_unordered(_square, range(5), setup=_setup, setup_args=(marker,))) == [
        0,
        1,
        4,
        9,
        16,
    ]
    assert marker == [1]
    assert sorted(ProcessExecutor(2).map_unordered(_square, range(50))) == [x * x for x in range(50)]
    with pytest.raises(UsageError):
        get_executor("ray-not-installed", 2)
