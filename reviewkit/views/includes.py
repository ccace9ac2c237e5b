"""What a file's headers say that its code's paths depend on: never-returning functions, constants.

``reiserfs_panic()`` is a macro of ``fs/reiserfs/reiserfs.h`` over ``__reiserfs_panic()``, declared
``__attribute__ ((noreturn))`` there; ``parisc_terminate()`` is declared ``__noreturn`` in
``<asm/traps.h>``.  A caller that drops a lock and then calls one does not go on to the code after it,
so the graph must end the path there, or ``lock-balance`` reports a second release (or a held return)
on a path that cannot run.  The file's own declarations are read by the graph builder
(:func:`reviewkit.flow.cfg.file_noreturn`); these are the headers' part, read where the file's place on
disk is known: a scan (the file on disk) and tree mode (the file in the tree).

Read: the ``#include "..."`` headers next to the file, and ``#include <linux/...>``/``<asm/...>`` under
the tree the file sits in (the nearest directory above it with ``include/linux/``; ``asm/`` in that
architecture's ``arch/*/include/`` for a file under ``arch/*/``, else ``asm-generic/``).  A header is
only searched for declarations (a regular expression, no parse), never run; each is read once per
process (cached by path, size and modification time).

:func:`header_constants` reads object-like ``#define NAME VALUE`` whose value is one constant
(``#define ETH_FP_HSI_VERSION (ETH_FP_HSI_VER_2)``) from the file and its ``"..."`` headers, following
their own ``"..."`` includes a few levels down (a driver's ``bnx2x.h`` includes the firmware header that
defines it).  A name defined twice with different values (``#ifdef`` alternatives) is no constant.  The
graph builder folds a comparison of two such constants (``if (ETH_FP_HSI_VERSION > ETH_FP_HSI_VER_2)``
is false), so a branch no configuration runs is no path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from reviewkit.io import read_bounded

_LOCAL = re.compile(r'^\s*#\s*include\s+"([^"]+\.h)"', re.MULTILINE)
_SYSTEM = re.compile(r"^\s*#\s*include\s+<((?:linux|asm|asm-generic)/[\w./-]+\.h)>", re.MULTILINE)
_DECL = re.compile(
    r"(?:__noreturn|__attribute__\s*\(\(\s*(?:__)?noreturn(?:__)?\s*\)\))[^;{(]*?\b(\w+)\s*\("
    r"|\b(\w+)\s*\([^;{]*\)\s*(?:__\w+\s+)*(?:__noreturn|__attribute__\s*\(\(\s*(?:__)?noreturn(?:__)?\s*\)\))"
)
"""A declaration with ``__noreturn`` before the name (``void __noreturn die(...)``) or after the
parameters (``void parisc_terminate(...) __noreturn __cold;``)."""
_CONT = r"(?:\s|\\\n)*"
_MACRO = re.compile(rf"^\s*#\s*define\s+(\w+)\s*\([^)]*\){_CONT}(?:do{_CONT}\{{{_CONT})?(\w+)\s*\(", re.MULTILINE)
"""``#define reiserfs_panic(s, id, fmt, args...) __reiserfs_panic(...)``: a macro that is one call."""
MAX_HEADERS = 40
_CONST_DEFINE = re.compile(
    r"^[ \t]*#[ \t]*define[ \t]+([A-Z][A-Z0-9_]*)[ \t]+\(*[ \t]*([A-Z][A-Z0-9_]*|-?(?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*)"
    r"[ \t]*\)*[ \t]*(?:/\*.*?\*/[ \t]*|//.*)?$",
    re.MULTILINE,
)
"""``#define NAME VALUE`` with one constant for its value: an integer or another upper-case name."""
_ANY_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Z][A-Z0-9_]*)\b", re.MULTILINE)
CONSTANT_DEPTH = 3
CONSTANT_CACHE = 256
"""Headers whose constants are kept (a driver's register header holds thousands: a whole-tree scan
must not keep every header's)."""
_CONST_CACHE: dict[tuple[str, int, int], tuple[tuple[tuple[str, str], ...], frozenset[str], tuple[str, ...]]] = {}
MAX_HEADER_BYTES = 400_000

_CACHE: dict[tuple[str, int, int], tuple[frozenset[str], dict[str, tuple[str, ...]]]] = {}
_ROOTS: dict[Path, Path | None] = {}


def header_noreturn(source: Path, text: str, tree: Path | None = None) -> frozenset[str]:
    """Names that never return by the declarations of the headers ``text`` (the file at ``source``)
    includes; macros that are a call of such a name, in those headers or in ``text``, too."""
    if "#include" not in text:
        return frozenset()
    root = tree if tree is not None else _tree_root(source.parent)
    names: set[str] = set()
    indexes: list[Mapping[str, tuple[str, ...]]] = []
    for header in _headers(source, text, root):
        found, by_callee = _read(header)
        names |= found
        indexes.append(by_callee)
    indexes.append(_by_callee((m.group(1), m.group(2)) for m in _MACRO.finditer(text)))
    frontier = set(names)
    for _ in range(3):  # a macro over a macro over the declaration
        more = {name for index in indexes for callee in frontier for name in index.get(callee, ()) if name not in names}
        if not more:
            break
        names |= more
        frontier = more  # (a macro over an older name was found the round that name was)
    return frozenset(names)


def _by_callee(macros: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """The macros that are one call, by the name they call: what a file's closure looks up."""
    out: dict[str, list[str]] = {}
    for name, callee in macros:
        out.setdefault(callee, []).append(name)
    return {callee: tuple(names) for callee, names in out.items()}


def _headers(source: Path, text: str, root: Path | None) -> list[Path]:
    out: dict[Path, None] = {}  # (ordered, no duplicates)
    inside = root.resolve() if root is not None else source.parent.resolve()
    here = os.path.abspath(source.parent)
    for m in _LOCAL.finditer(text):
        cand = _found(("local", here, m.group(1), inside), _local_header, source, m.group(1), inside)
        if cand is not None:
            out.setdefault(cand)
    if root is not None:
        arch = _arch_of(source, root)
        top = os.path.abspath(root)
        for m in _SYSTEM.finditer(text):
            name = m.group(1)
            found = _found(("system", top, arch, name), _system_header, root, arch, name)
            if found is not None:
                out.setdefault(found)
    return list(out)[:MAX_HEADERS]


_FOUND: dict[tuple[object, ...], Path] = {}
_FOUND_MAX = 16384
"""Where an ``#include`` of a directory (by absolute path) resolved: a scan's files include the same few
hundred headers, and looking each up on disk per file was a tenth of reading them.  Only headers found
are kept: one created later is still found, and one deleted since reads as empty (:func:`_read`)."""


def _found(key: tuple[object, ...], look: Callable[..., Path | None], *args: Any) -> Path | None:
    got = _FOUND.get(key)
    if got is None:
        got = look(*args)
        if got is not None:
            if len(_FOUND) >= _FOUND_MAX:
                _FOUND.clear()
            _FOUND[key] = got
    return got


def _local_header(source: Path, name: str, inside: Path) -> Path | None:
    cand = (source.parent / name).resolve()
    # ``#include "../../../x.h"`` from a patch reads nothing outside the tree (or the file's directory)
    return cand if cand.is_relative_to(inside) and cand.is_file() else None


def _system_header(root: Path, arch: str | None, name: str) -> Path | None:
    if name.startswith("asm/"):
        places = [root / "arch" / arch / "include" / name] if arch else []
        places.append(root / "include" / "asm-generic" / name[4:])
    else:
        places = [root / "include" / name]
    return next((p for p in places if p.is_file()), None)


def _arch_of(source: Path, root: Path) -> str | None:
    try:
        parts = source.resolve().relative_to(root.resolve()).parts
    except ValueError:
        return None
    return parts[1] if len(parts) > 2 and parts[0] == "arch" else None


def _tree_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` that has ``include/linux/`` (a kernel tree)."""
    cur = start.resolve()
    seen = []
    for _ in range(12):
        if cur in _ROOTS:
            got = _ROOTS[cur]
            break
        seen.append(cur)
        if (cur / "include" / "linux").is_dir():
            got = cur
            break
        if cur.parent == cur:
            got = None
            break
        cur = cur.parent
    else:
        got = None
    for d in seen:
        _ROOTS[d] = got
    return got


def _read(path: Path) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    try:
        st = path.stat()
    except OSError:
        return frozenset(), {}
    key = (str(path), st.st_size, int(st.st_mtime_ns))
    got = _CACHE.get(key)
    if got is not None:
        return got
    if st.st_size > MAX_HEADER_BYTES:
        got = (frozenset(), {})
    else:
        try:
            data = read_bounded(path, MAX_HEADER_BYTES)
        except (OSError, ValueError):
            data = b""
        text = data.decode("utf-8", "replace")
        found = frozenset(m.group(1) or m.group(2) for m in _DECL.finditer(text)) if "noreturn" in text else frozenset()
        got = (found, _by_callee((m.group(1), m.group(2)) for m in _MACRO.finditer(text)))
    _CACHE[key] = got
    return got


def header_constants(source: Path, text: str) -> dict[str, str]:
    """``NAME -> VALUE`` of the object-like constant macros of ``text`` (the file at ``source``) and of
    its ``"..."`` headers, theirs included, :data:`CONSTANT_DEPTH` levels down; names defined more than
    once with different values, or also defined otherwise, are left out."""
    values: dict[str, set[str]] = {}
    other: set[str] = set()

    def add(pairs: tuple[tuple[str, str], ...], names: frozenset[str]) -> None:
        for name, value in pairs:
            values.setdefault(name, set()).add(value)
        other.update(names)

    own = _constants_of(text)
    add(own[0], own[1])
    inside = source.parent.resolve()
    seen: list[Path] = []
    level = [(source.parent, own[2])]
    for _ in range(CONSTANT_DEPTH):
        nxt = []
        for base, includes in level:
            for name in includes:
                cand = (base / name).resolve()
                if len(seen) >= MAX_HEADERS or cand in seen or not cand.is_relative_to(inside.parent):
                    continue
                if not cand.is_file():
                    continue
                seen.append(cand)
                pairs, names, more = _read_constants(cand)
                add(pairs, names)
                nxt.append((cand.parent, more))
        level = nxt
    return {name: next(iter(vals)) for name, vals in values.items() if len(vals) == 1 and name not in other}


def _constants_of(text: str) -> tuple[tuple[tuple[str, str], ...], frozenset[str], tuple[str, ...]]:
    if "#define" not in text and "# define" not in text:
        return (), frozenset(), tuple(m.group(1) for m in _LOCAL.finditer(text))
    pairs = tuple((m.group(1), m.group(2)) for m in _CONST_DEFINE.finditer(text))
    counts: dict[str, int] = {}
    for m in _ANY_DEFINE.finditer(text):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    for name, _value in pairs:
        counts[name] -= 1
    # defined otherwise too (``#define X (Y + 1)`` under another ``#ifdef``): no one value
    names = frozenset(name for name, left in counts.items() if left > 0)
    return pairs, names, tuple(m.group(1) for m in _LOCAL.finditer(text))


def _read_constants(path: Path) -> tuple[tuple[tuple[str, str], ...], frozenset[str], tuple[str, ...]]:
    try:
        st = path.stat()
    except OSError:
        return (), frozenset(), ()
    key = (str(path), st.st_size, int(st.st_mtime_ns))
    got = _CONST_CACHE.get(key)
    if got is None:
        try:
            data = read_bounded(path, MAX_HEADER_BYTES) if st.st_size <= MAX_HEADER_BYTES else b""
        except (OSError, ValueError):
            data = b""
        if len(_CONST_CACHE) >= CONSTANT_CACHE:
            del _CONST_CACHE[next(iter(_CONST_CACHE))]
        got = _CONST_CACHE[key] = _constants_of(data.decode("utf-8", "replace"))
    return got


class HeaderConstants(Mapping[str, str]):
    """:func:`header_constants` of a file, read on first use: most functions compare no two constants,
    and most files none at all."""

    def __init__(self, source: Path, text: str) -> None:
        self._args: tuple[Path, str] | None = (source, text)
        self._got: dict[str, str] = {}

    def _values(self) -> dict[str, str]:
        if self._args is not None:
            self._got, self._args = header_constants(*self._args), None
        return self._got

    def __getitem__(self, name: str) -> str:
        return self._values()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())
