"""lock-balance classes on whole files: what a function's own history on a path says about a release.

Small synthetic kernel-style functions scanned like a file of the tree; each test pairs the shape that
must be reported with the nearest one that must stay quiet, so neither half can pass alone.
"""

from __future__ import annotations

from reviewkit.engine import run as engine
from reviewkit.engine.scan import scan_text


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
