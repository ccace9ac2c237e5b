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


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reviewkit",
        description="Review Linux kernel C patch series like an experienced reviewer.",
    )
    parser.add_argument("--version", action="version", version=f"reviewkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.__doc__)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _one_line(text: str) -> str:
    """An error as the one stderr line it must be: newlines folded, control characters escaped."""
    from reviewkit.report.text import escape_controls

    return escape_controls(" ".join(text.split("\n")).strip())


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 clean, 1 findings, 2 errors)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "_run", None):
            parser.print_help(sys.stderr)
            return EXIT_ERROR
        return int(args._run(args))
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
