"""The Dask executor: ``reviewkit scan --executor dask [--scheduler ADDRESS]``.

The use it serves is work too big for one machine: every file of every
release of a tree, every patch of a mailing-list archive.  With
``--scheduler`` the work goes to a running ``dask.distributed`` cluster
(``dask scheduler`` + ``dask worker`` on each machine); without it a
``LocalCluster`` of ``-j`` worker processes is started and closed here.

What a worker needs: reviewkit installed in the same version (the task
functions are pickled by reference) and the scanned paths at the same place
(a shared file system or the same checkout on every machine): a task names
a file, it does not carry it, so a mailing-list archive of tens of thousands
of messages does not travel through the scheduler.

Items go out in batches (one task per :data:`BATCH` items) because a Dask
task costs about a millisecond of scheduling, more than a small C file takes
to review.  ``setup`` runs once per worker process, lazily, on that worker's
first batch of this run (a worker that joins late is set up too, which
``Client.run`` at the start would miss).

Dask is optional (``pip install 'reviewkit[dask]'``); it is imported only
when this executor is asked for.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from reviewkit.errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

BATCH = 32
"""Items per Dask task: enough to amortise scheduling, few enough to balance two slow files."""

_PREPARED: set[str] = set()
"""Run tokens this worker process has run ``setup`` for."""


class _Batch(Generic[T, R]):
    """The task: set the worker up once for this run, then ``fn`` over one batch of items."""

    def __init__(self, fn: Callable[[T], R], setup: Callable[..., None] | None, setup_args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.setup = setup
        self.setup_args = setup_args
        self.token = uuid.uuid4().hex

    def __call__(self, items: list[T]) -> list[R]:
        if self.setup is not None and self.token not in _PREPARED:
            self.setup(*self.setup_args)
            _PREPARED.add(self.token)
        return [self.fn(item) for item in items]


class DaskExecutor:
    """Runs batches of items on a ``dask.distributed`` cluster; results as they complete."""

    def __init__(self, jobs: int, scheduler: str | None = None) -> None:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise UsageError("--executor dask needs Dask: pip install 'reviewkit[dask]'") from None
        self.jobs = max(1, jobs)
        self.scheduler = scheduler

    def map_unordered(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        setup: Callable[..., None] | None = None,
        setup_args: tuple[Any, ...] = (),
    ) -> Iterator[R]:
        from dask.distributed import Client, LocalCluster, as_completed

        work = list(items)
        batches = [work[i : i + BATCH] for i in range(0, len(work), BATCH)]
        if not batches:
            return
        cluster = None
        try:
            if self.scheduler:
                client = Client(self.scheduler, timeout="20s")
            else:
                cluster = LocalCluster(
                    n_workers=self.jobs, threads_per_worker=1, processes=True, dashboard_address=None
                )
                client = Client(cluster)
        except OSError as exc:  # an address nobody listens on, a refused connection
            raise UsageError(f"--scheduler {self.scheduler}: cannot connect: {exc}") from None
        try:
            task = _Batch(fn, setup, setup_args)
            futures = client.map(task, batches, pure=False)
            for _future, result in as_completed(futures, with_results=True):
                yield from result
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
