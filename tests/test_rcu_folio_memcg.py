"""rcu-folio-memcg: quiet on the seed (v3 takes rcu_read_lock()), loud on its v1 shape."""

from __future__ import annotations

from pathlib import Path

from test_lock_balance import FILE, delete_post_line

from reviewkit.load.series import load
from reviewkit.review.pipeline import review

RULE = "rcu-folio-memcg"


def _findings(path: Path) -> list:
    return [f for f in review(load(str(path))).findings if f.rule == RULE]


def test_seed_is_quiet(seed_mbox: Path) -> None:
    assert _findings(seed_mbox) == []


def test_v1_shape_without_rcu_read_lock_is_reported(seed_mbox: Path, tmp_path: Path) -> None:
    """Deleting the rcu_read_lock() v2 added before list_lru_lock() brings back v1's splat."""
    mutated = tmp_path / "v1.mbox"
    mutated.write_text(delete_post_line(seed_mbox.read_text("utf-8"), FILE, 3772), "utf-8")
    found = _findings(mutated)
    assert [f.function for f in found] == ["__folio_freeze_and_split_unmapped"]
    assert "folio_memcg(folio)" in found[0].message and "list_lru_lock()" in found[0].message


def test_memcg_through_a_local_is_followed(seed_mbox: Path, tmp_path: Path) -> None:
    """deferred_split_folio() keeps folio_memcg() in `memcg`; without rcu_read_lock() that is reported."""
    mutated = tmp_path / "no-rcu.mbox"
    mutated.write_text(delete_post_line(seed_mbox.read_text("utf-8"), FILE, 4325), "utf-8")
    found = _findings(mutated)
    assert [f.function for f in found] == ["deferred_split_folio"]
    assert "memcg = folio_memcg(folio)" in found[0].message
