"""The next version of a series: accepted fixes folded into the patches themselves.

Every fix reviewkit offers is a diff on top of the series' post-image.  To
send v(N+1) the author wants those changes *inside* the patches: a line the
patch added is changed in place, a context line becomes a -/+ pair, hunk
headers are recomputed.  All fixes of one run are relative to the same
post-image, so their edits are merged per file first (two helpers inserted
at one spot are concatenated; fixes that touch the same lines are refused)
and folded in one go through :func:`reviewkit.fixes.verify.apply_fix`, which also
checks that the result applies and parses.  A fix reaching lines the patch
does not show cannot be folded in fragment mode and is refused by name.
"""

from __future__ import annotations

import re
from collections import defaultdict

from reviewkit.engine.run import build_context
from reviewkit.errors import InputError
from reviewkit.fixes.diffstat import diffstat as git_diffstat
from reviewkit.fixes.edits import LineEdit, diff_edits, merge_edits, render_lines
from reviewkit.load.series import Patch, Series
from reviewkit.load.trailers import Trailer, follow_ups, version_link, with_trailers
from reviewkit.model import Finding, Fix, Severity
from reviewkit.views.source import FileView

_VERSION_RE = re.compile(r"^v\d+$", re.IGNORECASE)
SIGNATURE = "-- \nreviewkit amend\n"


def amend_series(series: Series, fixes: list[Fix], version: int | None = None, *, tree: str | None = None) -> str:
    """Fold ``fixes`` into ``series`` and return version ``version`` (default: next) as mbox text.

    Raises :class:`InputError` naming the fix when one does not apply, reaches
    outside the lines the patches show, or overlaps an earlier fix.
    """
    from reviewkit.fixes.verify import FixError, apply_fix

    if not fixes:
        raise InputError(f"{series.source}: no fix to fold into the series")
    version = version or series.version + 1
    ctx = build_context(series, tree=tree)
    views = _latest_views(ctx.files())
    batches: dict[str, list[list[LineEdit]]] = defaultdict(list)
    owners: dict[str, list[int]] = defaultdict(list)
    for number, fix in enumerate(fixes):
        try:
            by_path = diff_edits(fix.diff)
        except ValueError as exc:
            raise InputError(f"fix '{fix.title}': unparseable diff: {exc}") from None
        for path, edits in by_path.items():
            view = views.get(path)
            if view is None:
                raise InputError(f"fix '{fix.title}': {path} is not touched by the series")
            _check_lines(fix, view, edits)
            _check_text(fix, view, path)
            batches[path].append(edits)
            owners[path].append(number)
    combined = []
    for path in sorted(batches, key=lambda p: (not p.endswith(".h"), p)):
        merged, rejected = merge_edits(batches[path])
        if rejected:
            clash = fixes[owners[path][rejected[0]]]
            raise InputError(f"fix '{clash.title}' overlaps an earlier fix in {path}; accept one of them")
        combined.append(render_lines(path, _lines(views[path]), merged))
    stub = Finding("amend", Severity.INFO, "amend", (combined and next(iter(batches))) or "", 0)
    stub.fix = Fix("amend", "".join(combined))
    try:
        folded = apply_fix(ctx, stub)
    except FixError as exc:
        raise InputError(f"{series.source}: the accepted fixes cannot be folded into the patches: {exc}") from None
    if folded.series is None:  # pragma: no cover - apply_fix always rebuilds from a series
        raise InputError(f"{series.source}: nothing to amend")
    changes = [(f.title, set(diff_edits(f.diff))) for f in fixes]
    return to_mbox(series, folded.series, version, changes)


def _latest_views(files: object) -> dict[str, FileView]:
    out: dict[str, FileView] = {}
    for _pc, view in files:  # type: ignore[attr-defined]
        out[view.path] = view
    return out


def _lines(view: FileView) -> dict[int, str]:
    if view.tree_post is not None:
        return dict(enumerate(view.tree_post.split("\n"), 1))
    return {ln.number: ln.text for ln in view.post}


def _check_lines(fix: Fix, view: FileView, edits: list[LineEdit]) -> None:
    lines = _lines(view)
    for e in edits:
        for n in range(e.first, e.last + 1):
            if n not in lines:
                raise InputError(
                    f"fix '{fix.title}': {view.path}:{n} is outside the lines the patch shows; "
                    "it cannot be folded into the patch (review with --tree to fold it)"
                )
        if e.last < e.first and (e.first - 1 not in lines or e.first not in lines):
            raise InputError(f"fix '{fix.title}': {view.path}:{e.first} is outside the lines the patch shows")


def _check_text(fix: Fix, view: FileView, path: str) -> None:
    """The lines the fix removes or keeps are the series' post-image lines."""
    import unidiff

    lines = _lines(view)
    for pf in unidiff.PatchSet(fix.diff):
        target = pf.target_file[2:] if pf.target_file.startswith("b/") else pf.target_file
        if target != path:
            continue
        for hunk in pf:
            for line in hunk:
                n = line.source_line_no
                if line.line_type in ("-", " ") and n is not None and lines.get(n) != line.value.rstrip("\n"):
                    raise InputError(f"fix '{fix.title}': {path}:{n} does not match the series")


# --------------------------------------------------------------------------
# Writing the series back as an mbox


def subject_for(patch: Patch, version: int) -> str:
    """``[PATCH v3 7/7] title`` -> ``[PATCH v4 7/7] title``."""
    prefixes = [p for p in patch.subject.prefixes if not _VERSION_RE.match(p)]
    if not prefixes:
        prefixes = ["PATCH"]
    at = max((i + 1 for i, p in enumerate(prefixes) if p.upper() in ("PATCH", "RFC")), default=0)
    prefixes.insert(at, f"v{version}")
    return f"[{' '.join(prefixes)}] {patch.subject.title}"


def diffstat(patch: Patch) -> str:
    """The patch's diffstat as ``git format-patch`` writes it."""
    return git_diffstat(patch.diff_text)


Changes = list[tuple[str, set[str]]]
"""(title of a folded fix, paths it changes)."""


def change_line(title: str) -> str:
    """One line of "Changes in vN": the fix's title as plain text (no markdown backticks)."""
    text = " ".join(title.replace("`", "").split())
    return f"- {text}\n"


def changes_section(version: int, titles: list[str], link: tuple[int, str] | None) -> str:
    rows = [change_line(t) for t in dict.fromkeys(titles)]
    if link is not None:
        rows.append(f"- Link to v{link[0]}: {link[1]}\n")
    return f"Changes in v{version}:\n" + "".join(rows) + "\n" if rows else ""


def _message(
    old: Patch, new: Patch, version: int, changes: Changes, trailers: list[Trailer], link: tuple[int, str] | None
) -> str:
    headers = old.message.headers
    lines = ["From reviewkit Mon Sep 17 00:00:00 2001"]
    for key, name in (("from", "From"), ("date", "Date")):
        if headers.get(key):
            lines.append(f"{name}: {headers[key]}")
    lines.append(f"Subject: {subject_for(old, version)}")
    for key, name in (("to", "To"), ("cc", "Cc")):
        if headers.get(key):
            lines.append(f"{name}: {headers[key]}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", ""]
    body = with_trailers(new.commit_message, trailers) + "---\n"
    files = {pf.path for pf in new.patchset}
    titles = [t for t, paths in changes if paths & files] if new.diff_text != old.diff_text else []
    body += changes_section(version, titles, link)
    body += diffstat(new) + "\n" + new.diff_text
    if not body.endswith("\n"):
        body += "\n"
    return "\n".join(lines) + "\n" + body + SIGNATURE


def _cover_body(body: str, section: str) -> str:
    """The cover letter with the new "Changes in vN" section above the older ones (or the shortlog)."""
    text = body.rstrip("\n")
    for marker in (
        re.compile(r"^Changes in v\d+:", re.M),
        re.compile(r"^\S.* \(\d+\):$", re.M),
        re.compile(r"^-- $", re.M),
    ):
        m = marker.search(text)
        if m:
            return text[: m.start()] + section + text[m.start() :] + "\n"
    return text + "\n\n" + section


def to_mbox(old: Series, new: Series, version: int, changes: Changes) -> str:
    """The new series as ``git format-patch --stdout`` would write it (cover letter first).

    Trailers given on the thread are carried (see :mod:`reviewkit.load.trailers`), and the
    changes section links to the version it replaces, as ``b4 prep`` writes it.
    """
    link = version_link(old)
    trailers = follow_ups(old)
    parts = []
    if old.cover is not None:
        cover = old.cover
        title = cover.subject.title
        prefixes = [p for p in cover.subject.prefixes if not _VERSION_RE.match(p)] or ["PATCH"]
        at = max((i + 1 for i, p in enumerate(prefixes) if p.upper() in ("PATCH", "RFC")), default=0)
        prefixes.insert(at, f"v{version}")
        head = [
            "From reviewkit Mon Sep 17 00:00:00 2001",
            f"From: {cover.author}",
            f"Subject: [{' '.join(prefixes)}] {title}",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
        ]
        section = changes_section(version, [t for t, _p in changes], link)
        body = _cover_body(cover.body.split("\n-- \n", 1)[0], section)
        parts.append("\n".join(head) + "\n" + body + SIGNATURE)
        link = None  # the cover letter carries the link
    for old_patch, new_patch in zip(old.patches, new.patches, strict=True):
        parts.append(_message(old_patch, new_patch, version, changes, trailers.get(old_patch.position, []), link))
    return "\n".join(parts)
