"""``r``: the reply email to the current patch, edited in place or in $EDITOR.

The text comes from ``reviewkit.report.mailreply.build_reply`` (headers, ``Re:``
subject, In-Reply-To/References, attribution line, quoted hunks with the
comment under each).  ``ctrl+s`` writes it atomically to the path shown,
ready for ``git send-email`` or ``neomutt -H``; ``ctrl+o`` opens it in
$EDITOR with the app suspended, the way b4 hands off to an editor.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static, TextArea
from textual.widgets.text_area import Selection

from reviewkit.errors import UsageError
from reviewkit.io import write_atomic

from .keybar import KeyBar
from .prebuilt import SteadyScreen
from .relayout import QuietSize


class _Box(QuietSize, Vertical):
    """The screen's panes, sized by the screen (see :class:`.relayout.QuietSize`)."""


class _Row(QuietSize, Horizontal):
    pass


class _Title(QuietSize, Static):
    pass


class _Label(QuietSize, Label):
    pass


class ReplyScreen(SteadyScreen, Screen[Path | None]):
    """Returns the path written, or None when left without saving.

    The app keeps one, built ahead (see :mod:`.prebuilt`), and :meth:`load` gives it the reply
    of each ``r`` (ahead too, when the reply written ahead is ready): it opens as a new one would."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "save"),
        Binding("ctrl+o", "editor", "$EDITOR"),
        Binding("escape", "close", "back"),
    ]

    def __init__(self, text: str, path: Path, title: str) -> None:
        super().__init__()
        self.text = text
        self.path = path
        self.title_text = title
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        with _Box(id="reply-box"):
            yield _Title(Text.assemble(("Reply to ", "bold"), self.title_text), id="reply-title")
            with _Row(id="reply-path-row"):
                yield _Label("save to ")
                yield Input(str(self.path), id="reply-path")
            yield TextArea(
                self.text,
                id="reply-text",
                soft_wrap=False,
                show_line_numbers=False,
                tab_behavior="indent",
            )
        yield KeyBar()

    def on_mount(self) -> None:
        area = self.query_one("#reply-text", TextArea)
        area.indent_width = 8  # quoted kernel code is tab-indented
        area.focus()

    def load(self, text: str, path: Path, title: str) -> None:
        """Show ``text`` to be saved at ``path``, as a new screen would: what was typed in the last
        visit is gone, the cursor at the top, the text area focused, nothing saved yet."""
        self.saved = None
        if title != self.title_text:
            self.title_text = title
            self.query_one("#reply-title", Static).update(Text.assemble(("Reply to ", "bold"), title))
        field = self.query_one("#reply-path", Input)
        if path != self.path or field.value != str(path):
            self.path = path
            field.value = str(path)
            field.cursor_position = len(field.value)
        area = self.query_one("#reply-text", TextArea)
        if text != self.text or area.text != text:
            self.text = text
            area.load_text(text)  # its edit history goes too
        else:  # typed and undone last time: nothing to redo into this visit, as on a new screen
            area.history.clear()
        area.selection = Selection.cursor((0, 0))
        area.scroll_to(0, 0, animate=False, immediate=True)
        field.scroll_to(0, 0, animate=False, immediate=True)
        area.focus()

    @property
    def current_text(self) -> str:
        return self.query_one("#reply-text", TextArea).text

    def action_save(self) -> None:
        raw = self.query_one("#reply-path", Input).value.strip()
        if not raw:
            self.notify("give a file name to save the reply to", severity="error")
            return
        target = Path(raw).expanduser()
        text = self.current_text
        try:
            write_atomic(target, text if text.endswith("\n") else text + "\n")
        except UsageError as exc:  # write_atomic's own refusal (a directory, an input file, no such folder)
            self.notify(str(exc), severity="error")
            return
        except OSError as exc:
            self.notify(f"{target}: cannot write: {exc.strerror or exc}", severity="error")
            return
        self.saved = target
        self.notify(f"reply saved to {target}; send with: git send-email {target}", timeout=8)
        self.dismiss(target)

    def action_editor(self) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        fd, tmp = tempfile.mkstemp(prefix="reviewkit-reply-", suffix=".eml")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.current_text)
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(editor), tmp], check=False)
            except SuspendNotSupported:
                self.notify("cannot suspend here to run $EDITOR; edit in place", severity="warning")
                return
            except OSError as exc:
                self.notify(f"{editor}: {exc.strerror or exc}", severity="error")
                return
            self.query_one("#reply-text", TextArea).text = Path(tmp).read_text("utf-8", "replace")
        finally:
            Path(tmp).unlink(missing_ok=True)

    def action_close(self) -> None:
        self.dismiss(self.saved)
