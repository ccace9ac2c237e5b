"""The diffstat ``git format-patch`` writes under ``---``, column for column.

A reviewer compares the diffstat of v(N+1) with v(N) at a glance; one that
lost its bars or grew a trailing space looks hand-edited.  This follows
git's ``show_stats()`` (diff.c) with format-patch's 72-column width: the
graph gets at most 3/8 of the width, long names are cut at a directory
boundary behind ``...``, a file with no changed line has no trailing space,
and the summary line drops the insertions or deletions part when it is zero
and the other is not.  ``create mode`` / ``delete mode`` lines follow, as git
writes them.  Tests compare it with real ``git format-patch`` output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAIL_WIDTH = 72
"""git's MAIL_DEFAULT_WRAP: format-patch's --stat width."""

_DIFF_RE = re.compile(r"^diff --git a/(\S+) b/(\S+)$")
_MODE_RE = re.compile(r"^(new|deleted) file mode (\d+)$")


@dataclass
class FileStat:
    path: str
    added: int = 0
    deleted: int = 0
    mode_line: str = ""
    """`` create mode 100644 path`` / `` delete mode ...``, or empty."""


def file_stats(diff_text: str) -> list[FileStat]:
    """Per-file counts of a unified git diff, in the order of the diff."""
    out: list[FileStat] = []
    in_hunk = False
    old_left = new_left = 0
    for line in diff_text.split("\n"):
        m = _DIFF_RE.match(line)
        if m:
            out.append(FileStat(m.group(2)))
            in_hunk = False
            continue
        if not out:
            continue
        cur = out[-1]
        if not in_hunk or (old_left <= 0 and new_left <= 0):
            in_hunk = False
            mm = _MODE_RE.match(line)
            if mm:
                verb = "create" if mm.group(1) == "new" else "delete"
                cur.mode_line = f" {verb} mode {mm.group(2)} {cur.path}"
            h = re.match(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@", line)
            if h:
                in_hunk = True
                old_left = int(h.group(1) if h.group(1) is not None else 1)
                new_left = int(h.group(2) if h.group(2) is not None else 1)
            continue
        if line.startswith("+"):
            cur.added += 1
            new_left -= 1
        elif line.startswith("-"):
            cur.deleted += 1
            old_left -= 1
        elif line.startswith(" ") or line == "":
            old_left -= 1
            new_left -= 1
        # "\ No newline at end of file" counts for neither side
    return out


def _scale(it: int, width: int, max_change: int) -> int:
    return 0 if not it else 1 + (it * (width - 1) // max_change)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def diffstat(diff_text: str, width: int = MAIL_WIDTH) -> str:
    """The ``--stat`` block git writes for ``diff_text`` (empty for a diff with no file)."""
    stats = file_stats(diff_text)
    if not stats:
        return ""
    max_len = max(len(s.path) for s in stats)
    max_change = max(s.added + s.deleted for s in stats)
    number_width = len(str(max_change))
    width = max(width, 16 + 6 + number_width)
    graph_width = max_change
    name_width = max_len
    if name_width + number_width + 6 + graph_width > width:
        if graph_width > width * 3 // 8 - number_width - 6:
            graph_width = max(width * 3 // 8 - number_width - 6, 6)
        if name_width > width - number_width - 6 - graph_width:
            name_width = width - number_width - 6 - graph_width
        else:
            graph_width = width - number_width - 6 - name_width
    rows = []
    for s in stats:
        name, prefix, room = s.path, "", name_width
        if len(name) > name_width:
            prefix = "..."
            room = max(name_width - 3, 0)
            name = name[len(name) - room :] if room else ""
            slash = name.find("/")
            if slash >= 0:
                name = name[slash:]
        pad = " " * max(room - len(name), 0)
        add, dele = s.added, s.deleted
        if graph_width <= max_change and max_change:
            total = _scale(add + dele, graph_width, max_change)
            if total < 2 and add and dele:
                total = 2
            if add < dele:
                add = _scale(add, graph_width, max_change)
                dele = total - add
            else:
                dele = _scale(dele, graph_width, max_change)
                add = total - dele
        changed = s.added + s.deleted
        rows.append(f" {prefix}{name}{pad} | {changed:>{number_width}}{' ' if changed else ''}{'+' * add}{'-' * dele}")
    ins = sum(s.added for s in stats)
    dels = sum(s.deleted for s in stats)
    summary = " " + _plural(len(stats), "file changed", "files changed")
    if ins or not dels:
        summary += ", " + _plural(ins, "insertion(+)", "insertions(+)")
    if dels or not ins:
        summary += ", " + _plural(dels, "deletion(-)", "deletions(-)")
    rows.append(summary)
    rows.extend(s.mode_line for s in stats if s.mode_line)
    return "\n".join(rows) + "\n"
