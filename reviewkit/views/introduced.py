"""The one decision of what a run reports: what the series introduced, or everything.

A maintainer wants to hear about what the series adds, not about what the
file already did; ``--all`` and ``reviewkit scan`` (whole files, no patch)
ask for everything.  Seven rules used to make that call themselves, each
branching on ``report_all`` and ``scan`` with its own idea of "changed" (and
``scan`` was sometimes forgotten although it implies ``--all``).  Now the
context carries one :class:`Introduced`, made from the run's flags in one
place, and a rule only says *where* its finding is (a node, a line) or *what
its key is*; the policy is here.

Two forms, because rules compare in two ways:

- by place: :meth:`Introduced.at` — the finding's node or line is one the
  series changed (a new unguarded call, a new short name);
- by key, pre vs post image: :meth:`Introduced.new` — the rule computes a key
  per finding (a lock and the way it goes wrong, a memcg source and its sink)
  and the keys the pre-image of the same function already had are dropped.
  The pre-image keys are asked for lazily, so a function with no finding
  never costs a second analysis.  This is the hook for a rule that does its
  own pre/post comparison: it supplies the keys, the decision stays here.

It lives with the context (views) and not in the engine because rules sit
above the API and the API above the views: a rule may not import the
engine, but every rule is handed the context.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from reviewkit.cparse.parse import Node
    from reviewkit.views.source import FunctionView

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True)
class Introduced:
    """Whether this run reports only what the series introduced (``everything`` False) or all it sees."""

    everything: bool = False
    """``--all`` or ``scan``: every finding counts, wherever it is."""

    @property
    def changed_only(self) -> bool:
        """For ``ctx.functions(changed_only=...)``: only the functions the series touched are of interest."""
        return not self.everything

    def function(self, fv: FunctionView) -> bool:
        """The function is worth reporting on: everything is, or the series touched it."""
        return self.everything or fv.touched

    def at(self, fv: FunctionView, *where: Node | int | None) -> bool:
        """A finding at any of ``where`` (syntax nodes, post-image lines; None ignored) is reported."""
        if self.everything:
            return True
        for w in where:
            if w is None:
                continue
            if isinstance(w, int):
                if w in fv.changed_lines:
                    return True
            elif fv.is_changed(w):
                return True
        return False

    def new(self, found: Sequence[tuple[K, T]], before: Callable[[], Iterable[K]]) -> list[tuple[K, T]]:
        """The keyed findings whose key ``before()`` (the pre-image's keys) does not already have."""
        if self.everything or not found:
            return list(found)
        old = set(before())
        return [(key, f) for key, f in found if key not in old]

    def existed(self, before: bool) -> bool:
        """The pre-image already had it (``before``), and only what is new is reported."""
        return not self.everything and before
