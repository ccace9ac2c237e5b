"""Screens built before their key is pressed: composed, styled and laid out while the session is idle.

A new Screen pushed on a key is composed, the CSS applied to each of its
widgets, then laid out three times in that key's frames: when it is shown;
again for the Resize event that first layout sends the screen itself (which
lays out the screen under it once more, at the size it already has); and
again when its text's scrollbar appears.  The help, explain and reply
screens are therefore built once, after the first paint, laid out at the
terminal's size while nothing else happens, and kept (installed, so that
popping them does not remove them): their key fills in what they show and
pushes them, and the push is one frame.

Mounting and laying out a screen that is not on the stack lean on two of
Textual's private methods (``App._register``, ``Screen._refresh_layout``);
without them (another Textual release) the screens are simply composed and
laid out when first pushed, as Textual does on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widget import AwaitMount

if TYPE_CHECKING:
    _ScreenMixin = Screen[Any]
else:
    _ScreenMixin = object


def private_hooks_present() -> bool:
    """Textual's private methods this module uses are there (tests/test_tui.py checks it)."""
    return callable(getattr(App, "_register", None)) and callable(getattr(Screen, "_refresh_layout", None))


class SteadyScreen(_ScreenMixin):
    """Mixed into a screen (before Screen): a Resize to the size the screen already has is ignored.

    The first layout of a screen sends the screen a Resize to the size that layout gave it, and
    Textual's handler lays the screen out again, and the screens under it too, though nothing
    changed size; a real resize of the terminal comes with a new size and is handled as usual."""

    async def _on_resize(self, event: events.Resize) -> None:
        breakpoints = (
            self.HORIZONTAL_BREAKPOINTS
            or self.VERTICAL_BREAKPOINTS
            or self.app.HORIZONTAL_BREAKPOINTS
            or self.app.VERTICAL_BREAKPOINTS
        )
        if event.size == self.outer_size and not breakpoints:
            event.stop()
            event.prevent_default()


async def prebuild(app: App[Any], screen: Screen[Any], name: str) -> bool:
    """Mount ``screen``, lay it out now, off the stack (the screen shown and its keys are not
    touched), and install it as ``name``; False, and nothing done, without Textual's private hooks
    (the app then pushes a new screen on each key, as before)."""
    if not private_hooks_present() or screen.is_running or app.is_screen_installed(name):
        return False
    widgets = app._register(app, screen)
    await AwaitMount(screen, widgets)
    app.install_screen(screen, name)
    lay_out(app, screen)
    return True


def lay_out(app: App[Any], screen: Screen[Any], rounds: int = 3) -> None:
    """Lay ``screen`` out at the terminal's size if it is mounted, not shown and not laid out at that
    size yet, or asked for a layout (its content changed size, a scrollbar came): its push then only
    draws it.  A layout can ask for another (the scrollbar it showed), so this looks again after
    the screen has handled what the layout sent it, ``rounds`` times at most."""
    if (
        private_hooks_present()
        and screen.is_attached
        and screen is not app.screen
        and screen not in app.screen_stack
        and (screen.outer_size != app.size or screen._layout_required)
    ):
        screen._layout_required = False
        screen._refresh_layout(app.size)
        if rounds > 1:
            screen.call_after_refresh(lay_out, app, screen, rounds - 1)


def hides_below(app: App[Any]) -> bool:
    """The screen on top hides every screen under it (a screen fills the terminal; this one has an
    opaque background): Textual still counts the screens under it as visible, so each push made the
    screen under it (refreshed as it was covered) ask the new one to draw itself a second time, and
    every change under a modal was laid out and drawn for nothing."""
    try:
        screen = app.screen
    except Exception:  # no screen yet (ScreenStackError)
        return False
    return len(app.screen_stack) > 1 and screen.styles.background.a == 1 and screen.styles.opacity == 1
