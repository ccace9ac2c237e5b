"""The next version of a series: accepted fixes folded into the patches themselves.

Every fix reviewkit offers is edits on top of the series' post-image.  To
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

from reviewkit.errors import InputError
from reviewkit.fixes.diff import by_path, hunks, runs
from reviewkit.fixes.diffstat import diffstat as git_diffstat
from reviewkit.fixes.edits import edit_on_lines, merge_edits
from reviewkit.load.series import Patch, Series
from reviewkit.load.trailers import Trailer, follow_ups, version_link, with_trailers
from reviewkit.model import Edit, Finding, Fix, Severity
from reviewkit.views.build import build_context
from reviewkit.views.context import ReviewContext
from reviewkit.views.source import FileView

_VERSION_RE = re.compile(r"^v\d+$", re.IGNORECASE)
SIGNATURE = "-- \nreviewkit amend\n"


def amend_series(
    series: Series,
    fixes: list[Fix],
    version: int | None = None,
    *,
    tree: str | None = None,
    patches: list[int | None] | None = None,
) -> str:
    """Fold ``fixes`` into ``series`` and return version ``version`` (default: next) as mbox text.

    ``patches`` gives each fix's patch position (a finding's ``patch``): a fix
    is a diff on the post-image of its own patch, so it is checked against
    that patch's view and folded into it.  Patches are folded from the last
    to the first, so a fold never moves the lines a later fix names.
    Raises :class:`InputError` naming the fix when one does not apply, reaches
    outside the lines the patches show, or overlaps an earlier fix.
    """
    from reviewkit.fixes.verify import FixError

    if not fixes:
        raise InputError(f"{series.source}: no fix to fold into the series")
    version = version or series.version + 1
    owners = patches if patches is not None and len(patches) == len(fixes) else [None] * len(fixes)
    ctx = build_context(series, tree=tree)
    groups: dict[int | None, list[Fix]] = defaultdict(list)
    for fix, pos in zip(fixes, owners, strict=True):
        groups[pos].append(fix)
    for pos in sorted(groups, key=lambda p: -1 if p is None else p, reverse=True):
        try:
            ctx = _fold_group(ctx, groups[pos], pos)
        except FixError as exc:
            raise InputError(f"{series.source}: the accepted fixes cannot be folded into the patches: {exc}") from None
    if ctx.series is None:  # pragma: no cover - apply_fix always rebuilds from a series
        raise InputError(f"{series.source}: nothing to amend")
    changes = [(f.title, set(by_path(f.edits))) for f in fixes]
    return to_mbox(series, ctx.series, version, changes)


def _fold_group(ctx: ReviewContext, fixes: list[Fix], position: int | None) -> ReviewContext:
    """Fold the fixes of one patch (``position``; None: the last patch touching each file)."""
    from reviewkit.fixes.verify import apply_fix

    views = _latest_views(ctx.files())
    if position is not None:
        views.update(
            {
                fv.path: fv
                for pc in ctx.patches
                if pc.patch is not None and pc.patch.position == position
                for fv in pc.files
            }
        )
    batches: dict[str, list[list[Edit]]] = defaultdict(list)
    owners: dict[str, list[int]] = defaultdict(list)
    for number, fix in enumerate(fixes):
        if not fix.edits:
            raise InputError(f"fix '{fix.title}': no edits")
        for path, edits in by_path(runs(fix)).items():  # the edits as the fix's diff shows them
            view = views.get(path)
            if view is None:
                raise InputError(f"fix '{fix.title}': {path} is not touched by the series")
            _check_lines(fix, view, edits)
            _check_text(fix, view, path)
            batches[path].append(edits)
            owners[path].append(number)
    combined: list[Edit] = []
    for path in sorted(batches, key=lambda p: (not p.endswith(".h"), p)):
        merged, rejected = merge_edits(batches[path])
        if rejected:
            clash = fixes[owners[path][rejected[0]]]
            raise InputError(f"fix '{clash.title}' overlaps an earlier fix in {path}; accept one of them")
        lines = _lines(views[path])
        combined += [edit_on_lines(path, lines, e.start, e.end, e.lines) for e in merged]
    stub = Finding("amend", Severity.INFO, "amend", (combined and next(iter(batches))) or "", 0, patch=position)
    stub.fix = Fix("amend", tuple(combined))
    return apply_fix(ctx, stub)


def _latest_views(files: object) -> dict[str, FileView]:
    out: dict[str, FileView] = {}
    for _pc, view in files:  # type: ignore[attr-defined]
        out[view.path] = view
    return out


def _lines(view: FileView) -> dict[int, str]:
    if view.tree_post is not None:
        return dict(enumerate(view.tree_post.split("\n"), 1))
    return {ln.number: ln.text for ln in view.post}


def _check_lines(fix: Fix, view: FileView, edits: list[Edit]) -> None:
    lines = _lines(view)
    for e in edits:
        for n in range(e.start, e.end):
            if n not in lines:
                raise InputError(
                    f"fix '{fix.title}': {view.path}:{n} is outside the lines the patch shows; "
                    "it cannot be folded into the patch (review with --tree to fold it)"
                )
        if e.end == e.start and (e.start - 1 not in lines or e.start not in lines):
            raise InputError(f"fix '{fix.title}': {view.path}:{e.start} is outside the lines the patch shows")


def _check_text(fix: Fix, view: FileView, path: str) -> None:
    """The lines the fix removes or keeps (as its diff shows them) are the series' post-image lines."""
    lines = _lines(view)
    for hunk in hunks(fix).get(path, []):
        for n, text in hunk.old_lines():
            if lines.get(n) != text:
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


_CODE_SPAN = re.compile(r"`[^`]*`")
_ASIDE = re.compile(r"\s+\((?:[^()]|\([^()]*\))*\)")
"""A parenthesised note after a space: ``(mm/list_lru.c not in view)``, ``(2 sites)``.  A call's
argument list has no space before it (``mem_cgroup_disabled()``), and code in backticks is kept."""


def change_line(title: str) -> str:
    """One line of "Changes in vN", as the author would write it: the fix's title as plain text,
    without the notes reviewkit adds for the reviewer (what it could not see, how sure it is)."""
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        spans.append(m.group(0)[1:-1])
        return f"\0{len(spans) - 1}\0"

    text = _ASIDE.sub("", _CODE_SPAN.sub(keep, title))
    text = re.sub("\0(\\d+)\0", lambda m: spans[int(m.group(1))], text)
    text = " ".join(text.replace("`", "").split())
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
