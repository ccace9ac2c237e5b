"""Show the manual, a command's page or a topic (formats, suppress, colour, exit-status, environment).

``reviewkit help`` is the man page's text: rendered on a terminal (and
paged), Markdown into a pipe.  ``reviewkit help --man`` prints the man(7)
source that ``docs/reviewkit.1`` is made from (``man -l docs/reviewkit.1``).
"""

from __future__ import annotations

import argparse
import sys

NAME = "help"
HELP = "show the manual, or one command's or topic's part of it"
PAGES = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("topic", nargs="?", help="a command (check) or a topic (formats, suppress, colour, exit-status)")
    p.add_argument("--man", action="store_true", help="print the man page source (roff) instead")


def run(args: argparse.Namespace) -> int:
    from reviewkit.commands import _manual
    from reviewkit.commands._markdown import normalise, show
    from reviewkit.errors import UsageError

    if args.topic is None:
        text = _manual.manual()
    else:
        found = _manual.topic(args.topic)
        if found is None:
            from reviewkit.cli import did_you_mean

            hint = did_you_mean(args.topic, _manual.topic_names()) or f" (one of: {', '.join(_manual.topic_names())})"
            raise UsageError(f"help: no topic {args.topic!r}{hint}")
        text = found
    if args.man:
        sys.stdout.write(_manual.to_roff(normalise(text)))
    else:
        show(text, args)
    return 0
