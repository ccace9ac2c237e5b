"""The kernel model of one run: the merged TOML tables, and typed views of them parsed once.

Every consumer used to take the raw ``dict`` and parse its own part (the lock
families, the folio calls, the lifecycle kinds, the noreturn list, which the
CFG builder even repeated in Python).  :class:`KernelModel` is still the
mapping the tables merge into (a user's ``[tool.reviewkit.kernel]`` extends
it the same way), so reading a table stays ``model.table("folio")``; what a
consumer builds from it is asked for with :meth:`KernelModel.view`, which
parses once per run and hands every later caller the same typed object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class KernelModel(dict[str, Any]):
    """The merged tables of ``reviewkit/kernel/*.toml`` and the user's configuration."""

    def __init__(self, tables: dict[str, Any] | None = None) -> None:
        super().__init__(tables or {})
        self._views: dict[Callable[..., Any], Any] = {}

    def table(self, *path: str) -> dict[str, Any]:
        """The table at ``path`` (``"list_lru", "memcg_init"``), empty when absent: a model may be partial."""
        cur: Any = self
        for key in path:
            cur = cur.get(key) if isinstance(cur, dict) else None
        return cur if isinstance(cur, dict) else {}

    def view(self, parse: Callable[[KernelModel], T]) -> T:
        """``parse(self)``, computed once per model: the typed form a rule family or the engine needs."""
        if parse not in self._views:
            self._views[parse] = parse(self)
        return self._views[parse]

    @property
    def noreturn(self) -> frozenset[str]:
        """Calls that never return (``[flow] noreturn``): a path through one ends there."""
        return self.view(_noreturn)

    @property
    def asserts(self) -> frozenset[str]:
        """Assertion macros (``[flow] asserts``): ``BUG_ON(cond)`` is ``if (cond) BUG();``."""
        return self.view(_asserts)


def _noreturn(model: KernelModel) -> frozenset[str]:
    return frozenset(str(name) for name in model.table("flow").get("noreturn", []))


def _asserts(model: KernelModel) -> frozenset[str]:
    return frozenset(str(name) for name in model.table("flow").get("asserts", []))
