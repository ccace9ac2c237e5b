"""A review raises the collector's full-pass threshold while its rules run, and gives it back."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from reviewkit.engine import run as engine_run
from reviewkit.load.series import load
from reviewkit.review import pipeline

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "series.mbox"


def test_full_passes_are_rarer_during_the_rules_and_the_threshold_comes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    real = engine_run.run

    def recording(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.engine, "run", recording)
    result = pipeline.review(load(str(DEMO)))
    assert result.findings, "the demo series has findings: the rules ran"
    assert seen and seen[0][:2] == before[:2]
    assert seen[0][2] == max(before[2], pipeline.FULL_COLLECTION_EVERY)
    assert gc.get_threshold() == before


def test_a_collector_taken_over_during_the_review_is_left_as_its_owner_set_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = gc.get_threshold()
    real = engine_run.run

    def taking_over(*args: object, **kwargs: object) -> object:
        gc.set_threshold(before[0], before[1], 123_456)  # the TUI's idle collector, say
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.engine, "run", taking_over)
    try:
        pipeline.review(load(str(DEMO)))
        assert gc.get_threshold()[2] == 123_456
    finally:
        gc.set_threshold(*before)
