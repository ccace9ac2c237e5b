"""Single-letter local added to a long function or holding a struct pointer.

## What it does
Flags a local variable with a one-letter name that the series declares (the
declaration is on an added line and the function had no such local before)
when either

- it holds a struct or union (`struct list_lru_one *l`), or
- the function is long (more than `[naming] long_function` lines, 50 by
  default; in fragment mode the visible span is the lower bound).

The message names the type and suggests a name derived from it.

## Why is this bad?
A one-letter name tells the reader nothing about what it holds; in a long
function or for a struct pointer the reader has to go back to the
declaration every time.  (Of the letters, `l`, `I` and `O` are also easily
misread as `1` and `0`.)  In the review of "[PATCH v3 7/7]
mm: switch deferred split shrinker to list_lru" Lorenzo Stoakes asked twice
for a better name than `l` for the new `struct list_lru_one *` locals of
`__folio_freeze_and_split_unmapped()`, `__folio_unqueue_deferred_split()`,
`deferred_split_folio()` and `deferred_split_scan()`; the author agreed the
list_lru-internal naming "is grating in large, general MM functions".

## Example
```
+	struct list_lru_one *l;
...
+	l = list_lru_lock(&deferred_split_lru, nid, memcg);
```
Use a name that says what it is:
```
+	struct list_lru_one *lru_one;
```

## Not reported
- the kernel's customary short names, of any type: `i`, `j`, `k`, `n`,
  `p`, `s`, `c`, `t`, `x`, `y`... (`[naming] exempt` in
  `reviewkit/kernel/naming.toml`: `struct task_struct *p` and `int i` are
  what kernel code calls them);
- the cursor of a short loop: a local whose every use is as the iterator of
  a loop of at most `[naming] short_loop` lines (15): the first argument of
  `list_for_each_entry(w, ...)` or any `*for_each*` macro (and the
  lookahead of a `*_safe` one), or the variable a
  `for (r = req; r; r = r->next)` assigns in its first clause.  There the
  loop header says what it holds.  Used after the loop as well (the
  "found it" idiom), it is reported like any other local;
- the byte-cursor idiom: `q` of type `char`, `void`, `u8`...
  (`const char *q` walking a buffer);
- scalar one-letter locals in short functions (`int r` in a ten-line helper);
- locals the function already had before the series (the series is not
  asked to rename code it did not write), parameters, and globals.

## Fix safety
Safe when offered: the local is renamed on every line of its scope using
tree-sitter identifier nodes (field names, labels, strings and comments are
untouched) to a name that no identifier of the function uses, and the fix is
verified (applies, parses, the finding goes away).  It is only offered when
the whole function is visible (tree mode, or a hunk showing all of it): a use
in unseen code would be left behind.

## Known limitations
The suggested name is derived from the type (`[naming.type_names]` in
`reviewkit/kernel/naming.toml`, else the last two words of the type name),
not from what the variable means; a reviewer may prefer another.  Macro
bodies that mention the variable by name are not renamed (the fix is then
not verified and dropped).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reviewkit.api import (
    Finding,
    Fix,
    FunctionView,
    LocalDecl,
    Node,
    ReviewContext,
    Severity,
    choose_name,
    iter_calls,
    local_declarations,
    local_uses,
    rename_edits,
    renamed_lines,
)

ID = "short-identifier"
TOPICS = (
    r"single[- ]letter",
    r"one[- ]letter",
    r"variable names?",
    r"\bvar names?",
    r"\bnam(?:e|ing)\b",
    r"\brename",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.INFO
SERIES_ONLY = True
"""About what a series changes: `reviewkit scan` skips it unless selected with --rule."""


def _settings(ctx: ReviewContext) -> dict[str, Any]:
    naming = ctx.kernel.get("naming", {})
    return {
        "exempt": set(naming.get("exempt", ["i", "j", "k", "n"])),
        "cursor_names": set(naming.get("cursor_names", [])),
        "cursor_types": set(naming.get("cursor_types", [])),
        "long_function": int(naming.get("long_function", 50)),
        "short_loop": int(naming.get("short_loop", 15)),
        "type_names": naming.get("type_names", {}),
    }


def _length(fv: FunctionView) -> int:
    return fv.last_line - fv.first_line + 1


def _loop_cursors(fv: FunctionView, loop: Node) -> set[str]:
    """The names ``loop`` iterates with: a for_each macro's first argument, a ``for``'s assigned variables."""
    if loop.type == "while_statement":
        cond = loop.child_by_field_name("condition")
        call = next(iter_calls(fv.parsed, cond), None) if cond is not None else None
        header = call is not None and call.node.parent is not None and call.node.parent.parent == loop
        if header and call is not None and call.args and ("for_each" in call.name or "foreach" in call.name.lower()):
            # the _safe variants iterate with a second cursor, the lookahead
            return {a.strip() for a in call.args[: 2 if call.name.endswith("_safe") else 1]}
        return set()
    if loop.type != "for_statement":
        return set()
    init = loop.child_by_field_name("initializer")
    names: set[str] = set()
    stack = [init] if init is not None else []
    while stack:
        node = stack.pop()
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                names.add(fv.parsed.text(left))
        if node.type in ("comma_expression", "assignment_expression"):
            stack.extend(node.named_children)
    return names


def _short_loop_cursor(fv: FunctionView, decl: LocalDecl, cfg: dict[str, Any]) -> bool:
    """Every use of ``decl`` is inside a loop of at most ``short_loop`` lines that iterates with it."""
    used = [u for u in local_uses(fv, decl) if u.start_byte != decl.node.start_byte]
    if not used:
        return False
    for use in used:
        node = use.parent
        while node is not None and node != decl.scope:
            if node.type in ("for_statement", "while_statement") and decl.name in _loop_cursors(fv, node):
                break
            node = node.parent
        else:
            return False
        if node.end_point[0] - node.start_point[0] + 1 > cfg["short_loop"]:
            return False
    return True


def _reason(decl: LocalDecl, fv: FunctionView, cfg: dict[str, Any]) -> str | None:
    """Why this one-letter local is worth a comment, or None when it is idiomatic."""
    if len(decl.name) != 1 or decl.name in cfg["exempt"]:
        return None
    if decl.name in cfg["cursor_names"] and decl.base_type in cfg["cursor_types"]:
        return None
    if _short_loop_cursor(fv, decl, cfg):
        return None
    if decl.is_record:
        return f"holds a `{decl.type_text}`"
    if _length(fv) > cfg["long_function"]:
        more = "" if fv.start_visible and fv.end_visible else "at least "
        return f"is a `{decl.type_text}` in a function of {more}{_length(fv)} lines"
    return None


def _pre_existing(ctx: ReviewContext, fv: FunctionView, name: str) -> bool:
    if fv.patch is None:  # a file scanned on its own has no pre-image to compare with
        return False
    pre = ctx.pre_function(fv)
    if pre is None:
        return False
    return any(d.name == name for d in local_declarations(pre))


def _findings(ctx: ReviewContext) -> Iterator[Finding]:
    cfg = _settings(ctx)
    for fv in ctx.functions("post"):
        for decl in local_declarations(fv):
            line = fv.real_line(decl.node)
            if line is None or not ctx.introduced.at(fv, line):
                continue
            reason = _reason(decl, fv, cfg)
            if reason is None or ctx.introduced.existed(_pre_existing(ctx, fv, decl.name)):
                continue
            new = choose_name(fv, decl, cfg["type_names"])
            fix = None
            view = ctx.file_view(fv.path, fv.patch)
            if new is not None and view is not None:
                renamed = renamed_lines(fv, decl, new)
                if renamed:
                    fix = Fix(f"Rename `{decl.name}` to `{new}` in {fv.name}()", rename_edits(view, renamed))
            hint = f"; call it `{new}`?" if new else ""
            yield ctx.finding(
                ID,
                SEVERITY,
                f"one-letter local `{decl.name}` added at {line} in {fv.name}() {reason}{hint}",
                fv.path,
                line,
                patch=fv.patch,
                function=fv.name,
                fix=fix,
                extra={"name": decl.name, "type": decl.type_text, "suggested": new},
            )


def check(ctx: ReviewContext) -> Iterator[Finding]:
    yield from _findings(ctx)
