"""The footer: the keys of the screen in one line of text, as Textual's Footer lays them out.

Textual's ``Footer`` is one widget per key (and per key group), recomposed
whenever the focus or the screen stack changes: on this session's screen
that was a dozen widgets mounted and styled on every Tab, every ``?`` and
every ``i``, several hundred milliseconds each on a loaded machine.  This bar
is one widget whose text is rebuilt from the screen's active bindings when
they change (a few microseconds), and a click on a key presses it.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from .relayout import QuietSize


class KeyBar(QuietSize, Widget):
    """``? help  q quit  n p patch  . , finding  ...`` and the palette key on the right."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
        .keybar--key {
            color: $footer-key-foreground;
            text-style: bold;
        }
        .keybar--description {
            color: $footer-description-foreground;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[tuple[int, int, str]] = []
        """(start column, end column, key) of each key shown, for clicks."""
        self._text: Text | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _changed(self, screen: Screen[object]) -> None:
        self._text = None
        self.refresh()

    def _shown(self) -> list[list[Binding]]:
        """The shown bindings by action (one entry per action), in the order the screen has them."""
        by_action: defaultdict[str, list[Binding]] = defaultdict(list)
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and enabled:
                by_action[binding.action].append(binding)
        return list(by_action.values())

    def build(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        text_style = self.get_component_rich_style("keybar--description", partial=True)
        out = Text(no_wrap=True, overflow="crop", end="")
        self._keys = []

        def key(binding: Binding) -> None:
            start = out.cell_len
            out.append(self.app.get_key_display(binding), key_style)
            self._keys.append((start, out.cell_len, binding.key))

        out.append(" ")
        for group, items in groupby(self._shown(), lambda bs: bs[0].group):
            actions = list(items)
            if group is not None and len(actions) > 1:
                for i, bindings in enumerate(actions):
                    out.append(" " if i else "")
                    key(bindings[0])
                out.append(f" {group.description}  ", text_style)
                continue
            for bindings in actions:
                key(bindings[0])
                out.append(f" {bindings[0].description}  ", text_style)
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            label = Text.assemble((self.app.get_key_display(palette.binding), key_style), (" palette ", text_style))
            room = self.size.width - out.cell_len - label.cell_len
            if room > 0:
                out.append(" " * room)
                start = out.cell_len
                out.append_text(label)
                self._keys.append((start, start + label.cell_len, palette.binding.key))
        return out

    def visible_keys(self) -> list[str]:
        """The keys shown whole within the bar's width, left to right."""
        self.render()
        return [key for _start, end, key in self._keys if end <= self.size.width]

    def render(self) -> Text:
        if self._text is None:
            self._text = self.build()
        return self._text

    def on_resize(self, event: events.Resize) -> None:
        self._text = None

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                self.app.simulate_key(key.split(",")[0])
                return
