"""``--format text`` (default): what a reviewer would write, line by line.

``FILE:LINE: SEVERITY: [rule] message`` first (the form editors and
checkpatch users already parse), then the patch, the code with its line
numbers, the path that goes wrong, and the suggested diff.
"""

from __future__ import annotations

from reviewkit.model import Applicability, Finding
from reviewkit.report import Result

FORMAT = "text"


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
    return "\n".join(lines) + "\n"
