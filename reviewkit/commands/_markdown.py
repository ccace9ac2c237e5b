"""Markdown for the terminal: ``explain`` and ``help`` print the same text, rendered only for a person.

On a terminal (or with ``--color=always``) the text goes through rich's
Markdown renderer (rich comes with textual; imported here, on demand, so
``check`` never loads it).  Into a pipe or a file the Markdown source is
printed as it is: greppable, diffable, and what ``rules --format json``
and the README carry.  Rule docstrings sometimes use RST's double
backticks; both forms print as one inline code span.
"""

from __future__ import annotations

import argparse
import sys

from reviewkit.report.explain import normalise

__all__ = ["normalise", "show", "wants_rendering"]


def wants_rendering(args: argparse.Namespace) -> bool:
    """Render for a person: output is a terminal (or colour forced); never into a pipe unasked."""
    return bool(getattr(args, "to_terminal", False) or getattr(args, "color_enabled", False))


def show(text: str, args: argparse.Namespace) -> None:
    """Print ``text`` (Markdown) to stdout: rendered for a terminal, as source otherwise."""
    text = normalise(text).strip() + "\n"
    if not wants_rendering(args):
        sys.stdout.write(text)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    colour = bool(getattr(args, "color_enabled", False))
    width = int(getattr(args, "terminal_width", 0) or 100)
    console = Console(
        file=sys.stdout,
        force_terminal=colour,
        color_system="standard" if colour else None,
        width=min(width, 100),
        highlight=False,
        emoji=False,
    )
    console.print(Markdown(text, code_theme="ansi_dark", hyperlinks=False))
