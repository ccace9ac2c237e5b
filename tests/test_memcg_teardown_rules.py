"""list-lru-memcg-guard, teardown-order and folio-put-uncharge on the real seed and its mutations.

The seed (fragment mode, no tree) must give exactly the findings the human
reviewers raised, each with a verified fix; mutations of the real mbox (hunk
headers recomputed) must flip the findings the way a reviewer would expect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import seedmut

from reviewkit.load.series import load
from reviewkit.model import Finding
from reviewkit.review.pipeline import review

RULES = ["list-lru-memcg-guard", "teardown-order", "folio-put-uncharge"]
HUGE = "mm/huge_memory.c"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _review(path: Path, tree: Path | None = None) -> list[Finding]:
    return review(load(str(path)), rules=RULES, tree=str(tree) if tree else None).findings


def _mutated(tmp_path: Path, seed: Path, text: str) -> Path:
    out = tmp_path / "mutated.mbox"
    out.write_text(text, "utf-8")
    return out


def _where(findings: list[Finding], rule: str) -> list[tuple[str, int]]:
    return sorted((f.file, f.line) for f in findings if f.rule == rule)


def _diff_sides(diff: str) -> tuple[list[str], list[str]]:
    body = [ln for ln in diff.splitlines() if not ln.startswith(("---", "+++", "@@"))]
    return [ln[1:].strip() for ln in body if ln.startswith("-")], [ln[1:].strip() for ln in body if ln.startswith("+")]


@pytest.fixture(scope="module")
def seed_findings() -> list[Finding]:
    from conftest import SEED

    if not SEED.is_file():
        pytest.skip("../shared/corpus is not available")
    return _review(SEED)


def test_seed_exactly_the_reviewed_findings(seed_findings: list[Finding]) -> None:
    assert _where(seed_findings, "list-lru-memcg-guard") == [(HUGE, 925)]
    assert _where(seed_findings, "teardown-order") == [(HUGE, 952), (HUGE, 967)]
    assert _where(seed_findings, "folio-put-uncharge") == []


def test_seed_fixes_are_verified(seed_findings: list[Finding]) -> None:
    for f in seed_findings:
        assert f.fix is not None and f.fix.verified, f"{f.rule} at {f.line} has no verified fix"
        assert f.fix.diff.startswith(f"--- a/{f.file}\n+++ b/{f.file}\n")


def test_seed_teardown_fixes_swap_the_two_calls(seed_findings: list[Finding]) -> None:
    for f in (x for x in seed_findings if x.rule == "teardown-order"):
        assert f.fix is not None
        removed, added = _diff_sides(f.fix.diff)
        destroy, free = "list_lru_destroy(&deferred_split_lru);", "shrinker_free(deferred_split_shrinker);"
        assert removed == [destroy, free]
        assert added == [free, destroy]


def test_seed_messages_name_objects_lines_and_why(seed_findings: list[Finding]) -> None:
    by_line = {f.line: f for f in seed_findings if f.rule == "teardown-order"}
    for destroy, release in ((952, 953), (967, 968)):
        msg = by_line[destroy].message
        assert "deferred_split_shrinker" in msg and "deferred_split_lru" in msg
        assert f"at {destroy}" in msg and f"at {release}" in msg
        assert "callbacks" in msg and "destroyed" in msg
    guard = next(f for f in seed_findings if f.rule == "list-lru-memcg-guard")
    assert "deferred_split_lru" in guard.message and "cgroup_disable=memory" in guard.message
    assert "__memcg_list_lru_alloc()" in guard.message
    _removed, added = _diff_sides(guard.fix.diff if guard.fix else "")
    assert any("mem_cgroup_disabled()" in ln for ln in added)


def test_error_path_finding_shows_the_path(seed_findings: list[Finding]) -> None:
    err = next(f for f in seed_findings if f.rule == "teardown-order" and f.line == 952)
    lines = [s.line for s in err.path]
    assert 934 in lines  # shrinker_register(): callbacks can run from there
    assert 951 in lines  # the failed allocation that takes the error path
    assert lines[-2:] == [952, 953]


# --------------------------------------------------------------------------
# Mutations of the real series


def test_uncharge_before_put_is_redundant(tmp_path: Path, seed_mbox: Path) -> None:
    text = seed_mbox.read_text("utf-8")
    assert seedmut.line_at(text, HUGE, 1250).strip() == "folio_put(folio);"
    mutated = seedmut.insert_before(text, HUGE, 1250, "\t\tmem_cgroup_uncharge(folio);")
    findings = _review(_mutated(tmp_path, seed_mbox, mutated))
    r4 = [f for f in findings if f.rule == "folio-put-uncharge"]
    assert [(f.file, f.line) for f in r4] == [(HUGE, 1250)]
    assert "folio_put(folio)` at 1251" in r4[0].message
    assert r4[0].fix is not None and r4[0].fix.verified
    removed, added = _diff_sides(r4[0].fix.diff)
    assert removed == ["mem_cgroup_uncharge(folio);"] and added == []


def test_dropping_the_put_leaks_the_charged_folio(tmp_path: Path, seed_mbox: Path) -> None:
    text = seed_mbox.read_text("utf-8")
    assert seedmut.line_at(text, "mm/memory.c", 4662).strip() == "folio_put(folio);"
    findings = _review(_mutated(tmp_path, seed_mbox, seedmut.delete(text, "mm/memory.c", 4662)))
    r4 = [f for f in findings if f.rule == "folio-put-uncharge"]
    assert [(f.file, f.line) for f in r4] == [("mm/memory.c", 4662)]  # the `goto fallback` moved up
    msg = r4[0].message
    assert "mem_cgroup_swapin_charge_folio()` at 4656" in msg and "fallback" in msg and "4658" in msg


def test_right_teardown_order_is_quiet(tmp_path: Path, seed_mbox: Path) -> None:
    text = seed_mbox.read_text("utf-8")
    fixed = seedmut.swap_with_next(seedmut.swap_with_next(text, HUGE, 952), HUGE, 967)
    findings = _review(_mutated(tmp_path, seed_mbox, fixed))
    assert _where(findings, "teardown-order") == []
    assert _where(findings, "list-lru-memcg-guard") == [(HUGE, 925)]


def test_guarded_init_is_quiet(tmp_path: Path, seed_mbox: Path) -> None:
    text = seed_mbox.read_text("utf-8")
    guarded = seedmut.insert_before(text, HUGE, 925, "\tif (!mem_cgroup_disabled())")
    findings = _review(_mutated(tmp_path, seed_mbox, guarded))
    assert _where(findings, "list-lru-memcg-guard") == []


# --------------------------------------------------------------------------
# Tree mode and the command line


def test_tree_mode_fix_is_in_list_lru_c() -> None:
    patch = FIXTURES / "list-lru-memcg-guard" / "tree-init-kmem-only.patch"
    findings = _review(patch, patch.with_suffix(".tree"))
    guard = [f for f in findings if f.rule == "list-lru-memcg-guard"]
    assert len(guard) == 1 and guard[0].fix is not None and guard[0].fix.verified
    assert guard[0].fix.diff.startswith("--- a/mm/list_lru.c\n")
    removed, added = _diff_sides(guard[0].fix.diff)
    assert removed == ["if (mem_cgroup_kmem_disabled())"]
    assert added == ["if (mem_cgroup_disabled() || mem_cgroup_kmem_disabled())"]


KERNEL = Path("/work/kernel/linux-source-6.1")


def test_seed_with_list_lru_c_in_view_gets_the_threads_fix(tmp_path: Path) -> None:
    """With mm/list_lru.c in the tree the fix is the thread's, in __list_lru_init(); the rest stays exact."""
    from conftest import SEED

    source = KERNEL / "mm" / "list_lru.c"
    if not SEED.is_file() or not source.is_file():
        pytest.skip("needs ../shared/corpus and a 6.1 tree")
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "list_lru.c").write_text(source.read_text("utf-8"), "utf-8")
    findings = _review(SEED, tree)
    assert _where(findings, "list-lru-memcg-guard") == [(HUGE, 925)]
    assert _where(findings, "teardown-order") == [(HUGE, 952), (HUGE, 967)]
    (guard,) = [f for f in findings if f.rule == "list-lru-memcg-guard"]
    assert guard.fix is not None and guard.fix.verified
    assert guard.fix.diff.startswith("--- a/mm/list_lru.c\n")
    assert "Clear memcg_aware in __list_lru_init()" in guard.fix.title
    _removed, added = _diff_sides(guard.fix.diff)
    assert added[:2] == ["if (mem_cgroup_disabled() || mem_cgroup_kmem_disabled())", "memcg_aware = false;"]
    assert "does not clear memcg_aware" in guard.message


def test_call_site_guard_says_list_lru_c_was_not_in_view(seed_findings: list[Finding]) -> None:
    (guard,) = [f for f in seed_findings if f.rule == "list-lru-memcg-guard"]
    assert guard.fix is not None and "at the call site (mm/list_lru.c not in view)" in guard.fix.title
    assert "nothing shows __list_lru_init() in mm/list_lru.c clearing it" in guard.message


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REVIEWKIT_DEBUG": ""}
    code = "from reviewkit.cli import entry; entry()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300)


def test_fix_dir_writes_the_json_diffs(tmp_path: Path, seed_mbox: Path) -> None:
    out = tmp_path / "fixes"
    proc = _cli("check", str(seed_mbox), "--select", ",".join(RULES), "--format", "json", "--fix-dir", str(out))
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "0001-list-lru-memcg-guard-mm-huge_memory.c-925.diff",
        "0002-teardown-order-mm-huge_memory.c-952.diff",
        "0003-teardown-order-mm-huge_memory.c-967.diff",
    ]
    diffs = {f["line"]: f["fix"]["diff"] for f in doc["findings"]}
    for p in sorted(out.iterdir()):
        line = int(p.stem.rsplit("-", 1)[1])
        assert p.read_text("utf-8") == diffs[line]


def test_fix_dir_diff_applies_to_the_tree(tmp_path: Path) -> None:
    patch = FIXTURES / "teardown-order" / "tree-link-unchanged.patch"
    tree = patch.with_suffix(".tree")
    work = tmp_path / "tree"
    (work / "mm").mkdir(parents=True)
    (work / "mm" / "tz.c").write_text((tree / "mm" / "tz.c").read_text("utf-8"), "utf-8")
    out = tmp_path / "fixes"
    proc = _cli("check", str(patch), "--tree", str(tree), "--select", "teardown-order", "--fix-dir", str(out), "-q")
    assert proc.returncode == 0, proc.stderr  # a warning does not fail the default --fail-on error
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    for cmd in (["git", "apply", "-p1", str(patch)], ["git", "apply", "--check", "-p1", *map(str, out.iterdir())]):
        done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr


def test_explain_answers_the_uncharge_question(seed_mbox: Path) -> None:
    for where, charge in (
        ("mm/khugepaged.c:1094", "mem_cgroup_charge() at 1085"),
        ("mm/memory.c:4662", "mem_cgroup_swapin_charge_folio() at 4656"),
        ("mm/memory.c:5186", "mem_cgroup_charge() at 5180"),
        ("mm/huge_memory.c:1250", "no charge of `folio` is in view"),
    ):
        proc = _cli("explain", where, str(seed_mbox))
        assert proc.returncode == 0, proc.stderr
        assert charge in proc.stdout
        assert "__folio_put()" in proc.stdout and "mem_cgroup_uncharge()" in proc.stdout
        assert "no explicit mem_cgroup_uncharge() is needed" in proc.stdout


def test_explain_line_needs_a_series() -> None:
    proc = _cli("explain", "mm/memory.c:4662")
    assert proc.returncode == 2 and "SERIES" in proc.stderr


def test_tree_mode_fix_clears_the_flag_outside_conditional_code() -> None:
    patch = FIXTURES / "list-lru-memcg-guard" / "tree-init-no-test.patch"
    (guard,) = [f for f in _review(patch, patch.with_suffix(".tree")) if f.rule == "list-lru-memcg-guard"]
    assert guard.fix is not None and guard.fix.verified
    body = guard.fix.diff.splitlines()
    added = [i for i, ln in enumerate(body) if ln.startswith("+") and not ln.startswith("+++")]
    assert [body[i][1:].strip() for i in added] == [
        "if (mem_cgroup_disabled() || mem_cgroup_kmem_disabled())",
        "memcg_aware = false;",
        "",
    ]
    ifdef = next(i for i, ln in enumerate(body) if ln[1:].startswith("#ifdef"))
    assert max(added) < ifdef  # before the #ifdef block, not inside it


# --------------------------------------------------------------------------
# Real-kernel look-alikes (the classes of false positive a 6.1 scan showed)


def _scan(path: Path, rule: str) -> list[Finding]:
    from reviewkit.engine.run import find_rule
    from reviewkit.engine.scan import scan_text

    found = find_rule(rule)
    assert found is not None
    return scan_text(str(path), path.read_text("utf-8"), [found])


def test_success_return_after_mapping_is_not_a_leak() -> None:
    """`return 0;` after rmap/LRU/set_pte_at() is the success path (6.1 __do_huge_pmd_anonymous_page())."""
    path = FIXTURES / "folio-put-uncharge" / "mapped-on-success.c"
    text = path.read_text("utf-8").split("\n")
    found = _scan(path, "folio-put-uncharge")
    assert all(text[f.line - 1].strip().startswith("return") for f in found)
    assert {f.function for f in found} == {"qux_fill", "qux_fault_late"}
    late = next(f for f in found if f.function == "qux_fault_late")
    assert "`folio_put(folio)`" in late.message and "qux_prepare(folio)" in late.message


def test_mutated_success_path_still_leaks_on_error(tmp_path: Path) -> None:
    """Dropping the put under qux_fault_map()'s error label is reported; its success path still is not."""
    text = (FIXTURES / "folio-put-uncharge" / "mapped-on-success.c").read_text("utf-8")
    mutated = text.replace("out_put:\n\tfolio_put(folio);\n\treturn ret;", "out_put:\n\treturn ret;", 1)
    assert mutated != text
    path = tmp_path / "mapped.c"
    path.write_text(mutated, "utf-8")
    found = [f for f in _scan(path, "folio-put-uncharge") if f.function == "qux_fault_map"]
    lines = mutated.split("\n")
    assert [lines[f.line - 1].strip() for f in found] == ["return ret;"]
    assert "`qux_prepare(folio)`" in found[0].message  # the branch that set ret = VM_FAULT_OOM


def test_verifying_a_scan_fix_never_writes_the_scanned_file(tmp_path: Path) -> None:
    """``reviewkit scan /abs/dir``: the git-apply check works on a scratch copy, not on the file itself."""
    path = tmp_path / "static-shrinker.c"
    path.write_text((FIXTURES / "teardown-order" / "static-shrinker.c").read_text("utf-8"), "utf-8")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    (f,) = _scan(path, "teardown-order")
    assert f.fix is not None and f.fix.verified
    assert path.stat().st_mtime == 1_000_000_000


def test_static_shrinker_initializer_links_the_lru() -> None:
    path = FIXTURES / "teardown-order" / "static-shrinker.c"
    (f,) = _scan(path, "teardown-order")
    assert f.function == "cask_exit_reversed"
    assert "`cask_shrinker` walks `cask_lru`" in f.message and "cask_count()" in f.message
    assert f.fix is not None and f.fix.verified


def test_member_links_are_rebased_onto_the_pointer_in_use() -> None:
    path = FIXTURES / "teardown-order" / "member-links.c"
    by_fn = {f.function: f for f in _scan(path, "teardown-order")}
    assert set(by_fn) == {"vault_destroy_reversed", "pair_destroy"}
    assert "`q->v_shrinker` walks `q->v_lru`" in by_fn["vault_destroy_reversed"].message
    # the setup helper's parameters carry the link to the teardown helper with the same parameter types
    assert "`shrinker` walks `lru`" in by_fn["pair_destroy"].message
    assert "in pair_init()" in by_fn["pair_destroy"].message
