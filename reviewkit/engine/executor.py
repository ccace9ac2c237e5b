"""Where the work of a scan runs: pluggable executors.

A unit of work is one file (``reviewkit scan``) or one patch; a task is a
plain picklable function applied to a plain picklable item, and results come
back in completion order so they can be streamed.  The core ships two
executors, and one optional:

- ``local`` (default): a process pool, one process per core (``-j N``);
- ``serial``: the calling process (``-j 1``, tests, debugging);
- ``dask``: a ``dask.distributed`` cluster, local or at ``--scheduler``
  (:mod:`reviewkit.engine.dask_executor`, the ``[dask]`` extra).

Anything else (Ray, a batch system) plugs in through the entry-point group
``reviewkit.executors``: a callable ``factory(jobs: int) -> Executor``
(called with ``scheduler=ADDRESS`` too when one is given).  No distributed
engine is a dependency of reviewkit; ``docs/scale.md`` shows the Ray adaptor.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from reviewkit.errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

ENTRY_POINT_GROUP = "reviewkit.executors"


class Executor(Protocol):
    """Runs ``fn`` over ``items`` and yields results as they complete.

    ``setup(*setup_args)`` runs once in every worker before its first item
    (load the rules, open the cache); workers keep what it builds in module
    globals.  Executors must not reorder a single item's work, only the items.
    """

    def map_unordered(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        setup: Callable[..., None] | None = None,
        setup_args: tuple[Any, ...] = (),
    ) -> Iterator[R]: ...


class SerialExecutor:
    """Everything in this process, in order."""

    def map_unordered(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        setup: Callable[..., None] | None = None,
        setup_args: tuple[Any, ...] = (),
    ) -> Iterator[R]:
        if setup is not None:
            setup(*setup_args)
        for item in items:
            yield fn(item)


class ProcessExecutor:
    """A local process pool: ``jobs`` workers, results in completion order.

    Workers are forked where the platform allows it (they inherit the loaded
    rules, so start-up costs milliseconds), and replaced after
    ``max_tasks`` items so a leak in one analysis cannot grow without bound.
    """

    def __init__(self, jobs: int, *, chunksize: int = 4, max_tasks: int = 2000) -> None:
        self.jobs = max(1, jobs)
        self.chunksize = chunksize
        self.max_tasks = max_tasks

    def map_unordered(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        setup: Callable[..., None] | None = None,
        setup_args: tuple[Any, ...] = (),
    ) -> Iterator[R]:
        methods = multiprocessing.get_all_start_methods()
        mp = multiprocessing.get_context("fork" if "fork" in methods else None)
        pool = mp.Pool(self.jobs, initializer=setup, initargs=setup_args, maxtasksperchild=self.max_tasks)
        try:
            yield from pool.imap_unordered(fn, items, chunksize=self.chunksize)
            pool.close()
        finally:
            pool.terminate()
            pool.join()


def default_jobs() -> int:
    """One process per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def get_executor(name: str = "local", jobs: int = 1, *, scheduler: str | None = None) -> Executor:
    """``local``/``serial``/``dask`` or a plugin registered under ``reviewkit.executors``.

    ``scheduler`` (``--scheduler``) is the address of a distributed engine's
    scheduler; only an executor that runs past this machine takes one.
    """
    if scheduler and name in ("local", "serial"):
        raise UsageError(f"--scheduler is for a distributed executor (--executor dask), not {name!r}")
    if name == "serial" or (name == "local" and jobs <= 1):
        return SerialExecutor()
    if name == "local":
        return ProcessExecutor(jobs)
    if name == "dask":
        from reviewkit.engine.dask_executor import DaskExecutor

        return DaskExecutor(jobs, scheduler)
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            try:
                factory = ep.load()
                return factory(jobs, scheduler=scheduler) if scheduler else factory(jobs)
            except Exception as exc:
                raise UsageError(f"--executor {name}: cannot start: {exc}") from None
    known = ["local", "serial", "dask", *sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))]
    raise UsageError(f"unknown --executor {name!r} (one of: {', '.join(known)})")
