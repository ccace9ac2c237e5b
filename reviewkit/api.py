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
