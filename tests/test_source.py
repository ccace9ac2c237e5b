"""Source views: tree mode, fallback, and the stitched fragment structure."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reviewkit.load.series import load
from reviewkit.views.build import build_context

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def test_tree_mode_shows_whole_functions_and_never_writes(tmp_path: Path) -> None:
    before = _digest(DEMO / "tree")
    series = load(str(DEMO / "series.mbox"))
    ctx = build_context(series, tree=str(DEMO / "tree"))
    assert series.warnings == []
    last = ctx.patches[-1].files[0]
    assert last.tree_mode
    fn = next(f for f in last.functions("post") if f.name == "frob_alloc")
    assert fn.start_visible and fn.end_visible and not fn.gaps and fn.function is not None
    assert "mem_cgroup_charge" in fn.text
    # patch 3 sees the tree after patches 1 and 2: frob_evict holds the lock from patch 2
    evict = next(f for f in last.functions("post") if f.name == "frob_evict")
    assert "spin_lock(&frob_cache.lock);" in evict.text and not evict.changed_lines
    assert _digest(DEMO / "tree") == before


def test_tree_that_does_not_match_falls_back_to_fragments(tmp_path: Path) -> None:
    (tmp_path / "drivers" / "misc").mkdir(parents=True)
    (tmp_path / "drivers" / "misc" / "frobcache.c").write_text("/* something else entirely */\n")
    series = load(str(DEMO / "series.mbox"))
    ctx = build_context(series, tree=str(tmp_path))
    assert any("reviewed as a fragment" in w for w in ctx.notes)
    assert not any("reviewed as a fragment" in w for w in series.warnings)  # the loaded series is not edited
    first = ctx.patches[0].files[0]
    assert not first.tree_mode
    assert first.functions("post"), "fragment views are still built"


def test_fragment_function_text_maps_back_to_real_lines() -> None:
    series = load(str(DEMO / "series.mbox"))
    ctx = build_context(series)
    view = ctx.patches[1].files[0]
    fn = next(f for f in view.functions("post") if f.name == "frob_evict")
    rows = fn.text.split("\n")
    for row, real in enumerate(fn.line_map):
        if real is not None:
            assert rows[row] == view.line_text(real)
    assert fn.function is not None and fn.function.clean
