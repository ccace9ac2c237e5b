"""short-identifier, mixed-refactor, changelog-symbol, whitespace-noise on the seed and on synthetic code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES

from reviewkit.cli import main
from reviewkit.cparse import parse as cparse
from reviewkit.engine.registry import find_rule
from reviewkit.load.series import load
from reviewkit.review.pipeline import review
from reviewkit.transform import rename, symbols
from reviewkit.views.build import build_context
from reviewkit.views.source import FunctionView

KERNEL = Path("/work/kernel/linux-source-6.1")


def _rule(findings: list, rule: str) -> list:
    return [f for f in findings if f.rule == rule]


def _view(code: str) -> FunctionView:
    rows = code.count("\n") + 1
    return FunctionView("f", "x.c", "post", code, list(range(1, rows + 1)), [], True, True)


# --------------------------------------------------------------------------
# short-identifier


def test_seed_short_identifier_reports_the_four_new_l_locals(seed_mbox: Path) -> None:
    found = _rule(review(load(str(seed_mbox)), rules=["short-identifier"]).findings, "short-identifier")
    assert sorted(f.function for f in found) == sorted(
        [
            "__folio_freeze_and_split_unmapped",
            "__folio_unqueue_deferred_split",
            "deferred_split_folio",
            "deferred_split_scan",
        ]
    )
    assert all(f.extra["name"] == "l" and f.extra["type"] == "struct list_lru_one *" for f in found)
    assert all("`l`" in f.message and "struct list_lru_one" in f.message for f in found)


def test_seed_rename_fix_only_where_the_whole_function_is_visible(seed_mbox: Path) -> None:
    found = _rule(review(load(str(seed_mbox)), rules=["short-identifier"]).findings, "short-identifier")
    with_fix = [f for f in found if f.fix is not None]
    assert [f.function for f in with_fix] == ["__folio_unqueue_deferred_split"]
    fix = with_fix[0].fix
    assert fix.verified
    assert "+\tstruct list_lru_one *lru_one;" in fix.diff
    assert "+\tlist_lru_unlock_irqrestore(lru_one, &flags);" in fix.diff
    assert "->l" not in fix.diff.replace("->lru", "")


def test_rename_touches_identifiers_only_in_scope() -> None:
    code = (
        "int f(struct box *b)\n{\n\tstruct list_lru_one *l = b->l;\n\tint x = 0;\n\n"
        '\tif (l)\n\t\tx = l->nr_items + b->l->nr;\n\tgoto l_out;\nl_out:\n\treturn x + use(l, "l");\n}\n'
    )
    fv = _view(code)
    decl = next(d for d in rename.local_declarations(fv) if d.name == "l")
    new = rename.choose_name(fv, decl, {})
    assert new == "lru_one"
    renamed = rename.renamed_lines(fv, decl, new)
    assert renamed is not None
    assert renamed[3] == "\tstruct list_lru_one *lru_one = b->l;"
    assert renamed[7] == "\t\tx = lru_one->nr_items + b->l->nr;"
    assert renamed[10] == '\treturn x + use(lru_one, "l");'
    assert 8 not in renamed and 9 not in renamed  # the label is not the variable
    fixed = "\n".join(renamed.get(n, t) for n, t in enumerate(code.split("\n"), 1))
    assert not cparse.parse(fixed).root.has_error


def test_rename_never_collides() -> None:
    fv = _view("int f(void)\n{\n\tstruct list_lru_one *l;\n\tint lru_one = 1;\n\treturn use(l) + lru_one;\n}\n")
    decl = next(d for d in rename.local_declarations(fv) if d.name == "l")
    assert rename.choose_name(fv, decl, {}) == "list_lru_one"
    assert rename.derived_name("vm_area_struct", {"vm_area_struct": "vma"})[0] == "vma"
    assert rename.derived_name("spinlock_t")[0] == "spinlock"


def test_rename_refuses_fragments_with_gaps() -> None:
    code = "int f(void)\n{\n\tstruct foo *q;\n\t__rk_gap(0);\n\treturn use(q);\n}\n"
    fv = FunctionView("f", "x.c", "post", code, [1, 2, 3, None, 9, 10], [], True, True)
    fv.gaps = [object()]  # type: ignore[list-item]
    decl = rename.local_declarations(fv)[0]
    assert rename.renamed_lines(fv, decl, "foo") is None


def test_short_identifier_policy_on_scan() -> None:
    text = (FIXTURES / "short-identifier" / "long-function.c").read_text()
    from reviewkit.engine.scan import scan_text

    rule = find_rule("short-identifier")
    assert rule is not None
    found = scan_text("long-function.c", text, [rule])
    assert [(f.line, f.extra["name"]) for f in found] == [(17, "r")]
    assert "in a function of" in found[0].message


# --------------------------------------------------------------------------
# mixed-refactor


def test_seed_mixed_refactor_names_both_halves(seed_mbox: Path) -> None:
    found = _rule(review(load(str(seed_mbox)), rules=["mixed-refactor"]).findings, "mixed-refactor")
    assert [(f.file, f.line, f.function) for f in found] == [
        ("mm/memory.c", 4654, "alloc_swap_folio"),
        ("mm/memory.c", 5178, "alloc_anon_folio"),
    ]
    swap, anon = found
    assert swap.extra["logic"] == [4661, 4662, 4663, 4664]
    assert set(swap.extra["restructure"]) == {4654, 4655, 4656, 4659, 4665, 4666}
    assert anon.extra["logic"] == [5185, 5186, 5187, 5188]
    assert "`if (!folio) goto next;`" in swap.message and "folio_memcg_list_lru_alloc" in swap.message


def test_mixed_refactor_quiet_on_pure_restructuring() -> None:
    path = FIXTURES / "mixed-refactor" / "restructure-only.patch"
    assert _rule(review(load(str(path))).findings, "mixed-refactor") == []


# --------------------------------------------------------------------------
# changelog-symbol


def test_changelog_names_skips_prose_quotes_members_and_keywords() -> None:
    from reviewkit.rules.changelog_symbol import changelog_names

    msg = (
        "Call foo_bar() and node(s) from shrinker->scan_objects() if (x) sizeof(y).\n"
        'See commit 0123 ("mm: add quux_frob()").\n\tpseudo(a)\n\n'
        'Fixes: 0123 ("mm: baz_qux()")\nSigned-off-by: A <a@b>\n'
    )
    assert [n for _row, n in changelog_names(msg)] == ["foo_bar", "pseudo"]


def test_changelog_symbol_needs_a_tree() -> None:
    path = FIXTURES / "changelog-symbol" / "pseudo-chain.patch"
    assert _rule(review(load(str(path))).findings, "changelog-symbol") == []


def test_changelog_symbol_with_synthetic_tree() -> None:
    path = FIXTURES / "changelog-symbol" / "pseudo-chain.patch"
    tree = path.with_suffix(".tree")
    found = _rule(review(load(str(path)), tree=str(tree)).findings, "changelog-symbol")
    assert [(f.file, f.line, f.extra["name"]) for f in found] == [
        ("COMMIT_MSG", 7, "gadget_queue_stalled"),
        ("COMMIT_MSG", 11, "gadget_frob_all"),
    ]
    first = found[0]
    assert first.patch_line == 12  # the mbox line, for editors
    assert first.fix is not None and first.fix.safety == "display"
    assert "+until the next submission (simplified):" in first.fix.diff


@pytest.mark.skipif(not KERNEL.is_dir(), reason="no Linux 6.1 tree at /work/kernel")
def test_seed_changelog_symbol_against_linux_6_1(seed_mbox: Path) -> None:
    found = _rule(review(load(str(seed_mbox)), tree=str(KERNEL)).findings, "changelog-symbol")
    assert [f.extra["name"] for f in found] == ["test_shrinker_bit"]
    assert found[0].file == "COMMIT_MSG" and "test_shrinker_bit" in found[0].message


def test_symbol_index_definitions_usage_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    (tree / "lib").mkdir(parents=True)
    (tree / "lib" / "a.c").write_text(
        "static int\nalpha_one(int x)\n{\n\treturn beta_two(x);\n}\n#define gamma_three(x) (x)\n"
        "SYSCALL_DEFINE2(delta, int, a, int, b)\n{\n\treturn 0;\n}\nvoid eps_four(void);\n"
    )
    assert symbols.defined_names((tree / "lib" / "a.c").read_bytes()) >= {
        "alpha_one",
        "gamma_three",
        "delta",
        "sys_delta",
        "eps_four",
    }
    monkeypatch.setenv("REVIEWKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(symbols, "CACHE_MIN_FILES", 0)
    symbols._index_for.cache_clear()
    index = symbols.index(tree)
    assert index.missing(["alpha_one", "beta_two", "no_such_fn"]) == {"no_such_fn"}  # beta_two: called
    assert list((tmp_path / "cache").glob("symbols-*.idx"))
    symbols._index_for.cache_clear()
    again = symbols.index(tree)
    assert again.defined == index.defined and again.used.get("beta_two") is True
    (tree / "lib" / "b.c").write_text("int zeta_five(void)\n{\n\treturn 0;\n}\n")
    symbols._index_for.cache_clear()
    assert "zeta_five" in symbols.index(tree).defined  # a new file changes the stamp
    symbols._index_for.cache_clear()


# --------------------------------------------------------------------------
# whitespace-noise and the docs


def test_seed_whitespace_noise_has_a_verified_fix(seed_mbox: Path) -> None:
    found = _rule(review(load(str(seed_mbox)), rules=["whitespace-noise"]).findings, "whitespace-noise")
    assert [(f.file, f.line) for f in found] == [("mm/khugepaged.c", 1084)]
    assert found[0].fix is not None and found[0].fix.verified
    assert "between unchanged lines 1083 and 1085" in found[0].message


@pytest.mark.parametrize("rule_id", ["short-identifier", "mixed-refactor", "changelog-symbol", "whitespace-noise"])
def test_explain_documents_the_rule(rule_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", rule_id]) == 0
    out = capsys.readouterr().out
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix safety"):
        assert heading in out
    assert "## Not reported" in out or "## Known limitations" in out


def test_fixture_fix_applies_with_git(tmp_path: Path) -> None:
    """The rename diff of a fully visible new function applies to the post-image with git."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    path = FIXTURES / "short-identifier" / "new-locals.patch"
    series = load(str(path))
    found = _rule(review(series).findings, "short-identifier")
    fix = next(f.fix for f in found if f.fix is not None and f.line == 25)
    ctx = build_context(series)
    view = next(fv for _pc, fv in ctx.files())
    lines = {ln.number: ln.text for ln in view.post}
    text = "\n".join(lines.get(n, "/* unseen */") for n in range(1, max(lines) + 1)) + "\n"
    target = tmp_path / view.path
    target.parent.mkdir(parents=True)
    target.write_text(text)
    proc = subprocess.run(["git", "apply", "-p1", "-"], input=fix.diff.encode(), cwd=tmp_path, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert "gadget_queue->pending" in target.read_text()
