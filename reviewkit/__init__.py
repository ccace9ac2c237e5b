"""reviewkit: review Linux kernel C patch series the way an experienced reviewer does."""

import os as _os

__version__ = "0.1.0"


def _source_checkout_paths() -> None:
    """Let ``reviewkit.rules``/``reviewkit.tui`` resolve in a source checkout.

    Installed, setuptools maps the top-level ``rules/`` and ``tui/`` folders
    into this package.  Imported straight from a checkout (``python -m
    reviewkit`` in the repository), they sit beside this folder instead.
    """
    root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
    marker = _os.path.join(root, "rules", "__init__.py")
    project = _os.path.join(root, "pyproject.toml")
    if _os.path.isfile(marker) and _os.path.isfile(project) and root not in __path__:
        __path__.append(root)


_source_checkout_paths()
