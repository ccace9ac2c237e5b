"""The read-only view of a series that rules get.

Rules never parse, print or touch files: they walk :class:`ReviewContext`
(patches, file views, function views) and return findings built with
:meth:`ReviewContext.finding`, which fills in the patch, the input-file line
and the code snippet so every rule reports the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewkit.config import Config
from reviewkit.load.series import Patch, Series
from reviewkit.model import Finding, Fix, PathStep, Severity
from reviewkit.views.source import FileView, FunctionView


@dataclass
class PatchContext:
    """One patch and the views of the files it touches."""

    patch: Patch | None
    files: list[FileView]

    @property
    def position(self) -> int | None:
        return self.patch.position if self.patch is not None else None


@dataclass
class ReviewContext:
    """Everything a rule may look at, for one run."""

    series: Series | None
    patches: list[PatchContext]
    config: Config = field(default_factory=Config)
    tree: Path | None = None
    report_all: bool = False
    """``--all``: also report what the series did not introduce."""
    scan: bool = False
    """Whole files without a patch (``reviewkit scan``): every line counts as changed."""
    stats: dict[str, Any] = field(default_factory=dict)
    preimages: Any = None
    """Where whole files came from (:class:`reviewkit.views.repo.PreImages`), None in fragment mode."""
    _kernel: Any = field(default=None, repr=False)

    @property
    def kernel(self) -> Any:
        """The kernel API model (lock pairs, ctor/dtor pairs), loaded on first use."""
        if self._kernel is None:
            from reviewkit.kernel import load_model

            self._kernel = load_model(self.config.kernel)
        return self._kernel

    def files(self) -> Iterator[tuple[PatchContext, FileView]]:
        for pc in self.patches:
            for fv in pc.files:
                if not self.config.path_skipped(fv.path):
                    yield pc, fv

    def c_files(self) -> Iterator[tuple[PatchContext, FileView]]:
        for pc, fv in self.files():
            if fv.is_c:
                yield pc, fv

    def functions(self, side: str = "post", *, changed_only: bool = True) -> Iterator[FunctionView]:
        """Function views of every touched C file; by default only those the patch changed."""
        for _pc, fv in self.c_files():
            for fn in fv.functions(side):
                if fn.touched or not changed_only:
                    yield fn

    def pre_function(self, post: FunctionView) -> FunctionView | None:
        """The pre-image view of the same function (same file, same name)."""
        for _pc, fv in self.c_files():
            if fv.path == post.path and fv.patch is post.patch:
                for fn in fv.functions("pre"):
                    if fn.name == post.name:
                        return fn
        return None

    def file_view(self, path: str, patch: Patch | None) -> FileView | None:
        for pc in self.patches:
            if pc.patch is patch:
                for fv in pc.files:
                    if fv.path == path:
                        return fv
        return None

    def bump(self, key: str, amount: int = 1) -> None:
        """Count something in the run's stats (e.g. analyses cut by a budget)."""
        self.stats[key] = self.stats.get(key, 0) + amount

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
