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
error -> ERROR, warning -> WARNING, info -> CHECK, and as in checkpatch
CHECK lines (info findings) come out only with ``--strict`` (the command
drops them before rendering, :data:`STRICT_CHECKS`); the total names
"checks" only then (or when it is handed info findings).  The total keeps checkpatch's own wording ("1 errors"):
scripts parse it.  "lines checked" counts the added and context lines of
the series' hunks.  With ``--color`` levels are painted as
``checkpatch.pl --color`` paints them.
"""

from __future__ import annotations

from reviewkit.model import Finding
from reviewkit.report import Result
from reviewkit.report.colour import Palette, palette
from reviewkit.report.mailreply import diff_line_text
from reviewkit.report.text import escape_controls

FORMAT = "checkpatch"
TERSE = True
"""Honours ``--terse``: one line per finding."""
STRICT_CHECKS = True
"""Info findings are checkpatch's CHECK: printed only with ``--strict``."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def headline(f: Finding, pal: Palette | None = None) -> str:
    """``LEVEL: [rule] message`` on one line, whatever the message holds."""
    level = f"{f.severity.checkpatch}:"
    if pal is not None:
        level = pal.severity(f.severity.value, level)
    return f"{level} [{f.rule}] {escape_controls(_one_line(f.message))}"


def terse_line(f: Finding) -> str:
    """The b4/checkpatch ``--terse --showfile`` line: ``FILE:LINE: LEVEL: [rule] message``."""
    return f"{escape_controls(f'{f.file}:{f.line}:')} {headline(f)}"


def _input_name(result: Result, f: Finding | None = None) -> str:
    source = result.series.source if result.series is not None else ""
    if f is not None:
        source = result.input_name(f)
    return "-" if source in ("", "<stdin>") else source


def _prefix(f: Finding, result: Result) -> str:
    opts = result.options
    if opts.get("showfile") or (opts.get("terse") and not opts.get("emacs")):
        where = f"{f.file}:{f.line}:"
    elif opts.get("emacs"):
        where = f"{_input_name(result, f)}:{f.patch_line}:" if f.patch_line else f"{f.file}:{f.line}:"
    else:
        return ""
    return palette(opts).paint("where", escape_controls(where)) + " "


def _block(f: Finding, result: Result) -> list[str]:
    pal = palette(result.options)
    out = [_prefix(f, result) + headline(f, pal)]
    if result.options.get("terse"):
        return out
    if not result.options.get("showfile"):
        here = f"#{f.patch_line}: " if f.patch_line else ""
        out.append(escape_controls(f"{here}FILE: {f.file}:{f.line}:"))
    raw = diff_line_text(result.series, f)
    if raw is None and f.snippet:
        raw = "+" + f.snippet.split("\n", 1)[0]
    if raw is not None:
        out.append(pal.diff_line(escape_controls(raw)))
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
        checks = f"{c['info']} checks, " if opts.get("strict") or c["info"] else ""
        lines.append(
            f"total: {c['error']} errors, {c['warning']} warnings, {checks}{lines_checked(result)} lines checked"
        )
        if not opts.get("quiet"):
            name = "Your patch" if _input_name(result) == "-" else _input_name(result)
            verdict = "has problems, please review." if result.findings else "has no obvious problems."
            lines += ["", escape_controls(f"{name} {verdict}")]
    return "".join(line + "\n" for line in lines)
