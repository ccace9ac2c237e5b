"""The results cache never changes a result: keys cover everything a result depends
on, corrupt or concurrent entries are misses, and a re-check of the next version
of a series re-analyses only the functions that version changed."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import toy_rules
from toy_rules import BAD, SCOPED, make

from reviewkit.config import Config
from reviewkit.engine import run as engine
from reviewkit.engine.cache import FORMAT, Cache, config_hash, content_key, open_cache, ruleset_version
from reviewkit.engine.scan import scan
from reviewkit.load.series import load
from reviewkit.views.build import build_context


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("REVIEWKIT_NO_CACHE", raising=False)
    return cache


def test_roundtrip_and_misses(tmp_path: Path) -> None:
    c = Cache(tmp_path / "c", salt="s1")
    key = content_key("file.c", b"int x;")
    assert c.get(key) is None
    c.put(key, [{"a": 1}])
    assert c.get(key) == [{"a": 1}]
    assert Cache(tmp_path / "c", salt="s2").get(key) is None, "another rule set or config never sees it"
    assert content_key("file.c", b"int x;") != content_key("file.c", b"int y;")
    assert content_key("ab", "c") != content_key("a", "bc"), "parts are length-prefixed"


@pytest.mark.parametrize("garbage", [b"", b"{", b"\xff\xfe\x00", b'{"key": "other", "value": []}', b"[1, 2]"])
def test_corrupt_entry_is_a_miss(tmp_path: Path, garbage: bytes) -> None:
    c = Cache(tmp_path / "c", salt="s")
    key = content_key("x")
    c.put(key, ["ok"])
    c._path(key).write_bytes(garbage)
    assert c.get(key) is None
    c.put(key, ["again"])
    assert c.get(key) == ["again"]


def test_unwritable_cache_is_a_no_op(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    c = Cache(blocker, salt="s")
    c.put(content_key("x"), [1])
    assert c.get(content_key("x")) is None


def _hammer(root: str, worker: int) -> None:
    c = Cache(Path(root), salt="s")
    for i in range(200):
        c.put(content_key(str(i % 5)), {"worker": worker, "payload": "x" * (i * 50)})


def test_concurrent_writers_leave_whole_entries(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path / "c"), w)) for w in range(3)]
    for p in procs:
        p.start()
    reader = Cache(tmp_path / "c", salt="s")
    seen = 0
    while any(p.is_alive() for p in procs):
        for k in range(5):
            value = reader.get(content_key(str(k)))
            if value is not None:
                assert value["worker"] in (0, 1, 2) and set(value["payload"]) <= {"x"}
                seen += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert all(reader.get(content_key(str(k))) is not None for k in range(5))
    assert not list((tmp_path / "c").rglob("*.tmp")), "no temporary files left behind"


def test_keys_follow_rules_and_config() -> None:
    assert ruleset_version(make(BAD)) == ruleset_version(make(BAD))
    assert ruleset_version(make(BAD)) != ruleset_version(make(BAD, SCOPED))
    assert config_hash(Config()) == config_hash(Config(source="elsewhere/pyproject.toml"))
    assert config_hash(Config()) != config_hash(Config(ignore=["toy-bad"]))
    assert config_hash(Config()) != config_hash(Config(kernel={"locks": {"extra": ["x"]}}))


def test_disabled_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWKIT_NO_CACHE", "1")
    assert open_cache(make(BAD), Config()) is None
    monkeypatch.delenv("REVIEWKIT_NO_CACHE")
    assert open_cache(make(BAD), Config()) is not None


def test_scan_ignores_corrupted_entries(tmp_path: Path, _private_cache: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for n in range(4):
        (src / f"f{n}.c").write_text(f"int f{n}(int x)\n{{\n\ttoy_bad(x);\n\treturn {n};\n}}\n")
    rules = make(BAD)

    def run() -> tuple[list[tuple[str, int, str]], int]:
        results = list(scan([str(src)], rules, jobs=1))
        found = sorted((f.file, f.line, f.message) for r in results for f in r.findings)
        return found, sum(r.cached for r in results)

    fresh, cached = run()
    assert len(fresh) == 4 and cached == 0
    assert run() == (fresh, 4)
    entries = [p for p in _private_cache.rglob("*.json")]
    assert len(entries) == 4
    for n, entry in enumerate(entries):
        entry.write_bytes([b"", b'{"key":', b"\x00" * 10, b"null"][n])
    assert run() == (fresh, 0)
    assert run() == (fresh, 4)


# --------------------------------------------------------------------------
# per-function cache for a series re-check

HEADER = """From: Dev Eloper <dev@example.org>
Subject: [PATCH {v} 1/1] mm/toy: call toy_bad() where it belongs

Move to toy_bad() in both helpers.

Signed-off-by: Dev Eloper <dev@example.org>
---
 mm/toy.c | 4 ++--
 1 file changed, 2 insertions(+), 2 deletions(-)

diff --git a/mm/toy.c b/mm/toy.c
index 1111111..2222222 100644
--- a/mm/toy.c
+++ b/mm/toy.c
"""
HUNK = """@@ -{start},8 +{start},8 @@
\x20
 int {name}(int x)
 {{
 \tint y = x;
\x20
-\ty++;
+\t{new}
 \treturn y;
 }}
"""


def series_file(tmp_path: Path, version: str, first: str, second: str) -> Path:
    text = HEADER.format(v=version)
    text += HUNK.format(start=9, name="first", new=first)
    text += HUNK.format(start=40, name="second", new=second)
    path = tmp_path / f"{version}.patch"
    path.write_text(text + "-- \n2.43.0\n")
    return path


def review(path: Path, cache: Cache | None) -> list[dict]:
    ctx = build_context(load(str(path)))
    toy_rules.SEEN.clear()
    return [f.to_json() for f in engine.run(ctx, make(SCOPED), cache=cache)]


def test_recheck_of_next_version_reanalyses_only_changed_functions(tmp_path: Path) -> None:
    cache = open_cache(make(SCOPED), Config())
    assert cache is not None
    v3 = series_file(tmp_path, "v3", "toy_bad(y);", "toy_bad(y);")
    v4 = series_file(tmp_path, "v4", "toy_bad(y);", "toy_bad(y + 1);")

    plain = review(v3, None)
    assert [f["line"] for f in plain] == [14, 45]
    assert review(v3, cache) == plain
    assert sorted(toy_rules.SEEN["toy-scoped"]) == ["first", "second"]

    assert review(v3, cache) == plain, "replayed findings are identical, patch lines included"
    assert "toy-scoped" not in toy_rules.SEEN, "nothing re-analysed"

    fresh_v4 = review(v4, None)
    assert review(v4, cache) == fresh_v4
    assert toy_rules.SEEN["toy-scoped"] == ["second"], "only the function v4 changed"


def test_function_cache_survives_corruption(tmp_path: Path, _private_cache: Path) -> None:
    cache = open_cache(make(SCOPED), Config())
    v3 = series_file(tmp_path, "v3", "toy_bad(y);", "toy_bad(y - 1);")
    plain = review(v3, None)
    review(v3, cache)
    for entry in _private_cache.rglob("*.json"):
        entry.write_text('{"key": "' + entry.parent.name + entry.stem + '", "value": [{"rule": 1}]}')
    assert review(v3, cache) == plain
    assert sorted(toy_rules.SEEN["toy-scoped"]) == ["first", "second"]


def test_workers_file_results_under_the_parents_rule_set_version(tmp_path: Path, _private_cache: Path) -> None:
    """A worker forked after the code on disk changed still runs the parent's code."""
    src = tmp_path / "src"
    src.mkdir()
    for n in range(6):
        (src / f"f{n}.c").write_text(f"int f{n}(int x)\n{{\n\ttoy_bad(x);\n\treturn {n};\n}}\n")
    rules = make(BAD)
    expected = open_cache(rules, Config())
    assert expected is not None
    list(scan([str(src)], rules, jobs=2))
    salts = {p.name for p in (_private_cache / "reviewkit" / f"v{FORMAT}").iterdir()}
    assert salts == {expected.salt}
