"""Fix verification: a fix is offered only if it applies, parses and removes its finding."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import reviewkit.rules.teardown_order.rule as teardown

from reviewkit.engine import run as engine
from reviewkit.engine.run import build_context
from reviewkit.engine.scan import file_view, scan_context
from reviewkit.fixes import verify
from reviewkit.fixes.diff import DiffError, fix_from_diff, parse, render
from reviewkit.fixes.edits import edit_on_text, edit_on_view
from reviewkit.load.series import load
from reviewkit.model import Applicability, Edit, Finding, Fix, Severity
from reviewkit.views.context import ReviewContext
from reviewkit.views.source import FileView

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "teardown-order"
PATCH = FIXTURES / "lru-destroyed-first.patch"


def _raw_findings(ctx: object) -> list[Finding]:
    """teardown-order's findings with fixes as built, before verification."""
    token = verify._VERIFYING.set(True)
    try:
        return list(teardown.check(ctx))  # type: ignore[arg-type]
    finally:
        verify._VERIFYING.reset(token)


@pytest.fixture
def fragment() -> tuple[object, Finding]:
    ctx = build_context(load(str(PATCH)))
    found = _raw_findings(ctx)
    assert [f.line for f in found] == [30, 41]
    return ctx, found[0]


def _with_fix(finding: Finding, edits: list[tuple[int, int, tuple[str, ...]]], ctx: object) -> Finding:
    view = ctx.file_view(finding.file, ctx.patches[0].patch)  # type: ignore[attr-defined]
    finding.fix = Fix("test", tuple(edit_on_view(view, start, end, new) for start, end, new in edits))
    return finding


def test_the_rules_own_fix_verifies(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    assert verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_fix_that_leaves_the_finding_is_rejected(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    view = ctx.file_view(finding.file, ctx.patches[0].patch)  # type: ignore[attr-defined]
    comment = view.line_text(30).replace("list_lru_destroy(&pool_lru);", "/* destroy the lru */")
    _with_fix(finding, [(30, 30, (comment,))], ctx)
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_fix_that_breaks_the_parse_is_rejected(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    # deleting the destroy "fixes" the order, but the new line does not parse
    _with_fix(finding, [(30, 31, ("\t\tlist_lru_destroy(&pool_lru;",))], ctx)
    assert verify.count_errors("void f(void) { list_lru_destroy(&pool_lru; }") > 0
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_fix_that_does_not_apply_is_rejected(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    assert finding.fix is not None
    stale = finding.fix.diff.replace("shrinker_free(pool_shrinker);\n+", "shrinker_free(x);\n+", 1)
    finding.fix = fix_from_diff("stale", stale)
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]
    with pytest.raises(DiffError):
        parse("this is not a diff\n")  # garbage never becomes a fix


def test_fix_reaching_into_unseen_code_is_rejected(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    assert finding.fix is not None
    # same edit, but anchored 100 lines further down where the patch shows nothing
    shifted = finding.fix.diff.replace("@@ -28,6 +28,6 @@", "@@ -128,6 +128,6 @@")
    assert shifted != finding.fix.diff
    finding.fix = fix_from_diff("shifted", shifted)
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_offer_keeps_the_finding_and_drops_a_bad_fix(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    finding.fix = fix_from_diff("garbage", "--- a/mm/pool.c\n+++ b/mm/pool.c\n@@ -1,1 +1,1 @@\n-nope\n+nope2\n")
    out = list(verify.offer(ctx, [finding], teardown.check))  # type: ignore[arg-type]
    assert out == [finding] and finding.fix is None
    assert ctx.stats.get("fixes_dropped") == 1  # type: ignore[attr-defined]


def test_apply_fix_folds_into_the_patch(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    fixed = verify.apply_fix(ctx, finding)  # type: ignore[arg-type]
    view = fixed.file_view("mm/pool.c", fixed.patches[0].patch)
    assert view is not None
    assert view.line_text(30).strip() == "shrinker_free(pool_shrinker);"
    assert view.line_text(31).strip().startswith("list_lru_destroy(&pool_lru);")
    assert 31 in view.added and 30 not in view.added  # the freed line is context again
    assert [f.line for f in _raw_findings(fixed)] == [41]


def test_tree_mode_fix_is_checked_with_git_apply() -> None:
    patch = FIXTURES / "tree-link-unchanged.patch"
    ctx = build_context(load(str(patch)), tree=str(patch.with_suffix(".tree")))
    (finding,) = _raw_findings(ctx)
    assert verify.verify_fix(ctx, finding, teardown.check)
    assert finding.fix is not None
    wrong = finding.fix.diff.replace("\n }\n", "\n };\n")
    assert wrong != finding.fix.diff
    finding.fix = fix_from_diff("wrong context", wrong)
    assert not verify.verify_fix(ctx, finding, teardown.check)


def test_render_text_never_uses_the_end_of_file_as_a_line() -> None:
    text = "int a;\nint b;\nint c;\n"
    diff = render(Fix("t", (edit_on_text("x.c", text, 3, 4, ("int d;",)),)))
    # no line follows "int c;", so (symmetric context) none precedes it either
    assert diff == "--- a/x.c\n+++ b/x.c\n@@ -3,1 +3,1 @@\n-int c;\n+int d;\n"


def test_verification_does_not_recurse(fragment: tuple[object, Finding]) -> None:
    ctx, _finding = fragment
    token = verify._VERIFYING.set(True)
    try:
        assert verify.verifying()
        found = list(teardown.check(ctx))  # type: ignore[arg-type]
    finally:
        verify._VERIFYING.reset(token)
    assert all(f.fix is not None and not f.fix.verified for f in found)


# --------------------------------------------------------------------------
# Central verification: engine.run() verifies every rule's fixes, once


TOY_TEXT = "int toy(void)\n{\n\ttoy_bad();\n\treturn 0;\n}\n"


def _toy_rule(rule_id: str, make_fix: Callable[[FileView, int], Fix | None]) -> tuple[engine.Rule, list[int]]:
    """A rule flagging ``toy_bad();`` lines with the fix ``make_fix`` builds; also returns its call counter."""
    runs: list[int] = []

    def check(ctx: ReviewContext) -> Iterator[Finding]:
        runs.append(1)
        for _pc, view in ctx.files():
            for line in view.lines("post"):
                if "toy_bad(" in line.text:
                    yield ctx.finding(
                        rule_id,
                        "warning",
                        f"toy_bad() at {line.number}",
                        view.path,
                        line.number,
                        fix=make_fix(view, line.number),
                    )

    mod = ModuleType(f"toy_verify_{rule_id.replace('-', '_')}", "Toy rule.\n")
    mod.ID, mod.SEVERITY, mod.check = rule_id, Severity.WARNING, check  # type: ignore[attr-defined]
    rule = engine._rule_from_module(mod, "test")
    assert rule is not None
    return rule, runs


def _run(rule: engine.Rule) -> tuple[list[Finding], ReviewContext]:
    ctx = scan_context([file_view(Path("toy.c"), TOY_TEXT, "toy.c")])
    return engine.run(ctx, [rule]), ctx


def test_engine_verifies_a_fix_the_rule_did_not_offer() -> None:
    rule, runs = _toy_rule("toy-drop", lambda view, n: Fix("Drop it", (edit_on_view(view, n, n + 1, ()),)))
    (finding,), _ctx = _run(rule)
    assert finding.fix is not None and finding.fix.verified
    assert len(runs) == 2  # the rule itself, then once on the fixed code: the "before" side is reused


def test_engine_drops_a_fix_that_leaves_the_finding() -> None:
    def comment_out_return(view: FileView, n: int) -> Fix:
        return Fix("Comment", (edit_on_view(view, n + 1, n + 2, ("\t/* return 0; */",)),))

    rule, _runs = _toy_rule("toy-wrong", comment_out_return)
    (finding,), ctx = _run(rule)
    assert finding.fix is None and finding.message == "toy_bad() at 3"
    assert ctx.stats.get("fixes_dropped") == 1


def test_engine_leaves_display_and_already_verified_fixes_alone() -> None:
    def shown(view: FileView, n: int) -> Fix:
        return Fix("Just look", (Edit("toy.c", 999, 999, ("never applied",)),), Applicability.DISPLAY)

    def verified(view: FileView, n: int) -> Fix:
        return Fix("Checked by the rule", (Edit("toy.c", 999, 1000, ()),), verified=True)

    for make in (shown, verified):
        rule, runs = _toy_rule("toy-shown", make)
        (finding,), _ctx = _run(rule)
        assert finding.fix is not None and finding.fix.verified == (make is verified)
        assert len(runs) == 1
