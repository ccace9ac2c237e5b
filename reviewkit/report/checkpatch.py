"""``--format checkpatch``: the output kernel developers' tools already parse.

Default blocks, as ``scripts/checkpatch.pl`` prints them::

    WARNING: [whitespace-noise] blank line added next to unchanged code
    #662: FILE: mm/khugepaged.c:1084:
    +

    total: 0 errors, 1 warnings, 0 checks, 1190 lines checked

``#N`` is the line of the input (mbox/patch) when known.  Options follow
checkpatch: ``--terse`` prints only ``FILE:LINE: LEVEL: [rule] message``,
one line per finding and nothing else (the line protocol of
``b4 prep --check``: every stdout line is a finding, ``ERROR:`` fails);
``--emacs`` prefixes each first line with ``INPUT:LINE:`` of the patch
file (``FILE:LINE:`` when the input line is unknown); ``--showfile``
prefixes ``FILE:LINE:`` and drops the ``#N: FILE:`` line; ``--no-summary``
drops the total; ``-q`` drops the closing verdict sentence.  Levels map
error -> ERROR, warning -> WARNING, info -> CHECK.  "lines checked" counts
the added and context lines of the series' hunks.
"""

from __future__ import annotations

from reviewkit.model import Finding
from reviewkit.report import Result
from reviewkit.report.mailreply import diff_line_text
from reviewkit.report.text import escape_controls

FORMAT = "checkpatch"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def headline(f: Finding) -> str:
    """``LEVEL: [rule] message`` on one line, whatever the message holds."""
    return f"{f.severity.checkpatch}: [{f.rule}] {_one_line(f.message)}"


def terse_line(f: Finding) -> str:
    """The b4/checkpatch ``--terse --showfile`` line: ``FILE:LINE: LEVEL: [rule] message``."""
    return escape_controls(f"{f.file}:{f.line}: {headline(f)}")


def _input_name(result: Result) -> str:
    source = result.series.source if result.series is not None else ""
    return "-" if source in ("", "<stdin>") else source


def _prefix(f: Finding, result: Result) -> str:
    opts = result.options
    if opts.get("showfile") or (opts.get("terse") and not opts.get("emacs")):
        return f"{f.file}:{f.line}: "
    if opts.get("emacs"):
        if f.patch_line:
            return f"{_input_name(result)}:{f.patch_line}: "
        return f"{f.file}:{f.line}: "
    return ""


def _block(f: Finding, result: Result) -> list[str]:
    out = [_prefix(f, result) + headline(f)]
    if result.options.get("terse"):
        return out
    if not result.options.get("showfile"):
        here = f"#{f.patch_line}: " if f.patch_line else ""
        out.append(f"{here}FILE: {f.file}:{f.line}:")
    raw = diff_line_text(result.series, f)
    if raw is not None:
        out.append(raw)
    elif f.snippet:
        out.append("+" + f.snippet.split("\n", 1)[0])
    out.append("")
    return out


def lines_checked(result: Result) -> int:
    if result.series is None:
        return int(result.stats.get("lines", 0))
    total = 0
    for patch in result.series.patches:
        for pf in patch.patchset:
            for hunk in pf:
                total += sum(1 for dl in hunk if dl.line_type in ("+", " "))
    return total


def render(result: Result) -> str:
    lines: list[str] = []
    for f in result.findings:
        lines.extend(_block(f, result))
    opts = result.options
    if not opts.get("terse") and not opts.get("no_summary"):
        c = result.counts()
        lines.append(
            f"total: {c['error']} errors, {c['warning']} warnings, {c['info']} checks, "
            f"{lines_checked(result)} lines checked"
        )
        if not opts.get("quiet"):
            name = "Your patch" if _input_name(result) == "-" else _input_name(result)
            verdict = "has problems, please review." if result.findings else "has no obvious problems."
            lines += ["", f"{name} {verdict}"]
    return escape_controls("".join(line + "\n" for line in lines))
