"""Per-line suppression in the code itself: ``/* reviewkit: ignore RULE-ID */``.

The kernel already silences its tools in comments next to the code (sparse
annotations, ``/* fall through */``, ``// NOLINT`` in clang-tidy);
a baseline file is the only other way and does not travel with the patch.
A comment on the finding's line, or alone on the line above it, silences
that rule's finding there::

    spin_lock(&q->lock);	/* reviewkit: ignore lock-balance */

    /* reviewkit: ignore lock-balance -- released by the caller */
    spin_lock(&q->lock);

Several ids may be given, separated by commas or spaces; after ``--`` (or
a ``:``) comes the reason, for the reader.  Only code counts: the comment
must be on a line of the post-image (added or unchanged), never in a
commit message or a removed line, so a series cannot silence what it
deletes.  A comment naming an id no rule has is a note ("did you mean"),
never a silent no-op.  Suppressed findings are counted in the JSON
report's ``stats.suppressed`` (and listed in ``stats.suppressions``).

``reviewkit scan`` (whole files, no patch: every line is code after the
change) honours the same comments through :func:`apply_to_files`; it reads
only the files that have findings, so an unknown id is noted there, where
it failed to silence one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from reviewkit.model import Finding
from reviewkit.views.context import ReviewContext
from reviewkit.views.source import FileView

_COMMENT_RE = re.compile(r"(?:/\*+|//+)\s*reviewkit:\s*ignore\b(?P<rest>[^\n]*)")
_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")


def ids_in(text: str) -> list[str]:
    """The rule ids a ``reviewkit: ignore`` comment on this line names (empty when there is none)."""
    m = _COMMENT_RE.search(text)
    if m is None:
        return []
    rest = m.group("rest").split("*/", 1)[0]
    rest = re.split(r"\s--\s|\s--$|:", rest, maxsplit=1)[0]
    return [tok for tok in re.split(r"[\s,]+", rest.strip()) if _ID_RE.fullmatch(tok)]


def _only_comment(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith(("/*", "//")) and (stripped.endswith("*/") or stripped.startswith("//"))


def _file_views(ctx: ReviewContext) -> dict[tuple[str, int | None], FileView]:
    """The view a finding's line is read from, by (file, patch position); None: the file's first view.

    One pass over the files for all findings: a scan per finding is
    quadratic in a long series (every finding times every patch).
    """
    index: dict[tuple[str, int | None], FileView] = {}
    for pc, fv in ctx.files():
        index.setdefault((fv.path, None), fv)
        if pc.patch is not None:
            index.setdefault((fv.path, pc.patch.position), fv)
    return index


def silenced(fv: FileView, f: Finding) -> bool:
    """A comment on ``f``'s post-image line, or a comment line right above it, names ``f.rule``."""
    return silenced_by(fv.line_text, f)


def silenced_by(line_text: Callable[[int], str | None], f: Finding) -> bool:
    """:func:`silenced` over any source of lines (1-based ``line_text``, None past the end)."""
    here = line_text(f.line) or ""
    if f.rule in ids_in(here):
        return True
    above = line_text(f.line - 1) if f.line > 1 else None
    return above is not None and _only_comment(above) and f.rule in ids_in(above)


def how_to(rule_id: str) -> str:
    """The explain text telling how to silence ``rule_id`` on one line."""
    return (
        "## Silencing it on one line\n\n"
        f"A comment on the line, or alone on the line above it, silences this rule there: "
        f"`/* reviewkit: ignore {rule_id} */` (or `// reviewkit: ignore {rule_id}`), "
        f"a reason may follow `--`. Only comments in the code after the patch count; "
        f"the JSON report counts suppressed findings in `stats.suppressed`."
    )


def _unknown(path: str, lines: Iterable[tuple[int, str]], known: set[str]) -> list[str]:
    notes = []
    for number, text in lines:
        for rid in ids_in(text):
            if rid not in known:
                close = difflib.get_close_matches(rid, sorted(known), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                notes.append(f"{path}:{number}: 'reviewkit: ignore {rid}': no such rule{hint}")
    return notes


def _unknown_notes(ctx: ReviewContext, known: set[str]) -> list[str]:
    notes = []
    for _pc, fv in ctx.files():
        notes.extend(_unknown(fv.path, ((ln.number, ln.text) for ln in fv.post), known))
    return notes


def apply(
    ctx: ReviewContext,
    findings: Iterable[Finding],
    known: set[str],
    warn: Callable[[str], Any] | None = None,
) -> tuple[list[Finding], dict[str, Any]]:
    """The findings no comment silences, and the stats (``suppressed``, ``suppressions``) of those it does."""
    kept: list[Finding] = []
    gone: list[dict[str, Any]] = []
    views = _file_views(ctx)
    for f in findings:
        fv = views.get((f.file, f.patch))
        if fv is not None and silenced(fv, f):
            gone.append(_record(f))
        else:
            kept.append(f)
    return kept, _stats(gone, _unknown_notes(ctx, known), warn)


def _record(f: Finding) -> dict[str, Any]:
    """What the report keeps of a silenced finding (stats.suppressions)."""
    return {"rule": f.rule, "file": f.file, "line": f.line, "fingerprint": f.fingerprint}


def _stats(gone: list[dict[str, Any]], notes: list[str], warn: Callable[[str], Any] | None) -> dict[str, Any]:
    """The stats both :func:`apply` and :func:`apply_to_files` report; unknown-id notes go to ``warn``."""
    if warn is not None:
        for note in notes:
            warn(note)
    stats: dict[str, Any] = {"suppressed": len(gone), "suppressions": gone}
    if notes:
        stats["suppress_unknown"] = notes
    return stats


def apply_to_files(
    findings: Iterable[Finding],
    known: set[str],
    warn: Callable[[str], Any] | None = None,
    read: Callable[[str], str | None] | None = None,
) -> tuple[list[Finding], dict[str, Any]]:
    """:func:`apply` for findings on whole files (``scan``): each file (``read``, default: from disk)
    read once; the same stats.  An unreadable file silences nothing."""
    read = read or _read
    lines: dict[str, list[str] | None] = {}
    kept: list[Finding] = []
    gone: list[dict[str, Any]] = []
    notes: list[str] = []
    for f in findings:
        if f.file not in lines:
            text = read(f.file)
            lines[f.file] = None if text is None else text.split("\n")
            if lines[f.file] is not None:
                notes.extend(_unknown(f.file, enumerate(lines[f.file] or [], 1), known))
        rows = lines[f.file]

        def line_text(number: int, rows: list[str] | None = rows) -> str | None:
            return rows[number - 1] if rows is not None and 0 < number <= len(rows) else None

        if rows is not None and silenced_by(line_text, f):
            gone.append(_record(f))
        else:
            kept.append(f)
    return kept, _stats(gone, notes, warn)


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text("utf-8", "surrogateescape")
    except OSError:
        return None
