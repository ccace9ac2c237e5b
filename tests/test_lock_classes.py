"""lock-balance classes on whole files: what a function's own history on a path says about a release.

Small synthetic kernel-style functions scanned like a file of the tree; each test pairs the shape that
must be reported with the nearest one that must stay quiet, so neither half can pass alone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from reviewkit.engine import run as engine
from reviewkit.engine.scan import scan_text
from reviewkit.load.series import load
from reviewkit.review.pipeline import review


def _lines(text: str) -> list[tuple[int, str]]:
    rules = [r for r in engine.discover() if r.id == "lock-balance"]
    return sorted((f.line, f.message) for f in scan_text("drivers/x/demo.c", text, rules))


_DRAIN = """
struct pool { spinlock_t lock; int n; struct work_struct work; };

static void pool_drain_locked(struct pool *pl)
{
	while (pl->n) {
		pl->n--;
		spin_unlock(&pl->lock);
		pool_flush(pl);
		spin_lock(&pl->lock);
		if (pl->n > 8) {
			spin_unlock(&pl->lock);
			return;
		}
	}
}

static void pool_work(struct work_struct *work)
{
	struct pool *pl;

	pl = container_of(work, struct pool, work);
	spin_lock(&pl->lock);
	pool_drain_locked(pl);
	spin_unlock(&pl->lock);
%s}
"""


def test_release_after_an_unknown_callee_is_this_functions_second_release() -> None:
    """``lock; callee that may drop it; unlock; unlock``: the second unlock is a double release, not
    "the caller's lock" (``pl`` is bound from the argument, so an orphan release would be inferred)."""
    text = _DRAIN % "\tspin_unlock(&pl->lock);\n"
    found = _lines(text)
    line = text.count("\n", 0, text.rindex("spin_unlock(&pl->lock);")) + 1
    assert [ln for ln, _m in found] == [line]
    assert "again" in found[0][1]
    assert _lines(_DRAIN % "") == []


_TYPO = """
struct chan { struct mutex m; int st; };

static void chan_close_unlock(struct chan *chan)
	__releases(&%s->m)
{
	chan->st = 0;
	mutex_unlock(&chan->m);
}

static int chan_event(struct chan *chan, int ev)
{
	mutex_lock(&chan->m);
	if (ev < 0) {
		chan_close_unlock(chan);
		return 0;
	}
	mutex_unlock(&chan->m);
	return 0;
}

static void chan_twice(struct chan *chan)
{
	mutex_lock(&chan->m);
	chan_close_unlock(chan);
	mutex_unlock(&chan->m);
}
"""


def test_an_annotation_naming_no_variable_is_read_by_its_member_path() -> None:
    """``__releases(&chn->m)`` with the parameter ``chan``: the helper releases ``chan->m`` as its body
    says, so the caller that uses it on its error path is balanced and the one that releases again is not;
    spelt right, the same two callers give the same two answers."""
    for root in ("chn", "chan"):
        found = _lines(_TYPO % root)
        assert len(found) == 1, (root, found)
        assert "again" in found[0][1] and "chan->m" in found[0][1]


_ALIAS = """
struct hw { struct mutex m; int mode; };

static int hw_set(struct device *dev, int mode)
{
	struct hw *hw = %s;

	mutex_lock(&hw->m);
	if (mode > 4)
		goto out;
	hw->mode = mode;
out:
	mutex_unlock(&to_hw(dev)->m);
	return 0;
}
"""


def test_a_local_initialised_with_a_call_of_parameters_is_that_call() -> None:
    """``hw = to_hw(dev)``: ``to_hw(dev)->m`` is ``hw->m``; ``hw = to_hw(hw_default)`` (a global read) is
    not that call, so the lock taken through it stays held."""
    assert _lines(_ALIAS % "to_hw(dev)") == []
    found = _lines(_ALIAS % "to_hw(hw_default)")
    assert found and "still held" in found[0][1]


_ERRS = """
struct q { struct rw_semaphore rwsem; spinlock_t lock; };

static void q_free(struct q *q)
{
	q_drop_all(q);
	rcu_read_unlock();
}

static int q_down(struct q *q, int cmd)
{
	int %(v)s;

	down_write(&q->rwsem);
	rcu_read_lock();
	%(v)s = q_check(q, cmd);
	if (%(v)s)
		goto out_unlock;
	switch (cmd) {
	case 1:
		q_free(q);
		goto out_up;
	default:
		%(v)s = -EINVAL;
		goto out_unlock;
	}
out_unlock:
	rcu_read_unlock();
out_up:
	up_write(&q->rwsem);
	return %(v)s;
}
"""


def _tree_review(tmp_path: Path, pre: str, post: str) -> list[str]:
    tree = tmp_path / "tree"
    (tree / "ipc").mkdir(parents=True)
    (tree / "ipc" / "q.c").write_text(pre)
    a, b = tmp_path / "a" / "ipc" / "q.c", tmp_path / "b" / "ipc" / "q.c"
    for p, text in ((a, pre), (b, post)):
        p.parent.mkdir(parents=True)
        p.write_text(text)
    diff = subprocess.run(
        ["git", "diff", "--no-index", "a/ipc/q.c", "b/ipc/q.c"], cwd=tmp_path, capture_output=True, text=True
    ).stdout
    patch = tmp_path / "x.patch"
    patch.write_text("From: t <t@example.org>\nSubject: [PATCH] rename\n\n---\n" + diff)
    result = review(load(str(patch)), tree=str(tree), rules=["lock-balance"])
    return [f.message for f in result.findings]


def test_a_failure_return_is_told_by_what_the_variable_holds_not_by_its_name(tmp_path: Path) -> None:
    """Renaming ``err`` to ``err_val`` changes nothing a reviewer would see: both carry ``-EINVAL``
    back, so the exits returning them are failure exits either way and the rename stays quiet."""
    pre = _ERRS % {"v": "err"}
    assert _tree_review(tmp_path / "same", pre, pre.replace("rcu_read_lock();", "rcu_read_lock();\n\tbarrier();")) == []
    assert _tree_review(tmp_path / "rename", pre, _ERRS % {"v": "err_val"}) == []
