"""The flow engine: CFG shapes, branch correlation, constants, the budget, path enumeration."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

from reviewkit.engine.scan import file_view
from reviewkit.flow.engine import (
    K_COND,
    K_GAP,
    K_LOOP,
    K_NORETURN,
    K_RETURN,
    CfgNode,
    State,
    build_cfg,
    calls_on_path,
    paths,
    run,
    trail_steps,
)
from reviewkit.kernel import load_model
from reviewkit.load.series import load
from reviewkit.views.source import FunctionView


def fn(code: str, name: str | None = None) -> FunctionView:
    views = file_view(Path("t.c"), code, "t.c").functions("post")
    return next(v for v in views if name is None or v.name == name)


class Calls:
    """A toy analysis: the set of calls made on the path (so different call sets never merge)."""

    def __init__(self) -> None:
        self.exits: list[tuple[CfgNode, State]] = []

    def initial(self, cfg: Any) -> Hashable:
        return frozenset()

    def node(self, n: CfgNode, facts: frozenset[str]) -> frozenset[str]:
        return facts | {c.name for c in n.calls}

    def branch(self, n: CfgNode, label: Any, facts: frozenset[str]) -> frozenset[str]:
        return facts

    def exit(self, via: CfgNode, state: State) -> None:
        self.exits.append((via, state))


def exit_facts(code: str) -> set[frozenset[str]]:
    """The call sets of the states that leave ``code``'s function (see :class:`Calls`)."""
    an = Calls()
    run(build_cfg(fn(code)), an)
    return {s.facts for _v, s in an.exits}


def test_correlated_condition_yields_only_consistent_paths() -> None:
    cfg = build_cfg(fn("int f(bool x)\n{\n\tif (x)\n\t\ta();\n\tb();\n\tif (x)\n\t\tc();\n\treturn 0;\n}\n"))
    an = Calls()
    assert run(cfg, an).complete
    seen = {s.facts for _via, s in an.exits}
    assert seen == {frozenset({"a", "b", "c"}), frozenset({"b"})}


def test_assignment_between_tests_forgets_the_condition() -> None:
    code = "int f(bool x)\n{\n\tif (x)\n\t\ta();\n\tx = g();\n\tif (x)\n\t\tc();\n\treturn 0;\n}\n"
    an = Calls()
    run(build_cfg(fn(code)), an)
    assert frozenset({"a", "g"}) in {s.facts for _v, s in an.exits}


def test_constant_store_decides_a_later_test() -> None:
    code = "void f(void)\n{\n\tint locked = 0;\n\tif (p())\n\t\tlocked = 1;\n\tif (locked)\n\t\tu();\n}\n"
    an = Calls()
    run(build_cfg(fn(code)), an)
    assert {s.facts for _v, s in an.exits} == {frozenset({"p", "u"}), frozenset({"p"})}


def test_a_member_store_decides_a_later_test_of_that_member_until_the_pointer_moves() -> None:
    code = (
        "void f(struct s *t, struct s *o)\n{\n\tif (p())\n\t\tt->pending = true;\n\telse\n\t\tq();\n"
        "\tif (t->pending)\n\t\tu();\n}\n"
    )
    # the stored path always unlocks; the other one is unknown (memory), so both ways
    assert exit_facts(code) == {frozenset({"p", "u"}), frozenset({"p", "q", "u"}), frozenset({"p", "q"})}
    moved = code.replace("\tif (t->pending)", "\tt = o;\n\tif (t->pending)")
    assert frozenset({"p"}) in exit_facts(moved)


def test_an_error_code_constant_is_nonzero() -> None:
    code = "int f(void)\n{\n\tint ret = -EINTR;\n\tif (!ret)\n\t\tu();\n\treturn ret;\n}\n"
    assert exit_facts(code) == {frozenset()}


def test_an_ordering_and_its_negation_are_one_test() -> None:
    code = "void f(int a, int b)\n{\n\tif (a <= b)\n\t\tx();\n\tif (a > b)\n\t\ty();\n}\n"
    assert exit_facts(code) == {frozenset({"x"}), frozenset({"y"})}


def test_a_break_out_of_a_counted_loop_has_not_run_out() -> None:
    code = (
        "void f(int max)\n{\n\tint n = 0;\n\n\tdo {\n\t\tif (p()) {\n\t\t\tleft();\n\t\t\tbreak;\n\t\t}\n"
        "\t} while (++n < max);\n\tif (n >= max)\n\t\tout();\n}\n"
    )
    # out() only when the loop ran out; a path that broke out never reaches it
    assert exit_facts(code) == {frozenset({"p", "left"}), frozenset({"p", "out"})}
    # the body moves the counter: the test after the loop is no longer decided by the break
    moved = code.replace("\t\tif (p())", "\t\tn += 2;\n\t\tif (p())")
    assert frozenset({"p", "left", "out"}) in exit_facts(moved)


def test_a_second_switch_on_a_variable_takes_the_case_the_first_took() -> None:
    code = (
        "void f(int m)\n{\n\tswitch (m) {\n\tcase 1:\n\t\ta();\n\t\tbreak;\n\tdefault:\n\t\tb();\n\t}\n"
        "\tswitch (m) {\n\tcase 1:\n\t\tc();\n\t\tbreak;\n\tdefault:\n\t\td();\n\t}\n\tif (m == 1)\n\t\te();\n}\n"
    )
    assert exit_facts(code) == {frozenset({"a", "c", "e"}), frozenset({"b", "d"})}


def test_short_circuit_and_null_tests_are_decomposed() -> None:
    cfg = build_cfg(fn("void f(void)\n{\n\tif (a && !(b == NULL))\n\t\tc();\n}\n"))
    conds = [n for n in cfg.nodes if n.kind == K_COND]
    assert sorted(n.text for n in conds) == ["a", "b"]
    b = next(n for n in conds if n.text == "b")
    # "!(b == NULL)" is "b": its true edge leads to c()
    true_succ = next(s for s, lab in b.succs if lab is True)
    assert any(c.name == "c" for c in true_succ.calls)


def test_switch_fallthrough_goto_loops_and_noreturn() -> None:
    code = """int f(int m)
{
	int i;

	for (i = 0; i < m; i++) {
		if (i == 3)
			break;
		if (i == 2)
			continue;
		step(i);
	}
	switch (m) {
	case 1:
		one();
		fallthrough;
	case 2:
		two();
		break;
	default:
		BUG();
	}
	if (m)
		goto out;
	mid();
out:
	return m;
}
"""
    cfg = build_cfg(fn(code), load_model())
    kinds = {n.kind for n in cfg.nodes}
    assert {K_LOOP, K_NORETURN, K_RETURN} <= kinds
    assert "out" in cfg.labels and not cfg.labels["out"].unseen
    found = paths(cfg)
    assert found.complete
    sequences = [[c.name for c in p.calls()] for p in found]
    assert any(seq[-2:] == ["one", "two"] for seq in sequences)  # fallthrough
    assert all("mid" not in seq or "two" in seq for seq in sequences if "BUG" not in seq)
    assert any(p.exit is None for p in found)  # the BUG() path ends without returning
    assert all(p.exit is None or p.exit.kind == K_RETURN for p in found)


def test_iterator_macro_loop_is_a_loop() -> None:
    code = (
        "void f(struct list_head *h)\n{\n\tstruct item *it;\n\n"
        "\tlist_for_each_entry(it, h, node) {\n\t\tuse(it);\n\t}\n\tdone();\n}\n"
    )
    cfg = build_cfg(fn(code))
    head = next(n for n in cfg.nodes if n.kind == K_LOOP)
    assert head.text.startswith("list_for_each_entry")
    assert "it" in head.loop_writes
    assert not cfg.errors


def test_budget_is_reported_not_guessed() -> None:
    body = "".join(f"\tif (c{i})\n\t\tf{i}();\n" for i in range(16))
    an = Calls()
    res = run(build_cfg(fn("void f(void)\n{\n" + body + "}\n")), an, budget=500)
    assert not res.complete


def test_paths_report_conditions_and_calls_in_order() -> None:
    cfg = build_cfg(fn("int f(int x)\n{\n\tlock();\n\tif (x)\n\t\treturn err();\n\tunlock();\n\treturn 0;\n}\n"))
    found = paths(cfg)
    assert len(found) == 2
    early = next(p for p in found if ("x", True, 4) in p.conditions())
    assert [c.name for c in calls_on_path(early)] == ["lock", "err"]
    assert [c.name for c in calls_on_path(early, {"unlock"})] == []
    assert early.exit is not None and early.exit.line == 5


def test_trail_names_the_first_path_to_each_state() -> None:
    cfg = build_cfg(fn("void f(int x)\n{\n\tif (x)\n\t\ta();\n}\n"))
    an = Calls()
    run(cfg, an)
    with_a = next(s for _v, s in an.exits if "a" in s.facts)
    assert [(n.text, lab) for n, lab in trail_steps(with_a) if n.kind == K_COND] == [("x", True)]


def test_fragment_gaps_are_opaque_nodes(seed_mbox: Path) -> None:
    from reviewkit.views.build import build_context

    ctx = build_context(load(str(seed_mbox)))
    fv = next(f for f in ctx.functions("post") if f.name == "__folio_freeze_and_split_unmapped")
    cfg = build_cfg(fv)
    gaps = [n for n in cfg.nodes if n.kind == K_GAP]
    assert len(gaps) == len(fv.gaps)
    assert [n.gap_to_end for n in sorted(gaps, key=lambda n: n.gap or 0)][-1]
    lines = {n.line for n in cfg.nodes if n.line}
    assert {3771, 3772, 3892, 3896} <= lines  # nodes carry real post-image lines


def test_each_return_gets_its_own_exit_record() -> None:
    # two returns reached with the same facts: which return keeps a lock matters to the rules
    cfg = build_cfg(fn("int f(int x)\n{\n\tif (x)\n\t\treturn 1;\n\treturn 0;\n}\n"))
    an = Calls()
    run(cfg, an)
    assert sorted(v.line for v, _s in an.exits) == [4, 5]


def test_member_store_does_not_rebind_the_pointer() -> None:
    cfg = build_cfg(fn("void f(struct s *p, struct s *q)\n{\n\tp->n++;\n\tq = p;\n\tp->lock = 0;\n}\n"))
    by_line = {n.line: n for n in cfg.nodes if n.line}
    assert "p" not in by_line[3].rebinds and "p" in by_line[3].writes
    assert "q" in by_line[4].rebinds
    assert "p->lock" in by_line[5].rebinds


class _Barrier(Calls):
    def barrier(self, n: CfgNode) -> bool:
        return any(c.name == "lock" for c in n.calls)


def test_barrier_rereads_shared_condition_tested_right_after_it() -> None:
    # if (s->on) { lock(); if (!s->on) a(); }: the re-test under the lock is a fresh read
    code = "void f(struct s *s)\n{\n\tif (s->on) {\n\t\tlock();\n\t\tif (!s->on)\n\t\t\ta();\n\t}\n}\n"
    plain, fenced = Calls(), _Barrier()
    run(build_cfg(fn(code)), plain)
    run(build_cfg(fn(code)), fenced)
    assert not any("a" in s.facts for _v, s in plain.exits)
    assert any("a" in s.facts for _v, s in fenced.exits)
    # a local keeps its truth across the barrier, and so does a later (not immediate) re-test
    local = "void f(int on)\n{\n\tif (on) {\n\t\tlock();\n\t\tif (!on)\n\t\t\ta();\n\t}\n}\n"
    later = "void f(struct s *s)\n{\n\tif (s->on)\n\t\tlock();\n\tb();\n\tif (!s->on)\n\t\ta();\n}\n"
    for code in (local, later):
        an = _Barrier()
        run(build_cfg(fn(code)), an)
        assert not any({"lock", "a"} <= set(s.facts) for _v, s in an.exits), code


SHARED = (
    "static int counter;\n\n"
    "static void frob_lock(struct frob *f)\n{\n\tspin_lock(&f->lock);\n}\n\n"
    "static int frob_use(struct frob *f)\n{\n\tint n = counter;\n\n"
    "\tfrob_lock(f);\n\tif (n > 3) {\n\t\tspin_unlock(&f->lock);\n\t\treturn -EBUSY;\n\t}\n"
    "\tspin_unlock(&f->lock);\n\treturn n;\n}\n"
)


def test_whole_file_views_share_the_files_parse() -> None:
    """Scan/tree mode: one parse per file; rows, roots and real lines still belong to each function."""
    from reviewkit.transform.rename import local_declarations, renamed_lines

    lock, use = file_view(Path("t.c"), SHARED, "t.c").functions("post")
    assert lock.parsed.tree is use.parsed.tree
    assert [f.name for f in use.parsed.functions()] == ["frob_use"]
    assert use.function is not None and use.function.name == "frob_use"
    assert use.real_line(use.function.node) == 8 == use.first_line
    unlocks = sorted(n.line for n in build_cfg(use).nodes for c in n.calls if c.name == "spin_unlock")
    assert unlocks == [14, 17]
    assert all(SHARED.split("\n")[line - 1].strip().startswith("spin_unlock") for line in unlocks)
    # consumers that index the view's text rows with node rows (renaming a local)
    [decl] = [d for d in local_declarations(use) if d.name == "n"]
    renamed = renamed_lines(use, decl, "nr")
    assert renamed == {10: "\tint nr = counter;", 13: "\tif (nr > 3) {", 18: "\treturn nr;"}


def test_lock_analysis_runs_once_per_function(monkeypatch: Any) -> None:
    """The summary pass's analysis of a function is the check's, when the summaries it calls are the same."""
    import reviewkit.locks.analysis as flow_locks
    from reviewkit.config import Config
    from reviewkit.engine.run import find_rule
    from reviewkit.engine.run import run as run_rules
    from reviewkit.engine.scan import scan_context

    counts: dict[str, int] = {}
    real_run = flow_locks.run

    def counting(cfg: Any, analysis: Any, budget: int = 10000) -> Any:
        counts[cfg.fv.name] = counts.get(cfg.fv.name, 0) + 1
        return real_run(cfg, analysis, budget)

    monkeypatch.setattr(flow_locks, "run", counting)
    rule = find_rule("lock-balance")
    assert rule is not None
    ctx = scan_context([file_view(Path("t.c"), SHARED, "t.c")], Config())
    assert list(run_rules(ctx, [rule])) == []
    assert counts == {"frob_lock": 1, "frob_use": 1}
