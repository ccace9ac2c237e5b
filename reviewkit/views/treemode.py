"""Tree mode: whole files from a tree on disk, with the series applied in memory.

The tree is never written: each touched file is read, the series' hunks are
applied to an in-memory copy (with an offset search, like ``patch``), and the
file is parsed once; every function view takes its part of that parse
(:class:`reviewkit.views.source.FunctionParse`).  A file the series does not apply
to falls back to fragment mode with a note.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from reviewkit.cparse import parse as cparse
from reviewkit.io import read_bounded
from reviewkit.views.includes import HeaderConstants, header_noreturn
from reviewkit.views.source import FileView, FunctionView, strip_prefix

# --------------------------------------------------------------------------
# Tree mode


def tree_views(view: FileView, side: str, whole: str) -> list[FunctionView]:
    parsed = cparse.parse(whole)
    if view.noreturn:  # read by the graph builder with the file's own declarations
        parsed.__dict__["_header_noreturn"] = view.noreturn
    # comparisons of them are folded by the graph, each side by its own text's
    parsed.__dict__["_header_constants"] = view.constants if side == "post" else view.constants_pre
    changed = view.added if side == "post" else view.removed
    all_lines = whole.split("\n")
    rows = len(all_lines)
    views = []
    for fn in parsed.functions():
        start, end = fn.start_line, fn.end_line
        text_lines = all_lines[start - 1 : end]
        fv = FunctionView(
            fn.name,
            view.path,
            side,
            "\n".join(text_lines) + "\n",
            list(range(start, min(end, rows) + 1)),
            [],
            True,
            True,
            patch=view.patch,
            _whole=(parsed, fn.node),
        )
        span = range(start, end + 1)
        fv.changed_lines = (
            {n for n in span if n in changed} if len(changed) > len(span) else {n for n in changed if start <= n <= end}
        )
        views.append(fv)
    return views


class ApplyError(Exception):
    """A hunk did not apply to the tree's file."""


def apply_hunks(text: str, view: FileView, fuzz_lines: int = 200) -> str:
    """Apply one file's hunks to ``text`` like ``patch`` with offset search."""
    pf = next(
        f
        for f in view.patch.patchset
        if strip_prefix(f.target_file) == view.path or strip_prefix(f.source_file) == view.path
    )
    src = text.split("\n")
    out: list[str] = []
    pos = 0
    for hunk in pf:
        old = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("-", " ")]
        new = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("+", " ")]
        want = max(hunk.source_start - 1, 0) if old else hunk.source_start
        at = _find(src, old, want, pos, fuzz_lines)
        if at is None:
            raise ApplyError(f"hunk @@ -{hunk.source_start} @@ does not apply")
        out.extend(src[pos:at])
        out.extend(new)
        pos = at + len(old)
    out.extend(src[pos:])
    return "\n".join(out)


def _find(src: list[str], old: list[str], want: int, floor: int, fuzz: int) -> int | None:
    for delta in range(fuzz + 1):
        for at in (want - delta, want + delta):
            if at >= floor and src[at : at + len(old)] == old:
                return at
    return None


MAX_TREE_FILE = 64 * 1024 * 1024
"""A tree file larger than this is reviewed as a fragment (no kernel source file comes close)."""


def unsafe_path(path: str) -> str | None:
    """Why a diff path must not be looked up in a tree (None: it may).

    The rules of ``git apply``: no absolute path and no ``..`` component,
    so a hostile diff header cannot make reviewkit read outside ``--tree``.
    """
    if not path or "\0" in path:
        return "empty path"
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("\\"):
        return "absolute path"
    if ".." in pure.parts:
        return "'..' in the path"
    return None


def read_tree_file(tree: Path, rel: str) -> str:
    """A tree file's text; OSError when it is unsafe, not regular, too large or leaves the tree."""
    why = unsafe_path(rel)
    if why is not None:
        raise OSError(f"{why}; not read from the tree")
    f = tree / rel
    real, root = Path(os.path.realpath(f)), Path(os.path.realpath(tree))
    if not real.is_relative_to(root):
        raise OSError("a symlink out of the tree; not read")
    return read_bounded(f, MAX_TREE_FILE).decode("utf-8", "surrogateescape")


def attach_tree(views: list[FileView], tree: Path, state: dict[str, str]) -> list[str]:
    """Give each view whole pre/post texts from ``tree`` (never written).

    ``state`` carries the post-image of earlier patches of the series, keyed
    by path, so patch N sees the tree after patches 1..N-1.  Returns warnings
    for files that fall back to fragment mode.
    """
    warnings = []
    for view in views:
        if not view.is_c:
            continue
        why = unsafe_path(view.path) or unsafe_path(view.old_path)
        if why is not None:
            warnings.append(f"{view.path}: {why}; reviewed as a fragment (like git apply, nothing outside {tree})")
            continue
        if view.old_path in state:
            pre = state[view.old_path]
        elif view.is_new:
            pre = ""
        else:
            try:
                pre = read_tree_file(tree, view.old_path)
            except FileNotFoundError:
                warnings.append(f"{view.path}: not in {tree}; reviewed as a fragment")
                continue
            except OSError as exc:
                warnings.append(f"{view.path}: {exc.strerror or exc} in {tree}; reviewed as a fragment")
                continue
        try:
            post = apply_hunks(pre, view) if not view.is_new else "\n".join(ln.text for ln in view.post)
        except ApplyError as exc:
            warnings.append(f"{view.path}: {exc} in {tree}; reviewed as a fragment")
            continue
        view.tree_pre, view.tree_post = pre, post
        view.noreturn = header_noreturn(tree / view.path, post, tree)
        view.constants = HeaderConstants(tree / view.path, post)
        view.constants_pre = HeaderConstants(tree / view.path, pre)
        state[view.path] = post
    return warnings
