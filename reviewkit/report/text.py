"""``--format text`` (default): what a reviewer would write, line by line.

``FILE:LINE: SEVERITY: [rule] message`` first (the form editors and
checkpatch users already parse), then the patch, the code with its line
numbers, the path that goes wrong, and the suggested diff.  ``--terse``:
the first line of each finding only.  Every piece of patch text is escaped
before it is painted (``--color``), so the terminal sees only our colours.
"""

from __future__ import annotations

import re

from reviewkit.model import Applicability, Finding, function_phrase
from reviewkit.report import Result, plural
from reviewkit.report.colour import Palette, palette

FORMAT = "text"
TERSE = True
"""Honours ``--terse``: one line per finding."""

_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""C0/C1 controls but tab and newline, bidi overrides (Trojan Source) and the lone surrogates of undecodable bytes."""


def _escaped(m: re.Match[str]) -> str:
    ch = m.group()
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape kept
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` safe for a terminal: a patch's ESC sequences (hidden text, line erasure,
    OSC 52 clipboard writes) and bidi overrides are shown as ``\\x1b``-style escapes, never sent raw.
    """
    return _CONTROL_RE.sub(_escaped, text)


def headline(f: Finding, pal: Palette | None = None) -> str:
    """``FILE:LINE: SEVERITY: [rule] message`` on one line, escaped, painted when ``pal`` says so."""
    pal = pal or Palette(False)
    message = escape_controls(" ".join(f.message.split()))
    return (
        f"{pal.paint('where', escape_controls(f'{f.file}:{f.line}:'))} "
        f"{pal.severity(f.severity.value, f.severity.value + ':')} "
        f"{pal.paint('rule', f'[{f.rule}]')} {message}"
    )


def _block(f: Finding, result: Result, pal: Palette) -> list[str]:
    out = [headline(f, pal)]
    where = []
    if f.patch is not None:
        total = result.series.total if result.series else 0
        where.append(f'patch {f.patch_index}/{total} "{f.patch_subject}"' if total else f'"{f.patch_subject}"')
    if f.function:
        where.append(f"in {function_phrase(f.function)}")
    if f.patch_line and result.series is not None:
        where.append(f"({result.input_name(f)}:{f.patch_line})")
    if where:
        out.append("  " + escape_controls(" ".join(where)))
    shown = f.snippet.split("\n") if (f.snippet or f.patch is not None) else []
    for n, text in enumerate(shown, f.line):
        out.append(f"  {pal.paint('note', f'{n:>6} |')} {escape_controls(text.expandtabs(8))}")
    for step in f.path:
        out.append(f"  {pal.paint('note', f'{step.line:>6}:')} {escape_controls(step.note)}")
    if f.fix is not None and not result.options.get("no_fix"):
        label = "suggested fix" + (
            "" if f.fix.verified or f.fix.applicability is Applicability.DISPLAY else " (unverified)"
        )
        out.append(f"  {label}: {escape_controls(f.fix.title)}")
        out.extend("    " + pal.diff_line(escape_controls(line)) for line in f.fix.diff.rstrip("\n").split("\n"))
    return out


def summary(result: Result) -> str:
    """``reviewkit: 1 patch, 9 files: 1 error, 3 warnings, 9 infos`` (counts in the plural they need)."""
    c = result.counts()
    n_patches = len(result.series.patches) if result.series else 0
    files = int(result.stats.get("files", 0))
    counts = ", ".join(plural(c[k], k) for k in ("error", "warning", "info"))
    line = f"reviewkit: {plural(n_patches, 'patch', 'es')}, {plural(files, 'file')}: {counts}"
    suppressed = int(result.stats.get("suppressed", 0))
    return line + (f" ({suppressed} suppressed by comments)" if suppressed else "")


def render(result: Result) -> str:
    pal = palette(result.options)
    if result.options.get("terse"):
        return "".join(headline(f, pal) + "\n" for f in result.findings)
    lines: list[str] = []
    for f in result.findings:
        lines.extend(_block(f, result, pal))
        lines.append("")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"
