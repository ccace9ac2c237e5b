"""Shared fixtures: paths to the real corpus (skip cleanly where it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
SEED = SHARED / "corpus" / "thp-list_lru-v3-7of7.mbox"
THREAD = SHARED / "corpus" / "thp-list_lru-v3-7of7-thread.mbox"


@pytest.fixture
def seed_mbox() -> Path:
    if not SEED.is_file():
        pytest.skip("../shared/corpus is not available")
    return SEED


@pytest.fixture
def thread_mbox() -> Path:
    if not THREAD.is_file():
        pytest.skip("../shared/corpus is not available")
    return THREAD
