"""``python -m reviewkit``."""

from reviewkit.cli import entry

entry()
