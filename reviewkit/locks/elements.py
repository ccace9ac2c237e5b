"""Array elements locked in one counted loop and unlocked in another.

``for (i = 0; i < n; i++) { m = &r->mapping[i]; mutex_lock(&m->lock); }``, some work, then
``for (i = 0; i < n; i++) { m = &r->mapping[n - 1 - i]; mutex_unlock(&m->lock); }``: every element
is taken by the first loop and dropped by the second, in whatever order.  Read one path at a time the
analysis sees ``m->lock`` held after the first loop and a release of some other element in the second;
which elements are still locked at the exit depends on how often each loop ran, which it cannot count.
That is "could not prove it", so the hold is left unprovable, as the iterator loops' per-element locks
are (:meth:`reviewkit.locks.transfer.LockAnalysis._other_loop`).

Only a lock-all loop counts: a loop that also releases the element in its own body (lock, work, unlock)
holds just the current element at an exit from inside it, and a second loop that unlocks the earlier
elements again is a double release (``fsldma_suspend_late()``), so that hold stays reported.

The element is named by the array it comes from, ``r->mapping[]``: directly (``&a[i]->lock``), or
through a local every assignment of which is an element of that array (``m = &r->mapping[i]``), with
the index built from a loop counter (``i``, or a local made from it: ``reverse = n - 1 - i``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewkit.cparse.parse import Node
from reviewkit.locks.keys import lock_key
from reviewkit.locks.model import LockModel
from reviewkit.locks.syntax import _walk
from reviewkit.views.source import FunctionView

_ELEMENT = re.compile(r"^&?\s*\(?\s*(?P<base>[A-Za-z_][\w.>-]*?)\s*\[(?P<idx>[^\[\]]+)\]\s*\)?$")
_INDEXED_KEY = re.compile(r"^(?P<base>[A-Za-z_][\w.>-]*?)\[(?P<idx>[^\[\]]+)\](?P<rest>(?:->|\.)\w.*)$")
_MEMBER = re.compile(r"^(?P<root>[A-Za-z_]\w*)(?P<rest>(?:->|\.)\w.*)$")
_IDENT = re.compile(r"[A-Za-z_]\w*")


class Elements:
    """The function's counted loops, their counters and the element locals, read once per function."""

    def __init__(self, fv: FunctionView, model: LockModel) -> None:
        self.fv = fv
        self.model = model
        fn = fv.function
        self.loops: list[tuple[int, int]] = []
        self.counters: set[str] = set()
        self.locals: dict[str, str] = {}
        self.releases: list[tuple[int, tuple[str, str]]] = []
        if fn is None or "[" not in fv.text or "for" not in fv.text:
            return
        text = fv.parsed.text
        nodes = _walk(fn.body)
        for n in nodes:
            if n.type == "for_statement":
                update = n.child_by_field_name("update")
                if update is not None:
                    self.counters |= set(_IDENT.findall(text(update)))
                start, end = fv.real_line(n), fv.real_line_of_row(n.end_point[0])
                if start is not None and end is not None:
                    self.loops.append((start, end))
        if not self.counters or not self.loops:
            return
        pairs = list(self._assignments(nodes))
        derived = set(self.counters)
        for name, value in pairs:  # ``int reverse = n - 1 - i;``: an index made from a counter
            if not _ELEMENT.match(value) and set(_IDENT.findall(value)) & self.counters:
                derived.add(name)
        bases: dict[str, set[str]] = {}
        for name, value in pairs:
            m = _ELEMENT.match(value)
            if m is not None and set(_IDENT.findall(m.group("idx"))) & derived:
                bases.setdefault(name, set()).add(" ".join(m.group("base").split()))
            else:
                bases.setdefault(name, set()).add("")  # some other value: not an element local
        self.locals = {name: next(iter(b)) for name, b in bases.items() if len(b) == 1 and "" not in b}
        self.derived = derived
        for n in nodes:
            if n.type != "call_expression":
                continue
            fn_node, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
            if fn_node is None or args is None:
                continue
            fams = self.model.releases.get(text(fn_node))
            rk = fams[0].release_key if fams else None
            if not isinstance(rk, int) or rk >= len(args.named_children):
                continue
            element = self.element(lock_key(text(args.named_children[rk])))
            line = fv.real_line(n)
            if element is not None and line is not None:
                self.releases.append((line, element))

    def _assignments(self, nodes: list[Node]) -> Iterator[tuple[str, str]]:
        text = self.fv.parsed.text
        for n in nodes:
            left = right = None
            if n.type == "init_declarator":
                left, right = n.child_by_field_name("declarator"), n.child_by_field_name("value")
            elif n.type == "assignment_expression":
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            while left is not None and left.type == "pointer_declarator":
                left = left.child_by_field_name("declarator")
            if left is not None and right is not None and left.type == "identifier":
                yield text(left), " ".join(text(right).split())

    def element(self, key: str) -> tuple[str, str] | None:
        """``(array, member path)`` of a per-element lock key, or None."""
        m = _INDEXED_KEY.match(key)
        if m is not None and set(_IDENT.findall(m.group("idx"))) & getattr(self, "derived", set()):
            return m.group("base"), m.group("rest")
        m = _MEMBER.match(key)
        if m is not None and m.group("root") in self.locals:
            return self.locals[m.group("root")], m.group("rest")
        return None

    def unprovable_at(self, loop_line: int | None, key: str, line: int | None) -> bool:
        """Does the loop whose head is at ``loop_line`` release the element lock ``key``, taken at ``line``
        in another counted loop (a lock-all loop: one that does not release it itself)?

        Asked as a path reaches the releasing loop's head, whether or not its body then runs: a path
        that returns before that loop, or jumps past it, still holds the lock for certain."""
        if loop_line is None or line is None or not self.releases:
            return False
        element = self.element(key)
        if element is None:
            return False
        own = [lp for lp in self.loops if lp[0] <= line <= lp[1]]
        there = [lp for lp in self.loops if lp[0] == loop_line]
        if not own or not there:
            return False
        start, end = min(own, key=lambda lp: lp[1] - lp[0])
        if start == loop_line:
            return False
        releasing = max(there, key=lambda lp: lp[1] - lp[0])
        released = [at for at, e in self.releases if e == element]
        if any(start <= at <= end for at in released):
            return False  # lock, work, unlock in one body: the hold at an exit is the current element
        return any(releasing[0] <= at <= releasing[1] for at in released)
