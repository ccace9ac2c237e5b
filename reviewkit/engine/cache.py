"""Results cache: a re-scan of an unchanged tree is near-instant.

Entries live under ``$XDG_CACHE_HOME/reviewkit`` (``~/.cache/reviewkit``),
one small JSON file per key, keyed by a hash of everything the result
depends on: the file's (or function's) content, the rule-set version (the
code of reviewkit, its rules and its kernel model) and the configuration.

A cache must never change a result, so:

- an entry is written to a temporary file and renamed into place: readers
  see a whole entry or none, even with several scans running at once;
- an entry that cannot be read or decoded is a miss (and is recomputed);
- failing to write (read-only or full disk) is silently a no-op.

Cache files are not user files: no fsync (a lost entry is just a miss),
which keeps writing tens of thousands of entries cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

FORMAT = 1
"""Bumped when the entry layout changes; old entries are then never read."""

DISABLE_ENV = "REVIEWKIT_NO_CACHE"


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/reviewkit``, falling back to ``~/.cache/reviewkit``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reviewkit"


class Cache:
    """Key -> JSON value store under ``root/v<FORMAT>/<salt>``."""

    def __init__(self, root: Path | None = None, salt: str = "") -> None:
        self.root = root or cache_root()
        self.salt = salt
        self.dir = self.root / f"v{FORMAT}" / (salt or "nosalt")
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> Any | None:
        """The stored value, or None on a miss or an unreadable entry."""
        try:
            value = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError, RecursionError):
            self.misses += 1
            return None
        if not isinstance(value, dict) or value.get("key") != key:
            self.misses += 1
            return None
        self.hits += 1
        return value.get("value")

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` atomically; any failure leaves the cache as it was."""
        target = self._path(key)
        try:
            data = json.dumps({"key": key, "value": value}, separators=(",", ":"))
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
        except (OSError, TypeError, ValueError):
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def content_key(*parts: str | bytes) -> str:
    """A cache key from content: blake2b (fast on big files), 40 hex digits."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


@lru_cache(maxsize=1)
def _library_digest() -> str:
    """Hash of reviewkit's own code and data: any change to the analysis invalidates the cache."""
    import reviewkit

    h = hashlib.blake2b(digest_size=12)
    h.update(reviewkit.__version__.encode())
    roots = [Path(reviewkit.__file__).parent]
    try:
        import reviewkit.rules as rules_pkg

        roots.extend(Path(p) for p in rules_pkg.__path__)
    except ImportError:  # pragma: no cover - rules are part of the distribution
        pass
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".toml", ".scm") and "__pycache__" not in path.parts:
                with contextlib.suppress(OSError):
                    h.update(str(path.relative_to(root)).encode())
                    h.update(path.read_bytes())
    return h.hexdigest()


def ruleset_version(rules: Iterable[Any]) -> str:
    """Version of the rule set: reviewkit's code plus the selected rules (and plugins' sources)."""
    h = hashlib.blake2b(digest_size=12)
    h.update(_library_digest().encode())
    for rule in rules:
        h.update(f"{rule.id}\x1f{rule.source}\x1f".encode())
        mod_file = getattr(rule.module, "__file__", None)
        if rule.source != "builtin" and mod_file:
            with contextlib.suppress(OSError):
                h.update(Path(mod_file).read_bytes())
    return h.hexdigest()


def config_hash(config: Any) -> str:
    """Hash of the settings that can change a finding (not where the config came from)."""
    data = asdict(config)
    data.pop("source", None)
    return content_key(json.dumps(data, sort_keys=True, default=str))[:16]


def open_cache(rules: Iterable[Any], config: Any, *, enabled: bool = True) -> Cache | None:
    """The cache for this rule set and configuration, or None when disabled.

    ``REVIEWKIT_NO_CACHE=1`` in the environment disables it as well.
    """
    if not enabled or os.environ.get(DISABLE_ENV):
        return None
    salt = f"{ruleset_version(rules)}-{config_hash(config)}"
    return Cache(salt=salt)
