"""The recall bench's independent judge (bench/lifecycle_recall.py) on synthetic text.

The judge decides which plants count as real bugs; a wrong judge moves the
recall figure without the rule changing, so its pieces are tested here.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import lifecycle_recall as lr


def test_table_reads_callback_fields_and_stop_handles() -> None:
    t = lr.table()
    assert t.fields["scan_objects"] == "shrinker"
    assert t.fields["notifier_call"] == "notifier"
    assert t.stop_handle["free_irq"] == [0, 1]
    assert t.stop_handle["unregister_fib_notifier"] == 1
    assert t.inits["INIT_WORK"] == ("work", 0)
    assert t.arms["queue_work"] == ("work", 1)


def test_handles_match_by_member_chain() -> None:
    assert lr.chain("&lio->q.wk.work") == ("q", "wk", "work")
    assert lr.chain("(void *)&my_work") == ("my_work",)
    assert lr.same_handle(lr.chain("&cwq->wk.work"), lr.chain("&oct->dma_q.wk.work"))
    assert not lr.same_handle(lr.chain("&l->link_q.wk.work"), lr.chain("&l->time_q.wk.work"))


TEXT = """\
static int pump_bind(struct pump *p)
{
	INIT_WORK(&p->kick, pump_kick);
	if (pump_hw(p))
		goto fail;
	return 0;
fail:
	cancel_work_sync(&p->kick);
	kfree(p);
	return -EIO;
}

static int pump_open(struct pump *p)
{
	INIT_WORK(&p->kick, pump_kick);
	schedule_work(&p->kick);
	if (pump_hw(p))
		goto fail;
	return 0;
fail:
	cancel_work_sync(&p->kick);
	kfree(p);
	return -EIO;
}
"""


def test_initialised_only_plants_are_not_live() -> None:
    t = lr.table()
    sites = lr.sites_in_text(TEXT, "pump.c", t)
    assert [s.row for s in sites] == [7, 20]
    bind, opened = sites
    assert lr.initialised_only(TEXT, t, bind)
    assert not lr.initialised_only(TEXT, t, opened)
