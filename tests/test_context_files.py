"""A pass over the series' files counts the files the prefilter hides, also when it is cut short."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reviewkit.config import Config
from reviewkit.load.series import load
from reviewkit.views.build import build_context
from reviewkit.views.context import Narrowing, ReviewContext

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "series.mbox"


def _context() -> ReviewContext:
    ctx = build_context(load(str(DEMO)), Config())
    assert sum(len(pc.files) for pc in ctx.patches) >= 3, "the demo series touches several files"
    return ctx


def test_every_hidden_file_is_counted_once_per_pass() -> None:
    ctx = _context()
    total = sum(len(pc.files) for pc in ctx.patches)
    hidden = dataclasses.replace(ctx, narrow=Narrowing(tokens=("zz_no_such_token",), file_text=ctx.facts.file_text))
    assert list(hidden.files()) == []
    assert ctx.stats["prefilter_skipped_files"] == total
    assert list(hidden.files()) == []
    assert ctx.stats["prefilter_skipped_files"] == 2 * total


def test_a_pass_cut_short_still_counts_what_it_hid(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = _context()
    real = ctx.facts.file_text
    calls = 0

    def text(fv: object) -> str:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise TimeoutError("a rule's time budget runs out here")
        return real(fv)  # type: ignore[arg-type]

    monkeypatch.setattr(ctx.facts, "file_text", text)  # (the run's own texts: the pass decided once per file)
    cut = dataclasses.replace(ctx, narrow=Narrowing(tokens=("zz_no_such_token",), file_text=text))
    with pytest.raises(TimeoutError):
        list(cut.files())
    assert ctx.stats["prefilter_skipped_files"] == 2  # the two files read before the budget ran out
