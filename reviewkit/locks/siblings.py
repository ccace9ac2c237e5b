"""Lock facts of helpers defined in the other ``.c`` files of a file's directory.

A reviewer who sees ``err = udf_expand_file_adinicb(inode); if (err) return err;``
under ``down_write(&iinfo->i_data_sem)`` opens ``inode.c`` next to ``file.c``
and reads that the helper drops the semaphore on every return.  The kernel
keeps such helpers in the same directory: ``hfs_find_init()``/``hfs_find_exit()``
in ``bfind.c`` take and drop the B-tree lock for ``extents.c``, and
``cachefiles_bury_object()`` in ``namei.c`` unlocks the directory
``interface.c`` locked.  Without them every such caller looks like it leaks.

Reading a directory costs a parse of each file that defines one of the names,
so this is asked only for a function that would otherwise get a finding, and
only for the callees its own file, its headers and the lock model do not
explain.  Texts, views and summaries are cached per process by path, size and
modification time.  Only reading happens here: a file is text, never run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reviewkit.locks.model import LockModel, Summary
from reviewkit.views.build import whole_file_view
from reviewkit.views.source import FunctionView

MAX_FILES = 120
"""Sibling ``.c`` files looked at per directory (drivers/ directories of hundreds are generated tables)."""
MAX_BYTES = 400_000
"""Larger files are not read (the same bound as headers)."""
DEPTH = 2
"""Levels of the helper's own same-file callees summarised with it (``do_x()`` -> ``__do_x()`` -> unlock)."""

MAX_CACHED = 64
"""Sibling files whose text and parse are kept per process (a scan walks a directory at a time)."""

_TEXTS: dict[tuple[str, int, int], str] = {}
_VIEWS: dict[tuple[str, int, int], list[FunctionView]] = {}
_SUMMARIES: dict[tuple[str, int, int, str], Summary | None] = {}


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    if st.st_size > MAX_BYTES:
        return None
    return (str(path), st.st_size, int(st.st_mtime))


def _text(stamp: tuple[str, int, int]) -> str:
    got = _TEXTS.get(stamp)
    if got is None:
        try:
            got = Path(stamp[0]).read_text("utf-8", errors="surrogateescape")
        except OSError:
            got = ""
        if len(_TEXTS) >= MAX_CACHED:
            _TEXTS.clear()
        _TEXTS[stamp] = got
    return got


def _defines(name: str) -> re.Pattern[str]:
    """A definition of ``name`` (not a declaration or a call): ``int\\nname(...)\\n{`` or ``static void
    name(...) {`` with the name at the start of a line or after a return type on the same line."""
    return re.compile(rf"^(?:[A-Za-z_][\w \t*]*[\s*])?{re.escape(name)}\s*\([^;{{}}]*\)\s*\{{", re.MULTILINE)


def sibling_summaries(
    source: Path, names: set[str], kernel: dict[str, Any], model: LockModel, base: dict[str, Summary]
) -> dict[str, Summary]:
    """Summaries of ``names`` defined in another ``.c`` file of ``source``'s directory (static ones
    are never there: a static function of another file is another function)."""
    out: dict[str, Summary] = {}
    if not names:
        return out
    try:
        siblings = sorted(p for p in source.parent.glob("*.c") if p.name != source.name)[:MAX_FILES]
    except OSError:
        return out
    wanted = set(names)
    for path in siblings:
        if not wanted:
            break
        stamp = _stamp(path)
        if stamp is None:
            continue
        text = _text(stamp)
        here = {n for n in wanted if f"{n}(" in text or f"{n} (" in text}
        here = {n for n in here if (m := _defines(n).search(text)) and "static" not in m.group(0).split(n)[0]}
        if not here:
            continue
        for name in sorted(here):
            key = (*stamp, name)
            if key not in _SUMMARIES:
                _SUMMARIES[key] = _summary(stamp, text, name, kernel, model, base)
            s = _SUMMARIES[key]
            wanted.discard(name)
            if s is not None:
                out[name] = s
    return out


def _summary(
    stamp: tuple[str, int, int],
    text: str,
    name: str,
    kernel: dict[str, Any],
    model: LockModel,
    base: dict[str, Summary],
) -> Summary | None:
    from reviewkit.locks.headers import header_summaries, included, macro_summaries
    from reviewkit.locks.summary import called_names, summarise

    views = _VIEWS.get(stamp)
    if views is None:
        views = whole_file_view(stamp[0], stamp[0], None, text, tree_pre="").functions("post")
        if len(_VIEWS) >= MAX_CACHED:
            _VIEWS.clear()
        _VIEWS[stamp] = views
    by_name = {fv.name: fv for fv in views}
    target = by_name.get(name)
    if target is None or target.fragment:
        return None
    chosen = [target]
    for _ in range(DEPTH):
        more = [by_name[n] for n in called_names(chosen) if n in by_name and by_name[n] not in chosen]
        if not more:
            break
        chosen += more
    # the helper's own headers and macros (``shm_unlock()`` over ``util.h``'s ``ipc_unlock()``) explain
    # its wrappers, as for the caller's
    known = {**base, **header_summaries(included(Path(stamp[0]), text), kernel, model)}
    known = {**known, **macro_summaries(stamp[0], text, kernel, model, known)}
    got = summarise(chosen, kernel, model, called_only=False, base=known)
    return got.get(name)
