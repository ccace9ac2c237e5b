"""Results cache: a re-scan of an unchanged tree is near-instant.

Entries live under ``$XDG_CACHE_HOME/reviewkit`` (``~/.cache/reviewkit``),
one small JSON file per key, keyed by a hash of everything the result
depends on: the file's (or function's) content, for a scanned file the
stamps of the headers and sibling files it reads (:mod:`reviewkit.engine.deps`),
the rule-set version (the code of reviewkit, its rules and its kernel model)
and the configuration.

A cache must never change a result, so:

- an entry is written to a temporary file and renamed into place: readers
  see a whole entry or none, even with several scans running at once;
- an entry that cannot be read or decoded is a miss (and is recomputed);
- failing to write (read-only or full disk) is silently a no-op;
- an entry is only replayed when it is a regular file of bounded size (never
  a FIFO or a symlink to a device), carries the key it is stored under, and
  its MAC checks out: a keyed blake2b over key and value with a per-user
  secret kept beside the cache (``root/secret``, mode 0600).  An entry
  rewritten by anyone without that secret (a shared or copied cache, a
  hostile tarball unpacked into ~/.cache) is a miss, never a finding hidden,
  relabelled or injected.  :func:`valid_findings` checks the shape of a
  scan entry on top.

Cache files are not user files: no fsync (a lost entry is just a miss),
which keeps writing tens of thousands of entries cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

FORMAT = 2
"""Bumped when the entry layout changes; old entries are then never read (2: MAC added)."""

MAX_ENTRY_BYTES = 16 * 1024 * 1024
"""An entry larger than this is a miss (no file's findings come close)."""

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
        self._secret: bytes | None = None

    def _path(self, key: str) -> Path:
        if len(key) < 3 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("cache keys are hex digests")
        return self.dir / key[:2] / f"{key[2:]}.json"

    def _mac(self, key: str, value_json: str) -> str | None:
        if self._secret is None:
            self._secret = user_secret(self.root)
        if self._secret is None:
            return None
        h = hashlib.blake2b(digest_size=32, key=self._secret, person=b"reviewkit-cache")
        h.update(key.encode() + b"\0" + value_json.encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def get(self, key: str) -> Any | None:
        """The stored value, or None on a miss, an unreadable, oversized or tampered entry."""
        from reviewkit.io import read_bounded

        try:
            entry = json.loads(read_bounded(self._path(key), MAX_ENTRY_BYTES))
        except (OSError, ValueError, RecursionError):
            self.misses += 1
            return None
        ok = isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("mac"), str)
        if ok:
            value = entry.get("value")
            mac = self._mac(key, _canonical(value))
            ok = mac is not None and hmac.compare_digest(mac, entry["mac"])
        if not ok:
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` atomically; any failure leaves the cache as it was."""
        try:
            target = self._path(key)
            value_json = _canonical(value)
            mac = self._mac(key, value_json)
            if mac is None:
                return
            data = json.dumps({"key": key, "value": json.loads(value_json), "mac": mac}, separators=(",", ":"))
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


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def user_secret(root: Path) -> bytes | None:
    """The per-user MAC key beside the cache, created on first use (None: cannot have one).

    A secret that is not a regular 0600 file of ours is not used (the cache
    is then off, which never changes a result).
    """
    from reviewkit.io import read_bounded

    path = root / "secret"
    for _attempt in range(2):
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
                return None
            data = read_bounded(path, 256)
            return data if len(data) >= 32 else None
        except FileNotFoundError:
            pass
        except OSError:
            return None
        try:
            root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".secret.", dir=root)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
            os.link(tmp, path)  # fails if another process made one first: then read that one
        except FileExistsError:
            pass
        except OSError:
            return None
        finally:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
    return None


_FINDING_TYPES: dict[str, tuple[type, ...]] = {
    "rule": (str,),
    "severity": (str,),
    "message": (str,),
    "file": (str,),
    "line": (int,),
    "function": (str, type(None)),
    "snippet": (str,),
}


def valid_findings(value: Any, file: str | None = None) -> bool:
    """A scan entry's shape: a list of finding dicts with the right types (and ``file`` when given)."""
    if not isinstance(value, list):
        return False
    for item in value:
        if not isinstance(item, dict):
            return False
        for name, types in _FINDING_TYPES.items():
            if name in item and not isinstance(item[name], types):
                return False
        if not all(k in item for k in ("rule", "severity", "message", "file", "line")):
            return False
        if isinstance(item["line"], bool) or (file is not None and item["file"] != file):
            return False
        fix = item.get("fix")
        if fix is not None and not (
            isinstance(fix, dict) and all(isinstance(fix.get(k), str) for k in ("title", "diff"))
        ):
            return False
        path = item.get("path")
        if path is not None and not (isinstance(path, list) and all(isinstance(p, dict) for p in path)):
            return False
    return True


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
