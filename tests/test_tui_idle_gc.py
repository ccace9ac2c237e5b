"""The TUI's idle collector: full passes wait for a pause in input, and the thresholds come back."""

from __future__ import annotations

import gc
import weakref

import pytest
from reviewkit.tui import idle_gc
from reviewkit.tui.idle_gc import IdleCollector


class _Timers:
    """Stands in for the app's timer API only: records what :meth:`IdleCollector.start` asks for."""

    def __init__(self) -> None:
        self.intervals: list[float] = []

    def set_interval(self, seconds: float, callback: object) -> None:
        self.intervals.append(seconds)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _garbage_cycle() -> weakref.ref[_Cycle]:
    """A reference cycle nobody holds, pushed past the young generations so only a full pass frees it."""
    held = _Cycle()
    ref = weakref.ref(held)
    gc.collect(0)
    gc.collect(1)  # alive through both: now in the oldest generation
    del held
    return ref


def test_the_full_pass_waits_for_a_pause_and_the_thresholds_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold()
    collector = IdleCollector()
    timers = _Timers()
    gc.disable()  # the test decides when passes run
    try:
        collector.start(timers)
        assert timers.intervals == [idle_gc.IDLE_S]
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > before[2]

        clock = [1000.0]
        monkeypatch.setattr(idle_gc.time, "monotonic", lambda: clock[0])
        collector.touch()
        ref = _garbage_cycle()
        assert ref() is not None and gc.get_count()[2] > 0
        collector.tick()  # input just now: no full pass
        assert ref() is not None, "collected during input"

        clock[0] += idle_gc.IDLE_S
        collector.tick()  # a pause: the full pass runs
        assert ref() is None, "not collected at idle"
    finally:
        collector.stop()
        gc.enable()
    assert gc.get_threshold() == before


def test_a_burst_that_never_pauses_still_gets_its_full_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    collector = IdleCollector()
    gc.disable()
    try:
        collector.start(_Timers())
        monkeypatch.setattr(idle_gc.time, "monotonic", lambda: 5.0)
        collector.touch()
        ref = _garbage_cycle()
        monkeypatch.setattr(idle_gc, "MAX_PENDING", gc.get_count()[2])
        collector.tick()
        assert ref() is None
    finally:
        collector.stop()
        gc.enable()
