"""Counted nouns in messages: ``1 finding``, ``3 fixes``, never ``1 finding(s)``.

In the lowest layer so that every message, from the loader's warnings to the
TUI's toasts, can say a count the way a person would (reviewkit.report
re-exports it for the reporters).
"""

from __future__ import annotations


def plural(n: int, word: str, suffix: str = "s") -> str:
    """``1 error``, ``2 errors``, ``1 patch``, ``3 patches`` (``suffix="es"``)."""
    return f"{n} {word}{suffix if n != 1 else ''}"


def noun(n: int, word: str, suffix: str = "s") -> str:
    """The noun alone, for a count said elsewhere: ``unknown rule: x``, ``unknown rules: x, y``."""
    return word + (suffix if n != 1 else "")
