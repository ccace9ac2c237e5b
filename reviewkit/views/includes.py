"""Functions a file's headers declare as never returning.

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
"""

from __future__ import annotations

import re
from pathlib import Path

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
MAX_HEADER_BYTES = 400_000

_CACHE: dict[tuple[str, int, int], tuple[frozenset[str], tuple[tuple[str, str], ...]]] = {}
_ROOTS: dict[Path, Path | None] = {}


def header_noreturn(source: Path, text: str, tree: Path | None = None) -> frozenset[str]:
    """Names that never return by the declarations of the headers ``text`` (the file at ``source``)
    includes; macros that are a call of such a name, in those headers or in ``text``, too."""
    if "#include" not in text:
        return frozenset()
    root = tree if tree is not None else _tree_root(source.parent)
    names: set[str] = set()
    macros: list[tuple[str, str]] = []
    for header in _headers(source, text, root):
        found, defs = _read(header)
        names |= found
        macros.extend(defs)
    macros.extend((m.group(1), m.group(2)) for m in _MACRO.finditer(text))
    for _ in range(3):  # a macro over a macro over the declaration
        more = {name for name, callee in macros if callee in names and name not in names}
        if not more:
            break
        names |= more
    return frozenset(names)


def _headers(source: Path, text: str, root: Path | None) -> list[Path]:
    out: list[Path] = []
    inside = root.resolve() if root is not None else source.parent.resolve()
    for m in _LOCAL.finditer(text):
        cand = (source.parent / m.group(1)).resolve()
        # ``#include "../../../x.h"`` from a patch reads nothing outside the tree (or the file's directory)
        if cand.is_relative_to(inside) and cand.is_file() and cand not in out:
            out.append(cand)
    if root is not None:
        arch = _arch_of(source, root)
        for m in _SYSTEM.finditer(text):
            name = m.group(1)
            if name.startswith("asm/"):
                places = [root / "arch" / arch / "include" / name] if arch else []
                places.append(root / "include" / "asm-generic" / name[4:])
            else:
                places = [root / "include" / name]
            found = next((p for p in places if p.is_file()), None)
            if found is not None and found not in out:
                out.append(found)
    return out[:MAX_HEADERS]


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


def _read(path: Path) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    try:
        st = path.stat()
    except OSError:
        return frozenset(), ()
    key = (str(path), st.st_size, int(st.st_mtime_ns))
    got = _CACHE.get(key)
    if got is not None:
        return got
    if st.st_size > MAX_HEADER_BYTES:
        got = (frozenset(), ())
    else:
        try:
            data = read_bounded(path, MAX_HEADER_BYTES)
        except (OSError, ValueError):
            data = b""
        text = data.decode("utf-8", "replace")
        found = frozenset(m.group(1) or m.group(2) for m in _DECL.finditer(text)) if "noreturn" in text else frozenset()
        got = (found, tuple((m.group(1), m.group(2)) for m in _MACRO.finditer(text)))
    _CACHE[key] = got
    return got
