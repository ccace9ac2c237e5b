"""Whole-file review without a patch: ``reviewkit scan`` (audits, baselines, benchmarks).

Each C file becomes a FileView whose every line counts as changed and whose
post-image is the whole file, so rules run exactly as in tree mode.

A scan is a stream of per-file tasks (:func:`scan_file`) handed to an
executor (:mod:`reviewkit.engine.executor`): a process pool by default, results in
completion order, so the caller can print findings while the rest of the
tree is still being analysed and never holds more than one file per worker.
Per file and rule:

- the rule's ``TOKENS`` prefilter hides files and functions that cannot
  matter (done by :func:`reviewkit.engine.run.run`);
- a cached result for the same content, rule set and configuration is
  replayed (:mod:`reviewkit.engine.cache`);
- the analysis has a time budget; a rule that overruns it, or fails on
  input it cannot handle, is reported as skipped for that file, never as a
  crash, and its partial result is not cached.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewkit.config import Config
from reviewkit.engine import registry
from reviewkit.engine import run as engine
from reviewkit.engine.budget import BudgetExceeded, time_budget
from reviewkit.model import Finding
from reviewkit.views.build import scan_context, whole_file_view
from reviewkit.views.includes import HeaderConstants, header_noreturn
from reviewkit.views.source import FileView

SKIP_DIRS = {".git", ".pc", "node_modules"}
DEFAULT_TIMEOUT = 60.0
"""Seconds one rule may spend on one file before it is reported as skipped there."""


def c_files(paths: list[str]) -> Iterator[Path]:
    """Every .c file under ``paths`` (files given directly are taken as they are)."""
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            yield p
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                if name.endswith(".c"):
                    yield Path(root) / name


def file_view(path: Path, text: str, display: str | None = None) -> FileView:
    """A FileView that shows the whole file, every line counted as changed.

    The pre-image is empty (not absent): there is no patch, so nothing has a
    "before", and rules asking for pre-image functions get none.
    """
    name = display or str(path)
    view = whole_file_view(name, name, None, text, tree_pre="")
    view.noreturn = header_noreturn(path, text)  # the tree is the nearest one above the file, if any
    view.constants = HeaderConstants(path, text)
    return view


def scan_text(path: str, text: str, rules: list[engine.Rule], config: Config | None = None) -> list[Finding]:
    """Run ``rules`` over one file's text (no cache, no budget: fixtures and tests)."""
    ctx = scan_context([file_view(Path(path), text, path)], config)
    return engine.run(ctx, rules)


def scan_paths(paths: list[str], rules: list[engine.Rule], config: Config | None = None) -> Iterator[Finding]:
    """Findings of every .c file under ``paths``, file by file, in this process."""
    for result in scan(paths, rules, config, jobs=1, use_cache=False):
        yield from result.findings


# --------------------------------------------------------------------------
# One file (runs in a worker)


@dataclass
class FileResult:
    """What scanning one file produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    cached: bool = False
    notes: list[str] = field(default_factory=list)
    """Rules skipped on this file (budget overrun, input too deep), unreadable file."""
    stats: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class ScanOptions:
    """Everything a worker needs, picklable (rules travel as module names)."""

    rule_modules: list[tuple[str, str]]
    """(module name, source) of every rule: workers import them, nothing is pickled."""
    config: Config
    use_cache: bool = True
    timeout: float = DEFAULT_TIMEOUT
    cache_salt: str | None = None
    """Rule-set version + config hash, computed once by the parent: a worker forked
    after the code on disk changed still runs the parent's code, so it must not
    file its results under the new code's version."""


_WORKER: dict[str, Any] = {}
"""The state of a worker process (set by :func:`setup_worker`)."""


def worker_state(options: ScanOptions, rules: list[engine.Rule] | None = None) -> dict[str, Any]:
    """Rules (loaded by id unless given) and the cache for ``options``."""
    if rules is None:
        rules = []
        for module, source in options.rule_modules:
            rule = registry.rule_from_module(importlib.import_module(module), source)
            if rule is not None:
                rules.append(rule)
    cache = None
    if options.use_cache:
        from reviewkit.engine.cache import Cache, open_cache

        cache = Cache(salt=options.cache_salt) if options.cache_salt else open_cache(rules, options.config)
    # the sibling files' stamps, taken once per directory per scan (a scan reads one snapshot)
    return {"options": options, "rules": rules, "cache": cache, "stamps": {}}


def setup_worker(options: ScanOptions) -> None:
    """Load the rules and open the cache once per worker process."""
    _WORKER.clear()
    _WORKER.update(worker_state(options))


def analyse(path: str, text: str, rules: list[engine.Rule], config: Config, timeout: float) -> FileResult:
    """Run each rule on one file under its budget; a failing rule is a note, not a crash."""
    result = FileResult(path)
    ctx = scan_context([file_view(Path(path), text, path)], config)
    for rule in rules:
        try:
            with time_budget(timeout):
                result.findings.extend(engine.run(ctx, [rule], isolate=False))
        except BudgetExceeded:
            result.notes.append(f"{path}: [{rule.id}] skipped: still running after {timeout:g} s")
        except (RecursionError, MemoryError) as exc:
            reason = "nests too deeply" if isinstance(exc, RecursionError) else "too large"
            result.notes.append(f"{path}: [{rule.id}] skipped: input {reason} to analyse")
        except Exception as exc:
            result.notes.append(f"{path}: [{rule.id}] skipped: internal error: {type(exc).__name__}: {exc}")
    result.stats = {k: v for k, v in ctx.stats.items() if isinstance(v, int)}
    result.findings.sort(key=Finding.sort_key)
    return result


def scan_file(path: str) -> FileResult:
    """Scan one file with this worker's rules (the executor's task function)."""
    return scan_one(path, _WORKER)


def scan_one(path: str, state: dict[str, Any]) -> FileResult:
    """Scan one file with the rules of ``state``, through its cache."""
    from reviewkit.engine.cache import content_key, valid_findings
    from reviewkit.engine.deps import dependency_stamp
    from reviewkit.engine.prefilter import dump_finding, load_finding

    started = time.perf_counter()
    options: ScanOptions = state["options"]
    from reviewkit.io import read_bounded
    from reviewkit.views.treemode import MAX_TREE_FILE

    try:
        data = read_bounded(path, MAX_TREE_FILE)  # a symlink to /dev/zero is a note, not a MemoryError
    except OSError as exc:
        return FileResult(path, notes=[f"{path}: not scanned: {exc.strerror or exc}"])
    cache = state.get("cache")
    key = (
        content_key(path, data, dependency_stamp(path, data, state.setdefault("stamps", {})))
        if cache is not None
        else ""
    )
    if cache is not None:
        hit = cache.get(key)
        if valid_findings(hit, path):
            try:
                findings = [load_finding(d) for d in hit]
            except (KeyError, TypeError, ValueError, AttributeError):
                findings = None
            if findings is not None:
                return FileResult(path, findings, True, seconds=time.perf_counter() - started)
    result = analyse(path, data.decode("utf-8", "surrogateescape"), state["rules"], options.config, options.timeout)
    if cache is not None and not result.notes:
        cache.put(key, [dump_finding(f) for f in result.findings])
    result.seconds = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------
# Many files


def scan(
    paths: list[str],
    rules: list[engine.Rule],
    config: Config | None = None,
    *,
    jobs: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    use_cache: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    files: list[str] | None = None,
) -> Iterator[FileResult]:
    """Per-file results for every .c file under ``paths``, in completion order."""
    from reviewkit.engine.executor import get_executor

    config = config or Config()
    todo = files if files is not None else [str(p) for p in c_files(paths)]
    salt = None
    if use_cache:
        from reviewkit.engine.cache import open_cache

        cache = open_cache(rules, config)
        use_cache, salt = cache is not None, cache.salt if cache is not None else None
    options = ScanOptions([(r.module.__name__, r.source) for r in rules], config, use_cache, timeout, salt)
    jobs = max(1, min(jobs, len(todo)))
    if executor in ("local", "serial") and jobs == 1:
        state = worker_state(options, rules)
        yield from (scan_one(p, state) for p in todo)
        return
    runner = get_executor(executor, jobs, scheduler=scheduler)
    yield from runner.map_unordered(scan_file, todo, setup=setup_worker, setup_args=(options,))
