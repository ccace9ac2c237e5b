"""Errors that reach the user as one line on stderr and exit status 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: not a patch, undecodable, truncated, missing.

    The message is the whole user-facing line (``where: what is wrong``); the
    CLI prints it as ``reviewkit: error: <message>`` and exits 2, never with a
    traceback.
    """


class UsageError(Exception):
    """Bad command line or configuration; also exit 2."""
