"""Issue 16, item 13: a scan cache entry is replayed only when it is exactly what reviewkit wrote."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reviewkit.engine import run as engine
from reviewkit.engine.cache import Cache, content_key, valid_findings
from reviewkit.engine.deps import dependency_stamp
from reviewkit.engine.scan import ScanOptions, scan_one, worker_state

C_FILE = """static int f(struct s *s)
{
\tspin_lock(&s->lock);
\tif (s->dead)
\t\treturn -EINVAL;
\tspin_unlock(&s->lock);
\treturn 0;
}
"""


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict, Cache]:  # type: ignore[type-arg]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("REVIEWKIT_NO_CACHE", raising=False)
    src = tmp_path / "mm" / "a.c"
    src.parent.mkdir()
    src.write_text(C_FILE)
    rules = [r for r in engine.discover() if r.id == "lock-balance"]
    options = ScanOptions([(r.module.__name__, r.source) for r in rules], None, True, 30.0, None)  # type: ignore[arg-type]
    from reviewkit.config import Config

    options.config = Config()
    state = worker_state(options, rules)
    cache = state["cache"]
    assert cache is not None
    first = scan_one(str(src), state)
    assert not first.cached and [f.rule for f in first.findings] == ["lock-balance"]
    assert scan_one(str(src), state).cached  # an honest entry replays
    return src, state, cache


def _entry(cache: Cache, src: Path) -> Path:
    data = src.read_bytes()
    return cache._path(content_key(str(src), data, dependency_stamp(str(src), data)))


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


TAMPER = {
    "empty value hides findings": lambda d: d.update(value=[]),
    "relabelled file": lambda d: d["value"][0].update(file="drivers/other.c"),
    "injected fix": lambda d: d["value"][0].update(
        fix={"title": "x", "diff": "rm -rf", "safety": "safe", "verified": True}
    ),
    "int for a string": lambda d: d["value"][0].update(message=7),
    "mac dropped": lambda d: d.pop("mac"),
}


@pytest.mark.parametrize("name", sorted(TAMPER))
def test_a_rewritten_entry_is_a_miss(setup, name: str) -> None:  # type: ignore[no-untyped-def]
    src, state, cache = setup
    _rewrite(_entry(cache, src), TAMPER[name])
    again = scan_one(str(src), state)
    assert not again.cached
    assert [f.rule for f in again.findings] == ["lock-balance"] and again.findings[0].file == str(src)
    assert again.findings[0].fix is None or "rm -rf" not in again.findings[0].fix.diff


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge"])
def test_non_regular_or_huge_entries_are_misses(setup, kind: str) -> None:  # type: ignore[no-untyped-def]
    src, state, cache = setup
    entry = _entry(cache, src)
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "dev-zero":
        entry.symlink_to("/dev/zero")
    else:
        with entry.open("wb") as fh:
            fh.truncate(64 * 1024 * 1024)
    again = scan_one(str(src), state)
    assert not again.cached and [f.rule for f in again.findings] == ["lock-balance"]


def test_another_users_secret_means_no_replay(tmp_path: Path) -> None:
    mine, theirs = Cache(tmp_path / "a", "s"), Cache(tmp_path / "b", "s")
    key = content_key("x")
    mine.put(key, [1])
    assert mine.get(key) == [1]
    theirs.dir.mkdir(parents=True)
    target = theirs._path(key)
    target.parent.mkdir(parents=True)
    target.write_bytes(mine._path(key).read_bytes())  # the entry copied into another cache
    assert theirs.get(key) is None


def test_a_loose_secret_is_not_used(tmp_path: Path) -> None:
    cache = Cache(tmp_path, "s")
    key = content_key("x")
    cache.put(key, [1])
    (tmp_path / "secret").chmod(0o644)
    assert Cache(tmp_path, "s").get(key) is None


def test_valid_findings_shape() -> None:
    good = {"rule": "r", "severity": "error", "message": "m", "file": "a.c", "line": 3}
    assert valid_findings([good], "a.c")
    assert not valid_findings([good], "b.c")
    assert not valid_findings({"x": 1})
    assert not valid_findings([{**good, "line": "3"}])
    assert not valid_findings([{**good, "line": True}])
    assert not valid_findings([{k: v for k, v in good.items() if k != "rule"}])
