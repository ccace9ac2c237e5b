"""Colour and pager, decided the way git decides them.

Colour: ``--color=always|never|auto`` (``auto`` by default: on when stdout
is a terminal, or the pager we start is; off when ``NO_COLOR`` is set to
anything non-empty, https://no-color.org, or ``TERM=dumb``).  An explicit
``--color=always`` wins over ``NO_COLOR``, as that convention asks.

Pager: on a terminal the commands that print reports (``check``,
``explain``, ``help``, ``rules``, ...) page like git; ``--no-pager`` (or
``-P``) turns it off, ``--pager`` turns it back on.  Like git (even with
``git -p``), output to a pipe or a file is never paged.  The program is,
first match wins:

1. ``REVIEWKIT_PAGER``, then ``GIT_PAGER`` (the user's environment);
2. ``core.pager`` of the user's *global* git config only
   (``git config --global``: ``~/.gitconfig``, ``$XDG_CONFIG_HOME/git/config``);
3. ``PAGER``;
4. ``less`` with ``LESS=FRX`` when ``LESS`` is unset (git's default; ``-F``
   quits at once when the report fits the screen, ``-R`` passes colour,
   ``-X`` leaves it on the screen).

Why not the repository's ``core.pager``: git runs it because ``.git/config``
is the user's own file.  reviewkit runs where a series arrived, in any
checkout (a tarball's ``.git``, a colleague's tree), and the house rule is
that nothing named by a patch, tree or repository config is executed.  The
repository's value is therefore never read; git's own commands still use
it when git runs them.  The program is split like a shell word list
(``shlex``) and run without a shell; an empty value or ``cat`` means no
pager.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

COLOR_CHOICES = ("auto", "always", "never")


def add_arguments(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--color``, ``--pager``/``--no-pager``: on the top parser with defaults, on a command without.

    A command's parser leaves the value unset (``SUPPRESS``) so that
    ``reviewkit --no-pager check`` and ``reviewkit check --no-pager`` both work.
    """
    default: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    p.add_argument(
        "--color",
        "--colour",
        choices=COLOR_CHOICES,
        metavar="WHEN",
        help="colour the output: auto (default: on a terminal, unless NO_COLOR is set), always, never",
        **({"default": "auto"} if top else default),
    )
    p.add_argument(
        "--pager",
        dest="pager",
        action="store_const",
        const=True,
        help="page the output on a terminal (the default, as git does)",
        **({"default": None} if top else default),
    )
    p.add_argument(
        "--no-pager",
        "-P",
        dest="pager",
        action="store_const",
        const=False,
        help="do not page the output",
        **default,
    )


def colour_wanted(choice: str, tty: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to paint: ``always``/``never`` as said; ``auto`` on a terminal without NO_COLOR or TERM=dumb."""
    env = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never":
        return False
    return tty and not env.get("NO_COLOR") and env.get("TERM", "") != "dumb"


def _global_core_pager(env: dict[str, str]) -> str | None:
    """``core.pager`` from the user's global git config, never the repository's (see the module doc)."""
    from reviewkit.gitsafe import SAFE_CONFIG, safe_env

    git_env = {k: v for k, v in safe_env().items() if not k.startswith("GIT_DIR") and k != "GIT_CONFIG"}
    try:
        proc = subprocess.run(
            ["git", *SAFE_CONFIG, "config", "--global", "--get", "core.pager"],
            cwd=env.get("HOME") or "/",
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=git_env,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "replace").strip()


def pager_command(env: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]] | None:
    """The pager's argv and environment, or None for no pager (empty or ``cat``)."""
    env = dict(os.environ if env is None else env)
    value: str | None = None
    for name in ("REVIEWKIT_PAGER", "GIT_PAGER"):
        if name in env:
            value = env[name]
            break
    if value is None:
        value = _global_core_pager(env)
    if value is None:
        value = env.get("PAGER")
    if value is None:
        value = "less"
    try:
        argv = shlex.split(value)
    except ValueError:
        return None
    if not argv or argv == ["cat"]:
        return None
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    return argv, env


def wants_pager(choice: bool | None, stdout_tty: bool) -> bool:
    """git's rule: page on a terminal unless told not to; never into a pipe or a file."""
    return stdout_tty and choice is not False


@contextlib.contextmanager
def paged(enabled: bool) -> Iterator[bool]:
    """Run the body with ``sys.stdout`` (and a terminal ``sys.stderr``, as git does) going to the pager.

    Yields whether a pager is running.  A pager that cannot start is no
    error: the output goes to the terminal as it would have.  Quitting the
    pager early ends the output quietly.
    """
    found = pager_command() if enabled else None
    proc = None
    if found is not None:
        argv, env = found
        with contextlib.suppress(OSError):
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
    if proc is None or proc.stdin is None:
        yield False
        return
    saved = sys.stdout, sys.stderr
    pipe = io.TextIOWrapper(proc.stdin, encoding="utf-8", errors="surrogateescape", line_buffering=False)
    sys.stdout = pipe
    if saved[1].isatty():
        sys.stderr = pipe
    try:
        yield True
    finally:
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            pipe.flush()
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            pipe.close()
        sys.stdout, sys.stderr = saved
        with contextlib.suppress(KeyboardInterrupt):
            proc.wait()


def stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def output_to_terminal(output: str | None) -> bool:
    """Whether the report goes to the terminal: stdout is one and no ``--output`` file is given."""
    return output in (None, "-") and stdout_is_tty()


def width() -> int:
    """Columns of the terminal stdout is (read before a pager takes stdout over)."""
    import shutil

    return shutil.get_terminal_size((100, 24)).columns
