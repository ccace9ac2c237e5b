"""One parse per function text, and per-parse fact tables: what a verification re-run reuses.

Verifying a fix folds it into the patch and rebuilds the review context, so
every function view of the folded patch is a new object, although a fix
changes only a few of them.  Keyed by the text, the unchanged ones get the
parse of their earlier twin (:func:`share`); analyses that depend only on
the parse (statement shapes, the calls below a node, declarations) keep
their results in that parse's fact table (:func:`facts`) and are not
recomputed.  Every result in a table comes from the one tree it is keyed
by, so nodes of two parses never meet.

Bounded by the bytes of source kept parsed (least recently used first
out), so a whole-tree scan cannot grow it without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from reviewkit.cparse import parse as cparse
from reviewkit.views.source import FunctionView

BUDGET = 2 << 20
"""Bytes of source whose parses (and fact tables) are kept; a tree is roughly 20x its source."""


class _Entry:
    __slots__ = ("facts", "parsed", "size")

    def __init__(self, parsed: cparse.Parsed) -> None:
        self.parsed = parsed
        self.facts: dict[str, dict[Any, Any]] = {}
        top = getattr(parsed, "top", None)
        self.size = top.end_byte - top.start_byte if top is not None else len(parsed.source)
        """Its share of the budget: the function's own bytes for a share of a file's parse.

        The file's tree is kept alive by the file's views anyway; counting the
        whole file for each of its functions would evict everything at once.
        """

    @property
    def whole(self) -> bool:
        """A parse of exactly its source (not one function's share of a file's parse): shareable by text."""
        return type(self.parsed) is cparse.Parsed


_lock = threading.Lock()
_lru: OrderedDict[int, _Entry] = OrderedDict()
"""Kept parses by ``id()`` (each entry holds its parse alive, so an id is never reused while kept)."""
_by_text: dict[bytes, _Entry] = {}
"""The parse an identical text gets (the first one kept)."""
_size = 0


def _keep(parsed: cparse.Parsed) -> _Entry:
    """The entry of ``parsed`` (kept from now on if new); caller holds the lock."""
    global _size
    entry = _lru.get(id(parsed))
    if entry is not None and entry.parsed is parsed:
        _lru.move_to_end(id(parsed))
        return entry
    entry = _Entry(parsed)
    if entry.size > BUDGET:
        return entry  # too big to keep: its facts live as long as the caller holds them
    _lru[id(parsed)] = entry
    if entry.whole:
        _by_text.setdefault(parsed.source, entry)
    _size += entry.size
    while _size > BUDGET and _lru:
        _, gone = _lru.popitem(last=False)
        _size -= gone.size
        if _by_text.get(gone.parsed.source) is gone:
            del _by_text[gone.parsed.source]
    return entry


def parse(text: str) -> cparse.Parsed:
    """``cparse.parse(text)``, or the parse of an identical text seen before."""
    data = text.encode("utf-8", "surrogateescape")
    with _lock:
        entry = _by_text.get(data)
        if entry is not None:
            _lru.move_to_end(id(entry.parsed))
            return entry.parsed
    parsed = cparse.parse(data)
    with _lock:
        return _keep(parsed).parsed


def share(fv: FunctionView) -> cparse.Parsed:
    """``fv.parsed``, taken from an earlier view of the same text when there is one.

    Only a view that would parse its own text takes a shared parse; a view
    that is a share of its file's parse (tree and scan mode) keeps it.
    """
    if fv._parsed is None and getattr(fv, "_whole", None) is None:
        fv._parsed = parse(fv.text)  # what FunctionView.parsed would compute, from the memo
        return fv._parsed
    parsed = fv.parsed
    with _lock:
        _keep(parsed)
    return parsed


def facts(parsed: cparse.Parsed, table: str) -> dict[Any, Any]:
    """The fact table ``table`` of ``parsed`` (results computed on that tree only)."""
    with _lock:
        return _keep(parsed).facts.setdefault(table, {})


def clear() -> None:
    """Forget everything (tests, and front ends that want the memory back)."""
    global _size
    with _lock:
        _lru.clear()
        _by_text.clear()
        _size = 0
