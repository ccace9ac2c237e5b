"""helper-extraction: the three helpers of the seed review, verified, and the transform engine."""

from __future__ import annotations

import re
from pathlib import Path

import _frobseries
import pytest
from reviewkit.rules.helper_extraction import rule as helper_extraction

from reviewkit.engine import run as engine
from reviewkit.engine.registry import discover
from reviewkit.fixes import verify
from reviewkit.load.series import load
from reviewkit.transform import facade as transform
from reviewkit.views.build import build_context


def _run(ctx):  # type: ignore[no-untyped-def]
    """The rule as the engine runs it: its fixes verified."""
    return engine.run(ctx, [r for r in discover() if r.id == helper_extraction.ID])


@pytest.fixture(scope="module")
def seed_findings():  # type: ignore[no-untyped-def]
    seed = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "thp-list_lru-v3-7of7.mbox"
    if not seed.is_file():
        pytest.skip("../shared/corpus is not available")
    ctx = build_context(load(str(seed)))
    return ctx, _run(ctx)


def _by_kind(findings, kind):  # type: ignore[no-untyped-def]
    return [f for f in findings if f.extra.get("kind") == kind]


def test_seed_cross_file_helper_covers_all_four_sites(seed_findings) -> None:  # type: ignore[no-untyped-def]
    _ctx, findings = seed_findings
    (f,) = _by_kind(findings, "guarded-call")
    for site in ("mm/huge_memory.c:1249", "mm/khugepaged.c:1093", "mm/memory.c:4661", "mm/memory.c:5185"):
        assert site in f.message
    assert f.fix is not None and f.fix.verified
    diff = f.fix.diff
    assert "-extern struct list_lru deferred_split_lru;" in diff
    assert "+int folio_memcg_alloc_deferred_split(struct folio *folio, gfp_t gfp);" in diff
    assert "+static struct list_lru deferred_split_lru;" in diff
    assert diff.count("+\t\tif (folio_memcg_alloc_deferred_split(folio, gfp))\n") == 2  # memory.c: braces dropped
    # each site keeps its own follow-up
    assert "SCAN_CGROUP_CHARGE_FAIL" in diff and "goto fallback;" in diff and "THP_FAULT_FALLBACK" in diff
    assert f.rationale or helper_extraction.__doc__


def test_seed_locked_add_and_local_del(seed_findings) -> None:  # type: ignore[no-untyped-def]
    _ctx, findings = seed_findings
    seq = [f for f in _by_kind(findings, "sequence") if "__list_lru_add" in f.message]
    assert len(seq) == 1 and seq[0].function == "deferred_split_scan"
    assert "deferred_split_folio()" in seq[0].message
    assert seq[0].fix is not None and seq[0].fix.verified
    assert "+static void folio_deferred_split_add_irq(struct folio *folio)" in seq[0].fix.diff
    (call,) = [f for f in _by_kind(findings, "call") if "__list_lru_del" in f.message]
    assert call.fix is not None and call.fix.verified
    assert "folio_deferred_split_del(struct folio *folio, struct list_lru_one *l, int nid)" in call.fix.diff
    assert "+\tif (folio_deferred_split_del(folio, l, nid)) {" in call.fix.diff


def test_seed_ranked_cross_file_first_and_nothing_trivial(seed_findings) -> None:  # type: ignore[no-untyped-def]
    _ctx, findings = seed_findings
    ranked = sorted(findings, key=lambda f: f.extra["rank"])
    assert ranked[0].extra["kind"] == "guarded-call"
    assert len(findings) == 3


def test_seed_fixes_remove_their_findings(seed_findings) -> None:  # type: ignore[no-untyped-def]
    ctx, findings = seed_findings
    for f in findings:
        fixed = verify.apply_fix(ctx, f)
        after = {g.fingerprint for g in _run(fixed)}
        assert f.fingerprint not in after


def test_synthetic_series_global_made_static(tmp_path: Path) -> None:
    _repo, mbox = _frobseries.build(tmp_path)
    findings = _run(build_context(load(str(mbox))))
    (f,) = findings
    assert "frob/user.c:7" in f.message and "frob/user.c:20" in f.message
    assert f.fix is not None and f.fix.verified and f.fix.safety == "unsafe"  # return type is a guess
    assert "+static struct frob_pool frob_reserve_pool;" in f.fix.diff


def test_repetition_already_in_the_pre_image_is_quiet(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "fixtures" / "helper-extraction" / "trivial-repetition.patch").read_text()
    p = tmp_path / "t.patch"
    p.write_text(text)
    assert _run(build_context(load(str(p)))) == []


def test_names_say_what_the_helper_does() -> None:
    lru = transform.GlobalDecl("deferred_split_lru", "struct list_lru", "mm/x.c", 1, "", True, "")
    assert transform.global_stem(lru) == "deferred_split"
    assert transform.helper_name("folio_memcg_list_lru_alloc", lru, "folio") == "folio_memcg_alloc_deferred_split"
    assert transform.helper_name("__list_lru_del", lru, "folio") == "folio_deferred_split_del"
    assert transform.helper_name("__list_lru_add", lru, "folio", "_irq") == "folio_deferred_split_add_irq"
    assert transform.helper_name("__list_lru_add", None, None, "_irq") == "list_lru_add_irq"


def test_coarse_shape_ignores_arguments_fine_shape_does_not() -> None:
    from reviewkit.views.source import FunctionView

    text = "void f(void)\n{\n\tg(a, h(b));\n\tg(c, d);\n}\n"
    fv = FunctionView("f", "x.c", "post", text, list(range(1, 6)), [], True, True)
    stmts = [s for run in transform.statement_runs(fv) for s in run]
    assert stmts[0].coarse == stmts[1].coarse
    assert stmts[0].fine != stmts[1].fine
    assert re.search(r"g\(\$,h\(\$\)\)", stmts[0].fine)
