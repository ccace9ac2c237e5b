"""How a lock is named: one key per lock however the code spells the path to it.

``&q->lock``, ``(&q)->lock`` and ``q->lock`` are one lock; a helper family with a member
(``inode_lock(inode)``) names ``inode->i_rwsem``, the key the bare rwsem call gives; a flags
argument names sub-locks of one object (``ip@XFS_ILOCK_EXCL``).  Pure text functions, apart from
:mod:`reviewkit.locks.model` so the vocabulary module stays the data it describes.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reviewkit.flow.cfg import norm

_ADDRESS_ARROW = re.compile(r"^\(&([A-Za-z_](?:[\w.]|->)*)\)->")
"""``(&ctx)->lock``: the member of the object itself, ``ctx.lock``."""


_PAREN_NAME = re.compile(r"(?<![\w)\]])\(([A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*)\)(?=->|\.|\)|\[|\]|,|$)")
"""``(shp)->shm_perm``: a macro's parenthesised parameter (or member path), the path itself (a cast is
followed by a value, a call's arguments by nothing of these)."""


CONTAINER_OF = frozenset({"container_of", "container_of_const", "list_entry", "hlist_entry", "rb_entry"})
"""``container_of(ptr, type, member)`` and its spellings: the object whose ``member`` ``ptr`` points at."""
_CONTAINER = re.compile(
    r"(?<![\w.>])(?:" + "|".join(sorted(CONTAINER_OF)) + r")\(([A-Za-z_][\w.>\-]*),[^,()]+,([A-Za-z_]\w*)\)->\2(\.|$)"
)
"""``container_of(ipcp, T, shm_perm)->shm_perm.lock``: ``ipcp->lock`` (the member is where ``ptr`` points)."""


_ACCESSOR = re.compile(r"(?<![\w.>])ACCESS_PRIVATE\(([A-Za-z_][\w.>\-]*),([A-Za-z_]\w*)\)")
"""``ACCESS_PRIVATE(rnp, lock)`` (a sparse ``__private`` member read) is ``rnp->lock``, the name a
``__releases(rnp->lock)`` annotation uses."""


def _container(m: re.Match[str]) -> str:
    return m.group(1) + ("->" if m.group(3) else "")


def unparen(text: str) -> str:
    """``&(shp)->shm_perm`` -> ``&shp->shm_perm``: the parentheses a macro puts round its parameters."""
    while "(" in text and (bare := _PAREN_NAME.sub(r"\1", text)) != text:
        text = bare
    return text


@lru_cache(maxsize=8192)  # pure, and called for every lock argument of every path
def lock_key(text: str) -> str:
    """``&ds_queue->split_queue_lock`` -> ``ds_queue->split_queue_lock``; ``*flags`` -> ``flags``;
    ``(&cxt)->lock`` -> ``cxt.lock``; ``(&(shp)->perm)->lock`` -> ``shp->perm.lock`` (one lock, however the
    path to it is spelt)."""
    key = unparen(norm(text))
    if "_entry(" in key or "container_of" in key:
        key = _CONTAINER.sub(_container, key)
    if "ACCESS_PRIVATE" in key:
        key = _ACCESSOR.sub(r"\1->\2", key)
    while True:
        if key.startswith("(") and key.endswith(")") and _balanced(key[1:-1]):
            key = key[1:-1]
        elif key.startswith(("&", "*")):
            key = key[1:]
        else:
            return _ADDRESS_ARROW.sub(r"\1.", key, count=1) if key.startswith("(&") else key


_IDENT_ONLY = re.compile(r"^[A-Za-z_]\w*$")


@lru_cache(maxsize=8192)
def member_key(arg: str, member: str) -> str:
    """The lock a family with a ``member`` takes from its argument: ``mmap_read_lock(mm)`` ->
    ``mm->mmap_lock``, ``mmap_write_lock(&init_mm)`` -> ``init_mm.mmap_lock`` (the key
    ``down_write(&init_mm.mmap_lock)`` gives), so the helper and the bare rwsem call name one lock."""
    key = lock_key(arg)
    if not member:
        return key
    text = norm(arg)
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    if text.startswith("&"):
        return f"{key}.{member}"
    if text.startswith("*") and _IDENT_ONLY.match(key):
        return f"(*{key})->{member}"  # inode_lock(*dir): the inode *dir points at, not dir itself
    return f"{key}->{member}"


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


_CONST = re.compile(r"^[A-Z][A-Z0-9_]*$")
_VAR = re.compile(r"^[A-Za-z_]\w*(?:(?:->|\.)\w+)*$")


def part_keys(key: str, flags: str, names: frozenset[str]) -> list[str] | None:
    """The locks a flags argument names: ``ip``, ``XFS_IOLOCK_EXCL | XFS_ILOCK_EXCL`` ->
    ``["ip@XFS_IOLOCK_EXCL", "ip@XFS_ILOCK_EXCL"]``, so a release of one flag is not a release of both.

    A flags variable is one opaque part (``ip@lock_mode``: released by the same variable); constants
    not in ``names`` qualify a lock rather than name one (lockdep subclasses) and are dropped.  None
    when unsure (a computed part, ``XFS_ILOCK_EXCL << 1``, nothing left): the call is not followed.
    """
    out: list[str] = []
    for part in _top_level_or(norm(flags)):
        while part.startswith("(") and part.endswith(")") and _balanced(part[1:-1]):
            part = part[1:-1]
        if part in names or (_VAR.match(part) and not _CONST.match(part)):
            out.append(f"{key}@{part}")
        elif not _CONST.match(part):
            return None
    return sorted(set(out)) or None


def _top_level_or(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    i = 0
    while i < len(text):
        ch = text[i]
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0 and text[i + 1 : i + 2] != "|" and text[i - 1 : i] != "|":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    parts.append(cur)
    return [p for p in parts if p]


def part_object(key: str) -> str:
    """``ip@XFS_ILOCK_EXCL`` -> ``ip``: the object whose sub-locks :func:`part_keys` names."""
    return key.rpartition("@")[0] if "@" in key else key
