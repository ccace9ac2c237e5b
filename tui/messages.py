"""Messages the review session's widgets post to the app (small classes, no logic)."""

from __future__ import annotations

from textual.message import Message

from reviewkit.model import Finding


class PatchChosen(Message):
    """The user picked a patch (and maybe a file of it) in the series tree."""

    def __init__(self, position: int, path: str | None = None) -> None:
        super().__init__()
        self.position = position
        self.path = path


class CommentChosen(Message):
    """The user picked a reply of the thread in the series tree."""

    def __init__(self, position: int, message_id: str) -> None:
        super().__init__()
        self.position = position
        self.message_id = message_id


class LineFocused(Message):
    """The diff cursor moved onto a line; ``findings`` are the ones reported there."""

    def __init__(self, path: str, line: int | None, findings: list[Finding]) -> None:
        super().__init__()
        self.path = path
        self.line = line
        self.findings = findings


class FindingFocused(Message):
    """The findings table's cursor moved onto a finding."""

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding
