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

from reviewkit.cparse.parse import Call, Function, Node, Parsed, declarator_name, iter_calls, parse

# Fix verification is the engine's (every fix is applied, parsed and re-checked before anyone sees
# it); offer() is a pass-through kept for plugins written when rules verified their own fixes.
from reviewkit.fixes.edits import edit_on_lines, edit_on_text, edit_on_view
from reviewkit.fixes.verify import offer
from reviewkit.kernel.model import KernelModel
from reviewkit.model import Applicability, Edit, Finding, Fix, PathStep, Severity, function_phrase
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
    from reviewkit.flow.wording import taken as condition_taken
    from reviewkit.locks.analysis import Held, LockModel, LockResult, local_names, lock_key
    from reviewkit.locks.analysis import acquire_keys as lock_acquire_keys
    from reviewkit.locks.analysis import analyse as analyse_locks
    from reviewkit.locks.callees import consumed_by_callee as lock_consumed_by_callee
    from reviewkit.locks.callees import given_away as lock_given_away
    from reviewkit.locks.callees import ops_unlocked as lock_ops_unlocked
    from reviewkit.locks.callees import unknown_tail as lock_unknown_tail
    from reviewkit.locks.guards import guarded_again as lock_guarded_again
    from reviewkit.locks.guards import guarded_leak as lock_guarded_leak
    from reviewkit.locks.handback import declared as lock_declared_hand_back
    from reviewkit.locks.handback import documented as lock_documented
    from reviewkit.locks.handback import object_out as lock_object_out
    from reviewkit.locks.handback import token_out as lock_token_out
    from reviewkit.locks.handback import unpaired_callback as lock_unpaired_callback
    from reviewkit.locks.handback import value_out as lock_value_out
    from reviewkit.locks.headers import header_summaries as lock_header_summaries
    from reviewkit.locks.headers import included as lock_included
    from reviewkit.locks.headers import included_in_repo as lock_included_in_repo
    from reviewkit.locks.headers import macro_summaries as lock_macro_summaries
    from reviewkit.locks.headers import text_header_summaries as lock_text_header_summaries
    from reviewkit.locks.model import lock_label
    from reviewkit.locks.prepost_judge import review as lock_prepost
    from reviewkit.locks.siblings import sibling_summaries as lock_sibling_summaries
    from reviewkit.locks.summary import summarise as lock_summaries
    from reviewkit.transform import facade as transform
    from reviewkit.transform.facade import GlobalDecl, Param, Scope, Stmt
    from reviewkit.transform.rename import LocalDecl, choose_name, local_declarations, rename_edits, renamed_lines
    from reviewkit.transform.rename import uses as local_uses
    from reviewkit.transform.shape import share as share_shapes
    from reviewkit.transform.symbols import index as symbol_index

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
    # a branch a path took as the C condition that held (``!err``), for path steps
    "condition_taken": ("reviewkit.flow.wording", "taken"),
    # the lock model built on it
    "Held": ("reviewkit.locks.analysis", "Held"),
    "LockModel": ("reviewkit.locks.analysis", "LockModel"),
    "LockResult": ("reviewkit.locks.analysis", "LockResult"),
    "local_names": ("reviewkit.locks.analysis", "local_names"),
    "lock_key": ("reviewkit.locks.analysis", "lock_key"),
    # a lock as a message names it ("the ILOCK of `ip`" for a sub-lock key), the key staying internal
    "lock_label": ("reviewkit.locks.model", "lock_label"),
    "lock_acquire_keys": ("reviewkit.locks.analysis", "acquire_keys"),
    "analyse_locks": ("reviewkit.locks.analysis", "analyse"),
    "lock_summaries": ("reviewkit.locks.summary", "summarise"),
    # lock wrappers of the headers a file includes (cached per process)
    "lock_header_summaries": ("reviewkit.locks.headers", "header_summaries"),
    # hand-backs the function declares: a result flag, a "returns with ... held" comment, a pre_/post_ pair
    "lock_declared_hand_back": ("reviewkit.locks.handback", "declared"),
    # a comment saying the lock stays held on purpose (at the function or at the acquire)
    "lock_documented": ("reviewkit.locks.handback", "documented"),
    # the converse: a pre_ callback whose post_ partner releases nothing keeps the lock by mistake
    "lock_unpaired_callback": ("reviewkit.locks.handback", "unpaired_callback"),
    "lock_included": ("reviewkit.locks.headers", "included"),
    "lock_included_in_repo": ("reviewkit.locks.headers", "included_in_repo"),
    "lock_macro_summaries": ("reviewkit.locks.headers", "macro_summaries"),
    "lock_sibling_summaries": ("reviewkit.locks.siblings", "sibling_summaries"),
    "lock_text_header_summaries": ("reviewkit.locks.headers", "text_header_summaries"),
    "lock_token_out": ("reviewkit.locks.handback", "token_out"),
    "lock_object_out": ("reviewkit.locks.handback", "object_out"),
    # a local (saved interrupt flags) copied out through a pointer parameter: the caller's to restore
    "lock_value_out": ("reviewkit.locks.handback", "value_out"),
    # a test that stands for the lock's state (``if (rl) up_read(...)``): what it guards is not proved wrong
    "lock_guarded_leak": ("reviewkit.locks.guards", "guarded_leak"),
    "lock_guarded_again": ("reviewkit.locks.guards", "guarded_again"),
    "lock_consumed_by_callee": ("reviewkit.locks.callees", "consumed_by_callee"),
    "lock_given_away": ("reviewkit.locks.callees", "given_away"),
    # an operation through a pointer whose name says it unlocks, given the lock's object
    "lock_ops_unlocked": ("reviewkit.locks.callees", "ops_unlocked"),
    "lock_unknown_tail": ("reviewkit.locks.callees", "unknown_tail"),
    # fragment mode: each path of a changed function against its pre-image counterpart
    "lock_prepost": ("reviewkit.locks.prepost_judge", "review"),
    # path rules in fragment mode: a CFG whose blocks opened by unseen code may be skipped
    "fragment_cfg": ("reviewkit.flow.paths", "fragment_cfg"),
    # helper synthesis (helper-extraction): statement shapes, scopes, helper text; ``transform`` is
    # that family's curated facade (transform/facade.py), the one namespace the surface keeps
    "transform": ("reviewkit.transform.facade", None),
    "GlobalDecl": ("reviewkit.transform.facade", "GlobalDecl"),
    "Param": ("reviewkit.transform.facade", "Param"),
    "Scope": ("reviewkit.transform.facade", "Scope"),
    "Stmt": ("reviewkit.transform.facade", "Stmt"),
    "share_shapes": ("reviewkit.transform.shape", "share"),
    # naming and changelog rules: the local-variable rename transform (short-identifier)
    # and the symbol index of a --tree (changelog-symbol)
    "LocalDecl": ("reviewkit.transform.rename", "LocalDecl"),
    "choose_name": ("reviewkit.transform.rename", "choose_name"),
    "local_declarations": ("reviewkit.transform.rename", "local_declarations"),
    "local_uses": ("reviewkit.transform.rename", "uses"),
    "rename_edits": ("reviewkit.transform.rename", "rename_edits"),
    "renamed_lines": ("reviewkit.transform.rename", "renamed_lines"),
    "symbol_index": ("reviewkit.transform.symbols", "index"),
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
    "GlobalDecl",
    "Held",
    "KernelModel",
    "Line",
    "LocalDecl",
    "LockModel",
    "LockResult",
    "Node",
    "Param",
    "Parsed",
    "PatchContext",
    "PathSet",
    "PathStep",
    "ReviewContext",
    "RunResult",
    "Scope",
    "Severity",
    "State",
    "Stmt",
    "analyse_locks",
    "build_cfg",
    "calls_on_path",
    "choose_name",
    "condition_taken",
    "declarator_name",
    "edit_on_lines",
    "edit_on_text",
    "edit_on_view",
    "fragment_cfg",
    "function_phrase",
    "iter_calls",
    "local_declarations",
    "local_names",
    "local_uses",
    "lock_acquire_keys",
    "lock_consumed_by_callee",
    "lock_declared_hand_back",
    "lock_documented",
    "lock_given_away",
    "lock_guarded_again",
    "lock_guarded_leak",
    "lock_header_summaries",
    "lock_included",
    "lock_included_in_repo",
    "lock_key",
    "lock_label",
    "lock_macro_summaries",
    "lock_object_out",
    "lock_ops_unlocked",
    "lock_prepost",
    "lock_sibling_summaries",
    "lock_summaries",
    "lock_text_header_summaries",
    "lock_token_out",
    "lock_unknown_tail",
    "lock_unpaired_callback",
    "lock_value_out",
    "offer",
    "parse",
    "paths",
    "rename_edits",
    "renamed_lines",
    "run",
    "share_shapes",
    "symbol_index",
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
