"""Check latency: verification re-runs reuse parses and analyses; the api imports its engines lazily."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from reviewkit.rules.helper_extraction import rule as helper_extraction
from reviewkit.rules.teardown_order import rule as teardown_order

from reviewkit.cparse import memo
from reviewkit.engine.run import build_context
from reviewkit.fixes import fold, verify
from reviewkit.load.series import load
from reviewkit.transform import facade as transform
from reviewkit.views.source import FunctionView

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _raw(check, ctx):  # type: ignore[no-untyped-def]
    """A rule's findings with fixes as built (verification off)."""
    token = verify._VERIFYING.set(True)
    try:
        return list(check(ctx))
    finally:
        verify._VERIFYING.reset(token)


def _view(text: str, name: str = "f") -> FunctionView:
    return FunctionView(name, "x.c", "post", text, list(range(1, text.count("\n") + 1)), [], True, True)


def test_same_text_same_parse_and_facts() -> None:
    text = "void f(void)\n{\n\tg(a);\n\th(b);\n}\n"
    a, b = _view(text), _view(text)
    transform.share([a, b])
    assert a.parsed is b.parsed
    runs_a = [[s.coarse for s in run] for run in transform.statement_runs(a)]
    assert transform.facts(b, "runs")  # b finds what a computed
    assert [[s.coarse for s in run] for run in transform.statement_runs(b)] == runs_a
    # the statements are b's, not a's
    assert all(s.fv is b for run in transform.statement_runs(b) for s in run)


def test_other_lines_other_runs() -> None:
    """Line numbers are part of a statement: the same text elsewhere in the file is not replayed."""
    text = "void f(void)\n{\n\tg(a);\n\th(b);\n}\n"
    a = _view(text)
    b = FunctionView("f", "x.c", "post", text, [n + 10 for n in range(1, 6)], [], True, True)
    transform.share([a, b])
    first_a = [s.first for run in transform.statement_runs(a) for s in run]
    first_b = [s.first for run in transform.statement_runs(b) for s in run]
    assert first_b == [n + 10 for n in first_a]


def test_budget_bounds_what_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    memo.clear()
    monkeypatch.setattr(memo, "BUDGET", 200)
    texts = [f"int v{i};\nvoid f{i}(void)\n{{\n\tg({i});\n}}\n" for i in range(20)]
    parses = [memo.parse(t) for t in texts]
    assert memo._size <= 200
    assert memo.parse(texts[-1]) is parses[-1]  # recent: kept
    assert memo.parse(texts[0]) is not parses[0]  # old: evicted, parsed again
    memo.clear()


def test_whole_file_share_is_not_a_text_parse() -> None:
    """A function's share of a file's parse (tree/scan mode) never stands in for a parse of the file's text."""
    from reviewkit.engine.scan import file_view, scan_context

    text = "void f(void)\n{\n\tg(a);\n}\n\nvoid h(void)\n{\n\tk(b);\n}\n"
    ctx = scan_context([file_view(Path("x.c"), text, "x.c")])
    views = list(ctx.functions())
    transform.share(views)
    whole = memo.parse(text)
    assert whole.root.type == "translation_unit"
    assert len(whole.functions()) == 2


def test_verification_rerun_keeps_untouched_functions() -> None:
    """Folding a fix rebuilds only what it changed: other functions keep their views' parses."""
    patch = FIXTURES / "teardown-order" / "lru-destroyed-first.patch"
    ctx = build_context(load(str(patch)))
    for _pc, fv in ctx.c_files():
        transform.share(fv.functions("post") + fv.functions("pre"))
    finding = _raw(teardown_order.check, ctx)[0]
    fixed = fold.apply_fix(ctx, finding)
    old = {(fv.name, fv.text): fv for _pc, v in ctx.c_files() for fv in v.functions("post")}
    new = [fv for _pc, v in fixed.c_files() for fv in v.functions("post")]
    kept = [fv for fv in new if (fv.name, fv.text) in old]
    changed = [fv for fv in new if (fv.name, fv.text) not in old]
    assert changed and kept
    assert all(fv.parsed is old[(fv.name, fv.text)].parsed for fv in kept)
    assert all(fv.patch is fixed.patches[0].patch for fv in new)  # the folded patch, not the old one


def _fixes(path: Path) -> list[tuple[str, str | None, bool]]:
    found = helper_extraction.check(build_context(load(str(path))))
    return [(f.fingerprint, f.fix.diff if f.fix else None, bool(f.fix and f.fix.verified)) for f in found]


def test_verified_fixes_are_the_same_with_a_cold_memo() -> None:
    inputs = sorted(p for p in (FIXTURES / "helper-extraction").glob("*.*") if not p.name.endswith(".fixed"))
    assert inputs
    offered = 0
    for path in inputs:
        memo.clear()
        cold = _fixes(path)
        assert cold == _fixes(path)  # warm: everything from the memo
        offered += sum(1 for _fp, diff, verified in cold if diff and verified)
    assert offered  # a fix was verified, so the re-runs did happen


def test_a_fix_git_refuses_is_not_verified(tmp_path: Path) -> None:
    check = fold.GitCheck([("a.c", "int a;\n", _one_file_diff("@@ -1,1 +1,1 @@\n-int b;\n+int c;\n"))])
    with pytest.raises(fold.FixError):
        check.wait()
    fold.GitCheck([("a.c", "int a;\n", _one_file_diff("@@ -1,1 +1,1 @@\n-int a;\n+int c;\n"))]).wait()


def _one_file_diff(hunk: str):  # type: ignore[no-untyped-def]
    import unidiff

    return unidiff.PatchSet("--- a/a.c\n+++ b/a.c\n" + hunk)[0]


def test_api_imports_the_engines_on_first_use() -> None:
    code = (
        "import sys, reviewkit.api as api\n"
        "assert 'reviewkit.flow.engine' not in sys.modules and 'reviewkit.transform.facade' not in sys.modules\n"
        "from reviewkit.api import analyse_locks, transform\n"
        "import reviewkit.locks.analysis as fl\n"
        "assert analyse_locks is fl.analyse and transform.__name__ == 'reviewkit.transform.facade'\n"
        "assert all(getattr(api, n) is not None for n in api.__all__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
