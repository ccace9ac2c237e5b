"""Terminal colours for the text reporters, in the palette kernel tools already use.

checkpatch.pl --color paints ERROR red, WARNING yellow and CHECK green;
git paints a diff's ``+`` lines green, ``-`` lines red and ``@@`` cyan,
and compilers print ``file:line:`` in bold.  reviewkit follows them so a
screen of findings reads like those tools.  Colour is decided by the
command line (``--color``, ``NO_COLOR``, a TTY) and handed to a reporter
as ``options["color"]``; a reporter only asks a :class:`Palette` to paint.

Text is escaped (``escape_controls``) *before* it is painted: the only
escape sequences on the terminal are the ones written here.
"""

from __future__ import annotations

_SGR = {
    "error": "1;31",
    "warning": "1;33",
    "info": "1;32",
    "where": "1",
    "rule": "2",
    "add": "32",
    "del": "31",
    "hunk": "36",
    "meta": "1",
    "note": "2",
}
"""Style name -> SGR parameters (bold red, bold yellow, ...)."""

RESET = "\x1b[m"


class Palette:
    """Paints text by style name; with ``enabled`` false it returns the text unchanged."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, style: str, text: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{_SGR[style]}m{text}{RESET}"

    def severity(self, level: str, text: str) -> str:
        """``text`` in the colour of ``level`` (error, warning, info)."""
        return self.paint(level if level in ("error", "warning", "info") else "meta", text)

    def diff_line(self, text: str) -> str:
        """A raw unified-diff line coloured as ``git diff --color`` does."""
        if text.startswith(("+++ ", "--- ")):
            return self.paint("meta", text)
        if text.startswith("@@"):
            return self.paint("hunk", text)
        if text.startswith("+"):
            return self.paint("add", text)
        if text.startswith("-"):
            return self.paint("del", text)
        return text


def palette(options: dict[str, object]) -> Palette:
    """The palette a reporter's options ask for (no colour unless ``color`` is true)."""
    return Palette(bool(options.get("color")))
