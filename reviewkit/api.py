"""The one public surface rule modules import.

Rules depend on this module only (a test enforces it), so the library can
reorganise its internals without touching rules, and no rule can reach the
CLI, the reporters or the TUI.

The core (views, parsing, findings, fix verification) is imported with this
module; the analysis engines (the flow engine and lock model, helper
synthesis, renames, the symbol index) are imported on first use of one of
their names (:func:`__getattr__`), so a command that loads only some rules
pays only for what those rules use.  ``from reviewkit.api import X`` works
the same either way.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reviewkit.cparse import parse as cparse
from reviewkit.cparse.parse import Call, Function, Node, Parsed, iter_calls, parse

# Building fixes: a Fix is edits plus an applicability level and a title; an
# edit captures the visible lines around it, so reporters never need the view.
from reviewkit.fixes.edits import edit_on_lines, edit_on_text, edit_on_view

# Fix verification: rules pass findings that carry a fix through offer(), which
# verifies each fix (applies, parses, the finding goes away) or drops it.
from reviewkit.fixes.verify import offer
from reviewkit.model import Applicability, Edit, Finding, Fix, PathStep, Severity
from reviewkit.views.context import PatchContext, ReviewContext
from reviewkit.views.source import GAP_CALL, FileView, FunctionView, Gap, Line

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and readers
    from reviewkit.flow.engine import (
        CFG,
        K_COND,
        K_ENTRY,
        K_EXIT,
        K_GAP,
        K_GOTO,
        K_LABEL,
        K_LOOP,
        K_NORETURN,
        K_RETURN,
        K_STMT,
        K_SWITCH,
        CfgNode,
        FlowPath,
        PathSet,
        RunResult,
        State,
        build_cfg,
        calls_on_path,
        paths,
        run,
        trail_steps,
    )
    from reviewkit.flow.paths import fragment_cfg
    from reviewkit.locks.analysis import Held, LockModel, LockResult, local_names, lock_key
    from reviewkit.locks.analysis import acquire_keys as lock_acquire_keys
    from reviewkit.locks.analysis import analyse as analyse_locks
    from reviewkit.locks.analysis import summarise as lock_summaries
    from reviewkit.transform import facade as transform
    from reviewkit.transform import rename, symbols

_LAZY: dict[str, tuple[str, str | None]] = {
    # the flow engine (CFG + path-sensitive states)
    "CFG": ("reviewkit.flow.engine", "CFG"),
    "K_COND": ("reviewkit.flow.engine", "K_COND"),
    "K_ENTRY": ("reviewkit.flow.engine", "K_ENTRY"),
    "K_EXIT": ("reviewkit.flow.engine", "K_EXIT"),
    "K_GAP": ("reviewkit.flow.engine", "K_GAP"),
    "K_GOTO": ("reviewkit.flow.engine", "K_GOTO"),
    "K_LABEL": ("reviewkit.flow.engine", "K_LABEL"),
    "K_LOOP": ("reviewkit.flow.engine", "K_LOOP"),
    "K_NORETURN": ("reviewkit.flow.engine", "K_NORETURN"),
    "K_RETURN": ("reviewkit.flow.engine", "K_RETURN"),
    "K_STMT": ("reviewkit.flow.engine", "K_STMT"),
    "K_SWITCH": ("reviewkit.flow.engine", "K_SWITCH"),
    "CfgNode": ("reviewkit.flow.engine", "CfgNode"),
    "FlowPath": ("reviewkit.flow.engine", "FlowPath"),
    "PathSet": ("reviewkit.flow.engine", "PathSet"),
    "RunResult": ("reviewkit.flow.engine", "RunResult"),
    "State": ("reviewkit.flow.engine", "State"),
    "build_cfg": ("reviewkit.flow.engine", "build_cfg"),
    "calls_on_path": ("reviewkit.flow.engine", "calls_on_path"),
    "paths": ("reviewkit.flow.engine", "paths"),
    "run": ("reviewkit.flow.engine", "run"),
    "trail_steps": ("reviewkit.flow.engine", "trail_steps"),
    # the lock model built on it
    "Held": ("reviewkit.locks.analysis", "Held"),
    "LockModel": ("reviewkit.locks.analysis", "LockModel"),
    "LockResult": ("reviewkit.locks.analysis", "LockResult"),
    "local_names": ("reviewkit.locks.analysis", "local_names"),
    "lock_key": ("reviewkit.locks.analysis", "lock_key"),
    "lock_acquire_keys": ("reviewkit.locks.analysis", "acquire_keys"),
    "analyse_locks": ("reviewkit.locks.analysis", "analyse"),
    "lock_summaries": ("reviewkit.locks.analysis", "summarise"),
    # path rules in fragment mode: a CFG whose blocks opened by unseen code may be skipped
    "fragment_cfg": ("reviewkit.flow.paths", "fragment_cfg"),
    # helper synthesis (helper-extraction): statement shapes, scopes, helper text
    "transform": ("reviewkit.transform.facade", None),
    # naming and changelog rules: the local-variable rename transform (short-identifier)
    # and the symbol index of a --tree (changelog-symbol)
    "rename": ("reviewkit.transform.rename", None),
    "symbols": ("reviewkit.transform.symbols", None),
}
"""Lazily re-exported names: name -> (module, attribute; None for the module itself)."""

__all__ = [
    "CFG",
    "GAP_CALL",
    "K_COND",
    "K_ENTRY",
    "K_EXIT",
    "K_GAP",
    "K_GOTO",
    "K_LABEL",
    "K_LOOP",
    "K_NORETURN",
    "K_RETURN",
    "K_STMT",
    "K_SWITCH",
    "Applicability",
    "Call",
    "CfgNode",
    "Edit",
    "FileView",
    "Finding",
    "Fix",
    "FlowPath",
    "Function",
    "FunctionView",
    "Gap",
    "Held",
    "Line",
    "LockModel",
    "LockResult",
    "Node",
    "Parsed",
    "PatchContext",
    "PathSet",
    "PathStep",
    "ReviewContext",
    "RunResult",
    "Severity",
    "State",
    "analyse_locks",
    "build_cfg",
    "calls_on_path",
    "cparse",
    "edit_on_lines",
    "edit_on_text",
    "edit_on_view",
    "fragment_cfg",
    "iter_calls",
    "local_names",
    "lock_acquire_keys",
    "lock_key",
    "lock_summaries",
    "offer",
    "parse",
    "paths",
    "rename",
    "run",
    "symbols",
    "trail_steps",
    "transform",
]


def __getattr__(name: str) -> Any:
    """Import a lazily re-exported name on first use and keep it as a module attribute."""
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(target[0])
    value = module if target[1] is None else getattr(module, target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
