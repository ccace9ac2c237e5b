"""The kernel API model as data: every ``*.toml`` file in this folder.

Kernel knowledge (which calls acquire and release which locks, which
constructors pair with which destructors, what ``folio_put()`` implies) lives
in TOML tables, not in rule code, so users extend it from their own
configuration (``[tool.reviewkit.kernel]``) without touching reviewkit.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewkit.kernel.model import KernelModel

__all__ = ["KernelModel", "builtin_model", "load_model", "merge"]


@lru_cache(maxsize=1)
def _builtin() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            merge(merged, tomllib.loads(entry.read_text("utf-8")))
    return merged


def merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    """Tables merge recursively, lists extend, scalars override."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = into[key] + value
        else:
            into[key] = value


def load_model(extra: dict[str, Any] | None = None) -> KernelModel:
    """The built-in tables with the user's ``kernel`` configuration merged over them.

    One model per distinct configuration and process: a scan builds a context
    per file, and copying the tables and re-parsing their typed views
    (lock families, lifecycle kinds) for each file cost more than small files'
    analysis.  The model is read-only for its users, so sharing it is safe.
    """
    import json

    return _model(json.dumps(extra or {}, sort_keys=True, default=str))


@lru_cache(maxsize=8)
def _model(extra_json: str) -> KernelModel:
    import copy
    import json

    model = copy.deepcopy(_builtin())
    extra = json.loads(extra_json)
    if extra:
        merge(model, extra)
    return KernelModel(model)


@lru_cache(maxsize=1)
def builtin_model() -> KernelModel:
    """The built-in tables alone, shared: for code handed no run's model (a graph built in a test)."""
    return KernelModel(_builtin())
