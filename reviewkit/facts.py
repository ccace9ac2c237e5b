"""One owner of the facts derived during a run: graphs, lock analyses, lock summaries.

Rules ask ``ctx.facts`` instead of deriving (and caching) facts themselves:

- ``cfg(fv)``: the control-flow graph of a function view, built once per view
  per run (every rule, the lock summaries and the lock analysis share it);
- ``fragment_cfg(fv)``: that graph plus the edges of blocks opened by unseen code;
- ``paths(fv)``: the acyclic paths of that graph (``folio-put-uncharge`` and
  ``teardown-order`` walk the same functions' paths; enumerated once);
- ``lock_model``: the lock API model of the run's kernel model, built once;
- ``summaries(views)``: lock-wrapper summaries of a set of views, computed
  once per distinct set (``lock-balance`` and ``rcu-folio-memcg`` ask for the
  same set on a scan and share the result);
- ``locks(fv, summaries, ...)``: the lock analysis of a view; a plain analysis
  (no observer, no fragment keys) is reused whenever the summaries it calls
  are the same objects;
- ``local_names(fv)``, ``acquire_keys(...)``, ``file_text(fv)`` (what the
  token prefilter searches), ``token_hits(tokens)`` (its answers);
- ``derived(name, obj, compute)`` and ``table(name)``: a rule's own facts
  (what one function contributes to a series-wide table), kept here so the
  contexts of a fix verification reuse them instead of re-deriving them for
  every unchanged view of the series.

Nothing is stored on the views: every table here is keyed by the identity of
the object it describes and holds that object, so an id is never reused
while its entry lives.  A :class:`Facts` lives as long as the run's context;
the contexts a fix verification rebuilds share it (the views they keep are
the same objects, so their facts are not derived again).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from reviewkit.cparse.parse import Call
from reviewkit.flow.engine import CFG, CfgNode, PathSet, build_cfg, paths
from reviewkit.flow.paths import fragment_cfg
from reviewkit.kernel.model import KernelModel
from reviewkit.locks import analysis
from reviewkit.locks.model import Held, LockModel, LockResult, Summary
from reviewkit.locks.summary import summarise
from reviewkit.locks.syntax import _locals
from reviewkit.views.source import FileView, FunctionView

K = TypeVar("K")
V = TypeVar("V")


_SummaryKey = tuple[tuple[int, ...], tuple[str, ...]]
"""A list of views by identity and the names of the header wrappers it was given."""


class ByIdentity(Generic[K, V]):
    """A table keyed by object identity that keeps its keys alive (so an ``id()`` is never reused)."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[K, V]] = {}

    def get(self, key: K) -> V | None:
        row = self._rows.get(id(key))
        return row[1] if row is not None else None

    def put(self, key: K, value: V) -> V:
        self._rows[id(key)] = (key, value)
        return value

    def __contains__(self, key: object) -> bool:
        row = self._rows.get(id(key))
        return row is not None and row[0] is key

    def __len__(self) -> int:
        return len(self._rows)


class Facts:
    """The derived facts of one run (see the module docstring)."""

    def __init__(self, load_kernel: Callable[[], KernelModel]) -> None:
        self._load_kernel = load_kernel
        self._kernel: KernelModel | None = None
        self._lock_model: LockModel | None = None
        self._cfgs: ByIdentity[FunctionView, CFG] = ByIdentity()
        self._locals: ByIdentity[FunctionView, frozenset[str]] = ByIdentity()
        self._lock_memos: ByIdentity[FunctionView, dict[Any, Any]] = ByIdentity()
        self._file_texts: ByIdentity[FileView, str] = ByIdentity()
        self._fragment_cfgs: ByIdentity[FunctionView, CFG] = ByIdentity()
        self._paths: ByIdentity[FunctionView, PathSet] = ByIdentity()
        self._summaries: dict[_SummaryKey, tuple[Sequence[FunctionView], dict[str, Summary]]] = {}
        self._derived: dict[str, ByIdentity[Any, Any]] = {}
        self._tables: dict[str, dict[Any, Any]] = {}
        self._token_hits: dict[tuple[str, ...], ByIdentity[Any, bool]] = {}
        self.cfgs_built = 0
        """How many graphs this run built (each function view's once)."""
        self.summary_passes = 0
        """How many times lock summaries were computed (once per distinct set of views)."""

    @property
    def kernel(self) -> KernelModel:
        """The kernel API model (lock pairs, ctor/dtor pairs), loaded on first use."""
        if self._kernel is None:
            self._kernel = self._load_kernel()
        return self._kernel

    @property
    def lock_model(self) -> LockModel:
        if self._lock_model is None:
            self._lock_model = self.kernel.view(LockModel.from_kernel)
        return self._lock_model

    def cfg(self, fv: FunctionView) -> CFG:
        """The graph of ``fv``'s function (built on first use; never modify it, copy)."""
        cfg = self._cfgs.get(fv)
        if cfg is None:
            self.cfgs_built += 1
            cfg = self._cfgs.put(fv, build_cfg(fv, self.kernel))
        return cfg

    def fragment_cfg(self, fv: FunctionView) -> CFG:
        """:meth:`cfg` plus "the gap may skip the block it opened" edges (a copy when it adds any)."""
        cfg = self._fragment_cfgs.get(fv)
        if cfg is None:
            cfg = self._fragment_cfgs.put(fv, fragment_cfg(fv, self.kernel, self.cfg(fv)))
        return cfg

    def paths(self, fv: FunctionView) -> PathSet:
        """``paths(fragment_cfg(fv))`` with the default limits, enumerated once (read it, never change it)."""
        found = self._paths.get(fv)
        if found is None:
            found = self._paths.put(fv, paths(self.fragment_cfg(fv)))
        return found

    def local_names(self, fv: FunctionView) -> set[str]:
        """Locals of ``fv`` that name something of this call only (a fresh set: callers may change it)."""
        names = self._locals.get(fv)
        if names is None:
            names = self._locals.put(fv, frozenset(_locals(fv, self.cfg(fv))))
        return set(names)

    def lock_memo(self, fv: FunctionView) -> dict[Any, Any]:
        """The lock analysis' table of finished results for ``fv`` (see :func:`reviewkit.locks.analysis.analyse`)."""
        memo = self._lock_memos.get(fv)
        if memo is None:
            memo = self._lock_memos.put(fv, {})
        return memo

    def summaries(self, views: Sequence[FunctionView], base: dict[str, Summary] | None = None) -> dict[str, Summary]:
        """Lock-wrapper summaries of ``views`` (in this order), computed once per distinct list.

        ``base``: the included headers' wrappers (the same for the same views in one run).
        """
        key = (tuple(id(v) for v in views), tuple(sorted(base)) if base else ())
        hit = self._summaries.get(key)
        if hit is None:
            self.summary_passes += 1
            found = summarise(list(views), self.kernel, self.lock_model, facts=self, base=base)
            hit = self._summaries[key] = (tuple(views), found)
        return hit[1]

    def locks(
        self,
        fv: FunctionView,
        summaries: dict[str, Summary] | None = None,
        new_keys: set[str] | None = None,
        *,
        budget: int | None = None,
        observe: Callable[[CfgNode, Call, frozenset[Held], bool], None] | None = None,
        infer: bool = True,
        assume_held: frozenset[str] = frozenset(),
    ) -> LockResult:
        """The lock analysis of ``fv`` (:func:`reviewkit.locks.analysis.analyse`), reused where it can be."""
        return analysis.analyse(
            fv,
            self.kernel,
            self.lock_model,
            summaries,
            new_keys,
            budget,
            observe,
            infer,
            assume_held,
            facts=self,
        )

    def acquire_keys(self, fv: FunctionView, summaries: dict[str, Summary], lines: set[int]) -> set[str]:
        """Lock keys acquired by calls on ``lines`` of ``fv``."""
        return analysis.acquire_keys(fv, self.kernel, self.lock_model, summaries, lines, facts=self)

    def file_text(self, fv: FileView) -> str:
        """Everything of ``fv`` a rule can see (both sides): what the token prefilter searches."""
        text = self._file_texts.get(fv)
        if text is None:
            if fv.tree_post is not None:
                text = fv.tree_post + "\n" + (fv.tree_pre or "")
            else:
                text = "\n".join(ln.text for ln in (*fv.post, *fv.pre))
            text = self._file_texts.put(fv, text)
        return text

    def token_hits(self, tokens: tuple[str, ...]) -> ByIdentity[Any, bool]:
        """The prefilter's answers under ``tokens`` (a file or function view -> holds one), for the run.

        Fetched once per pass over a context (hashing a long token tuple per
        view would cost what the search saves).
        """
        hits = self._token_hits.get(tokens)
        if hits is None:
            hits = self._token_hits[tokens] = ByIdentity()
        return hits

    def derived(self, name: str, obj: K, compute: Callable[[K], V]) -> V:
        """``compute(obj)``, once per object per run (``name``: whose fact, e.g. ``"teardown-order.calls"``).

        For facts that depend on ``obj`` alone: a rebuilt context's unchanged
        views are the same objects, so a verification finds them here.
        """
        rows = self._derived.get(name)
        if rows is None:
            rows = self._derived[name] = ByIdentity()
        if obj in rows:
            return rows.get(obj)  # type: ignore[return-value]
        return rows.put(obj, compute(obj))

    def table(self, name: str) -> dict[Any, Any]:
        """A rule's own memo for the run (keys holding ids must keep their objects alive in the value)."""
        found = self._tables.get(name)
        if found is None:
            found = self._tables[name] = {}
        return found
