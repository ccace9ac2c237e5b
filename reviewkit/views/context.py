"""The read-only view of a series that rules get.

Rules never parse, print or touch files: they walk :class:`ReviewContext`
(patches, file views, function views) and return findings built with
:meth:`ReviewContext.finding`, which fills in the patch, the input-file line
and the code snippet so every rule reports the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewkit.config import Config
from reviewkit.kernel.model import KernelModel
from reviewkit.load.series import Patch, Series
from reviewkit.model import Finding, Fix, PathStep, Severity
from reviewkit.views.introduced import Introduced
from reviewkit.views.source import FileView, FunctionView

if TYPE_CHECKING:
    from reviewkit.facts import Facts

_Shown = tuple[list[FileView], tuple[tuple[FileView, int], ...], int]
"""A patch's file list; the views a rule sees, each with the count hidden before it; the count hidden after."""


class RunStats(dict[str, Any]):
    """The counters of a run (analyses cut by a budget, prefilter skips, fixes dropped...).

    Kept apart from the frozen context so counting never changes a stage's
    output; every context of one run (narrowed per rule) shares one.
    """

    def bump(self, key: str, amount: int = 1) -> None:
        self[key] = self.get(key, 0) + amount


@dataclass(frozen=True)
class Narrowing:
    """What one rule does not need to see (see :mod:`reviewkit.engine.prefilter`)."""

    tokens: tuple[str, ...] | None
    """A file or function whose text has none of these is hidden."""
    skip: Callable[[FunctionView], bool] | None = None
    """Post-image functions whose findings were replayed from the cache."""
    file_text: Callable[[FileView], str] | None = None


@dataclass
class PatchContext:
    """One patch and the views of the files it touches."""

    patch: Patch | None
    files: list[FileView]

    @property
    def position(self) -> int | None:
        return self.patch.position if self.patch is not None else None


@dataclass(frozen=True)
class ReviewContext:
    """Everything a rule may look at, for one run (frozen: a stage returns new objects, never edits these).

    Built in one place, :mod:`reviewkit.views.build`; derived facts (graphs,
    lock analyses, the kernel model) are asked of ``facts``, counters go to
    ``stats``.
    """

    series: Series | None
    patches: list[PatchContext]
    config: Config = field(default_factory=Config)
    tree: Path | None = None
    report_all: bool = False
    """``--all``: also report what the series did not introduce."""
    scan: bool = False
    """Whole files without a patch (``reviewkit scan``): every line counts as changed."""
    stats: RunStats = field(default_factory=RunStats)
    facts: Facts = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    """The run's derived facts; :mod:`reviewkit.views.build` gives every context one."""
    narrow: Narrowing | None = field(default=None, repr=False, compare=False)
    notes: tuple[str, ...] = ()
    preimages: Any = None
    """Where whole files came from (:class:`reviewkit.views.repo.PreImages`), None in fragment mode."""
    """Notes of building the context (a tree file the series does not apply to)."""

    def __post_init__(self) -> None:
        if self.scan and not self.report_all:  # a scan has no series to have introduced anything
            object.__setattr__(self, "report_all", True)
        if self.facts is None:  # a context made by hand (a test): its own facts
            object.__setattr__(self, "facts", new_facts(self.config))

    @property
    def introduced(self) -> Introduced:
        """What this run reports: what the series introduced, or everything (``--all``, ``scan``)."""
        return Introduced(self.report_all)

    @property
    def kernel(self) -> KernelModel:
        """The kernel API model (lock pairs, ctor/dtor pairs), loaded once per run."""
        return self.facts.kernel

    def files(self) -> Iterator[tuple[PatchContext, FileView]]:
        narrow = self.narrow
        tokens = narrow.tokens if narrow is not None else None
        if tokens is not None and narrow is not None and narrow.file_text != self.facts.file_text:
            yield from self._files_searched(tokens)
            return
        shown = self._shown(tokens)
        hidden = 0  # (counted in one step before each view shown and at the end: a pass over a long
        # series hides most of its files from a rule, and a count per file was most of the pass)
        try:
            for pc in self.patches:
                files = pc.files
                hit = shown.get(id(files))
                if hit is None or hit[0] is not files:
                    hit = shown[id(files)] = (files, *self._verdicts(files, tokens))
                _files, views, tail = hit
                for fv, before in views:
                    hidden += before
                    if hidden:
                        self.bump("prefilter_skipped_files", hidden)
                        hidden = 0
                    yield pc, fv
                hidden += tail
        finally:  # (a pass cut short, by a rule's time budget say, still counts what it hid)
            if hidden:
                self.bump("prefilter_skipped_files", hidden)

    def _shown(self, tokens: tuple[str, ...] | None) -> dict[int, _Shown]:
        """Verdicts on the views of each patch's file list under ``tokens`` and this configuration, by list id.

        Decided once per list per run: a verification re-runs a rule on a
        rebuilt context whose unchanged patches keep their lists of views,
        so a pass over a long series costs a lookup per patch, not a search
        per file (the hidden files are still counted on every pass).  Each
        entry holds its list, so an id is never reused while it is kept.
        """
        table = self.facts.table("context.shown")
        key = (tokens, id(self.config))
        hit = table.get(key)
        if hit is None or hit[0] is not self.config:
            hit = table[key] = (self.config, {})
        found: dict[int, _Shown] = hit[1]
        return found

    def _verdicts(
        self, files: list[FileView], tokens: tuple[str, ...] | None
    ) -> tuple[tuple[tuple[FileView, int], ...], int]:
        """The views shown, each with how many the prefilter hid just before it, and how many it hid
        after the last (a skipped path is neither shown nor counted)."""
        shown: list[tuple[FileView, int]] = []
        hidden = 0
        for fv in files:
            if self.config.path_skipped(fv.path):
                continue
            if tokens is None or _has_token(self.facts.file_text(fv), tokens):
                shown.append((fv, hidden))
                hidden = 0
            else:
                hidden += 1
        return tuple(shown), hidden

    def _files_searched(self, tokens: tuple[str, ...]) -> Iterator[tuple[PatchContext, FileView]]:
        """:meth:`files` with a narrowing that reads its own texts (searched on every pass)."""
        for pc in self.patches:
            for fv in pc.files:
                if self.config.path_skipped(fv.path):
                    continue
                if _has_token(self._text(fv), tokens):
                    yield pc, fv
                else:
                    self.bump("prefilter_skipped_files")

    def _text(self, fv: FileView) -> str:
        assert self.narrow is not None and self.narrow.file_text is not None
        return self.narrow.file_text(fv)

    def c_files(self) -> Iterator[tuple[PatchContext, FileView]]:
        for pc, fv in self.files():
            if fv.is_c:
                yield pc, fv

    def functions(self, side: str = "post", *, changed_only: bool = True) -> Iterator[FunctionView]:
        """Function views of every touched C file; by default only those the patch changed."""
        narrow = self.narrow
        hits = self.facts.token_hits(narrow.tokens) if narrow is not None and narrow.tokens is not None else None
        for _pc, fv in self.c_files():
            for fn in fv.functions(side):
                if not (fn.touched or not changed_only):
                    continue
                if narrow is not None:
                    if narrow.tokens is not None and not _function_has(hits, fn, narrow.tokens):
                        self.bump("prefilter_skipped_functions")
                        continue
                    if side == "post" and narrow.skip is not None and narrow.skip(fn):
                        continue
                yield fn

    def _files_of(self, patch: Patch | None) -> list[FileView]:
        """The file views of ``patch``, through an index (a scan of every patch per call is quadratic)."""
        stamp = (id(self.patches), len(self.patches))
        index = self.__dict__.get("_by_patch")
        if index is None or index[0] != stamp:
            index = (stamp, {id(pc.patch): pc for pc in self.patches})
            self.__dict__["_by_patch"] = index
        pc = index[1].get(id(patch))
        if pc is None or pc.patch is not patch:
            return next((q.files for q in self.patches if q.patch is patch), [])
        return pc.files

    def pre_function(self, post: FunctionView) -> FunctionView | None:
        """The pre-image view of the same function (same file, same name).

        A fragment may show one function in several views (pieces whose end or start the hunks do not
        show): the one sharing the most diff lines with ``post`` (its context lines are the same rows of
        the diff on both sides), not the first of that name, is its other image."""
        for fv in self._files_of(post.patch):
            if fv.path == post.path and fv.patch is post.patch and fv.is_c and not self.config.path_skipped(fv.path):
                named = [fn for fn in fv.functions("pre") if fn.name == post.name]
                if len(named) <= 1:
                    return named[0] if named else None
                rows = _diff_rows(fv, post)
                return max(named, key=lambda fn: len(rows & _diff_rows(fv, fn)))
        return None

    def file_view(self, path: str, patch: Patch | None) -> FileView | None:
        for fv in self._files_of(patch):
            if fv.path == path:
                return fv
        return None

    def bump(self, key: str, amount: int = 1) -> None:
        """Count something in the run's stats (e.g. analyses cut by a budget)."""
        self.stats.bump(key, amount)

    def finding(
        self,
        rule: str,
        severity: Severity | str,
        message: str,
        file: str,
        line: int,
        *,
        patch: Patch | None = None,
        function: str | None = None,
        side: str = "post",
        fix: Fix | None = None,
        path: list[PathStep] | None = None,
        rationale: str = "",
        end_line: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Finding:
        """Build a finding with the patch, input-file line and snippet filled in."""
        view = self.file_view(file, patch)
        snippet_lines = []
        patch_line = 0
        if view is not None:
            for n in range(line, (end_line or line) + 1):
                text = view.line_text(n, side)
                if text is not None:
                    snippet_lines.append(text)
            diff_no = view.diff_line_no(line, side)
            if diff_no and patch is not None:
                patch_line = patch.input_line(diff_no)
        sev = severity if isinstance(severity, Severity) else Severity.parse(severity)
        return Finding(
            rule=rule,
            severity=sev,
            message=message,
            file=file,
            line=line,
            function=function,
            patch=patch.position if patch is not None else None,
            patch_index=patch.index if patch is not None else 0,
            patch_subject=patch.subject.title if patch is not None else "",
            patch_line=patch_line,
            rationale=rationale,
            fix=fix,
            path=path or [],
            snippet="\n".join(snippet_lines),
            extra=extra or {},
        )


def _diff_rows(view: FileView, fn: FunctionView) -> set[int]:
    """The rows of the diff that ``fn``'s visible lines come from."""
    numbers = {n for n in fn.line_map if n is not None}
    return {ln.diff_line_no for ln in view.lines(fn.side) if ln.number in numbers and ln.diff_line_no}


def _function_has(hits: Any, fn: FunctionView, tokens: tuple[str, ...]) -> bool:
    """The prefilter's answer for a function (``hits``: the run's table for ``tokens``), searched once."""
    found = hits.get(fn)
    if found is None:
        found = hits.put(fn, _has_token(fn.text, tokens))
    return bool(found)


def _has_token(text: str, tokens: tuple[str, ...]) -> bool:
    return any(t in text for t in tokens)


def new_facts(config: Config) -> Facts:
    """Fresh facts for a run with ``config`` (its kernel model is loaded on first use)."""
    from reviewkit.facts import Facts
    from reviewkit.kernel import load_model

    return Facts(lambda: load_model(config.kernel))
