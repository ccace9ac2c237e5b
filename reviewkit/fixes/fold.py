"""Fold a fix into the series and rebuild the review context: the "apply" half of verification.

A fix is edits on top of the series' post-image, taken here hunk by hunk
as its diff shows them (:func:`reviewkit.fixes.diff.hunks`).  Each file of it
is applied to the view it belongs to (the finding's patch when that patch
touches the file, else the last patch that does): in fragment mode to the
visible lines at their real numbers, in tree and scan mode to the whole
post-image.  Every file must pass ``git apply --check`` (unseen lines of a
fragment are placeholders, so context taken from a gap never matches) and
parse without new tree-sitter errors.

All files of a fix are folded into their patches first and the context is
rebuilt once.  In fragment mode the rebuild only re-reads the patches the
fix changed; every other patch keeps its views, and a file of a changed
patch whose diff the fix left alone keeps its stitched functions (and so
their parses), because re-stitching the same hunks gives the same views.
"""

# size: folding edits into a series and rebuilding the context is one transaction (diffs: fixes/diff.py)

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import unidiff

from reviewkit.cparse import memo
from reviewkit.fixes.diff import Hunk, hunk_body, hunks, text_hunks
from reviewkit.load.series import Patch
from reviewkit.model import Finding
from reviewkit.views.build import build_context, file_views, function_views, rebuilt_context, whole_file_view
from reviewkit.views.context import PatchContext, ReviewContext, RunStats
from reviewkit.views.repo import PreImages
from reviewkit.views.source import FileView, FunctionView
from reviewkit.words import plural

_PLACEHOLDER = "\x01reviewkit: line not visible in the patch\x01"


class FixError(Exception):
    """The fix does not apply (internal: turned into 'not verified')."""


def apply_fix(ctx: ReviewContext, finding: Finding) -> ReviewContext:
    """The review context with ``finding.fix`` applied (raises FixError)."""
    fixed, git = start(ctx, finding)
    git.wait()
    return fixed


def start(ctx: ReviewContext, finding: Finding) -> tuple[ReviewContext, GitCheck]:
    """Like :func:`apply_fix`, but ``git apply --check`` is still running: call ``wait()`` on it.

    Verification re-runs the rule meanwhile; on two cores the check costs no wall time.
    """
    assert finding.fix is not None
    if not finding.fix.edits:
        raise FixError("empty fix")
    patch = _finding_patch(ctx, finding)
    return _Fold(ctx, patch).run(list(hunks(finding.fix).items()))


def _finding_patch(ctx: ReviewContext, finding: Finding) -> Patch | None:
    for pc in ctx.patches:
        if pc.patch is not None and pc.patch.position == finding.patch:
            return pc.patch
    return None


def _same_position(ctx: ReviewContext, patch: Patch) -> Patch | None:
    for pc in ctx.patches:
        if pc.patch is not None and pc.patch.position == patch.position:
            return pc.patch
    return None


class _Fold:
    """One fix on its way into the patches of ``ctx`` (patches are replaced by index, views by identity)."""

    def __init__(self, ctx: ReviewContext, patch: Patch | None) -> None:
        self.ctx = ctx
        self.patch = patch
        self.versions: list[Patch | None] = [pc.patch for pc in ctx.patches]
        self.pending: dict[int, dict[int, tuple[unidiff.PatchedFile, str]]] = {}
        """New hunks of a file of a patch, by patch index and ``id()`` of the file's diff: parsed once, at the end."""
        self.added: dict[int, list[str]] = {}
        self.scan: dict[int, tuple[FileView, FileView]] = {}
        self.fragments: list[tuple[int, FileView]] = []
        self.checks: list[tuple[str, str, list[Hunk]]] = []

    def run(self, items: list[tuple[str, list[Hunk]]]) -> tuple[ReviewContext, GitCheck]:
        for path, pf in items:
            self._file(path, pf)
        for index in sorted({*self.pending, *self.added}):
            self._materialise(index)
        new_ctx = self.ctx
        if any(v is not pc.patch for v, pc in zip(self.versions, self.ctx.patches, strict=True)):
            new_ctx = self._rebuild()
        for old, new in self.scan.values():
            new_ctx = _replace_view(new_ctx, old, new)
        for index, view in self.fragments:
            new_patch = self.versions[index]
            new_view = new_ctx.file_view(view.path, _same_position(new_ctx, new_patch) if new_patch else None)
            if new_view is None:
                raise FixError(f"{view.path}: lost after folding the fix")
            fixed = new_view.functions()
            for fv in fixed:
                memo.share(fv)  # the re-run then finds them parsed
            _require_no_new_errors([fv.text for fv in view.functions()], [fv.text for fv in fixed])
        return new_ctx, GitCheck(self.checks)

    def _target(self, index: int, path: str) -> unidiff.PatchedFile:
        """The diff of ``path`` in patch ``index`` as folded so far."""
        version = self.versions[index]
        assert version is not None
        pf = _patched_file(version, path)
        if id(pf) in self.pending.get(index, {}):
            self._materialise(index)  # the same diff twice (a rename): fold onto the first result
            version = self.versions[index]
            assert version is not None
            pf = _patched_file(version, path)
        return pf

    def _materialise(self, index: int) -> None:
        """Patch ``index`` with its pending files folded in (one parse of the patch per fix)."""
        version = self.versions[index]
        new = self.pending.pop(index, {})
        added = self.added.pop(index, [])
        if version is None or not (new or added):
            return
        parts = [_file_header(pf) + new[id(pf)][1] if id(pf) in new else str(pf) for pf in version.patchset]
        text = "".join([*parts, *added])
        try:
            patchset = unidiff.PatchSet(text)
        except (unidiff.UnidiffParseError, ValueError, IndexError) as exc:
            raise FixError(f"folded patch does not parse: {exc}") from None
        self.versions[index] = dataclasses.replace(version, diff_text=text, patchset=patchset)

    def _base(self, path: str) -> tuple[int, FileView] | None:
        """The view a fix on ``path`` applies to: the finding's patch first, else the last one touching it."""
        for i, pc in enumerate(self.ctx.patches):
            if pc.patch is self.patch:
                for fv in pc.files:
                    if fv.path == path:
                        return i, fv
        index = {id(pc): i for i, pc in enumerate(self.ctx.patches)}
        last = None
        for pc, fv in self.ctx.files():
            if fv.path == path and id(pc) in index:
                last = (index[id(pc)], fv)
        return last

    def _own(self) -> int | None:
        return next((i for i, pc in enumerate(self.ctx.patches) if pc.patch is self.patch), None)

    def _file(self, path: str, pf: list[Hunk]) -> None:
        found = self._base(path)
        if found is None:
            own = self._own()
            patch = self.versions[own] if own is not None else None
            if self.ctx.tree is None or patch is None or own is None:
                raise FixError(f"{path}: not in view")
            try:
                text = (self.ctx.tree / path).read_text("utf-8", errors="surrogateescape")
            except OSError:
                raise FixError(f"{path}: not in the tree") from None
            new_text = _apply_text(text, pf)
            self.checks.append((path, text, pf))
            _require_no_new_errors([text], [new_text])
            header = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
            self.added.setdefault(own, []).append(header + text_hunks(text, new_text))
            return
        index, view = found
        version = self.versions[index]
        if view.tree_post is not None:
            new_text = _apply_text(view.tree_post, pf)
            self.checks.append((path, view.tree_post, pf))
            _require_no_new_errors([view.tree_post], [new_text])
            if view.patch is None or version is None:
                self.scan[id(view)] = (view, _scan_view(view, new_text))
                return
            pre = view.tree_pre if view.tree_pre is not None else view.tree_post
            target = self._target(index, path)
            self.pending.setdefault(index, {})[id(target)] = (target, text_hunks(pre, new_text))
            return
        if version is None:
            raise FixError(f"{path}: no patch to fold the fix into")
        visible = {ln.number: ln.text for ln in view.post}
        edits = _edits(visible, pf)
        self.checks.append((path, *_reconstructed(visible, pf)))
        target = self._target(index, path)
        self.pending.setdefault(index, {})[id(target)] = (target, _folded_hunks(target, edits))
        self.fragments.append((index, view))

    def _rebuild(self) -> ReviewContext:
        """The context of the series with the folded patches (tree mode re-applies the series)."""
        ctx = self.ctx
        if ctx.series is None:
            raise FixError("no series to fold the fix into")
        old = [pc.patch for pc in ctx.patches]
        folded = {id(p): v for p, v in zip(old, self.versions, strict=True) if p is not None and v is not None}
        series = dataclasses.replace(
            ctx.series, patches=[folded.get(id(p), p) for p in ctx.series.patches], warnings=[]
        )
        aligned = len(old) == len(ctx.series.patches) and all(
            a is b for a, b in zip(old, ctx.series.patches, strict=False)
        )
        if ctx.tree is not None or ctx.preimages is not None or not aligned:
            tree = str(ctx.tree) if ctx.tree is not None else None
            rebuilt = build_context(
                series,
                ctx.config,
                tree=tree,
                report_all=ctx.report_all,
                facts=ctx.facts,
                preimages=_fresh(ctx.preimages),
                keep=ctx,
                reread=_views_keeping,
            )
        else:
            contexts = []
            for pc, version in zip(ctx.patches, self.versions, strict=True):
                if version is pc.patch or version is None:
                    contexts.append(PatchContext(pc.patch, pc.files))
                else:
                    contexts.append(PatchContext(version, _views_keeping(pc.files, version)))
            rebuilt = rebuilt_context(ctx, series, contexts)
        return rebuilt


def _fresh(preimages: PreImages | None) -> PreImages | None:
    """The same pre-image sources with an empty per-file record (the rebuild records its own)."""
    return dataclasses.replace(preimages, sources={}) if preimages is not None else None


def _views_keeping(old_views: list[FileView], patch: Patch) -> list[FileView]:
    """``file_views(patch)``, each side the fold left alone keeping its old stitched functions.

    The kept functions are copies (new patch, own line sets) handed to the new
    view through its builder, so neither the old view nor the new one is edited.
    """
    by_path = {fv.path: fv for fv in old_views}
    kept: dict[tuple[str, str], list[FunctionView]] = {}

    def build(view: FileView, side: str) -> list[FunctionView]:
        functions = kept.get((view.path, side))
        if functions is None or view.tree_post is not None:  # given whole texts since: cut from those
            return function_views(view, side)
        return [
            dataclasses.replace(f, patch=patch, changed_lines=set(f.changed_lines), deleted_at=set(f.deleted_at))
            for f in functions
        ]

    views = file_views(patch, build)
    for view in views:
        old = by_path.get(view.path)
        if old is None or old.tree_post is not None or view.tree_post is not None:
            continue
        for side, functions in old.built_functions().items():
            if _stitch_input(old, side) == _stitch_input(view, side):
                kept[(view.path, side)] = functions
    return views


def _stitch_input(view: FileView, side: str) -> tuple[object, ...]:
    """Everything ``FileView.functions(side)`` reads in fragment mode; equal inputs stitch equal functions.

    The visible lines of the side, the hunk headers naming functions (by
    first line of the side), and on the post side the deletion points.
    """
    start = "target_start" if side == "post" else "source_start"
    return (
        view.path,
        view.is_c,
        tuple((ln.number, ln.text, ln.changed) for ln in view.lines(side)),
        tuple((getattr(h, start), h.section_header) for h in view.hunks),
        frozenset(view.deletion_points) if side == "post" else None,
    )


def _hunk_sides(hunk: unidiff.Hunk) -> tuple[list[str], list[str]]:
    old = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("-", " ")]
    new = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("+", " ")]
    return old, new


Span = tuple[int, int, list[str]]
"""A whole hunk of a fix, context included: replace post-image lines ``[start, end)`` with the texts."""


def _edits(lines: dict[int, str], pf: list[Hunk]) -> list[Span]:
    """The fix's hunks as spans, each checked against ``lines`` at its stated position (no fuzz)."""
    edits: list[Span] = []
    for hunk in pf:
        old = hunk.old_lines()
        for n, text in old:
            if lines.get(n) != text:
                raise FixError(f"hunk @@ -{hunk.old_start} @@ does not match line {n}")
        edits.append((hunk.first, hunk.first + len(old), hunk.new_lines()))
    edits.sort(key=lambda e: e[0])
    for a, b in itertools.pairwise(edits):
        if b[0] < a[1]:
            raise FixError("overlapping fix hunks")
    return edits


def _apply_edits(lines: dict[int, str], edits: list[Span]) -> dict[int, str]:
    """``lines`` (sparse, by real number) with ``edits`` applied and later lines renumbered."""
    out: dict[int, str] = {}
    shift = 0
    numbers = sorted(lines)
    i = 0
    for start, end, new in edits:
        while i < len(numbers) and numbers[i] < start:
            out[numbers[i] + shift] = lines[numbers[i]]
            i += 1
        for k, text in enumerate(new):
            out[start + shift + k] = text
        shift += len(new) - (end - start)
        while i < len(numbers) and numbers[i] < end:
            i += 1
    for n in numbers[i:]:
        out[n + shift] = lines[n]
    return out


def _apply_text(text: str, pf: list[Hunk]) -> str:
    numbered = dict(enumerate(text.split("\n"), 1))
    out = _apply_edits(numbered, _edits(numbered, pf))
    return "\n".join(out[n] for n in sorted(out))


def _reconstructed(visible: dict[int, str], pf: list[Hunk]) -> tuple[str, list[Hunk]]:
    """The visible lines with placeholders between them, and the hunks ``pf`` renumbered to match.

    A run of invisible lines becomes at most a few placeholders (git apply
    needs the order and the neighbourhood, not the distance): a hunk header
    claiming line 50,000,000 must not cost 50 million placeholder lines.
    """
    keys = sorted({*visible, *(h.old_start for h in pf if h.old_start > 0)})
    out: list[str] = []
    where: dict[int, int] = {}
    prev = 0
    for n in keys:
        out.extend([_PLACEHOLDER] * min(n - prev - 1, _GAP))
        out.append(visible.get(n, _PLACEHOLDER))
        where[n] = len(out)
        prev = n
    text = "\n".join(out) + "\n"
    shifted = []
    for h in pf:
        delta = h.old_start - where.get(h.old_start, h.old_start)
        shifted.append(dataclasses.replace(h, old_start=h.old_start - delta, new_start=max(h.new_start - delta, 0)))
    return text, shifted


_GAP = 3
"""Placeholders standing for any longer run of lines the patch does not show."""


class GitCheck:
    """``git apply --check`` of every file of a fix on its text, in one scratch directory, running.

    Skipped without git.  :meth:`wait` raises FixError when git refuses the fix.
    The scratch files are flat (``f0``, ``f1``, ...; the diff names them so):
    git checks the text, not the path, and one directory is all there is to
    create and remove (directory operations are what a busy disk makes slow).
    """

    def __init__(self, files: list[tuple[str, str, list[Hunk]]]) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        git = shutil.which("git")
        if git is None or not files:
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="reviewkit-verify-")
        tmp = Path(self._tmp.name)
        diff = []
        for i, (_path, text, pf) in enumerate(files):
            (tmp / f"f{i}").write_text(text, "utf-8", errors="surrogateescape")
            diff.append(f"--- a/f{i}\n+++ b/f{i}\n" + "".join(h.text() for h in pf))
        (tmp / "fix.diff").write_bytes("".join(diff).encode("utf-8", "surrogateescape"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env["GIT_CEILING_DIRECTORIES"] = str(tmp)
        self._proc = subprocess.Popen(
            [git, "apply", "--check", "-p1", "fix.diff"],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait(self) -> None:
        try:
            if self._proc is None:
                return
            try:
                _out, err = self._proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.communicate()
                raise FixError("git apply --check timed out") from None
            if self._proc.returncode != 0:
                raise FixError(f"git apply --check: {err.decode('utf-8', 'replace').strip()}")
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None


def count_errors(text: str) -> int:
    """ERROR and MISSING nodes tree-sitter finds in ``text``."""
    root = memo.parse(text).root
    if not root.has_error:
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            count += 1
        if node.has_error:
            stack.extend(node.children)
    return count


def _require_no_new_errors(before: list[str], after: list[str]) -> None:
    old = sum(count_errors(t) for t in before)
    new = sum(count_errors(t) for t in after)
    if new > old:
        raise FixError(f"the fixed code has {plural(new - old, 'new parse error')}")


# --------------------------------------------------------------------------
# Folding a fix into the patch


def _folded_hunks(pf: unidiff.PatchedFile, edits: list[Span]) -> str:
    """The hunks of ``pf`` rewritten so their post-image carries ``edits``.

    Hunks of one file never share a visible line (git merges hunks whose
    context would touch), so each edit lies inside one hunk's post-image.
    """
    pending = list(edits)
    hunks_text = []
    shift = 0
    for hunk in pf:
        old_side, target = _hunk_sides(hunk)
        first, end = hunk.target_start, hunk.target_start + len(target)
        mine = [e for e in pending if first <= e[0] and e[1] <= end and (e[0] < end or not target)]
        pending = [e for e in pending if e not in mine]
        new_target = list(target)
        for start, stop, new in sorted(mine, key=lambda e: e[0], reverse=True):
            new_target[start - first : stop - first] = new
        body = hunk_body(old_side, new_target)
        header = f"@@ -{hunk.source_start},{len(old_side)} +{first + shift},{len(new_target)} @@"
        if hunk.section_header:
            header += " " + hunk.section_header
        hunks_text.append(header + "\n" + body)
        shift += len(new_target) - len(target)
    if pending:
        raise FixError("fix reaches outside the lines the patch shows")
    return "".join(hunks_text)


def _patched_file(patch: Patch, path: str) -> unidiff.PatchedFile:
    for pf in patch.patchset:
        target = pf.target_file[2:] if pf.target_file.startswith("b/") else pf.target_file
        source = pf.source_file[2:] if pf.source_file.startswith("a/") else pf.source_file
        if path in (target, source):
            return pf
    raise FixError(f"{path}: not in the patch")


def _file_header(pf: unidiff.PatchedFile) -> str:
    info = "" if pf.patch_info is None else str(pf.patch_info)
    return info + f"--- {pf.source_file}\n+++ {pf.target_file}\n"


def _scan_view(view: FileView, text: str) -> FileView:
    return whole_file_view(view.path, view.old_path, view.patch, text)


def _replace_view(ctx: ReviewContext, old: FileView, new: FileView) -> ReviewContext:
    patches = [PatchContext(pc.patch, [new if fv is old else fv for fv in pc.files]) for pc in ctx.patches]
    return dataclasses.replace(ctx, patches=patches, stats=RunStats())
