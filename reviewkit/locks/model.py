"""The lock model and the facts the lock analysis carries (see :mod:`reviewkit.locks.analysis`).

What a lock API does (:class:`LockModel`, one :class:`Family` per row of
``reviewkit/kernel/locks.toml``) and the values the analysis works with:
the holds on a path (:class:`Held`, :class:`Pending`, :class:`Facts`), what
it reports (:class:`Event`, :class:`LockResult`) and what it learns about a
wrapper (:class:`Summary`).  Plain data with no tree-sitter and no transfer
logic, so a reader (or a rule through :mod:`reviewkit.api`) can learn the
vocabulary without reading the analysis.
"""

# size: one vocabulary of plain types (families, holds, facts, events, summaries) plus the memoised pre-checks

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import Any

from reviewkit.flow.engine import CfgNode, State
from reviewkit.locks.keys import lock_key, member_key, part_keys, part_object
from reviewkit.views.source import FunctionView

__all__ = ["lock_key", "member_key", "part_keys", "part_object"]


@dataclass(frozen=True)
class Family:
    """One row of ``[[locks.family]]``."""

    group: str
    variant: str
    acquire: frozenset[str]
    release: frozenset[str]
    key: int | str
    release_key: int | str
    flags: int | None = None
    release_flags: int | None = None
    try_: str | None = None
    nests: bool = False
    scoped: bool = False
    member: str = ""
    """The lock is this member of the argument: ``raw_spin_rq_lock(rq)`` takes ``rq->lock`` (as the
    ``__acquires(rq->lock)`` annotations of the rq helpers name it)."""
    handoff: bool = False
    """Taken for another context to release (``down_read_non_owner()``): held at return is no leak."""
    parts: int | str | None = None
    """One call takes several locks of the object, named by flags: the argument at this index
    (``"ret"``: the mode the call returns, in the variable it is assigned to) is an ``|`` of sub-lock
    flags, and each flag is a lock of its own, ``ip@XFS_ILOCK_EXCL`` (see :func:`part_keys`)."""
    release_parts: int | None = None
    part_names: frozenset[str] = frozenset()
    """The flags that name a sub-lock; other constants in the ``|`` (lockdep subclasses) are dropped."""
    part_labels: tuple[tuple[str, str], ...] = ()
    """How a reviewer names the sub-lock a flag takes (``XFS_ILOCK_EXCL`` -> ``ILOCK``), for messages."""
    label: str = ""
    """How a reviewer names the lock a flags variable stands for (``ILOCK`` for the mode
    ``xfs_ilock_data_map_shared()`` returns, ``inode locks`` for ``xfs_ilock(ip, flags)``)."""


_SEEN_MAX = 4096
"""Function texts whose lock-API pre-check :meth:`LockModel.mentioned` remembers.

The memo serves one file (its summaries and its check ask about the same
functions); the model now lives as long as a scan worker, and keeping every
function text of every file seen would hold tens of MB per worker."""
CALLED = re.compile(r"\b([A-Za-z_]\w*)(?:\s|\\\n|/\*[^*]*\*+(?:[^/*][^*]*\*+)*/|//[^\n]*)*+\(")
"""A called name as the parser sees one: ``spin_lock (`` across a newline, or with a comment or a line
continuation before the ``(`` (``widget_get /* locked */ (tbl)``).  The comment is matched as C
defines it and the gap is possessive (``*+``): nothing backtracks into the code after a comment."""
_WORD = re.compile(r"[A-Za-z_]\w*")


def _memoised(table: dict[str, frozenset[str]], pattern: re.Pattern[str], text: str) -> frozenset[str]:
    """``pattern``'s matches in ``text``, kept in ``table`` (bounded: the model lives for a whole scan)."""
    hit = table.get(text)
    if hit is None:
        if len(table) >= _SEEN_MAX:
            table.clear()
        hit = table[text] = frozenset(pattern.findall(text))
    return hit


@dataclass
class LockModel:
    acquires: dict[str, Family]
    releases: dict[str, list[Family]]
    guard_classes: dict[str, str] = field(default_factory=dict)
    """``guard(mutex)(&m)``: class -> lock group (``group:key`` for a global context such as ``rcu``)."""
    held_asserts: frozenset[str] = frozenset()
    """``lockdep_assert_held()`` and friends: the caller holds the first argument's lock."""
    queries: frozenset[str] = frozenset()
    """Calls that only read a lock's state (``lockdep_is_held()``, ``spin_is_locked()``): no hand-off."""
    neutral: re.Pattern[str] = re.compile(r"(?!)")
    """Callees that never take or drop their caller's locks (``neutral`` in locks.toml), matched in full."""
    partners: tuple[tuple[str, str], ...] = ()
    """Callback name pairs (``suspend``/``resume``): what the first keeps, the second drops."""
    irq_disables: frozenset[str] = frozenset()
    """Calls that turn interrupts off without saving them (``local_irq_disable()``): a restore of flags
    saved before them puts back the saved state again, it is not a second release."""
    may_drop: dict[str, str] = field(default_factory=dict)
    """Calls that may drop a caller's lock (``handle_mm_fault()``: the mmap lock), by the lock's member."""
    declared: tuple[Family, ...] = ()
    markers: frozenset[str] = frozenset()
    """Sparse's ``__acquire(x)``/``__release(x)`` (``markers`` in locks.toml): x's state is unknown after."""
    fresh: re.Pattern[str] = re.compile(r"(?!)")
    """Allocators whose result is a fresh object (``fresh`` in locks.toml), matched in full."""
    """Families that are locks only where an annotation names their key (``[[locks.declared]]``)."""
    _api: frozenset[str] | None = None
    _seen: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _words: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    @cached_property
    def contexts(self) -> frozenset[str]:
        """The global contexts a family takes by a fixed name (``rcu``, ``preempt``), not by argument."""
        keys = {f.key for f in self.acquires.values()} | {f.release_key for fs in self.releases.values() for f in fs}
        return frozenset(k for k in keys if isinstance(k, str) and k != "ret")

    @cached_property
    def members(self) -> frozenset[str]:
        """The members the helper families take of their argument (``mmap_lock``, ``i_rwsem``)."""
        fams = list(self.acquires.values()) + [f for fs in self.releases.values() for f in fs]
        return frozenset(f.member for f in fams if f.member)

    def member_object(self, key: str) -> str | None:
        """``inode->i_rwsem`` -> ``inode``: the object a helper family was given for the lock, whose hand-over
        (``ac->ac_inode = inode``) hands over the lock as a store of the lock itself would."""
        for member in self.members:
            for sep in ("->", "."):
                if key.endswith(sep + member) and len(key) > len(sep + member):
                    return key[: -len(sep + member)]
        return None

    def release_keys(self, name: str, args: Sequence[str]) -> set[str]:
        """The locks a call of ``name`` with these argument texts releases by the model, each family's
        way (``inode_unlock(inode)``: ``inode->i_rwsem``); empty for no release or a fixed context."""
        out = set()
        for fam in self.releases.get(name) or []:
            rk = fam.release_key
            if isinstance(rk, int) and rk < len(args):
                out.add(member_key(args[rk], fam.member))
        return out

    def mentioned(self, text: str, extra: Iterable[str] = ()) -> bool:
        """Cheap pre-check before building a CFG: does ``text`` call any lock API (or name one of ``extra``)?

        Why identifier sets and not one alternation of every API name: ``re`` tries each alternative at
        each position, which made this pre-check a tenth of a scan once the header wrappers joined
        ``extra``; a function's called names and words are found once (memoised per text) and met by
        set intersection.  ``extra`` matches whole words, never a substring of a longer name
        (``foo_lock`` is not a use of ``foo``).
        """
        if self._api is None:
            self._api = frozenset(self.acquires.keys() | self.releases.keys())
        if not self.called(text).isdisjoint(self._api):
            return True
        return bool(extra) and not _memoised(self._words, _WORD, text).isdisjoint(extra)

    def calls_any(self, text: str, names: Iterable[str]) -> bool:
        """Does ``text`` call one of ``names`` (``name(``)?  The same memo as :meth:`mentioned`."""
        return not self.called(text).isdisjoint(names)

    def called(self, text: str) -> frozenset[str]:
        """The names ``text`` calls (:data:`CALLED`), found once per text (the summaries ask for each
        function, the check again); its words are read only when a caller looks beyond the API."""
        return _memoised(self._seen, CALLED, text)

    @cached_property
    def declared_model(self) -> LockModel:
        """This model with the ``[[locks.declared]]`` families (counting semaphores) added: the API of a
        lock only an annotation declares, for the body of the function that carries the annotation."""
        acquires, releases = dict(self.acquires), {k: list(v) for k, v in self.releases.items()}
        _add(self.declared, acquires, releases)
        return replace(self, acquires=acquires, releases=releases, declared=(), _api=None, _seen={}, _words={})

    @classmethod
    def from_kernel(cls, kernel: dict[str, Any]) -> LockModel:
        acquires: dict[str, Family] = {}
        releases: dict[str, list[Family]] = {}
        _add(_families((kernel.get("locks", {}) or {}).get("family", [])), acquires, releases)
        locks = kernel.get("locks", {}) or {}
        held = frozenset(locks.get("held_asserts", []))
        guards = {str(k): str(v) for k, v in (locks.get("guard_classes", {}) or {}).items()}
        queries = frozenset(locks.get("queries", [])) | held
        neutral = re.compile("|".join(f"(?:{n})" for n in locks.get("neutral", [])) or r"(?!)")
        partners = tuple((str(a), str(b)) for a, b in locks.get("partners", []))
        irq_disables = frozenset(locks.get("irq_disables", []))
        may_drop = {str(k): str(v) for k, v in (locks.get("may_drop", {}) or {}).items()}
        declared = _families(locks.get("declared", []))
        fresh = re.compile("|".join(f"(?:{n})" for n in locks.get("fresh", [])) or r"(?!)")
        markers = frozenset(locks.get("markers", []))
        return cls(
            acquires,
            releases,
            guards,
            held,
            queries,
            neutral,
            partners,
            irq_disables,
            may_drop,
            declared,
            markers,
            fresh,
        )


def _families(rows: Iterable[dict[str, Any]]) -> tuple[Family, ...]:
    out = []
    for row in rows:
        key = row.get("key", 0)
        out.append(
            Family(
                str(row.get("group", "lock")),
                str(row.get("variant", "plain")),
                frozenset(row.get("acquire", [])),
                frozenset(row.get("release", [])),
                key,
                row.get("release_key", 0 if key == "ret" else key),
                row.get("flags"),
                row.get("release_flags"),
                row.get("try"),
                bool(row.get("nests", False)),
                bool(row.get("scoped", False)),
                str(row.get("member", "")),
                bool(row.get("handoff", False)),
                row.get("parts"),
                row.get("release_parts", row.get("parts") if isinstance(row.get("parts"), int) else None),
                frozenset(row.get("part_names", [])),
                tuple(sorted((str(k), str(v)) for k, v in (row.get("part_labels", {}) or {}).items())),
                str(row.get("label", "")),
            )
        )
    return tuple(out)


def _add(families: Iterable[Family], acquires: dict[str, Family], releases: dict[str, list[Family]]) -> None:
    for fam in families:
        for name in fam.acquire:
            acquires[name] = fam
        for name in fam.release:
            releases.setdefault(name, []).append(fam)


def lock_label(model: LockModel, key: str, call: str = "") -> str:
    """A lock as a reviewer names it in a message: `` `q->lock` ``; a sub-lock key (``ip@XFS_ILOCK_EXCL``,
    ``quotip@lock_flags``) by the labels of the family of ``call`` (the acquire or release that named it):
    "the ILOCK of `ip`", "the inode locks of `ip` that `flags` names".  The key itself stays internal (the JSON
    ``lock`` field)."""
    if "@" not in key:
        return f"`{key}`"
    obj, _sep, part = key.rpartition("@")
    fams = [model.acquires[call]] if call in model.acquires else list(model.releases.get(call, []))
    fams += [f for f in model.acquires.values() if f.part_labels and f not in fams]
    for fam in fams:
        labels = dict(fam.part_labels)
        if part in labels:
            return f"the {labels[part]} of `{obj}`"
    first = fams[0] if fams else None
    if first is not None and first.label and first.parts == "ret":
        return f"the {first.label} of `{obj}`"
    if first is not None and first.label:
        return f"the {first.label} of `{obj}` that `{part}` names"
    return f"`{obj}` (`{part}`)"


@lru_cache(maxsize=8)
@dataclass(frozen=True)
class Held:
    key: str
    group: str
    variant: str
    line: int | None = field(compare=False)
    """Where it was taken (a witness: holds of one lock taken at two places are one fact)."""
    call: str = field(compare=False)
    flags: str | None = None
    new: bool = True
    count: int = 1
    stale: bool = False
    """A variable of the lock expression was reassigned: the name no longer denotes the lock."""
    entry: str = ""
    """Held on entry by annotation: "__must_hold" or "__releases"."""
    scope: tuple[int, int] | None = field(default=None, compare=False)
    """A ``guard()``: the bytes of the block that releases it when it ends."""
    maybe_dropped: bool = False
    """Stale only because a callee may have released it (a release summary not decided by a test): it
    is held or free, never held twice, so a release of it frees it for certain."""
    src: str = field(default="", compare=False)
    """The acquire as written (``spin_lock(&q->lock)``, ``l = list_lru_lock(&lru, nid, memcg)``)."""
    handoff: bool = field(default=False, compare=False)
    """Taken for another context to release: by a ``handoff`` API (``down_read_non_owner()``) or by a
    wrapper whose own hold was one (``cached_dev_write()`` taking it non-owner for its completion)."""
    stored: bool = False
    """A void function left the lock's object in its caller's memory while holding it (``cip->vc[sub] =
    vc``, itself, or a callee whose test said it did): handed over with the object
    (:mod:`reviewkit.locks.stores`).  Part of the state: a path that stored and one that did not differ."""
    also: frozenset[str] = frozenset()
    """Plain pointer copies of the key's root made while held (``locked = cur``): the same object
    (:mod:`reviewkit.locks.copies`)."""

    def __hash__(self) -> int:
        # (computed once: a hold is hashed for every state and memo it is part of; the fields ``==`` reads)
        got = self.__dict__.get("_hash")
        if got is None:
            got = hash(_HELD_COMPARED(self))
            object.__setattr__(self, "_hash", got)
        return got

    @property
    def what(self) -> str:
        """The acquire as a reviewer quotes it: the source text, not the normalised key."""
        if self.src:
            return self.src
        if self.key in ("rcu", "rcu_bh", "rcu_sched", "preempt", "irq", "rtnl_mutex", "cpus_read", "online_mems"):
            return f"{self.call}()"
        return f"{self.call}({self.key})" if self.call else f"`{self.key}`"


_HELD_COMPARED = attrgetter(*(f.name for f in fields(Held.__wrapped__) if f.compare))  # type: ignore[attr-defined]
held_witness = attrgetter(*(f.name for f in fields(Held.__wrapped__) if not f.compare))  # type: ignore[attr-defined]
"""A hold's witnesses, the fields its equality leaves out (where it was taken, as written): equal holds
with other witnesses make other messages, so a memo of steps over holds keys on them too."""


@dataclass(frozen=True)
class Pending:
    var: str
    held: Held
    when: str
    dropped_at: int | None = None
    """The hold was handed to a callee at this line (``&locked``): when the test says the callee dropped
    it, it was released there, and a later release is a second one."""


@dataclass(frozen=True)
class Facts:
    held: frozenset[Held] = frozenset()
    pending: frozenset[Pending] = frozenset()
    unseen: bool = False
    result: bool | None = None
    """Summary runs only (:attr:`LockAnalysis.result_var`): the truth of the variable the function returns
    as this path last tested it (``__ret = spu_acquire(ctx); if (__ret) break;``: nonzero), None when
    untested since its last store.  It splits states, so what each exit returns is known by its path."""


@dataclass(frozen=True)
class Event:
    """Something wrong at one node, whatever the path: double acquire, orphan release, wrong variant."""

    kind: str
    line: int
    key: str
    call: str
    other_line: int | None = None
    detail: str = ""
    src: str = ""
    """The call at ``line`` as written in the source."""


@dataclass
class Summary:
    """A function of the same file/series that acquires or releases for its caller."""

    kind: str
    """``acquire``, ``release``, or ``retake`` (annotated as dropping and retaking the caller's lock)."""
    key: str
    params: list[str]
    group: str
    variant: str
    ret_var: str | None = None
    flags: str | None = None
    try_: str | None = None
    more: tuple[Summary, ...] = ()
    """Further effects of the same call: ``__releases(rq->lock) __releases(p->pi_lock)`` releases both."""
    handoff: bool = False
    """An acquire whose every hold at the wrapper's exits was a hand-off (:attr:`Held.handoff`)."""

    def effects(self) -> tuple[Summary, ...]:
        return (self, *self.more)


@dataclass
class ExitRecord:
    via: CfgNode
    state: State


@dataclass
class LockResult:
    fv: FunctionView
    exits: list[ExitRecord]
    events: list[Event]
    complete: bool
    acquired_keys: set[str] = field(default_factory=set)
    annotations: dict[str, list[str]] = field(default_factory=dict)
    inferred: set[str] = field(default_factory=set)
    assumed: frozenset[str] = frozenset()
    """The ``assume_held`` keys the analysis was given."""


def _ordered(held: Iterable[Held]) -> list[Held]:
    """Holds in a fixed order, the most recent acquire of this function first (a release matches it).

    Set order is not fixed: ``hash(None)`` depends on the process (Python < 3.12), so picking "the first"
    hold of a key from the set made two runs of the same scan disagree.
    """
    return sorted(
        held,
        key=lambda h: (h.stale, h.line is None, -(h.line or 0), h.group, h.variant, h.flags or "", h.entry, h.count),
    )


def _same_group(a: str, b: str) -> bool:
    return a == b or "any" in (a, b)
