"""What a scanned file's result depends on besides its own bytes, as a short stamp for the cache key.

A scan reads more than the file: lock wrappers of the ``#include "..."``
headers next to it, and helpers of the other ``.c`` files of its directory
(:mod:`reviewkit.locks.headers`, :mod:`reviewkit.locks.siblings`).  Keyed by
the file alone, a warm scan replays the old findings after a header or a
sibling changes.  The stamp is each such file's name, size and mtime in
nanoseconds (what make trusts), a directory's taken once per scan.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_INCLUDE = re.compile(rb'#[ \t]*include[ \t]*"([^"\n]+\.h)"')
"""Unanchored and without ``\\s*`` across lines: a warm scan runs it on every file of the tree."""
MAX_INCLUDES = 12
"""As many local headers as the lock rule reads (``reviewkit.locks.headers.MAX_HEADERS``)."""


def _stat(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:-"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def dependency_stamp(path: str, data: bytes, directories: dict[str, dict[str, str]] | None = None) -> str:
    """The stamp of the headers ``data`` includes next to ``path`` and of the other ``.c`` files of
    ``path``'s directory (not ``path`` itself: its bytes are in the key, so rewriting the same text is
    still a hit).  ``directories`` keeps each directory's stamps for the rest of one scan (its files are
    stat'ed once per scan, not once per file: a directory of 300 files is 300 stats, not 90,000)."""
    here, own = os.path.split(path)
    parts: list[str] = []
    for m in _INCLUDE.finditer(data):
        if len(parts) >= MAX_INCLUDES:
            break
        name = m.group(1).decode("utf-8", "surrogateescape")
        parts.append(_stat(str(Path(here, name))))
    siblings = directories.get(here) if directories is not None else None
    if siblings is None:
        siblings = _directory(here)
        if directories is not None:
            directories[here] = siblings
    parts.extend(stamp for name, stamp in siblings.items() if name != own)
    return "\n".join(parts)


def _directory(here: str) -> dict[str, str]:
    """Each ``.c`` file of the directory ``here`` with its stamp, by name, in name order."""
    try:
        names = sorted(n for n in os.listdir(here or ".") if n.endswith(".c"))
    except OSError:
        return {}
    return {n: _stat(os.path.join(here, n)) for n in names}
