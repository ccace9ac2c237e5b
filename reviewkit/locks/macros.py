"""Lock wrappers written as function-like macros.

``#define shm_unlock(shp) ipc_unlock(&(shp)->shm_perm)`` is a release wrapper
as much as a static inline is; read as text it is an unknown call, and every
function that ends a locked section with it looks like it leaks.  A macro
whose body is statements (``do { ... } while (0)``) or one expression is
rewritten as a function of untyped pointer parameters and summarised by the
same machinery as any wrapper.  A statement expression (``({ ...; __ret; })``,
spufs.h's ``spufs_wait()``: drops the mutex and returns -ERESTARTSYS when
interrupted) is a function returning its last expression, so what it leaves
held can be coded by its result like any wrapper's.  Macros that take variable
arguments or paste tokens are not rewritten: their effect is not a
function's.  Nothing is expanded into the caller, and nothing is run.
"""

from __future__ import annotations

import re

from reviewkit.cparse.normalize import FUNCTION_MACRO
from reviewkit.locks.model import LockModel

_DO_WHILE = re.compile(r"^do\s*\{(.*)\}\s*while\s*\(\s*0\s*\)$", re.DOTALL)
_PARAM = re.compile(r"[A-Za-z_]\w*")
MAX_BODY = 600
"""Longer macros are code generators, not wrappers."""


def macro_functions(text: str, model: LockModel, known: frozenset[str] = frozenset()) -> str:
    """C text with one function per function-like macro of ``text`` that calls a lock primitive or a
    ``known`` wrapper (empty when there is none)."""
    out = []
    for m in FUNCTION_MACRO.finditer(text):
        name, params, body = m.group(1), m.group(2), m.group(3).replace("\\\n", " ").strip()
        if not body or len(body) > MAX_BODY or "#" in body:  # (``#x``, ``a##b``: not a function's text)
            continue
        if not (model.mentioned(body) or (known and model.calls_any(body, known))):
            continue
        names = [p.strip() for p in params.split(",") if p.strip()]
        if any(not _PARAM.fullmatch(p) for p in names):
            continue  # ``...``: variadic
        inner = _statements(body)
        if inner is None:
            continue
        args = ", ".join(f"void *{p}" for p in names) or "void"
        kind = "long" if body.startswith("({") else "void"
        out.append(f"static {kind} {name}({args})\n{{\n\t{inner}\n}}\n")
    return "\n".join(out)


def _statements(body: str) -> str | None:
    """The macro's body as statements, or None when it is not statements or one expression.

    A statement expression's value (its last expression statement) becomes a ``return``.
    """
    if body.startswith("({"):
        return _valued(body)
    m = _DO_WHILE.match(body)
    if m is not None:
        return m.group(1).strip()
    if body.startswith("{") and body.endswith("}"):
        return body[1:-1].strip()
    if body.endswith(";") or "{" in body:
        return None
    return body + ";"


def _valued(body: str) -> str | None:
    """``({ stmts; expr; })`` as ``stmts; return expr;``; None when it does not end in an expression."""
    if not body.endswith("})"):
        return None
    inner = body[2:-2].strip()
    if not inner.endswith(";"):
        return None
    head = inner[:-1]
    cut = max(head.rfind(";"), head.rfind("}"))
    last = head[cut + 1 :].strip()
    if cut < 0 or not last or "{" in last or last.startswith(("return", "break", "continue", "goto")):
        return None
    return f"{head[: cut + 1].strip()}\n\treturn {last};"
