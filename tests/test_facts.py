"""The facts stage: one owner of derived facts per run, each derived once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import reviewkit.facts as facts_mod
from reviewkit.engine import run as engine
from reviewkit.engine.registry import discover
from reviewkit.engine.scan import file_view
from reviewkit.load.series import load
from reviewkit.views.build import build_context, scan_context

SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "thp-list_lru-v3-7of7.mbox"
DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "series.mbox"

LOCKED = """\
static void take(struct q *q)
{
	spin_lock(&q->lock);
}

int use(struct q *q, struct folio *folio)
{
	struct mem_cgroup *memcg = folio_memcg(folio);

	take(q);
	if (q->n)
		return -EBUSY;
	spin_unlock(&q->lock);
	mem_cgroup_put(memcg);
	return 0;
}
"""


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Counter[int]:
    """Counts graphs built per function view (by identity) for the whole run."""
    counts: Counter[int] = Counter()
    real = facts_mod.build_cfg

    def counting(fv, kernel=None):  # type: ignore[no-untyped-def]
        counts[id(fv)] += 1
        return real(fv, kernel)

    monkeypatch.setattr(facts_mod, "build_cfg", counting)
    return counts


@pytest.mark.parametrize("mbox", [SEED, DEMO], ids=["seed", "demo"])
def test_each_graph_is_built_once_per_function_per_run(mbox: Path, built: Counter[int]) -> None:
    if not mbox.exists():
        pytest.skip("seed corpus not present")
    ctx = build_context(load(str(mbox)))
    engine.run(ctx, discover())
    assert built, "no rule asked for a graph: the count proves nothing"
    assert max(built.values()) == 1, f"{sum(built.values())} graphs for {len(built)} views"
    assert ctx.facts.cfgs_built == sum(built.values())


def test_lock_rules_share_the_lock_model_and_summaries(built: Counter[int]) -> None:
    ctx = scan_context([file_view(Path("q.c"), LOCKED, "q.c")])
    rules = [r for r in discover() if r.id in ("lock-balance", "rcu-folio-memcg")]
    assert len(rules) == 2
    findings = engine.run(ctx, rules)
    assert ctx.facts.summary_passes == 1  # both rules asked for the summaries of the same views
    assert ctx.facts.lock_model is ctx.facts.lock_model
    assert {f.rule for f in findings} == {"lock-balance"}  # take() is a wrapper: the -EBUSY exit leaks
    assert max(built.values()) == 1


def test_nothing_is_stored_on_the_views(built: Counter[int]) -> None:
    ctx = scan_context([file_view(Path("q.c"), LOCKED, "q.c")])
    engine.run(ctx, [r for r in discover() if r.id == "lock-balance"])
    for _pc, fv in ctx.files():
        for fn in fv.functions():
            assert not [k for k in vars(fn) if k.startswith("_rk")]
            cfg = ctx.facts.cfg(fn)
            assert not [k for k in vars(cfg) if k.startswith("_rk")]
