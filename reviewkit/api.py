"""The one public surface rule modules import.

Rules depend on this module only (a test enforces it), so the library can
reorganise its internals without touching rules, and no rule can reach the
CLI, the reporters or the TUI.
"""

from __future__ import annotations

from reviewkit import cparse
from reviewkit.context import PatchContext, ReviewContext
from reviewkit.cparse import Call, Function, Node, Parsed, iter_calls, parse
from reviewkit.findings import Finding, Fix, PathStep, Severity
from reviewkit.source import GAP_CALL, FileView, FunctionView, Gap, Line

__all__ = [
    "GAP_CALL",
    "Call",
    "FileView",
    "Finding",
    "Fix",
    "Function",
    "FunctionView",
    "Gap",
    "Line",
    "Node",
    "Parsed",
    "PatchContext",
    "PathStep",
    "ReviewContext",
    "Severity",
    "cparse",
    "iter_calls",
    "parse",
]

# Fix verification: rules pass findings that carry a fix through offer(), which
# verifies each fix (applies, parses, the finding goes away) or drops it.
from reviewkit.verify import offer

__all__ += ["offer"]

# The flow engine (CFG + path-sensitive states) and the lock model built on it.
from reviewkit.flow import (
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
from reviewkit.flow_locks import Held, LockModel, LockResult, local_names, lock_key
from reviewkit.flow_locks import acquire_keys as lock_acquire_keys
from reviewkit.flow_locks import analyse as analyse_locks
from reviewkit.flow_locks import summarise as lock_summaries

__all__ += [
    "CFG",
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
    "CfgNode",
    "FlowPath",
    "Held",
    "LockModel",
    "LockResult",
    "PathSet",
    "RunResult",
    "State",
    "analyse_locks",
    "build_cfg",
    "calls_on_path",
    "lock_acquire_keys",
    "lock_key",
    "lock_summaries",
    "local_names",
    "paths",
    "run",
    "trail_steps",
]

# Path rules in fragment mode: a CFG whose blocks opened by unseen code may be skipped.
from reviewkit.flow_paths import fragment_cfg  # noqa: E402

__all__ += ["fragment_cfg"]

# Helper synthesis (helper-extraction): statement shapes, scopes, helper text.
from reviewkit import transform  # noqa: E402

__all__ += ["transform"]

# Naming and changelog rules: the local-variable rename transform (short-identifier)
# and the symbol index of a --tree (changelog-symbol).
from reviewkit import rename, symbols  # noqa: E402

__all__ += ["rename", "symbols"]
