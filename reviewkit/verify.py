"""Verify a suggested fix before it is offered: no fix is better than a wrong fix.

A fix is a unified diff on top of the series.  It is offered only when

1. it applies to the post-image: in fragment mode to the reconstructed
   post-image (the visible lines at their real numbers), in tree and scan
   mode to the whole post-image file; ``git apply --check`` must accept it
   too (unseen lines of a fragment are filled with placeholders, so context
   taken from a gap can never match);
2. the result parses without *new* tree-sitter errors (fragments compare the
   stitched functions of the file before and after);
3. re-running the rule on the result no longer reports the finding, and
   reports fewer findings in that file than before.

Re-running needs a view of the fixed code that is consistent in every
respect (line numbers, changed lines, hunk headers naming functions), so the
fix is folded into the patch the finding belongs to and the review context
is rebuilt from the folded series.  :func:`reviewkit.engine.run` calls
:func:`verify_all` on every rule's findings, so a rule only builds its fix;
a rule may still call :func:`offer` itself (a fix it verified is not
verified twice).  While a verification re-run is in progress both pass
findings through unverified, so verification never recurses.  Fixes whose
safety is ``display`` are shown, never applied, and are not verified.
"""

from __future__ import annotations

import contextvars
import dataclasses
import difflib
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import unidiff

from reviewkit import cparse
from reviewkit.context import PatchContext, ReviewContext
from reviewkit.findings import Finding
from reviewkit.series import Patch
from reviewkit.source import FileView, Line

Check = Callable[[ReviewContext], Iterable[Finding]]

_VERIFYING: contextvars.ContextVar[bool] = contextvars.ContextVar("reviewkit_verifying", default=False)
_PLACEHOLDER = "\x01reviewkit: line not visible in the patch\x01"


class FixError(Exception):
    """The fix does not apply (internal: turned into 'not verified')."""


def verifying() -> bool:
    """True while a rule is being re-run to verify a fix."""
    return _VERIFYING.get()


def offer(ctx: ReviewContext, findings: Iterable[Finding], check: Check) -> Iterator[Finding]:
    """Yield ``findings``, each fix verified (``fix.verified = True``) or dropped."""
    for f in findings:
        if f.fix is not None and not verifying():
            if verify_fix(ctx, f, check):
                f.fix.verified = True
            else:
                ctx.bump("fixes_dropped")
                f.fix = None
        yield f


def verify_all(ctx: ReviewContext, findings: Iterable[Finding], check: Check, before: list[Finding]) -> None:
    """Verify every fix of ``findings`` not verified yet; drop (``fix = None``) those that fail.

    ``findings`` come from one rule and ``before`` is everything that rule
    reported on ``ctx`` (the "before" side of every verification, computed
    once instead of once per fix).  A fix the rule verified itself
    (:func:`offer`) and a ``display`` fix are left as they are.
    """
    if verifying():
        return
    for f in findings:
        fix = f.fix
        if fix is None or fix.verified or fix.safety == "display":
            continue
        if verify_fix(ctx, f, check, before):
            fix.verified = True
        else:
            ctx.bump("fixes_dropped")
            f.fix = None


def verify_fix(ctx: ReviewContext, finding: Finding, check: Check, before_all: list[Finding] | None = None) -> bool:
    """Apply ``finding.fix`` to the post-image, re-parse, re-run ``check``; True when all hold.

    ``before_all``: the findings ``check`` reports on ``ctx`` when the caller
    already has them (otherwise ``check`` is run on ``ctx`` too).
    """
    if finding.fix is None or not finding.fix.diff.strip():
        return False
    try:
        fixed = apply_fix(ctx, finding)
    except FixError:
        return False
    token = _VERIFYING.set(True)
    try:
        source = check(ctx) if before_all is None else before_all
        before = [f for f in source if f.rule == finding.rule and f.file == finding.file]
        after = [f for f in check(fixed) if f.rule == finding.rule and f.file == finding.file]
    finally:
        _VERIFYING.reset(token)
    if finding.fingerprint in {f.fingerprint for f in after}:
        return False
    return len(after) < max(len(before), 1)


# --------------------------------------------------------------------------
# Applying a fix and rebuilding the context


def apply_fix(ctx: ReviewContext, finding: Finding) -> ReviewContext:
    """The review context with ``finding.fix`` applied (raises FixError)."""
    assert finding.fix is not None
    try:
        fix_set = unidiff.PatchSet(finding.fix.diff)
    except (unidiff.UnidiffParseError, ValueError, IndexError) as exc:
        raise FixError(f"unparseable fix diff: {exc}") from None
    if not len(fix_set):
        raise FixError("empty fix diff")
    patch = _finding_patch(ctx, finding)
    new_ctx = ctx
    for pf in fix_set:
        path = pf.target_file[2:] if pf.target_file.startswith("b/") else pf.target_file
        new_ctx = _apply_file(new_ctx, patch, path, pf)
    return new_ctx


def _finding_patch(ctx: ReviewContext, finding: Finding) -> Patch | None:
    for pc in ctx.patches:
        if pc.patch is not None and pc.patch.position == finding.patch:
            return pc.patch
    return None


def _base_view(ctx: ReviewContext, patch: Patch | None, path: str) -> FileView | None:
    """The view a fix on ``path`` applies to: the finding's patch first, else the last one touching it."""
    own = ctx.file_view(path, patch)
    if own is not None:
        return own
    last = None
    for _pc, fv in ctx.files():
        if fv.path == path:
            last = fv
    return last


def _apply_file(ctx: ReviewContext, patch: Patch | None, path: str, pf: unidiff.PatchedFile) -> ReviewContext:
    view = _base_view(ctx, patch, path)
    if view is None:
        if ctx.tree is None or patch is None:
            raise FixError(f"{path}: not in view")
        try:
            text = (ctx.tree / path).read_text("utf-8", errors="surrogateescape")
        except OSError:
            raise FixError(f"{path}: not in the tree") from None
        new_text = _apply_text(text, pf)
        _git_apply_check(path, text, pf)
        _require_no_new_errors([text], [new_text])
        return _rebuild(ctx, patch, _add_file_diff(patch, path, text, new_text))
    if view.tree_post is not None:
        new_text = _apply_text(view.tree_post, pf)
        _git_apply_check(path, view.tree_post, pf)
        _require_no_new_errors([view.tree_post], [new_text])
        if view.patch is None:
            return _replace_view(ctx, view, _scan_view(view, new_text))
        pre = view.tree_pre if view.tree_pre is not None else view.tree_post
        return _rebuild(ctx, view.patch, _replace_file_diff(view.patch, view, pre, new_text))
    visible = {ln.number: ln.text for ln in view.post}
    edits = _edits(visible, pf)
    _git_apply_check(path, _reconstructed(visible), pf)
    folded = _fold_fragment(view, edits)
    new_ctx = _rebuild(ctx, view.patch, folded)
    new_view = new_ctx.file_view(path, _same_position(new_ctx, view.patch))
    if new_view is None:
        raise FixError(f"{path}: lost after folding the fix")
    _require_no_new_errors([fv.text for fv in view.functions()], [fv.text for fv in new_view.functions()])
    return new_ctx


def _same_position(ctx: ReviewContext, patch: Patch) -> Patch | None:
    for pc in ctx.patches:
        if pc.patch is not None and pc.patch.position == patch.position:
            return pc.patch
    return None


def _hunk_sides(hunk: unidiff.Hunk) -> tuple[list[str], list[str]]:
    old = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("-", " ")]
    new = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("+", " ")]
    return old, new


Edit = tuple[int, int, list[str]]
"""Replace post-image lines ``[start, end)`` with the given texts."""


def _edits(lines: dict[int, str], pf: unidiff.PatchedFile) -> list[Edit]:
    """The fix's hunks as edits, each checked against ``lines`` at its stated position (no fuzz)."""
    edits: list[Edit] = []
    for hunk in pf:
        old, new = _hunk_sides(hunk)
        start = hunk.source_start if old else hunk.source_start + 1
        for i, text in enumerate(old):
            if lines.get(start + i) != text:
                raise FixError(f"hunk @@ -{hunk.source_start} @@ does not match line {start + i}")
        edits.append((start, start + len(old), new))
    edits.sort(key=lambda e: e[0])
    for a, b in itertools.pairwise(edits):
        if b[0] < a[1]:
            raise FixError("overlapping fix hunks")
    return edits


def _apply_edits(lines: dict[int, str], edits: list[Edit]) -> dict[int, str]:
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


def _apply_text(text: str, pf: unidiff.PatchedFile) -> str:
    numbered = dict(enumerate(text.split("\n"), 1))
    out = _apply_edits(numbered, _edits(numbered, pf))
    return "\n".join(out[n] for n in sorted(out))


def _reconstructed(visible: dict[int, str]) -> str:
    """A file with the visible lines at their real numbers and placeholders in between."""
    last = max(visible, default=0)
    return "\n".join(visible.get(n, _PLACEHOLDER) for n in range(1, last + 1)) + "\n"


def _git_apply_check(path: str, text: str, pf: unidiff.PatchedFile) -> None:
    """``git apply --check`` of the fix on ``text`` in a scratch directory (skipped without git)."""
    git = shutil.which("git")
    if git is None:
        return
    # the scratch copy must stay inside the scratch directory whatever the path
    # looks like (``reviewkit scan /abs/dir`` names files by absolute path)
    rel = "/".join(part for part in path.split("/") if part not in ("", ".", "..")) or "file.c"
    with tempfile.TemporaryDirectory(prefix="reviewkit-verify-") as tmp:
        target = Path(tmp) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8", errors="surrogateescape")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env["GIT_CEILING_DIRECTORIES"] = tmp
        diff = f"--- a/{rel}\n+++ b/{rel}\n" + "".join(str(h) for h in pf)
        proc = subprocess.run(
            [git, "apply", "--check", "-p1", "-"],
            input=diff.encode("utf-8", "surrogateescape"),
            cwd=tmp,
            env=env,
            capture_output=True,
            timeout=30,
        )
        if proc.returncode != 0:
            raise FixError(f"git apply --check: {proc.stderr.decode('utf-8', 'replace').strip()}")


def count_errors(text: str) -> int:
    """ERROR and MISSING nodes tree-sitter finds in ``text``."""
    root = cparse.parse(text).root
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
        raise FixError(f"the fixed code has {new - old} new parse error(s)")


# --------------------------------------------------------------------------
# Folding a fix into the patch


def _fold_fragment(view: FileView, edits: list[Edit]) -> Patch:
    """The patch with ``view``'s hunks rewritten so their post-image carries ``edits``.

    Hunks of one file never share a visible line (git merges hunks whose
    context would touch), so each edit lies inside one hunk's post-image.
    """
    pf = _patched_file(view.patch, view.path)
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
        body = _diff_body(old_side, new_target)
        header = f"@@ -{hunk.source_start},{len(old_side)} +{first + shift},{len(new_target)} @@"
        if hunk.section_header:
            header += " " + hunk.section_header
        hunks_text.append(header + "\n" + body)
        shift += len(new_target) - len(target)
    if pending:
        raise FixError("fix reaches outside the lines the patch shows")
    return _with_file_text(view.patch, pf, "".join(hunks_text))


def _diff_body(old: list[str], new: list[str]) -> str:
    out = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(" " + t for t in old[a1:a2])
        else:
            out.extend("-" + t for t in old[a1:a2])
            out.extend("+" + t for t in new[b1:b2])
    return "".join(line + "\n" for line in out)


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


def _with_file_text(patch: Patch, target: unidiff.PatchedFile | None, hunks: str, header: str = "") -> Patch:
    parts = []
    for pf in patch.patchset:
        parts.append(_file_header(pf) + hunks if pf is target else str(pf))
    if target is None:
        parts.append(header + hunks)
    text = "".join(parts)
    try:
        patchset = unidiff.PatchSet(text)
    except (unidiff.UnidiffParseError, ValueError, IndexError) as exc:
        raise FixError(f"folded patch does not parse: {exc}") from None
    return dataclasses.replace(patch, diff_text=text, patchset=patchset)


def _whole_file_hunks(pre: str, post: str) -> str:
    diff = difflib.unified_diff(pre.split("\n"), post.split("\n"), lineterm="", n=3)
    rows = list(diff)[2:]  # drop the ---/+++ lines
    return "".join(r + "\n" for r in rows)


def _replace_file_diff(patch: Patch, view: FileView, pre: str, post: str) -> Patch:
    return _with_file_text(patch, _patched_file(patch, view.path), _whole_file_hunks(pre, post))


def _add_file_diff(patch: Patch, path: str, pre: str, post: str) -> Patch:
    header = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
    return _with_file_text(patch, None, _whole_file_hunks(pre, post), header)


def _rebuild(ctx: ReviewContext, old: Patch, new: Patch) -> ReviewContext:
    """The context of the series with ``old`` replaced by ``new`` (tree mode re-applies it)."""
    from reviewkit.engine import build_context

    if ctx.series is None:
        raise FixError("no series to fold the fix into")
    patches = [new if p is old else p for p in ctx.series.patches]
    series = dataclasses.replace(ctx.series, patches=patches, warnings=[])
    tree = str(ctx.tree) if ctx.tree is not None else None
    rebuilt = build_context(series, ctx.config, tree=tree, report_all=ctx.report_all)
    rebuilt._kernel = ctx._kernel
    return rebuilt


def _scan_view(view: FileView, text: str) -> FileView:
    lines = [Line(n, t, True, 0) for n, t in enumerate(text.split("\n"), 1)]
    return FileView(view.path, view.old_path, view.patch, lines, [], tree_post=text)


def _replace_view(ctx: ReviewContext, old: FileView, new: FileView) -> ReviewContext:
    patches = [PatchContext(pc.patch, [new if fv is old else fv for fv in pc.files]) for pc in ctx.patches]
    return dataclasses.replace(ctx, patches=patches, stats={})
