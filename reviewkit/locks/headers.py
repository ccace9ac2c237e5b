"""Lock wrappers defined in the headers a file includes.

``task_rq_unlock()`` lives in ``kernel/sched/sched.h`` and is annotated
``__releases(rq->lock) __releases(p->pi_lock)``: a caller in ``core.c``
looks leaky unless the header is read.  The headers read are the local
ones (``#include "sched.h"``, resolved next to the file: in a scan the
file on disk, in tree mode the file in the tree) and, in tree mode, the
tree's own ``include/`` for ``#include <linux/...>`` (static inline
wrappers and annotated declarations such as ``lock_task_sighand()``).  Only reading happens
here: a header is text, never run.

With a repository and no tree (``reviewkit check bug.patch`` in a
checkout, ``--git``, the hook, b4, the TUI), the same headers are read from
the repository at the series' base commit, else ``HEAD``
(:func:`included_in_repo`): the file's pre-image came from there, so its
``md.h`` wrappers must too, or repo mode would miss what ``--tree .`` sees.

Summaries of one header are the same for every file that includes it, so
they are cached per process by path, size and modification time (a scan
of ``kernel/sched/`` reads ``sched.h`` once, not once per file).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewkit.locks.model import LockModel, Summary
from reviewkit.views.build import whole_file_view
from reviewkit.views.source import FunctionView

if TYPE_CHECKING:
    from reviewkit.views.repo import Repo

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+\.h)"', re.MULTILINE)
MAX_HEADER_BYTES = 400_000
"""Larger headers are generated tables, not lock wrappers: not read."""
MAX_HEADERS = 12
"""Local headers read per file (a driver including a dozen of its own headers is common; more is not)."""

_SYSTEM = re.compile(r"^\s*#\s*include\s+<((?:linux|asm-generic|net|trace)/[\w./-]+\.h)>", re.MULTILINE)
MAX_TREE_HEADERS = 40
"""``<linux/...>`` headers read per file in tree mode (their summaries are cached across files)."""

_CACHE: dict[tuple[str, int, int], dict[str, Summary]] = {}
_TEXT_CACHE: dict[tuple[str, int, int], dict[str, Summary]] = {}


def included(source: Path, text: str, tree: Path | None = None) -> list[Path]:
    """The ``#include "..."`` headers of ``text`` that exist next to ``source``; with ``tree`` (tree
    mode) also its ``#include <linux/...>`` headers under the tree's ``include/`` (direct includes only)."""
    out = []
    for m in _INCLUDE.finditer(text):
        cand = (source.parent / m.group(1)).resolve()
        if cand.is_file() and cand not in out:
            out.append(cand)
        if len(out) >= MAX_HEADERS:
            break
    if tree is not None:
        root = (tree / "include").resolve()
        found = 0
        for m in _SYSTEM.finditer(text):
            cand = (root / m.group(1)).resolve()
            if found >= MAX_TREE_HEADERS or not cand.is_relative_to(root):
                break
            if cand.is_file() and cand not in out:
                out.append(cand)
                found += 1
    return out


def included_in_repo(repo: Repo, rev: str, path: str, text: str) -> list[tuple[str, str]]:
    """(label, text) of the headers :func:`included` would read in tree mode, from ``rev`` in ``repo``.

    ``path`` is the file's path in the repository; quoted includes resolve
    next to it, ``<linux/...>`` ones under ``include/``.  A name that
    escapes the repository (``#include "../../x.h"`` past the top) is not asked for.
    """
    names: list[str] = []
    here = posixpath.dirname(path)
    for m in _INCLUDE.finditer(text):
        cand = posixpath.normpath(posixpath.join(here, m.group(1)))
        if not cand.startswith("../") and cand not in names:
            names.append(cand)
        if len(names) >= MAX_HEADERS:
            break
    local = len(names)
    for m in _SYSTEM.finditer(text):
        cand = posixpath.normpath(posixpath.join("include", m.group(1)))
        if len(names) - local >= MAX_TREE_HEADERS or not cand.startswith("include/"):
            break
        if cand not in names:
            names.append(cand)
    specs = [f"{rev}:{n}" for n in names]
    got = repo.blobs(specs)
    return [
        (f"{rev}:{n}", data.decode("utf-8", "surrogateescape"))
        for n, spec in zip(names, specs, strict=True)
        if (data := got.get(spec)) is not None and len(data) <= MAX_HEADER_BYTES
    ]


def text_header_summaries(
    headers: list[tuple[str, str]], kernel: dict[str, Any], model: LockModel
) -> dict[str, Summary]:
    """:func:`header_summaries` for headers given as (label, text), cached by content."""
    from reviewkit.locks.summary import summarise

    out: dict[str, Summary] = {}
    for label, text in headers:
        key = (label, len(text), hash(text))
        got = _TEXT_CACHE.get(key)
        if got is None:
            views = _views(Path(label.split(":", 1)[-1]), text, model)
            got = summarise(views, kernel, model, called_only=False) if views else {}
            _TEXT_CACHE[key] = got
        for name, s in got.items():
            out.setdefault(name, s)
    return out


def header_summaries(paths: list[Path], kernel: dict[str, Any], model: LockModel) -> dict[str, Summary]:
    """Summaries of the lock wrappers (static inlines, annotated helpers) of ``paths``, cached."""
    from reviewkit.locks.summary import summarise

    out: dict[str, Summary] = {}
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        key = (str(path), st.st_size, int(st.st_mtime))
        got = _CACHE.get(key)
        if got is None:
            got = {}
            if st.st_size <= MAX_HEADER_BYTES:
                try:
                    text = path.read_text("utf-8", errors="surrogateescape")
                except OSError:
                    text = ""
                views = _views(path, text, model)
                if views:
                    got = summarise(views, kernel, model, called_only=False)
            _CACHE[key] = got
        for name, s in got.items():
            out.setdefault(name, s)
    return out


def _views(path: Path, text: str, model: LockModel) -> list[FunctionView]:
    if not (model.mentioned(text) or "__releases" in text or "__acquires" in text):
        return []
    views = whole_file_view(str(path), str(path), None, text, tree_pre="").functions("post")
    # a macro over the header's own wrappers (spufs.h's ``spufs_wait()`` calls ``spu_release()``,
    # defined above it) is a wrapper too: their names count as lock calls
    own = frozenset(fv.name for fv in views if model.mentioned(fv.text))
    return views + macro_views(path, text, model, own)


def macro_views(path: Path, text: str, model: LockModel, known: frozenset[str] = frozenset()) -> list[FunctionView]:
    """Views of ``text``'s function-like lock macros as functions (:mod:`reviewkit.locks.macros`)."""
    from reviewkit.locks.macros import macro_functions

    code = macro_functions(text, model, known)
    if not code:
        return []
    return whole_file_view(str(path), str(path), None, code, tree_pre="").functions("post")


_MACRO_CACHE: dict[tuple[str, int, int, frozenset[str]], dict[str, Summary]] = {}


def macro_summaries(
    label: str, text: str, kernel: dict[str, Any], model: LockModel, base: dict[str, Summary]
) -> dict[str, Summary]:
    """Summaries of the lock macros a file defines (``#define shm_unlock(shp) ipc_unlock(...)``), over
    the wrappers ``base`` already knows; cached by content."""
    from reviewkit.locks.summary import summarise

    if "#" not in text or "define" not in text:
        return {}
    known = frozenset(base)
    key = (label, len(text), hash(text), known)
    got = _MACRO_CACHE.get(key)
    if got is None:
        views = macro_views(Path(label), text, model, known)
        got = {}
        if views:
            names = {fv.name for fv in views}
            got = {n: s for n, s in summarise(views, kernel, model, called_only=False, base=base).items() if n in names}
        if len(_MACRO_CACHE) > 4096:
            _MACRO_CACHE.clear()
        _MACRO_CACHE[key] = got
    return got
