"""What a rule does not need to look at: the token prefilter and the per-function cache.

Both work the same way: the rule gets a copy of the :class:`ReviewContext`
whose ``files()``/``c_files()``/``functions()`` leave out what cannot
matter, so rules stay unaware of either optimisation.

- ``TOKENS`` (optional rule-module attribute, a tuple of strings or a
  callable ``(kernel_model) -> strings``): a file or function in whose text
  none of the tokens occurs is hidden from the rule.  On a whole-tree
  scan most files take no lock at all; hiding them at file level means they
  are never even parsed for a lock rule.
- ``SCOPE = "function"`` plus a :class:`FunctionCache`: the rule's findings
  on a function depend only on that function, so when the same function
  (same text, same real lines, same changed lines, same pre-image) was seen
  before, its findings are replayed instead of recomputed.  That is what
  makes a re-check of v4 of a series re-analyse only what v4 changed.
  The key holds absolute line numbers on purpose: messages name lines
  ("at 3772 ... at 3896"), so a function that merely moved is recomputed
  rather than replayed with stale numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from typing import Any, Protocol

from reviewkit.model import Finding, Fix, PathStep, Severity
from reviewkit.views.context import ReviewContext
from reviewkit.views.source import FileView, FunctionView

CheckFn = Callable[[ReviewContext], Iterable[Finding]]


class FunctionCache(Protocol):
    """Storage for per-function results (see :class:`reviewkit.engine.cache.Cache`)."""

    salt: str
    """Rule-set version and configuration hash: part of every key."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any) -> None: ...


def normalise_tokens(tokens: object) -> tuple[str, ...] | None:
    """A rule's ``TOKENS`` as a tuple (None: no prefilter declared)."""
    if isinstance(tokens, str):
        return (tokens,) if tokens else None
    if isinstance(tokens, Iterable):
        out = tuple(t for t in tokens if isinstance(t, str) and t)
        return out or None
    return None


def has_token(text: str, tokens: tuple[str, ...]) -> bool:
    return any(t in text for t in tokens)


def file_text(ctx: ReviewContext, fv: FileView) -> str:
    """Everything of ``fv`` a rule can see (both sides), memoised on ``ctx``."""
    memo: dict[int, str] = ctx.__dict__.setdefault("_rk_file_texts", {})
    key = id(fv)
    if key not in memo:
        if fv.tree_post is not None:
            memo[key] = fv.tree_post + "\n" + (fv.tree_pre or "")
        else:
            memo[key] = "\n".join(ln.text for ln in (*fv.post, *fv.pre))
    return memo[key]


class Narrowed:
    """How one rule is run over one context (see :func:`narrowed`)."""

    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    def run(self, check: CheckFn) -> Iterator[Finding]:
        yield from check(self.ctx)


def narrowed(
    ctx: ReviewContext,
    rule_id: str,
    tokens: object = None,
    scope: object = None,
    cache: FunctionCache | None = None,
) -> Narrowed:
    """The view of ``ctx`` that rule ``rule_id`` should run on.

    ``tokens`` may also be a callable taking the kernel model (``ctx.kernel``)
    and returning the tokens, for rules whose trigger words live in TOML.
    """
    if callable(tokens):
        tokens = tokens(ctx.kernel)
    toks = normalise_tokens(tokens)
    use_cache = cache is not None and scope == "function"
    if toks is None and not use_cache:
        return Narrowed(ctx)
    return _CachedRun(ctx, rule_id, toks, cache if use_cache else None)


class _NarrowContext(ReviewContext):
    """A ReviewContext whose iteration skips what the rule cannot need."""

    _rk_tokens: tuple[str, ...] | None
    _rk_skip: Callable[[FunctionView], bool] | None

    def files(self) -> Iterator[tuple[Any, FileView]]:
        for pc, fv in super().files():
            if self._rk_tokens is None or has_token(file_text(self, fv), self._rk_tokens):
                yield pc, fv
            else:
                self.bump("prefilter_skipped_files")

    def functions(self, side: str = "post", *, changed_only: bool = True) -> Iterator[FunctionView]:
        for fn in super().functions(side, changed_only=changed_only):
            if self._rk_tokens is not None and not has_token(fn.text, self._rk_tokens):
                self.bump("prefilter_skipped_functions")
                continue
            if side == "post" and self._rk_skip is not None and self._rk_skip(fn):
                continue
            yield fn


class _CachedRun(Narrowed):
    def __init__(
        self, ctx: ReviewContext, rule_id: str, tokens: tuple[str, ...] | None, cache: FunctionCache | None
    ) -> None:
        narrow = _NarrowContext.__new__(_NarrowContext)
        narrow.__dict__.update(ctx.__dict__)
        narrow._rk_tokens = tokens
        narrow._rk_skip = self._skip if cache is not None else None
        super().__init__(narrow)
        self.base = ctx
        self.rule_id = rule_id
        self.cache = cache
        self.replay: list[Finding] = []
        self.computed: dict[tuple[str, int | None, str], str | None] = {}

    def _skip(self, fn: FunctionView) -> bool:
        """True when ``fn``'s findings were replayed from the cache."""
        assert self.cache is not None
        key = function_key(self.base, self.rule_id, fn, self.cache.salt)
        ident = (fn.path, fn.patch.position if fn.patch is not None else None, fn.name)
        if ident in self.computed:
            self.computed[ident] = None  # two functions of one name: cannot attribute, do not store
            return False
        hit = self.cache.get(key)
        if isinstance(hit, list):
            replayed = [_rebase(self.base, d, fn) for d in hit]
            if all(f is not None for f in replayed):
                self.replay.extend(f for f in replayed if f is not None)
                self.base.bump("cache_functions_replayed")
                return True
        self.computed[ident] = key
        return False

    def run(self, check: CheckFn) -> Iterator[Finding]:
        fresh: list[tuple[Finding, dict[str, Any]]] = []
        try:
            for f in check(self.ctx):
                if self.cache is not None:
                    fresh.append((f, dump_finding(f, self.base)))
                yield f
            yield from self.replay
            if self.cache is not None:
                self._store(fresh)
        finally:
            for name, value in self.ctx.__dict__.items():
                if name.startswith("_") and not name.startswith("_rk") and getattr(self.base, name, None) is None:
                    setattr(self.base, name, value)

    def _store(self, fresh: list[tuple[Finding, dict[str, Any]]]) -> None:
        assert self.cache is not None
        groups: dict[tuple[str, int | None, str], list[dict[str, Any]]] = {k: [] for k in self.computed}
        for f, data in fresh:
            ident = (f.file, f.patch, f.function or "")
            if ident not in groups or data.get("side") is None:
                return  # a finding outside any function we ran: the rule is not function-scoped after all
            groups[ident].append(data)
        for ident, key in self.computed.items():
            if key is not None:
                self.cache.put(key, groups[ident])


def function_key(ctx: ReviewContext, rule_id: str, fn: FunctionView, salt: str) -> str:
    """Everything a function-scoped rule's result on ``fn`` can depend on."""
    pre = ctx.pre_function(fn)
    parts = [
        rule_id,
        salt,
        ctx.report_all,
        ctx.scan,
        ctx.tree is not None or ctx.preimages is not None,
        _fn_parts(fn),
        _fn_parts(pre) if pre is not None else None,
    ]
    return hashlib.blake2b(json.dumps(parts).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()


def _fn_parts(fn: FunctionView) -> list[Any]:
    return [
        fn.path,
        fn.side,
        fn.name,
        fn.text,
        fn.line_map,
        sorted(fn.changed_lines),
        fn.start_visible,
        fn.end_visible,
        [(g.after, g.before) for g in fn.gaps],
    ]


def dump_finding(f: Finding, ctx: ReviewContext | None = None) -> dict[str, Any]:
    """A finding as JSON-able data; ``side`` records which image its patch line came from."""
    data = asdict(f)
    data["severity"] = f.severity.value
    data["side"] = _side_of(ctx, f) if ctx is not None else None
    return data


def load_finding(data: dict[str, Any]) -> Finding:
    """Inverse of :func:`dump_finding` (raises KeyError/TypeError/ValueError on bad data)."""
    fields = {k: v for k, v in data.items() if k != "side"}
    fields["severity"] = Severity(fields["severity"])
    fix = fields.get("fix")
    fields["fix"] = Fix.from_dict(fix) if isinstance(fix, dict) else None
    fields["path"] = [PathStep(**s) for s in fields.get("path") or []]
    return Finding(**fields)


def _side_of(ctx: ReviewContext, f: Finding) -> str | None:
    """Which side's diff line gives ``f.patch_line`` (None: cannot tell)."""
    if f.patch is None or not f.patch_line:
        return "none"
    for pc in ctx.patches:
        if pc.patch is not None and pc.patch.position == f.patch:
            view = ctx.file_view(f.file, pc.patch)
            for side in ("post", "pre"):
                diff_no = view.diff_line_no(f.line, side) if view is not None else 0
                if diff_no and pc.patch.input_line(diff_no) == f.patch_line:
                    return side
    return None


def _rebase(ctx: ReviewContext, data: Any, fn: FunctionView) -> Finding | None:
    """A cached finding moved onto ``fn``'s patch (position, subject, input-file line)."""
    try:
        side = data["side"]
        f = load_finding(data)
    except (KeyError, TypeError, ValueError):
        return None
    patch = fn.patch
    f.patch = patch.position if patch is not None else None
    f.patch_index = patch.index if patch is not None else 0
    f.patch_subject = patch.subject.title if patch is not None else ""
    f.patch_line = 0
    if patch is not None and side in ("post", "pre"):
        view = ctx.file_view(f.file, patch)
        diff_no = view.diff_line_no(f.line, side) if view is not None else 0
        f.patch_line = patch.input_line(diff_no) if diff_no else 0
    return f
