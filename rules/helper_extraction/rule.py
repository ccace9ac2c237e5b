"""Code the series repeats should be one helper: fold it, as a real diff.

## What it does
Looks at the post-image of the series for three kinds of repetition the
series introduces (more copies after it than before):

- a sequence of at least two statements of the same shape (same calls and
  structure, differing only in argument expressions) repeated across
  functions; copies with other statements in between are named but left as
  they are;
- a call on a global object guarded the same way at several sites,
  ``if (f(obj_user, &global, gfp)) { cleanup; <the site's own follow-up> }``,
  typically the only reason the global is exported through a header;
- the same call with the same constant arguments (a global object among
  them) open-coded in several places.

Findings are ranked by value: encapsulating a global used from several files
first, then lines saved times copies.

## Why is this bad?
Every copy must be kept in sync by hand, and a global exported only for one
call pattern invites other users.  In the review of "[PATCH v3 7/7] mm:
switch deferred split shrinker to list_lru" (linux-mm, March 2026) the
reviewer asked for ``folio_memcg_alloc_deferred()`` to replace the four
``folio_memcg_list_lru_alloc(folio, &deferred_split_lru, gfp)`` + ``folio_put()``
sites in huge_memory.c, khugepaged.c and memory.c and to make
``deferred_split_lru`` static; for a locked add instead of ``rcu_read_lock();
l = list_lru_lock_irqsave(...); __list_lru_add(...); list_lru_unlock_irqrestore();
rcu_read_unlock();`` (the author proposed ``list_lru_add_irq()``); and the
author offered a local ``folio_deferred_split_del()`` for the open-coded
``__list_lru_del(&deferred_split_lru, l, &folio->_deferred_list, nid)``.

## Example
```
+	if (folio_memcg_list_lru_alloc(folio, &deferred_split_lru, gfp)) {
+		folio_put(folio);
+		goto fallback;
+	}
```
at four sites becomes ``if (folio_memcg_alloc_deferred_split(folio, gfp))
goto fallback;`` with the helper (alloc, put on error) next to the lru in
huge_memory.c, its prototype in place of the header's ``extern`` and the lru
``static``.

## Not reported
- repetition that was already there before the series (same number of
  copies in the pre-image);
- one-line idioms, jumps (``return 0;``, ``goto out;``), error ladders made
  only of puts, frees and counters (``[helpers] trivial_calls``);
- sequences that take or drop only half of a lock pair (a helper must not
  hide lock pairing), and copies inside small straight-line functions (those
  already are the helper).

## Fix safety
Safe when every type comes from a declaration or a known prototype
(``reviewkit/kernel/helpers.toml``); unsafe when the helper's return type is
a guess.  The fix is one diff across all touched files and is verified:
it applies to the post-image, parses without new errors, and re-running this
rule no longer reports the finding.  ``reviewkit amend`` folds it into the
patch.

## Known limitations
Fragment mode sees only the hunks: a helper is placed at the nearest visible
spot between two functions above its first use, a caller's declaration that
unseen lines might still use is kept (the fix title says so), and a
cross-file helper needs the header that declares the global to be in the
series.  Parameter names come from the first copy.
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewkit.rules.helper_extraction.detect import Candidate, Series, guarded_calls, repeated_calls, sequences

from reviewkit.api import (
    FileView,
    Finding,
    Fix,
    FunctionView,
    ReviewContext,
    Scope,
    Severity,
    edit_on_lines,
    share_shapes,
)

ID = "helper-extraction"
TOPICS = (
    r"\bhelper",
    r"factor",
    r"separate (?:this )?out",
    r"duplicat",
    r"open[- ]cod",
    r"\bvariant\b",
)
"""How a human reviewer words the same problem: a comment matching one counts as covered."""
SEVERITY = Severity.INFO
SERIES_ONLY = True
"""About what a series changes: `reviewkit scan` skips it unless selected with --rule."""


def _series(ctx: ReviewContext) -> Series:
    latest: dict[str, FileView] = {}
    first: dict[str, FileView] = {}
    for _pc, view in ctx.c_files():
        latest[view.path] = view
        first.setdefault(view.old_path, view)
    post: list[FunctionView] = [fv for v in latest.values() for fv in v.functions("post")]
    pre: list[FunctionView] = [] if ctx.scan else [fv for v in first.values() for fv in v.functions("pre")]
    share_shapes(post + pre)
    scope = Scope(list(latest.values()), post, ctx.kernel)
    return Series(latest, post, pre, scope)


def _ranked(series: Series) -> list[Candidate]:
    found = guarded_calls(series) + sequences(series) + repeated_calls(series)
    order = {"guarded-call": 0, "sequence": 1, "call": 2}
    found.sort(key=lambda c: (-c.value[0], -c.value[1], order[c.kind], c.fv.path, c.line))
    taken: set[tuple[str, int]] = set()
    out = []
    for cand in found:
        if cand.claims & taken:
            continue
        taken |= cand.claims
        out.append(cand)
    return out


def _fix(series: Series, cand: Candidate) -> Fix | None:
    if not cand.edits:
        return None
    edits = []
    for path in sorted(cand.edits, key=lambda p: (not p.endswith(".h"), p)):
        lines = series.lines(path)
        edits += [edit_on_lines(path, lines, e.start, e.end, e.lines) for e in cand.edits[path]]
    return Fix(cand.title, tuple(edits), cand.applicability)


def _findings(ctx: ReviewContext) -> Iterator[Finding]:
    series = _series(ctx)
    if not series.post:
        return
    for rank, cand in enumerate(_ranked(series), 1):
        yield ctx.finding(
            ID,
            SEVERITY,
            cand.message,
            cand.fv.path,
            cand.line,
            patch=cand.fv.patch,
            function=cand.fv.name,
            fix=_fix(series, cand),
            extra={"kind": cand.kind, "rank": rank, "value": list(cand.value)},
        )


def check(ctx: ReviewContext) -> Iterator[Finding]:
    yield from _findings(ctx)
