"""The ``reviewkit`` command: subcommands are modules in ``reviewkit.commands``.

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``; adding a command touches nothing here.  Every
error a user can cause ends as one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Callable
from types import ModuleType

from reviewkit import __version__
from reviewkit.errors import InputError, UsageError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _commands() -> list[ModuleType]:
    import reviewkit.commands as pkg

    mods = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            if hasattr(mod, "NAME") and hasattr(mod, "run"):
                mods.append(mod)
    order = {"check": 0, "tui": 1, "scan": 2}
    return sorted(mods, key=lambda m: (order.get(m.NAME, 9), m.NAME))


def did_you_mean(word: str, choices: list[str]) -> str:
    """`` (did you mean 'check'?)`` when one of ``choices`` is close to ``word``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=2, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit 2.

    The CLI prints ``reviewkit: error: ``; a message only names the
    command when it is a command's (``check: argument --fail-on: ...``).
    """

    late_epilog: Callable[[], str] | None = None
    """Makes the epilog when help is shown: ``tui``'s key table lives in reviewkit.tui, which a
    ``check`` (that builds every command's parser) must not import."""

    def epilog_text(self) -> str | None:
        if self.late_epilog is not None and self.epilog is None:
            self.epilog = self.late_epilog()
        return self.epilog

    def format_help(self) -> str:
        self.epilog_text()
        return super().format_help()

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith("unrecognized arguments: "):
            first = message.removeprefix("unrecognized arguments: ").split()[0]
            message += did_you_mean(first.split("=", 1)[0], self._all_options())
        command = self.prog.removeprefix("reviewkit").strip()
        raise UsageError(f"{command}: {message}" if command else message)

    def _all_options(self) -> list[str]:
        out: list[str] = []
        for action in self._actions:
            out.extend(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    out.extend(o for a in sub._actions for o in a.option_strings)
        return sorted(set(out))

    def _check_value(self, action: argparse.Action, value: object) -> None:
        if isinstance(action, argparse._SubParsersAction) and value not in (action.choices or {}):
            names = sorted(action.choices or {})
            raise UsageError(
                f"'{value}' is not a reviewkit command{did_you_mean(str(value), names)}; see 'reviewkit help'"
            )
        super()._check_value(action, value)


def build_parser() -> argparse.ArgumentParser:
    from reviewkit.commands import _terminal

    parser = _Parser(
        prog="reviewkit",
        description="Review Linux kernel C patch series like an experienced reviewer.",
        epilog="See 'reviewkit help' for the manual and 'reviewkit help COMMAND' for one command.",
    )
    parser.add_argument("--version", action="version", version=f"reviewkit {__version__}")
    _terminal.add_arguments(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.__doc__)
        p.late_epilog = getattr(mod, "epilog", None)
        if p.late_epilog is not None:  # a table: printed as written, and so is the description
            p.formatter_class = argparse.RawDescriptionHelpFormatter
        mod.add_arguments(p)
        if getattr(mod, "PAGES", False):
            _terminal.add_arguments(p)
        p.set_defaults(_run=mod.run, _pages=getattr(mod, "PAGES", False), _parser=p)
    return parser


def _run(args: argparse.Namespace) -> int:
    """Run the command, through the pager when it prints a report to a terminal (as git does)."""
    from reviewkit.commands import _terminal

    tty = _terminal.output_to_terminal(getattr(args, "output", None))
    args.to_terminal = tty
    args.terminal_width = _terminal.width() if tty else 0
    args.color_enabled = _terminal.colour_wanted(getattr(args, "color", "auto"), tty)
    paging = bool(args._pages) and _terminal.wants_pager(getattr(args, "pager", None), tty)
    with _terminal.paged(paging):
        return int(args._run(args))


def _one_line(text: str) -> str:
    """An error as the one stderr line it must be: newlines folded, control characters escaped."""
    from reviewkit.report.text import escape_controls

    return escape_controls(" ".join(text.split("\n")).strip())


def _bare_color(argv: list[str]) -> list[str]:
    """git's bare ``--color`` means ``--color=always``; only ``--color=WHEN`` takes a value."""
    out: list[str] = []
    for n, arg in enumerate(argv):
        if arg == "--":
            return out + argv[n:]
        out.append("--color=always" if arg in ("--color", "--colour") else arg)
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 clean, 1 findings, 2 errors)."""
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(_bare_color(sys.argv[1:] if argv is None else argv))
        if extra:  # the command's own parser says it, with a "did you mean" among that command's options
            getattr(args, "_parser", parser).error("unrecognized arguments: " + " ".join(extra))
        if not getattr(args, "_run", None):
            parser.print_help(sys.stderr)
            return EXIT_ERROR
        return _run(args)
    except (InputError, UsageError) as exc:
        print(f"reviewkit: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("reviewkit: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    except RecursionError:
        print("reviewkit: error: input nests too deeply to analyse", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        if os.environ.get("REVIEWKIT_DEBUG"):
            raise
        print(
            f"reviewkit: internal error: {type(exc).__name__}: {_one_line(str(exc))}"
            " (set REVIEWKIT_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR


def entry() -> None:
    """Console-script wrapper."""
    sys.exit(main())
