"""The symbol index of a kernel tree: which function and macro names exist in it.

``changelog-symbol`` asks "does ``foo()`` exist?" for the few names a commit
message mentions.  A real parse of 55,000 files would take minutes, so the
index is a ctags-style regex scan over the raw bytes of every ``.c``/``.h``
file: a name exists when it is

- defined or declared at column 0 (``static int\\nfoo(``, ``void foo(void);``,
  the kernel puts every definition there),
- a function-like macro (``#define foo(``), or a ``SYSCALL_DEFINEn(foo, ...)``.

Names that only come out of token pasting (``folio_test_##name``) are not in
that set, so a name missing from it gets a second, targeted look: is it
*called* (``foo(``) anywhere in the tree?  Only a name that is neither
defined nor used is missing.

A whole kernel (1.2 GB) takes a few seconds to scan; the result is cached on
disk per tree (``$REVIEWKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/reviewkit``,
else ``~/.cache/reviewkit``) and reused while no directory of the tree has
changed (directory mtimes move whenever files are created, deleted or
replaced, which is what ``git checkout`` and ``git am`` do).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from reviewkit.io import write_atomic

CACHE_VERSION = 1
CACHE_MIN_FILES = 2000
"""Smaller trees are rescanned every time: cheaper than a cache file."""

SKIP_DIRS = {".git", ".pc", ".repo", "node_modules"}

# Preceding "\n" instead of "^" with re.M: five times faster in CPython's engine.
_FUNC_HEAD_RE = re.compile(rb"\n[A-Za-z_][^\n;=(){}#]*\(")
_LAST_NAME_RE = re.compile(rb"([A-Za-z_]\w*)[ \t]*\($")
_MACRO_RE = re.compile(rb"#[ \t]*define[ \t]+([A-Za-z_]\w*)\(")
_SYSCALL_RE = re.compile(rb"SYSCALL_DEFINE\d\(([A-Za-z_]\w*)")


def cache_dir() -> Path:
    """Where symbol indexes are kept between runs."""
    env = os.environ.get("REVIEWKIT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "reviewkit"


def source_files(tree: Path) -> Iterator[Path]:
    """Every .c/.h file below ``tree`` (hidden and VCS directories skipped)."""
    stack = [tree]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(Path(entry.path))
            elif entry.name.endswith((".c", ".h")) and entry.is_file():
                yield Path(entry.path)


def _stamp(tree: Path) -> str:
    """A cheap fingerprint of the tree's shape: every directory's mtime."""
    digest = hashlib.sha1(str(tree).encode())
    stack = [tree]
    while stack:
        current = stack.pop()
        try:
            digest.update(f"{current}:{current.stat().st_mtime_ns}".encode())
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                stack.append(Path(entry.path))
    return digest.hexdigest()


def defined_names(data: bytes) -> set[str]:
    """Function and function-like macro names a C source defines or declares."""
    found: set[bytes] = set()
    for head in _FUNC_HEAD_RE.findall(b"\n" + data):
        m = _LAST_NAME_RE.search(head)
        if m:
            found.add(m.group(1))
    found.update(_MACRO_RE.findall(data))
    found.update(b"sys_" + n for n in _SYSCALL_RE.findall(data))
    found.update(_SYSCALL_RE.findall(data))
    return {n.decode("ascii", "replace") for n in found}


@dataclass
class SymbolIndex:
    """Names defined in one tree, plus memoised "is it used anywhere" answers."""

    tree: Path
    defined: set[str]
    stamp: str = ""
    used: dict[str, bool] = field(default_factory=dict)
    files: int = 0

    def __contains__(self, name: str) -> bool:
        return self.exists(name)

    def exists(self, name: str) -> bool:
        """Defined, declared, or at least called somewhere in the tree."""
        if name in self.defined:
            return True
        return self.missing([name]) == set()

    def missing(self, names: Iterable[str]) -> set[str]:
        """The names that are neither defined nor called anywhere in the tree."""
        todo = sorted({n for n in names if n not in self.defined and n not in self.used})
        if todo:
            self.used.update(_search_usage(self.tree, todo))
            self._save_used()
        return {n for n in names if n not in self.defined and not self.used.get(n, False)}

    # -- cache -----------------------------------------------------------

    def _cache_base(self) -> Path:
        key = hashlib.sha1(str(self.tree).encode()).hexdigest()[:16]
        return cache_dir() / f"symbols-{key}"

    def save(self) -> None:
        if self.files < CACHE_MIN_FILES:
            return
        header = json.dumps({"version": CACHE_VERSION, "tree": str(self.tree), "stamp": self.stamp})
        try:
            write_atomic(self._cache_base().with_suffix(".idx"), header + "\n" + "\n".join(sorted(self.defined)) + "\n")
            self._save_used()
        except OSError:
            pass  # a read-only cache directory only costs speed

    def _save_used(self) -> None:
        if self.files < CACHE_MIN_FILES:
            return
        try:
            doc = {"stamp": self.stamp, "used": self.used}
            write_atomic(self._cache_base().with_suffix(".used.json"), json.dumps(doc, sort_keys=True))
        except OSError:
            pass

    @classmethod
    def load_cached(cls, tree: Path, stamp: str) -> SymbolIndex | None:
        base = cls(tree, set(), stamp)._cache_base()
        try:
            text = base.with_suffix(".idx").read_text("utf-8")
        except OSError:
            return None
        head, _, body = text.partition("\n")
        try:
            meta = json.loads(head)
        except ValueError:
            return None
        if meta.get("version") != CACHE_VERSION or meta.get("stamp") != stamp or meta.get("tree") != str(tree):
            return None
        index = cls(tree, set(body.split()), stamp, files=CACHE_MIN_FILES)
        try:
            used = json.loads(base.with_suffix(".used.json").read_text("utf-8"))
            if used.get("stamp") == stamp and isinstance(used.get("used"), dict):
                index.used = {str(k): bool(v) for k, v in used["used"].items()}
        except (OSError, ValueError):
            pass
        return index


def _search_usage(tree: Path, names: list[str]) -> dict[str, bool]:
    """For each name, whether ``name(`` appears in any .c/.h file of the tree."""
    result = {n: False for n in names}
    patterns = {n: re.compile(rb"\b" + re.escape(n.encode()) + rb"\s*\(") for n in names}
    pending = set(names)
    for path in source_files(tree):
        if not pending:
            break
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for name in list(pending):
            if name.encode() in data and patterns[name].search(data):
                result[name] = True
                pending.discard(name)
    return result


def build(tree: Path) -> SymbolIndex:
    """Scan ``tree`` (no cache)."""
    defined: set[str] = set()
    files = 0
    for path in source_files(tree):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        files += 1
        defined |= defined_names(data)
    return SymbolIndex(tree, defined, files=files)


@lru_cache(maxsize=4)
def _index_for(tree: str) -> SymbolIndex:
    root = Path(tree)
    stamp = _stamp(root)
    cached = SymbolIndex.load_cached(root, stamp)
    if cached is not None:
        return cached
    index = build(root)
    index.stamp = stamp
    index.save()
    return index


def index(tree: str | Path) -> SymbolIndex:
    """The symbol index of ``tree``: from memory, from the disk cache, or scanned."""
    return _index_for(str(Path(tree).resolve()))
