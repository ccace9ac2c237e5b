"""The one place file views, function views and the review context are built.

:mod:`reviewkit.views.source` holds the data (:class:`FileView`,
:class:`FunctionView`); this module decides how a file's function views come
about (stitched from the visible hunks, or cut from a whole tree file) and
assembles the :class:`~reviewkit.views.context.ReviewContext` of a run.
Keeping the assembly here is what lets the data module import nothing that
imports it back, and lets fold, amend and the engine share one builder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reviewkit.config import Config
from reviewkit.load.series import Patch, Series
from reviewkit.views.annotations import settle
from reviewkit.views.context import PatchContext, ReviewContext, new_facts
from reviewkit.views.repo import PreImages, attach_sources
from reviewkit.views.source import FileView, FunctionView, Line, strip_prefix
from reviewkit.views.stitch import stitch_functions
from reviewkit.views.treemode import attach_tree, tree_views

if TYPE_CHECKING:
    from reviewkit.facts import Facts

Builder = Callable[[FileView, str], list[FunctionView]]


def function_views(view: FileView, side: str) -> list[FunctionView]:
    """Function views of one side of ``view``, changed or not (``FileView.functions`` caches them)."""
    whole = view.tree_post if side == "post" else view.tree_pre
    if not view.is_c:
        views: list[FunctionView] = []
    elif whole is not None:
        views = tree_views(view, side, whole)
    else:
        views = stitch_functions(view, side)
    if side == "post" and views and view.hunks:
        points = view.deletion_points
        for fv in views:
            first, last = fv.first_line, fv.last_line  # each a scan of the line map: once per view, not per point
            fv.deleted_at = {n for n in points if first <= n <= last}
    if view.is_c:
        settle(view, side, views)  # an annotation-only change leaves the function as it was
    return views


def file_views(patch: Patch, builder: Builder = function_views) -> list[FileView]:
    """One FileView per text file the patch touches."""
    views = []
    for pf in patch.patchset:
        if pf.is_binary_file:
            continue
        post: list[Line] = []
        pre: list[Line] = []
        for hunk in pf:
            for line in hunk:
                row = line.diff_line_no or 0  # always set by unidiff for a parsed hunk line
                if line.line_type in ("+", " ") and line.target_line_no is not None:
                    post.append(Line(line.target_line_no, line.value.rstrip("\n"), line.is_added, row))
                if line.line_type in ("-", " ") and line.source_line_no is not None:
                    pre.append(Line(line.source_line_no, line.value.rstrip("\n"), line.is_removed, row))
        path = strip_prefix(pf.target_file) if not pf.is_removed_file else strip_prefix(pf.source_file)
        views.append(
            FileView(
                path,
                strip_prefix(pf.source_file),
                patch,
                post,
                pre,
                is_new=pf.is_added_file,
                is_deleted=pf.is_removed_file,
                hunks=list(pf),
                builder=builder,
            )
        )
    return views


def whole_file_view(
    path: str, old_path: str, patch: Patch | None, text: str, *, tree_pre: str | None = None
) -> FileView:
    """A view of a whole file's text with every line counted as changed (scan mode, a fixed scan file)."""
    lines = [Line(n, t, True, 0) for n, t in enumerate(text.split("\n"), 1)]
    return FileView(
        path,
        old_path,
        patch,  # type: ignore[arg-type]
        lines,
        [],
        tree_post=text,
        tree_pre=tree_pre,
        builder=function_views,
    )


def build_context(
    series: Series | None,
    config: Config | None = None,
    *,
    tree: str | None = None,
    report_all: bool = False,
    facts: Facts | None = None,
    preimages: PreImages | None = None,
    keep: ReviewContext | None = None,
    reread: Callable[[list[FileView], Patch], list[FileView]] | None = None,
) -> ReviewContext:
    """File views for every patch; in tree mode, whole files from ``tree``.

    Tree-mode notes (a file the series does not apply to) are returned on
    the context (``ctx.notes``), never written into ``series``.  ``facts``:
    the run's facts when this context re-reads a series of an earlier one
    (a fix verification), so the views both share are not derived twice.

    ``keep``: that earlier context (same sources, patches in the same
    order).  A patch it holds, unchanged, whose files enter it with the
    same whole texts keeps its views (so its stitched functions and the
    facts derived from them): only the fixed patch and the later ones on
    the same file are read again.  The notes and ``preimages.sources``
    then cover the re-read files only (a verification reads neither).
    ``reread(old_views, patch)``: the views of a changed patch that ``keep``
    held at the same position (a fold's, which keeps the stitched functions
    of files the fix left alone); by default :func:`file_views`.
    """
    config = config or Config()
    patches = []
    warnings: list[str] = []
    state: dict[str, str] = {}
    kept_state: dict[str, str] = {}
    tree_path = Path(tree) if tree else None
    todo = series.patches if series else []
    before = keep.patches if keep is not None and len(keep.patches) == len(todo) else None
    for i, patch in enumerate(todo):
        prev = before[i] if before is not None else None
        if prev is not None and prev.patch is patch and _same_inputs(prev.files, kept_state, state):
            _advance(kept_state, prev.files)
            _advance(state, prev.files)
            patches.append(PatchContext(patch, prev.files))
            continue
        views = reread(prev.files, patch) if reread is not None and prev is not None else file_views(patch)
        if preimages is not None:
            warnings.extend(attach_sources(views, preimages, state))
        elif tree_path is not None:
            warnings.extend(attach_tree(views, tree_path, state))
        if prev is not None:
            _advance(kept_state, prev.files)
        patches.append(PatchContext(patch, views))
    return ReviewContext(
        series,
        patches,
        config,
        tree_path,
        report_all,
        facts=facts or new_facts(config),
        notes=tuple(warnings),
        preimages=preimages,
    )


def _same_inputs(views: list[FileView], kept: dict[str, str], state: dict[str, str]) -> bool:
    """Each C file of a patch enters it with the same whole text (or none) in both builds."""
    return all(kept.get(v.old_path) == state.get(v.old_path) for v in views if v.is_c)


def _advance(state: dict[str, str], views: list[FileView]) -> None:
    """What attaching whole texts leaves in ``state`` after these views: each post-image by path."""
    for v in views:
        if v.is_c and v.tree_post is not None:
            state[v.path] = v.tree_post


def rebuilt_context(old: ReviewContext, series: Series, patches: list[PatchContext]) -> ReviewContext:
    """A context of ``series`` (the fold of a fix into ``old``'s) sharing ``old``'s facts, with its own counters."""
    return ReviewContext(series, patches, old.config, None, old.report_all, facts=old.facts)


def scan_context(views: list[FileView], config: Config | None = None) -> ReviewContext:
    """The context of a whole-file scan: no series, every line counts as changed."""
    config = config or Config()
    return ReviewContext(None, [PatchContext(None, views)], config, scan=True, report_all=True, facts=new_facts(config))
