"""``--format text`` (default): what a reviewer would write, line by line.

``FILE:LINE: SEVERITY: [rule] message`` first (the form editors and
checkpatch users already parse), then the patch, the code with its line
numbers, the path that goes wrong, and the suggested diff.
"""

from __future__ import annotations

import re

from reviewkit.model import Applicability, Finding
from reviewkit.report import Result

FORMAT = "text"

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


def _block(f: Finding, result: Result) -> list[str]:
    out = [f"{f.file}:{f.line}: {f.severity.value}: [{f.rule}] {f.message}"]
    where = []
    if f.patch is not None:
        total = result.series.total if result.series else 0
        where.append(f'patch {f.patch_index}/{total} "{f.patch_subject}"' if total else f'"{f.patch_subject}"')
    if f.function:
        where.append(f"in {f.function}()")
    if f.patch_line and result.series is not None:
        where.append(f"({result.series.source}:{f.patch_line})")
    if where:
        out.append("  " + " ".join(where))
    shown = f.snippet.split("\n") if (f.snippet or f.patch is not None) else []
    for n, text in enumerate(shown, f.line):
        out.append(f"  {n:>6} | {text.expandtabs(8)}")
    for step in f.path:
        out.append(f"  {step.line:>6}: {step.note}")
    if f.fix is not None and not result.options.get("no_fix"):
        label = "suggested fix" + (
            "" if f.fix.verified or f.fix.applicability is Applicability.DISPLAY else " (unverified)"
        )
        out.append(f"  {label}: {f.fix.title}")
        out.extend("    " + line for line in f.fix.diff.rstrip("\n").split("\n"))
    return out


def render(result: Result) -> str:
    lines: list[str] = []
    for f in result.findings:
        lines.extend(_block(f, result))
        lines.append("")
    c = result.counts()
    n_patches = len(result.series.patches) if result.series else 0
    files = result.stats.get("files", 0)
    plural = "es" if n_patches != 1 else ""
    lines.append(
        f"reviewkit: {n_patches} patch{plural}, {files} files: "
        f"{c['error']} errors, {c['warning']} warnings, {c['info']} infos"
    )
    return escape_controls("\n".join(lines) + "\n")
