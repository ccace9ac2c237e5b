"""Where in a patch a comment that quotes no patch line belongs.

Most replies quote the lines they are about, and :mod:`reviewkit.load.thread`
maps those quotes back.  The replies that matter most often do not: a crash
report pastes a call trace, a maintainer answers the report, a reviewer
gives an Acked-by under the whole changelog.  This module supplies the two
facts that place them:

- :func:`function_at`: the function a post-image line of the patch is in
  (a definition line the hunk shows, else the hunk header's function);
- :func:`place_by_names`: for a text naming functions (``foo()``,
  ``foo+0x52/0x1d0`` in a trace), the patch line that best stands for
  them: the first named function (in the order the text names them, i.e.
  innermost trace frame first) that the patch changes code in, on the
  changed line that calls the frame named just before it, if any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewkit.load.series import Patch

_DEF_RE = re.compile(r"^(?!\s)(?!#)(?!.*;\s*$)[A-Za-z_][\w\s\*,()]*?\b([A-Za-z_]\w*)\s*\(")
_SECTION_RE = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_NAME_RE = re.compile(r"\b([A-Za-z_]\w{2,})(?:\(\)|\+0x[0-9a-f]+/0x[0-9a-f]+|\(\w)")
_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined", "do"}


@dataclass(frozen=True)
class PatchLine:
    file: str
    line: int
    """Post-image line (for a removed line: the line that follows it)."""
    text: str
    changed: bool
    function: str | None


def _path(pf: object) -> str:
    name = pf.source_file if pf.is_removed_file else pf.target_file  # type: ignore[attr-defined]
    return name[2:] if name.startswith(("a/", "b/")) else name


def _section_function(header: str) -> str | None:
    names = [n for n in _SECTION_RE.findall(header or "") if n not in _KEYWORDS]
    return names[-1] if names else None


def patch_code_lines(patch: Patch) -> list[PatchLine]:
    """Every diff line of the patch with the function it is in."""
    out: list[PatchLine] = []
    for pf in patch.patchset:
        if pf.is_binary_file:
            continue
        path = _path(pf)
        for hunk in pf:
            current = _section_function(hunk.section_header)
            rows = list(hunk)
            for i, dl in enumerate(rows):
                text = dl.value.rstrip("\n")
                if dl.line_type in ("+", " "):
                    m = _DEF_RE.match(text)
                    if m and m.group(1) not in _KEYWORDS:
                        current = m.group(1)
                    line = dl.target_line_no or 0
                elif dl.line_type == "-":
                    line = next((r.target_line_no for r in rows[i:] if r.target_line_no), 0) or 0
                else:
                    continue
                out.append(PatchLine(path, line, text, dl.line_type != " ", current))
    return out


def function_at(patch: Patch, file: str, line: int) -> str | None:
    """The function post-image ``line`` of ``file`` is in, as far as the patch shows it."""
    best = None
    for pl in patch_code_lines(patch):
        if pl.file == file and pl.line <= line:
            best = pl.function
    return best


def named_functions(text: str) -> list[str]:
    """Function names a text mentions (``foo()``, ``foo+0x1/0x2``, ``foo(arg``), first mention first."""
    seen: list[str] = []
    for m in _NAME_RE.finditer(text):
        name = m.group(1)
        if name not in _KEYWORDS and name not in seen:
            seen.append(name)
    return seen


def place_by_names(patch: Patch, names: list[str]) -> PatchLine | None:
    """The changed patch line that stands for the first of ``names`` the patch changes code in."""
    lines = [pl for pl in patch_code_lines(patch) if pl.changed]
    for i, name in enumerate(names):
        inside = [pl for pl in lines if pl.function == name]
        if not inside:
            continue
        callee = names[i - 1] if i else None
        if callee is not None:
            call = re.compile(rf"\b{re.escape(callee)}\s*\(")
            calling = [pl for pl in inside if call.search(pl.text)]
            if calling:
                return calling[0]
        return inside[0]
    return None
