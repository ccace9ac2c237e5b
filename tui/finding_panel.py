"""The selected finding: where, why in one line, the path, and the suggested diff."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from rich.console import Group, RenderableType
from rich.text import Text

from reviewkit.model import Finding, function_phrase

from .diff_view import SEVERITY_COLOUR
from .fix_preview import after_lines
from .rendered import RenderedText

_DIFF_STYLE = {"+": "#7ee787", "-": "#ff7b72", "@": "#56b6c2"}


def diff_text(diff: str) -> Text:
    """A unified diff, coloured by line kind (tabs expanded)."""
    out = Text(no_wrap=True)
    for line in diff.rstrip("\n").split("\n"):
        style = "bold" if line.startswith(("---", "+++")) else _DIFF_STYLE.get(line[:1], "")
        out.append(line.expandtabs(8) + "\n", style)
    out.rstrip()
    return out


def after_text(diff: str) -> Text:
    """The resulting code: the fix's context and added lines, without the diff markers."""
    out = Text(no_wrap=True)
    for sign, line in after_lines(diff):
        out.append(line.expandtabs(8) + "\n", "#7ee787" if sign == "+" else "")
    out.rstrip()
    return out


def inline_code(text: str) -> Text:
    """A message with its Markdown ``code`` spans drawn as code, not as backticks."""
    out = Text()
    for n, part in enumerate(text.split("`")):
        out.append(part, _CODE if n % 2 else "")
    return out


_CODE = "#56b6c2"


def describe(finding: Finding, status: str) -> RenderableType:
    colour = SEVERITY_COLOUR[finding.severity]
    where = f"{finding.file}:{finding.line}" + (f" in {function_phrase(finding.function)}" if finding.function else "")
    parts: list[RenderableType] = [
        Text.assemble(
            (f"{finding.severity.value} ", f"bold {colour}"),
            (f"[{finding.rule}] ", "bold"),
            (where, "#6b7280"),
            (f"  {status.upper()}" if status else "", "bold #7ee787" if status == "accepted" else "bold #6b7280"),
        ),
        inline_code(finding.message),
    ]
    if finding.path:
        parts.append(Text("path:", "bold"))
        parts.extend(Text.assemble(f"  {step.line:>6}: ", inline_code(step.note)) for step in finding.path)
    if finding.fix is not None:
        verified = "verified" if finding.fix.verified else "unverified"
        safety = f"  ({finding.fix.safety}, {verified})"
        parts.append(Text.assemble(("suggested fix: ", "bold"), inline_code(finding.fix.title), (safety, "#6b7280")))
        parts.append(diff_text(finding.fix.diff))
        if status == "accepted":
            parts.append(Text("accepted: the code after the fix:", "bold #7ee787"))
            parts.append(after_text(finding.fix.diff))
        parts.append(Text("y accept · z dismiss · u undo · i explain · m in/out of the reply", "#6b7280"))
    else:
        parts.append(Text("no suggested fix · z dismiss · i explain · m in/out of the reply", "#6b7280"))
    return Group(*parts)


class _Same:
    """A finding as a cache key, by identity: a Finding is a mutable dataclass, so not hashable.  The
    key keeps the finding alive while its rendering is kept, so its id is never another's."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


class FindingPanel(RenderedText):
    """Details of the finding under the table cursor.

    Drawn line by line from a rendering kept per finding and width (:class:`.rendered.RenderedText`).
    It was a Static in a VerticalScroll: every new finding gave the text a new height, which is a
    layout of the whole screen, so ``j`` in the findings table cost 80-140 ms at 160x48
    (bench/RESULTS.md, session 40).  The panel's size is the screen's (``2fr``), so a new text only
    changes its scrollbar."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(("idle",), lambda: Text("No finding selected.", "#6b7280"), id=id)

    def _update(self, key: Hashable, make: Callable[[], RenderableType]) -> None:
        self.set_content(key, make)

    def plain(self) -> str:
        """What the panel shows, as plain text (at its width, or 60 columns before the first layout)."""
        return "\n".join(
            "".join(seg.text for seg in line) for line in self.lines_at(self._width if self._width > 0 else 60)
        )

    def note(self, text: str) -> None:
        self._update(("note", text), lambda: Text(text, "#6b7280"))

    def checking(self) -> None:
        """While the check runs: say so, never "No findings"."""
        self._update(("checking",), lambda: Text("Checking the series…", "#6b7280"))

    def show(self, finding: Finding | None, status: str = "") -> None:
        if finding is None:
            self._update(("none",), lambda: Text("No findings in this patch.", "#6b7280"))
        else:
            self._update(("finding", _Same(finding), status), lambda: describe(finding, status))
