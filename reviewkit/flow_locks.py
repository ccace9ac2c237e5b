"""Lock semantics for the flow engine: the API model, the transfer function, summaries.

Clients: ``lock-balance`` (pairing on every path) and ``rcu-folio-memcg``
(is a call inside an RCU read-side section?).  The model comes from
``reviewkit/kernel/locks.toml`` merged with the user's configuration, so the
code here knows *how* locks behave, never *which* calls are locks.

Facts carried per path: the locks held (:class:`Held`, keyed by the
normalised lock expression, ``&`` and ``*`` stripped so ``&flags`` and
``flags`` are one variable), conditional acquires waiting for the test of
the variable their result went to (:class:`Pending`), and whether the path
crossed code the view does not show (then a release with no acquire proves
nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from reviewkit.cparse import Call, Node
from reviewkit.flow import BUDGET, K_COND, K_ENTRY, K_GAP, K_RETURN, CfgNode, State, build_cfg, run
from reviewkit.flow_cfg import norm
from reviewkit.source import FunctionView

_IDENT = re.compile(r"[A-Za-z_]\w*")
_VAR = re.compile(r"(?<![\w>.])[A-Za-z_]\w*")
"""Identifiers of a lock expression that are variables: ``pvmw`` in ``pvmw->ptl``, not the member ``ptl``."""
_ANNOT = re.compile(r"\b(__acquires|__releases|__must_hold)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
NEST_CAP = 3
SUMMARY_MAX_LINES = 250
"""Lock wrappers are short: longer functions are not summarised (they are still analysed)."""


def lock_key(text: str) -> str:
    """``&ds_queue->split_queue_lock`` -> ``ds_queue->split_queue_lock``; ``*flags`` -> ``flags``."""
    key = norm(text)
    while True:
        if key.startswith("(") and key.endswith(")") and _balanced(key[1:-1]):
            key = key[1:-1]
        elif key.startswith(("&", "*")):
            key = key[1:]
        else:
            return key


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


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


@dataclass
class LockModel:
    acquires: dict[str, Family]
    releases: dict[str, list[Family]]
    _pattern: re.Pattern[str] | None = None
    _seen: dict[str, bool] = field(default_factory=dict, repr=False)

    def mentioned(self, text: str, extra: Iterable[str] = ()) -> bool:
        """Cheap pre-check before building a CFG: does ``text`` call any lock API (or ``extra``)?"""
        if self._pattern is None:
            self._pattern = _api_pattern(frozenset(self.acquires.keys() | self.releases.keys()))
        hit = self._seen.get(text)
        if hit is None:  # asked for every function by the summaries and again by the check
            hit = self._seen[text] = self._pattern.search(text) is not None
        return hit or any(name in text for name in extra)

    @classmethod
    def from_kernel(cls, kernel: dict[str, Any]) -> LockModel:
        acquires: dict[str, Family] = {}
        releases: dict[str, list[Family]] = {}
        for row in (kernel.get("locks", {}) or {}).get("family", []):
            key = row.get("key", 0)
            fam = Family(
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
            )
            for name in fam.acquire:
                acquires[name] = fam
            for name in fam.release:
                releases.setdefault(name, []).append(fam)
        return cls(acquires, releases)


@lru_cache(maxsize=8)
def _api_pattern(names: frozenset[str]) -> re.Pattern[str]:
    """One compiled alternation per lock API table (a scan builds a model per file)."""
    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\s*\(")


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
    src: str = field(default="", compare=False)
    """The acquire as written (``spin_lock(&q->lock)``, ``l = list_lru_lock(&lru, nid, memcg)``)."""

    @property
    def what(self) -> str:
        """The acquire as a reviewer quotes it: the source text, not the normalised key."""
        if self.src:
            return self.src
        if self.key in ("rcu", "rcu_bh", "rcu_sched", "preempt", "irq", "rtnl", "cpus_read", "online_mems"):
            return f"{self.call}()"
        return f"{self.call}({self.key})" if self.call else f"`{self.key}`"


@dataclass(frozen=True)
class Pending:
    var: str
    held: Held
    when: str


@dataclass(frozen=True)
class Facts:
    held: frozenset[Held] = frozenset()
    pending: frozenset[Pending] = frozenset()
    unseen: bool = False


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


def annotations(fv: FunctionView) -> dict[str, list[str]]:
    """``__acquires``/``__releases``/``__must_hold`` keys from the function's header."""
    fn = fv.function
    out: dict[str, list[str]] = {}
    if fn is None:
        return out
    head = fn.parsed.source[fn.node.start_byte : fn.body.start_byte].decode("utf-8", "replace")
    for m in _ANNOT.finditer(head):
        out.setdefault(m.group(1), []).append(lock_key(m.group(2)))
    return out


def _params(fv: FunctionView) -> list[str]:
    fn = fv.function
    if fn is None:
        return []
    decl = fn.node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    plist = decl.child_by_field_name("parameters") if decl is not None else None
    out = []
    for p in plist.named_children if plist is not None else []:
        names = [fn.parsed.text(n) for n in _walk(p) if n.type == "identifier"]
        out.append(names[-1] if names else "")
    return out


def _walk(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        out.append(cur)
        stack.extend(reversed(cur.children))
    return out


def _assigned_to(call: Call, fv: FunctionView) -> str | None:
    """The variable a call's result is stored in (``l = list_lru_lock(...)``)."""
    parent = call.node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "cast_expression"):
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        return lock_key(fv.parsed.text(left)) if left is not None else None
    if parent.type == "init_declarator":
        decl = parent.child_by_field_name("declarator")
        names = [fv.parsed.text(n) for n in _walk(decl) if n.type == "identifier"] if decl is not None else []
        return names[0] if names else None
    return None


def _assigned_negated(call: Call, fv: FunctionView) -> str | None:
    """``ret = !folio_trylock(folio)``: the variable holding the negated result."""
    parent = call.node.parent
    if parent is None or parent.type != "unary_expression" or fv.parsed.text(parent).lstrip()[:1] != "!":
        return None
    up = parent.parent
    if up is not None and up.type == "assignment_expression":
        left = up.child_by_field_name("left")
        return lock_key(fv.parsed.text(left)) if left is not None and left.type == "identifier" else None
    if up is not None and up.type == "init_declarator":
        decl = up.child_by_field_name("declarator")
        return fv.parsed.text(decl) if decl is not None and decl.type == "identifier" else None
    return None


SRC_MAX = 72
"""Longer calls are quoted with all but their first argument elided: a message is one line."""


def call_source(call: Call, fv: FunctionView, handle: str | None = None) -> str:
    """``call`` as written (whitespace collapsed); ``handle = `` in front when the lock is the returned handle."""
    text = " ".join(fv.parsed.text(call.node).split())
    if len(text) > SRC_MAX:  # the first argument names the lock's object; the rest can go
        first = " ".join(call.args[0].split()) if call.args else ""
        text = f"{call.name}({first}, ...)" if first and len(first) < SRC_MAX else f"{call.name}(...)"
    return f"{handle} = {text}" if handle else text


def _subst(template: str, mapping: dict[str, str]) -> str:
    return lock_key(_IDENT.sub(lambda m: mapping.get(m.group(), m.group()), template))


class LockAnalysis:
    """Transfer function of lock facts (see :mod:`reviewkit.flow` for the protocol)."""

    def __init__(
        self,
        fv: FunctionView,
        model: LockModel,
        summaries: dict[str, Summary] | None = None,
        new_keys: set[str] | None = None,
        observe: Callable[[CfgNode, Call, frozenset[Held], bool], None] | None = None,
    ) -> None:
        self.fv = fv
        self.observe = observe
        """Called before each call with the locks held at that point (and whether the path crossed a gap)."""
        self.model = model
        self.summaries = summaries or {}
        self.exits: list[ExitRecord] = []
        self.events: dict[tuple, Event] = {}
        self.acquired_keys: set[str] = set()
        self.annotations = annotations(fv)
        self.fragment = fv.fragment
        self.nesting = {f.group for f in model.acquires.values() if f.nests}
        self.inferred: set[str] = set()
        self._relevance: dict[int, bool] = {}
        self._srcs: dict[tuple[int, str | None], str] = {}
        """Keys assumed held on entry because the function releases them before taking them."""
        self.new_keys = new_keys
        """Fragment mode: lock keys introduced by the patch (None: every lock counts as new)."""

    # -- the protocol ------------------------------------------------------

    def initial(self, cfg: Any) -> Hashable:
        held = set()
        for kind in ("__must_hold", "__releases"):
            for key in self.annotations.get(kind, []):
                held.add(Held(key, "any", "plain", None, "", entry=kind))
        for key in self.inferred:
            held.add(Held(key, "any", "plain", None, "", entry="inferred"))
        return Facts(frozenset(held), frozenset(), unseen=not self.fv.start_visible)

    def node(self, n: CfgNode, facts: Facts) -> Facts | None:
        if n.kind == K_GAP:
            # unseen unchanged code: it does not touch a lock the patch introduced
            kept = frozenset(h for h in facts.held if h.new)
            return Facts(kept, frozenset(), True)
        if n.kind == K_ENTRY:
            return facts
        if not self._relevant(n):
            if self.observe is not None:
                for call in n.calls:
                    self.observe(n, call, facts.held, facts.unseen)
            if not n.writes or not (facts.held or facts.pending):
                return facts
        held, pending = set(facts.held), set(facts.pending)
        unseen = facts.unseen
        if n.writes:
            held = {self._restale(h, n) for h in held}
            pending = {p for p in pending if p.var not in n.writes}
        for call in n.calls:
            if self.observe is not None:
                self.observe(n, call, frozenset(held), unseen)
            if self._call(n, call, held, pending, unseen):
                # a callee may have dropped or retaken locks behind our back
                held = {replace(h, stale=True) if h.count and not self._nests(h.group) else h for h in held}
                unseen = True
        return Facts(frozenset(held), frozenset(pending), unseen)

    def barrier(self, n: CfgNode) -> bool:
        """Taking a lock orders this CPU after the previous holder's stores (see :func:`reviewkit.flow.run`)."""
        return any(c.name in self.model.acquires for c in n.calls)

    def _relevant(self, n: CfgNode) -> bool:
        """Does any call of ``n`` touch locks (model, summaries, hand-offs)?  Cached per node."""
        rel = self._relevance.get(n.id)
        if rel is None:
            rel = any(
                c.name in self.model.acquires
                or c.name in self.model.releases
                or c.name in self.summaries
                or _RELEASING_NAME.search(c.name)
                or any(_HANDS_OFF.search(a) for a in c.args)
                for c in n.calls
            )
            self._relevance[n.id] = rel
        return rel

    def _nests(self, group: str) -> bool:
        return group in self.nesting

    def branch(self, n: CfgNode, label: Any, facts: Facts) -> Facts | None:
        if n.kind != K_COND or n.ast is None:
            return facts
        held, pending = set(facts.held), set(facts.pending)
        truth = bool(label)
        if not truth and n.compare is not None and n.compare[1] == "truth":
            root = n.compare[0]
            if any(h.count and not h.stale and _ROOT.match(h.key) and _ROOT.match(h.key).group() == root for h in held):
                return None  # the lock lives in *root: a NULL root would have crashed at the acquire
        for p in list(pending):
            if n.cond_key == p.var:
                pending.discard(p)
                if p.when == "nonnull-checked":
                    if not truth:
                        held.discard(next((h for h in _ordered(held) if h.key == p.held.key and h.count), p.held))
                elif truth == (p.when in ("nonzero", "nonnull")):
                    self._acquire(n, p.held, held)
        if not truth and n.cond_key and any(h.key == n.cond_key and h.count and not h.stale for h in held):
            return None  # "if (ptl)" with spin_lock(ptl) held: a held lock's pointer is not NULL
        atom = n.ast
        negate = False
        if atom.type == "binary_expression" and self._op(atom) == "<":
            right = atom.child_by_field_name("right")
            if right is not None and self.fv.parsed.text(right).strip() == "0":
                atom, negate = atom.child_by_field_name("left"), True
        if atom is not None and atom.type == "call_expression":
            call = next((c for c in n.calls if c.node == atom), None)
            fam = self.model.acquires.get(call.name) if call is not None else None
            summary = self.summaries.get(call.name) if call is not None and fam is None else None
            when = fam.try_ if fam is not None else (summary.try_ if summary is not None else None)
            if call is not None and when and when != "nonnull-checked":
                success = truth if when in ("nonzero", "nonnull") else not truth
                if negate:
                    success = not truth
                hold = self._held_for(call, fam, n) if fam is not None else self._summary_hold(call, summary)
                if summary is not None and summary.kind == "release":
                    if success and hold is not None:  # "returns nonzero having dropped the lock": it did
                        for h in [h for h in held if h.key == hold.key and h.count]:
                            held.discard(h)
                elif success and hold is not None:
                    self._acquire(n, hold, held)
        return Facts(frozenset(held), frozenset(pending), facts.unseen)

    def _summary_hold(self, call: Call, s: Summary | None) -> Held | None:
        if s is None:
            return None
        mapping = {p: lock_key(a) for p, a in zip(s.params, call.args, strict=False) if p}
        key = _subst(s.key, mapping)
        return Held(
            key,
            s.group,
            s.variant,
            call.line,
            call.name,
            None,
            self._is_new(key, call.line),
            src=self._src(call, None),
        )

    def exit(self, via: CfgNode, state: State) -> None:
        self.exits.append(ExitRecord(via, state))

    # -- events ------------------------------------------------------------

    def _op(self, expr: Node) -> str:
        op = expr.child_by_field_name("operator")
        return self.fv.parsed.text(op) if op is not None else ""

    def _restale(self, h: Held, n: CfgNode) -> Held:
        if h.stale or not n.rebinds or not _rebound(h.key, n.rebinds):
            return h
        return replace(h, stale=True)

    def _src(self, call: Call, handle: str | None) -> str:
        """:func:`call_source`, once per call site (it runs for every state reaching the call)."""
        memo = (call.node.start_byte, handle)
        text = self._srcs.get(memo)
        if text is None:
            text = self._srcs[memo] = call_source(call, self.fv, handle)
        return text

    def _is_new(self, key: str, line: int | None) -> bool:
        if not self.fragment or self.new_keys is None:
            return True
        return key in self.new_keys and line is not None and line in self.fv.changed_lines

    def _held_for(self, call: Call, fam: Family, n: CfgNode) -> Held | None:
        if fam.key == "ret":
            key = _assigned_to(call, self.fv)
        elif isinstance(fam.key, int):
            key = lock_key(call.args[fam.key]) if fam.key < len(call.args) else None
        else:
            key = str(fam.key)
        if not key:
            return None
        flags = None
        if fam.flags is not None and fam.flags < len(call.args):
            flags = lock_key(call.args[fam.flags])
        return Held(
            key,
            fam.group,
            fam.variant,
            call.line or n.line,
            call.name,
            flags,
            self._is_new(key, call.line),
            src=self._src(call, key if fam.key == "ret" else None),
        )

    def _call(self, n: CfgNode, call: Call, held: set[Held], pending: set[Pending], unseen: bool) -> bool:
        """Apply one call; True when the call may change locks we cannot see (``&locked``, unlock callbacks)."""
        fam = self.model.acquires.get(call.name)
        if fam is not None and not fam.scoped:
            if _in_ternary(call):
                return False  # cond ? pte_offset_kernel() : pte_offset_map_lock(): we cannot tell which ran
            hold = self._held_for(call, fam, n)
            if hold is None:
                return False
            if fam.try_:
                return self._try(n, call, hold, fam.try_, pending, held)
            self._acquire(n, hold, held)
            return False
        fams = self.model.releases.get(call.name)
        if fams:
            args = {lock_key(a) for a in call.args}
            for p in [p for p in pending if p.when != "nonnull-checked" and p.held.key in args]:
                pending.discard(p)  # released before "locked" was tested: the function knew it still held it
                held.add(p.held)
            self._release(n, call, fams, held, unseen)
            return False
        summary = self.summaries.get(call.name)
        if summary is not None:
            return self._summary_call(n, call, summary, held, pending, unseen)
        if _RELEASING_NAME.search(call.name):
            # migration_entry_wait_on_locked(entry, ptep, ptl): drops the lock it is given
            args = {lock_key(a) for a in call.args}
            for h in [h for h in held if h.count and h.key in args]:
                held.discard(h)
        flag = next((m.group(1) for a in call.args if (m := _LOCKED_FLAG.match(a))), None)
        if flag is not None and not any(_HANDS_OFF.search(a) for a in call.args if not _LOCKED_FLAG.match(a)):
            # __get_user_pages_locked(..., &locked): the callee may drop the caller's lock and says so
            # by clearing "locked"; what is held afterwards is what "if (locked)" finds
            for h in [h for h in held if h.count and not h.stale and not self._nests(h.group)]:
                held.discard(h)
                pending.add(Pending(flag, h, "nonzero"))
            return False
        return any(_HANDS_OFF.search(a) for a in call.args)

    def _try(self, n: CfgNode, call: Call, hold: Held, when: str, pending: set[Pending], held: set[Held]) -> bool:
        if when == "nonnull-checked":
            # taken now; a later "if (!pte)" on the returned pointer says it was not
            self._acquire(n, hold, held)
            var = _assigned_to(call, self.fv)
            if var:
                pending.add(Pending(var, hold, when))
            return False
        if n.kind == K_COND and any(c.node == call.node for c in n.calls) and _is_atom_call(n, call):
            return False  # decided by branch()
        var = _assigned_to(call, self.fv)
        if var:
            pending.add(Pending(var, hold, when))
            return False
        var = _assigned_negated(call, self.fv)
        if var and when in ("nonzero", "zero"):
            pending.add(Pending(var, hold, "zero" if when == "nonzero" else "nonzero"))
            return False
        # WARN_ON(trylock(x)), return trylock(x): maybe held; only this lock becomes unknown
        held.add(replace(hold, stale=True))
        return False

    def _acquire(self, n: CfgNode, hold: Held, held: set[Held]) -> None:
        self.acquired_keys.add(hold.key)
        for h in [h for h in held if h.key == hold.key and h.count == 0]:
            held.discard(h)
        same = next(
            (
                h
                for h in _ordered(held)
                if h.key == hold.key and _same_group(h.group, hold.group) and not h.stale and h.count
            ),
            None,
        )
        if same is None:
            held.add(hold)
            return
        if self._nests(hold.group) or same.group == "any":
            held.discard(same)
            held.add(replace(same, count=min(same.count + 1, NEST_CAP)))
            return
        line = hold.line or 0
        self.events.setdefault(
            ("double", hold.key, line), Event("double-acquire", line, hold.key, hold.call, same.line, src=hold.src)
        )

    def _release(self, n: CfgNode, call: Call, fams: list[Family], held: set[Held], unseen: bool) -> None:
        fam = fams[0]
        rk = fam.release_key
        if isinstance(rk, int):
            if rk >= len(call.args):
                return
            key = lock_key(call.args[rk])
        else:
            key = str(rk)
        groups = {f.group for f in fams}
        flags = None
        if fam.release_flags is not None and fam.release_flags < len(call.args):
            flags = lock_key(call.args[fam.release_flags])
        self._drop(n, call, key, groups, {f.variant for f in fams}, flags, held, unseen)

    def _drop(
        self,
        n: CfgNode,
        call: Call,
        key: str,
        groups: set[str],
        variants: set[str],
        flags: str | None,
        held: set[Held],
        unseen: bool,
    ) -> None:
        line = call.line or n.line or 0
        if groups & _RWSEM:
            groups = groups | _RWSEM  # mmap_write_downgrade() in a callee: a read unlock ends a write hold
        candidates = [
            h for h in _ordered(held) if h.key == key and (h.group in groups or h.group == "any" or "any" in groups)
        ]
        match = next((h for h in candidates if h.count), None)
        if match is None:
            done = next((h for h in candidates if not h.stale), None)
            if done is not None and not unseen:
                self.events.setdefault(
                    ("double-release", key, line),
                    Event("double-release", line, key, call.name, done.line, src=self._src(call, None)),
                )
            elif not unseen and not candidates:
                self.events.setdefault(
                    ("orphan", key, line), Event("orphan-release", line, key, call.name, src=self._src(call, None))
                )
            return
        held.discard(match)
        if match.count > 1:
            held.add(replace(match, count=match.count - 1))
        elif not match.stale and match.line is not None and not self._nests(match.group):
            held.add(replace(match, count=0, line=line))  # released here: a second release is a bug
        if match.group != "any" and match.line is not None:
            irqsave = (match.variant == "irqsave") != ("irqsave" in variants)
            if irqsave and match.group != "irq":
                self.events.setdefault(
                    ("variant", key, line),
                    Event("wrong-variant", line, key, call.name, match.line, match.call),
                )
            elif match.flags and flags and match.flags != flags:
                self.events.setdefault(
                    ("flags", key, line),
                    Event("flags-mismatch", line, key, call.name, match.line, f"{match.flags}|{flags}"),
                )

    def _summary_call(
        self, n: CfgNode, call: Call, s: Summary, held: set[Held], pending: set[Pending], unseen: bool
    ) -> bool:
        mapping = {p: lock_key(a) for p, a in zip(s.params, call.args, strict=False) if p}
        if s.ret_var:
            target = _assigned_to(call, self.fv)
            if not target:
                return s.kind == "acquire"
            mapping[s.ret_var] = target
        key = _subst(s.key, mapping)
        flags = _subst(s.flags, mapping) if s.flags else None
        if s.kind == "retake":
            return False
        if s.kind == "acquire":
            hold = Held(
                key,
                s.group,
                s.variant,
                call.line,
                call.name,
                flags,
                self._is_new(key, call.line),
                src=self._src(call, mapping[s.ret_var] if s.ret_var else None),
            )
            if s.try_:
                return self._try(n, call, hold, s.try_, pending, held)
            self._acquire(n, hold, held)
        elif s.try_:
            if n.kind == K_COND and _is_atom_call(n, call):
                return False  # decided by branch()
            for h in [h for h in held if h.key == key and h.count]:  # dropped or not: unknown from here
                held.discard(h)
                held.add(replace(h, stale=True))
        else:
            self._drop(n, call, key, {s.group}, {s.variant}, flags, held, unseen)
        return False


_HANDS_OFF = re.compile(r"^&\s*\w*lock\w*$|^\w*(?:unlock\w*|_locked)$", re.IGNORECASE)
"""An argument that lets the callee drop or retake a lock: ``&locked``, an unlock callback."""
_LOCKED_FLAG = re.compile(r"^&\s*((?!un)\w*locked)$")
"""``&locked``: an int the callee clears when it dropped the caller's lock (not ``&unlocked``)."""
_RELEASING_NAME = re.compile(r"unlock|_on_locked$|_unlocks?_")
"""A helper outside the model that, by its name, releases the lock passed to it."""


_ROOT = re.compile(r"[A-Za-z_]\w*")
_RWSEM = {"rwsem-read", "rwsem-write"}


def _ordered(held: Iterable[Held]) -> list[Held]:
    """Holds in a fixed order, the most recent acquire of this function first (a release matches it).

    Set order is not fixed: ``hash(None)`` depends on the process (Python < 3.12), so picking "the first"
    hold of a key from the set made two runs of the same scan disagree.
    """
    return sorted(
        held,
        key=lambda h: (h.stale, h.line is None, -(h.line or 0), h.group, h.variant, h.flags or "", h.entry, h.count),
    )


def _rebound(key: str, rebinds: frozenset[str]) -> bool:
    """Does assigning ``rebinds`` make ``key`` name another lock?  ``si = next`` and ``vmf->ptl = p`` do for
    ``si->lock`` and ``vmf->ptl``; ``si->inuse++`` does not."""
    ids = set(_VAR.findall(key))
    for w in rebinds:
        if w in ids if _IDENT.fullmatch(w) else (key == w or key.startswith((w + "->", w + ".", w + "["))):
            return True
    return False


def _in_ternary(call: Call) -> bool:
    node = call.node
    while node.parent is not None and node.parent.type not in ("expression_statement", "declaration"):
        if node.parent.type == "conditional_expression" and node != node.parent.child_by_field_name("condition"):
            return True
        node = node.parent
    return False


def _same_group(a: str, b: str) -> bool:
    return a == b or "any" in (a, b)


def _is_atom_call(n: CfgNode, call: Call) -> bool:
    atom = n.ast
    while atom is not None and atom.type in ("binary_expression", "parenthesized_expression") and atom != call.node:
        atom = atom.child_by_field_name("left") or (atom.named_children[0] if atom.named_children else None)
    return atom == call.node


def analyse(
    fv: FunctionView,
    kernel: dict[str, Any],
    model: LockModel,
    summaries: dict[str, Summary] | None = None,
    new_keys: set[str] | None = None,
    budget: int | None = None,
    observe: Callable[[CfgNode, Call, frozenset[Held], bool], None] | None = None,
    infer: bool = True,
    assume_held: frozenset[str] = frozenset(),
) -> LockResult:
    """Run the lock analysis over one function view.

    With ``infer``, a caller's lock the function releases before ever taking
    it (a parameter's or a global's) is assumed held on entry and the
    function is analysed again: that is what an unannotated
    "called with the lock held" function does.  ``assume_held`` adds keys
    known from elsewhere to be held on entry (the pre-image of the same
    function released them: a patch that deletes the only release leaves
    nothing here to infer it from).
    """
    cfg = build_cfg(fv, kernel)
    plain = new_keys is None and observe is None and not assume_held
    # the summaries this function calls are all that can change its analysis: a result computed while
    # summarising (fewer summaries known, no inference) is reused by the check when they are the same
    memo_key = _summaries_called(cfg, summaries or {}) if plain else None
    memo = fv.__dict__.setdefault("_rk_locks", {})
    hit = memo.get(memo_key) if memo_key is not None else None
    if hit is not None and (budget is None or budget >= hit.budget) and (infer or not hit.result.inferred):
        return hit.result
    raw = memo.get((memo_key, "raw")) if memo_key is not None else None
    if raw is not None and infer and (budget is None or budget >= raw.budget):
        # the summary pass ran this without inference: only the re-run with the caller's locks is left
        first, complete = raw.result, raw.result.complete
    else:
        la = LockAnalysis(fv, model, summaries, new_keys, observe)
        res = run(cfg, la, budget) if budget else run(cfg, la)
        inferred_now = set(assume_held)
        if assume_held:
            la = LockAnalysis(fv, model, summaries, new_keys, observe)
            la.inferred = inferred_now
            res = run(cfg, la, budget) if budget else run(cfg, la)
        first, complete = _result(fv, la, res.complete, inferred_now, assume_held), res.complete
    more: set[str] = set()
    if complete and fv.start_visible:
        local = _locals(fv) - set(_params(fv))
        more = {e.key for e in first.events if e.kind == "orphan-release" and not set(_VAR.findall(e.key)) & local}
    inferable = bool(more - first.inferred)
    out = first
    if infer and inferable:
        la = LockAnalysis(fv, model, summaries, new_keys, observe)
        la.inferred = first.inferred | more
        res = run(cfg, la, budget) if budget else run(cfg, la)
        out = _result(fv, la, res.complete, la.inferred, assume_held)
        complete = res.complete
    if memo_key is not None and (complete or budget is None):
        if infer or not inferable:
            # without inference to do, the infer=False result is the infer=True one
            memo[memo_key] = _Memo(out, budget or BUDGET)
        else:
            memo[(memo_key, "raw")] = _Memo(out, budget or BUDGET)
    return out


def _result(
    fv: FunctionView, la: LockAnalysis, complete: bool, inferred: set[str], assumed: frozenset[str]
) -> LockResult:
    out = LockResult(
        fv, la.exits, sorted(la.events.values(), key=lambda e: e.line), complete, la.acquired_keys, la.annotations
    )
    out.inferred = set(inferred)
    out.assumed = assumed
    return out


def _summaries_called(cfg: Any, summaries: dict[str, Summary]) -> tuple[tuple[str, int], ...]:
    """The summaries of functions ``cfg`` calls, by identity (a summary is never changed once made)."""
    if not summaries:
        return ()
    names = cfg.__dict__.get("_rk_callees")
    if names is None:
        names = cfg.__dict__["_rk_callees"] = frozenset(c.name for n in cfg.nodes for c in n.calls)
    return tuple(sorted((name, id(summaries[name])) for name in names & summaries.keys()))


@dataclass
class _Memo:
    """A finished analysis of a view (same summaries, no observer, no fragment keys): reused."""

    result: LockResult
    budget: int


# --------------------------------------------------------------------------
# Summaries of lock wrappers defined next to their callers


def _returned_var(res: LockResult) -> str | None:
    names = set()
    for ex in res.exits:
        if ex.via.kind != K_RETURN or ex.via.ast is None:
            return None
        value = ex.via.ast.named_children[0] if ex.via.ast.named_children else None
        if value is None or value.type != "identifier":
            return None
        names.add(res.fv.parsed.text(value))
    return names.pop() if len(names) == 1 else None


def _locals(fv: FunctionView) -> set[str]:
    """Locals that name something of this call only: aliases of a parameter's memory are not
    (``struct mm_struct *mm = vma->vm_mm;`` names the caller's mm)."""
    cached: frozenset[str] | None = fv.__dict__.get("_rk_locals")
    if cached is not None:
        return set(cached)
    cfg = build_cfg(fv)
    out: set[str] = set()
    aliases: set[str] = set()
    for n in cfg.nodes:
        if n.ast is None or n.ast.type != "declaration":
            continue
        out |= n.writes
        for decl in n.ast.children_by_field_name("declarator"):
            value = decl.child_by_field_name("value") if decl.type == "init_declarator" else None
            if value is not None and value.type in ("field_expression", "identifier", "pointer_expression"):
                names = [fv.parsed.text(x) for x in _walk(decl) if x.type == "identifier"]
                if names:
                    aliases.add(names[0])
    reassigned = {w for n in cfg.nodes if n.ast is not None and n.ast.type != "declaration" for w in n.writes}
    fv.__dict__["_rk_locals"] = frozenset(out - (aliases - reassigned))
    return out - (aliases - reassigned)


local_names = _locals


def summarise(
    views: list[FunctionView], kernel: dict[str, Any], model: LockModel, rounds: int = 2
) -> dict[str, Summary]:
    """Acquire/release wrappers among ``views`` (whole functions only), annotations included."""
    summaries: dict[str, Summary] = {}
    # text checks first: touching fv.function parses the function
    whole = [fv for fv in views if not fv.fragment and (_ANNOT.search(fv.text) or model.mentioned(fv.text))]
    whole = [fv for fv in whole if fv.function is not None]
    for fv in whole:
        if not _ANNOT.search(fv.text):
            continue
        ann = annotations(fv)
        params = _params(fv)
        for key in ann.get("__acquires", []):
            summaries[fv.name] = Summary("acquire", key, params, "any", "plain")
        for key in ann.get("__releases", []):
            # __releases(x) __acquires(x): drops and retakes the caller's lock (ceph, gfs2, fuse): held after
            kind = "retake" if key in ann.get("__acquires", []) else "release"
            summaries[fv.name] = Summary(kind, key, params, "any", "plain")
    # only functions someone here calls can matter to a caller
    called = {m.group(1) for fv in views for m in _CALLED.finditer(fv.text)}
    candidates = [
        fv
        for fv in whole
        if fv.name in called
        and fv.name not in summaries
        and len(fv.line_map) <= SUMMARY_MAX_LINES
        and _touches_locks(fv, model)
    ]
    fresh: set[str] | None = None  # None: the first round looks at every candidate
    for _ in range(rounds):
        added: set[str] = set()
        for fv in candidates:
            if fv.name in summaries or (fresh is not None and not any(f"{name}(" in fv.text for name in fresh)):
                continue
            s = _summary_of(fv, kernel, model, summaries)
            if s is not None:
                summaries[fv.name] = s
                added.add(fv.name)
        if not added:
            break
        fresh = added
    return summaries


_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def _touches_locks(fv: FunctionView, model: LockModel) -> bool:
    return model.mentioned(fv.text)


def _summary_of(
    fv: FunctionView, kernel: dict[str, Any], model: LockModel, summaries: dict[str, Summary]
) -> Summary | None:
    params = _params(fv)
    trysum = _try_summary(fv, kernel, model, summaries, params)
    if trysum is not None:
        return trysum
    res = analyse(fv, kernel, model, summaries, budget=4000, infer=False)
    if not res.complete or not res.exits:
        return None
    local = _locals(fv) - set(params)
    ret = _returned_var(res)
    common: set[tuple[str, str, str, str | None]] | None = None
    for ex in res.exits:
        keys = {
            (h.key, h.group, h.variant, h.flags)
            for h in ex.state.facts.held
            if h.line is not None and not h.stale and h.count
        }
        common = keys if common is None else common & keys
    for key, group, variant, flags in sorted(common or ()):
        ids = set(_VAR.findall(key))
        if ids & local and not (ret and ret in ids and not (ids & local) - {ret}):
            continue
        return Summary("acquire", key, params, group, variant, ret if ret in ids else None, flags)
    ontry = _success_summary(res, params, local) or _failure_release(res, params)
    if ontry is not None:
        return ontry
    # a release wrapper: releases a caller's lock (a parameter's or a global's) it never took
    orphans = [e for e in res.events if e.kind == "orphan-release" and not (set(_VAR.findall(e.key)) & local)]
    if orphans and not res.acquired_keys & {e.key for e in orphans}:
        e = orphans[0]
        fams = model.releases.get(e.call) or []
        group = fams[0].group if fams else "any"
        variant = fams[0].variant if fams else "plain"
        return Summary("release", e.key, params, group, variant)
    return None


def acquire_keys(
    fv: FunctionView, kernel: dict[str, Any], model: LockModel, summaries: dict[str, Summary], lines: set[int]
) -> set[str]:
    """Lock keys acquired by calls on ``lines`` of ``fv`` (e.g. the lines a patch added)."""
    la = LockAnalysis(fv, model, summaries)
    out: set[str] = set()
    for n in build_cfg(fv, kernel).nodes:
        for call in n.calls:
            if call.line not in lines:
                continue
            fam = model.acquires.get(call.name)
            if fam is not None:
                hold = la._held_for(call, fam, n)
                if hold is not None:
                    out.add(hold.key)
            elif call.name in summaries and summaries[call.name].kind == "acquire":
                s = summaries[call.name]
                mapping = {p: lock_key(a) for p, a in zip(s.params, call.args, strict=False) if p}
                target = _assigned_to(call, fv)
                if s.ret_var and target:
                    mapping[s.ret_var] = target
                out.add(_subst(s.key, mapping))
    return out


def _try_summary(
    fv: FunctionView, kernel: dict[str, Any], model: LockModel, summaries: dict[str, Summary], params: list[str]
) -> Summary | None:
    """``return spin_trylock(&x->lock);``: a trylock wrapper, acquired when it returns nonzero."""
    la = LockAnalysis(fv, model, summaries)
    local = _locals(fv) - set(params)
    for n in build_cfg(fv, kernel).nodes:
        if n.kind != K_RETURN or n.ast is None or not n.ast.named_children:
            continue
        value = n.ast.named_children[0]
        call = next((c for c in n.calls if c.node == value), None)
        fam = model.acquires.get(call.name) if call is not None else None
        if call is None or fam is None or fam.try_ not in ("nonzero", "zero"):
            continue
        hold = la._held_for(call, fam, n)
        if hold is not None and not set(_VAR.findall(hold.key)) & local:
            return Summary("acquire", hold.key, params, fam.group, fam.variant, None, hold.flags, fam.try_)
    return None


_NULLISH_RET = {"NULL", "false", "0"}


def _success_summary(res: LockResult, params: list[str], local: set[str]) -> Summary | None:
    """Returns with the lock held exactly when it succeeds: ``return ptl;`` held, ``return NULL;`` not.

    The function's own exits say so (every exit holding the lock returns a non-NULL/true value, every
    other exit returns ``NULL``/``false``/``0``), so no name list is needed; the caller's test of the
    result then decides, as for ``spin_trylock()``.
    """
    per_exit: list[tuple[str | None, set[tuple[str, str, str, str | None]]]] = []
    for ex in res.exits:
        via = ex.via
        if via.kind != K_RETURN or via.ast is None or not via.ast.named_children:
            return None
        value = lock_key(res.fv.parsed.text(via.ast.named_children[0]))
        value = next((v for name, v in ex.state.vals if name == value), value)
        keys = {
            (h.key, h.group, h.variant, h.flags)
            for h in ex.state.facts.held
            if h.line is not None and not h.stale and h.count
        }
        per_exit.append((value, keys))
    held_any = set().union(*(k for _v, k in per_exit)) if per_exit else set()
    for key, group, variant, flags in sorted(held_any):
        ok = [v for v, k in per_exit if (key, group, variant, flags) in k]
        bad = [v for v, k in per_exit if (key, group, variant, flags) not in k]
        if not bad or not all(v in _NULLISH_RET for v in bad) or any(v in _NULLISH_RET for v in ok):
            continue
        ids = set(_VAR.findall(key))
        rets = {v for v in ok if v and _IDENT.fullmatch(v)}
        ret = rets.pop() if len(rets) == 1 and len(set(ok)) == 1 else None
        if ids & local and not (ret and ret in ids and not (ids & local) - {ret}):
            continue
        when = "nonnull" if ret is not None else "nonzero"
        return Summary("acquire", key, params, group, variant, ret if ret in ids else None, flags, when)
    return None


def _failure_release(res: LockResult, params: list[str]) -> Summary | None:
    """``__must_hold(&resv->lock)`` and returns ``-ENOMEM`` having dropped it, ``0`` holding it.

    A caller's lock (annotated or inferred held on entry) that the function's own exits drop exactly
    when the result is nonzero (or exactly when it is zero): a conditional release, decided at the
    caller by its test of the result.
    """
    entry = set(res.annotations.get("__must_hold", [])) | set(res.inferred)
    for key in sorted(entry):
        kept: list[str] = []
        dropped: list[str] = []
        for ex in res.exits:
            via = ex.via
            if via.kind != K_RETURN or via.ast is None or not via.ast.named_children:
                return None
            value = lock_key(res.fv.parsed.text(via.ast.named_children[0]))
            value = next((v for name, v in ex.state.vals if name == value), value)
            holds = any(h.key == key and h.count and not h.stale for h in ex.state.facts.held)
            (kept if holds else dropped).append(value)
        if not kept or not dropped:
            continue
        zero = {"0", "false", "NULL"}
        if all(v in zero for v in kept) and all(v not in zero and _LITERAL.match(v) for v in dropped):
            return Summary("release", key, params, "any", "plain", None, None, "nonzero")
        if all(v in zero for v in dropped) and all(v not in zero and _LITERAL.match(v) for v in kept):
            return Summary("release", key, params, "any", "plain", None, None, "zero")
    return None


_LITERAL = re.compile(r"^(?:-?E[A-Z0-9]+|-?\d+|true|[A-Z][A-Z0-9_]*)$")
