"""Helper synthesis: find repeated code in a series and fold it into one C helper.

The engine works on the normalised tree-sitter trees of the series' function
views (fragment or tree mode) and produces plain line edits, so the rule
that uses it stays a thin layer of policy:

- :func:`skeleton` turns a statement into its *shape*: node types, operators,
  callee and field names kept, every leaf value (identifier, literal, label)
  a hole.  ``coarse=True`` also makes each call argument one hole, so
  ``f(nid)`` and ``f(folio_nid(folio))`` have the same coarse shape.
- :func:`statement_runs` lists the runs of statements of every block, cut at
  declarations, preprocessor lines and unseen code (fragment gaps).
- :class:`Scope` answers the questions a rewrite must get right: which
  identifiers are the caller's locals, what type they have, whether a local is
  private to a sequence (written first inside it, never read after it).
- :func:`helper_text` and :func:`call_text` write the helper and rewrite a
  call site as whole lines, keeping the site's indentation and alignment.

Everything here is kernel-agnostic except what comes from the kernel model
(``ctx.kernel``): prototypes and conventional parameter types
(``[helpers]`` in ``reviewkit/kernel/helpers.toml``) and the lock families.

The engine is split by layer, each module importing only the ones before it:
:mod:`reviewkit.transform.shape` (shapes, runs, tree queries),
:mod:`reviewkit.transform.scope` (globals, types, locks),
:mod:`reviewkit.transform.analyse` (parameters and private locals) and
:mod:`reviewkit.transform.text` (helper text, names, sites).  This module
re-exports their public names, so rules keep using ``api.transform`` as one
surface and do not depend on where each piece lives.
"""

from __future__ import annotations

from reviewkit.transform.analyse import Analysis, Param, analyse
from reviewkit.transform.scope import CType, GlobalDecl, Scope, declared_in, file_lines, globals_of
from reviewkit.transform.shape import (
    JUMPS,
    LEAF_TYPES,
    RUN_BREAKERS,
    Stmt,
    blocks,
    calls_below,
    facts,
    has_jump,
    leaves,
    node_text,
    real_span,
    share,
    skeleton,
    statement_runs,
)
from reviewkit.transform.text import (
    call_text,
    dedent,
    global_stem,
    helper_name,
    helper_text,
    indent_of,
    inserted,
    insertion_point,
    is_wrapper,
    replace_span,
    signature_params,
    span_lines,
    whole_lines,
)

__all__ = [
    "JUMPS",
    "LEAF_TYPES",
    "RUN_BREAKERS",
    "Analysis",
    "CType",
    "GlobalDecl",
    "Param",
    "Scope",
    "Stmt",
    "analyse",
    "blocks",
    "call_text",
    "calls_below",
    "declared_in",
    "dedent",
    "facts",
    "file_lines",
    "global_stem",
    "globals_of",
    "has_jump",
    "helper_name",
    "helper_text",
    "indent_of",
    "inserted",
    "insertion_point",
    "is_wrapper",
    "leaves",
    "node_text",
    "real_span",
    "replace_span",
    "share",
    "signature_params",
    "skeleton",
    "span_lines",
    "statement_runs",
    "whole_lines",
]
