"""Exact context from the user's repository: each touched file's pre-image, read from git.

A maintainer reviewing a diff in their checkout has the file the patch was
made against.  So, whenever there is a repository (the cwd is a git
checkout, ``--tree`` is one, ``--git``, the send-email hook, b4's check
commands, the TUI), each touched C file's pre-image is read, in this order:

1. the blob named on the patch's ``index abc123..def456`` line (abbreviated
   ids are resolved by ``git cat-file``, as ``git am -3`` does);
2. ``<base-commit>:<path>`` for the b4 ``base-commit:`` trailer;
3. the file in the ``--tree`` directory (as before), else ``HEAD:<path>``;

and the series is applied to it in memory (:func:`attach_sources`).  The first
candidate the file's hunks apply to wins; with none, the file is reviewed as
a fragment.  One note per file says which source was used.

Nothing of the repository is ever executed: git runs with hooks, fsmonitor
and the untracked cache switched off, only ``rev-parse`` and ``cat-file
blob`` (which applies no filter and no textconv), never with ``--filters``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reviewkit.gitsafe import safe_git
from reviewkit.load.series import Series
from reviewkit.views.source import FileView, strip_prefix
from reviewkit.views.treemode import ApplyError, apply_hunks, read_tree_file, unsafe_path

_INDEX_RE = re.compile(r"^index ([0-9a-f]{4,64})\.\.([0-9a-f]{4,64})")
_BASE_RE = re.compile(r"^base-commit:\s*([0-9a-f]{7,64})\s*$", re.MULTILINE)


@dataclass
class Repo:
    """A git repository read through ``cat-file`` only."""

    root: Path
    _cache: dict[str, bytes | None] = field(default_factory=dict, repr=False)

    def blob(self, name: str) -> bytes | None:
        """The blob ``name`` (a full or abbreviated id, or ``rev:path``); None if git has no such blob."""
        if name.startswith("-") or "\n" in name:
            return None
        if name not in self._cache:
            self._cache[name] = safe_git(["cat-file", "blob", name], self.root)
        return self._cache[name]

    def blobs(self, names: list[str]) -> dict[str, bytes]:
        """The blobs of ``names`` that exist (``rev:path`` or ids), read by one ``git cat-file --batch``.

        A header lookup asks for a dozen paths of which most do not exist:
        one process instead of one per name.  Anything that is not a blob
        (a tree, a missing name) is left out.
        """
        want = [n for n in dict.fromkeys(names) if n not in self._cache and not n.startswith("-") and "\n" not in n]
        if want:
            out = safe_git(
                ["cat-file", "--batch"],
                self.root,
                stdin="".join(f"{n}\n" for n in want).encode("utf-8", "surrogateescape"),
            )
            got = _parse_batch(out or b"", len(want))
            for name, data in zip(want, got, strict=True):
                self._cache[name] = data
        return {n: d for n in names if (d := self._cache.get(n)) is not None}


def _parse_batch(out: bytes, count: int) -> list[bytes | None]:
    """Split ``cat-file --batch`` output into one entry per asked name (None: missing or not a blob)."""
    got: list[bytes | None] = []
    pos = 0
    while len(got) < count and pos < len(out):
        eol = out.find(b"\n", pos)
        if eol < 0:
            break
        head = out[pos:eol].split()
        pos = eol + 1
        if len(head) == 3 and head[2].isdigit():
            size = int(head[2])
            got.append(out[pos : pos + size] if head[1] == b"blob" else None)
            pos += size + 1
        else:  # "<name> missing" / "ambiguous"
            got.append(None)
    return got + [None] * (count - len(got))


def find_repo(start: str | Path) -> Repo | None:
    """The repository ``start`` is in (its work tree's top), or None."""
    where = Path(start)
    if not where.is_dir():
        return None
    out = safe_git(["rev-parse", "--show-toplevel"], where)
    if out is None:
        return None
    top = out.decode("utf-8", "surrogateescape").strip()
    return Repo(Path(top)) if top else None


def base_commit(series: Series) -> str | None:
    """The b4 ``base-commit:`` trailer of the cover letter or of a patch."""
    texts = [series.cover.body] if series.cover is not None else []
    texts += [p.message.body for p in series.patches]
    for text in texts:
        m = _BASE_RE.search(text)
        if m:
            return m.group(1)
    return None


def _safe_path(path: str) -> bool:
    parts = Path(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts and ":" not in path


def index_blob(view: FileView) -> str | None:
    """The pre-image blob id on the ``index`` line of ``view``'s file in its patch (None: none or all zeros)."""
    for pf in view.patch.patchset:
        if strip_prefix(pf.target_file) == view.path or strip_prefix(pf.source_file) == view.old_path:
            for line in pf.patch_info or []:
                m = _INDEX_RE.match(str(line))
                if m:
                    return m.group(1) if m.group(1).strip("0") else None
            return None
    return None


@dataclass
class PreImages:
    """Where pre-images come from for one run: a repository, a base commit, a tree directory."""

    repo: Repo | None = None
    tree: Path | None = None
    base: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    """Per file: which source its context came from (``fragment`` when none applied)."""

    @classmethod
    def for_run(cls, series: Series, *, tree: str | None, repo: str | None) -> PreImages | None:
        """The sources for a run: the repo ``tree`` is in, else the one ``repo`` is in."""
        tree_dir = Path(tree) if tree is not None else None
        found = find_repo(tree_dir) if tree_dir is not None else None
        if found is None and repo is not None:
            found = find_repo(repo)
        if found is None and tree_dir is None:
            return None
        return cls(found, tree_dir, base_commit(series) if found is not None else None)

    def candidates(self, view: FileView) -> Iterator[tuple[str, str]]:
        """(label, text) for each place the file's pre-image may be, best first."""
        path = view.old_path
        if self.repo is not None:
            blob = index_blob(view)
            if blob is not None and (data := self.repo.blob(blob)) is not None:
                yield f"blob {blob} (the patch's index line)", _text(data)
            if self.base is not None and _safe_path(path):
                data = self.repo.blob(f"{self.base}:{path}")
                if data is not None:
                    yield f"base-commit {self.base[:12]}", _text(data)
        if self.tree is not None:
            text = _read_in(self.tree, path)
            if text is not None:
                yield f"the tree {self.tree}", text
        elif self.repo is not None and _safe_path(path):
            data = self.repo.blob(f"HEAD:{path}")
            if data is not None:
                yield "HEAD", _text(data)

    def notes(self) -> list[str]:
        """One line per file: where its context came from."""
        return [f"{path}: context from {how}" for path, how in self.sources.items()]


def _read_in(tree: Path, path: str) -> str | None:
    """``tree/path`` as text; None when absent, unsafe (``../x`` in a hostile patch), not regular or too large."""
    try:
        return read_tree_file(tree, path)
    except OSError:
        return None


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def attach_sources(views: list[FileView], pre: PreImages, state: dict[str, str]) -> list[str]:
    """Give each C view whole pre/post texts from the first source its hunks apply to.

    ``state`` carries the post-image of earlier patches of the series, keyed
    by path, so patch N sees the file after patches 1..N-1.  Returns the
    warnings of files that fall back to fragment mode.
    """
    warnings = []
    for view in views:
        if not view.is_c:
            continue
        if view.old_path in state:
            chosen = _apply(view, "the series' earlier patches", state[view.old_path])
        elif view.is_new:
            chosen = ("a new file", "", "\n".join(ln.text for ln in view.post))
        else:
            chosen = None
            for how, text in pre.candidates(view):
                chosen = _apply(view, how, text)
                if chosen is not None:
                    break
        if chosen is None:
            pre.sources.setdefault(view.path, "the diff only (fragment)")
            if pre.tree is not None and unsafe_path(view.old_path) is not None:
                why = unsafe_path(view.old_path)
                outside = f"like git apply, nothing outside {pre.tree}"
                warnings.append(f"{view.path}: {why}; reviewed as a fragment ({outside})")
            elif pre.tree is not None:  # asked for a tree: falling back is worth a warning in the report
                warnings.append(f"{view.path}: not in {pre.tree} or does not apply there; reviewed as a fragment")
            continue
        how, view.tree_pre, view.tree_post = chosen
        pre.sources.setdefault(view.path, how)
        state[view.path] = view.tree_post
    return warnings


def _apply(view: FileView, how: str, text: str) -> tuple[str, str, str] | None:
    try:
        return how, text, apply_hunks(text, view)
    except ApplyError:
        return None
