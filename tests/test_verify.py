"""Fix verification: a fix is offered only if it applies, parses and removes its finding."""

from __future__ import annotations

from pathlib import Path

import pytest
import reviewkit.rules.teardown_order as teardown

from reviewkit import verify
from reviewkit.engine import build_context
from reviewkit.findings import Finding, Fix
from reviewkit.fixes import LineEdit, render, render_text
from reviewkit.series import load

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


def _with_fix(finding: Finding, edits: list[LineEdit], ctx: object) -> Finding:
    view = ctx.file_view(finding.file, ctx.patches[0].patch)  # type: ignore[attr-defined]
    finding.fix = Fix("test", render(view, edits))
    return finding


def test_the_rules_own_fix_verifies(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    assert verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_fix_that_leaves_the_finding_is_rejected(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    view = ctx.file_view(finding.file, ctx.patches[0].patch)  # type: ignore[attr-defined]
    comment = view.line_text(30).replace("list_lru_destroy(&pool_lru);", "/* destroy the lru */")
    _with_fix(finding, [LineEdit(30, 29, (comment,))], ctx)
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_fix_that_breaks_the_parse_is_rejected(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    # deleting the destroy "fixes" the order, but the new line does not parse
    _with_fix(finding, [LineEdit(30, 30, ("\t\tlist_lru_destroy(&pool_lru;",))], ctx)
    assert verify.count_errors("void f(void) { list_lru_destroy(&pool_lru; }") > 0
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_fix_that_does_not_apply_is_rejected(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    assert finding.fix is not None
    finding.fix = Fix("stale", finding.fix.diff.replace("shrinker_free(pool_shrinker);\n+", "shrinker_free(x);\n+", 1))
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]
    finding.fix = Fix("garbage", "this is not a diff\n")
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_fix_reaching_into_unseen_code_is_rejected(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    assert finding.fix is not None
    # same edit, but anchored 100 lines further down where the patch shows nothing
    shifted = finding.fix.diff.replace("@@ -28,6 +28,6 @@", "@@ -128,6 +128,6 @@")
    assert shifted != finding.fix.diff
    finding.fix = Fix("shifted", shifted)
    assert not verify.verify_fix(ctx, finding, teardown.check)  # type: ignore[arg-type]


def test_offer_keeps_the_finding_and_drops_a_bad_fix(fragment: tuple[object, Finding]) -> None:
    ctx, finding = fragment
    finding.fix = Fix("garbage", "--- a/mm/pool.c\n+++ b/mm/pool.c\n@@ -1,1 +1,1 @@\n-nope\n+nope2\n")
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
    finding.fix = Fix("wrong context", wrong)
    assert not verify.verify_fix(ctx, finding, teardown.check)


def test_render_text_never_uses_the_end_of_file_as_a_line() -> None:
    text = "int a;\nint b;\nint c;\n"
    diff = render_text("x.c", text, [LineEdit(3, 3, ("int d;",))])
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
