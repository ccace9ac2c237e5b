"""Which rules exist: built-in rule modules, then plugins (the ``reviewkit.rules`` entry-point group).

A rule module carries ``ID``, ``SEVERITY``, ``check(ctx)`` and a docstring
(see :mod:`reviewkit.engine.run` for the optional ``TOKENS``/``SCOPE``);
this module turns modules into :class:`Rule` records and nothing else, so
listing or explaining rules never loads the engine that runs them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

from reviewkit.model import Finding, Severity
from reviewkit.views.context import ReviewContext


@dataclass
class Rule:
    """A loaded rule module."""

    id: str
    severity: Severity
    doc: str
    check: Callable[[ReviewContext], Iterable[Finding]]
    source: str
    module: ModuleType

    @property
    def topics(self) -> tuple[str, ...]:
        """Patterns a reviewer's comment making the same point matches (the module's ``TOPICS``)."""
        return tuple(getattr(self.module, "TOPICS", ()))

    @property
    def title(self) -> str:
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.id


def rule_from_module(mod: ModuleType, source: str) -> Rule | None:
    rid = getattr(mod, "ID", None)
    check = getattr(mod, "check", None)
    if not isinstance(rid, str) or not callable(check):
        return None
    sev = getattr(mod, "SEVERITY", Severity.WARNING)
    severity = sev if isinstance(sev, Severity) else Severity.parse(str(sev))
    return Rule(rid, severity, mod.__doc__ or "", check, source, mod)


_DISCOVERED: dict[tuple[str, tuple[str, ...]], tuple[list[Rule], list[str]]] = {}


def discover(warn: Callable[[str], None] | None = None) -> list[Rule]:
    """Built-in rules, then plugins; a broken plugin is a warning, not a crash.

    One run asks several times (option checks, the engine, suppression):
    the answer is remembered per working directory and ``sys.path``, the
    two things that decide which plugins load, and the plugin warnings are
    repeated to every caller that asks for them.
    """
    import os
    import sys

    key = (os.getcwd(), tuple(sys.path))
    if key not in _DISCOVERED:
        notes: list[str] = []
        _DISCOVERED[key] = (_discover(notes.append), notes)
    rules, notes = _DISCOVERED[key]
    if warn is not None:
        for note in notes:
            warn(note)
    return list(rules)


def _discover(warn: Callable[[str], None]) -> list[Rule]:
    import reviewkit.rules as pkg

    rules: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        # A rule that outgrew one file is a folder whose ``rule`` module is the rule.
        name = f"{pkg.__name__}.{info.name}" + (".rule" if info.ispkg else "")
        mod = importlib.import_module(name)
        rule = rule_from_module(mod, "builtin")
        if rule is not None:
            rules[rule.id] = rule
    for rule in _plugins(warn):
        rules.setdefault(rule.id, rule)
    return sorted(rules.values(), key=lambda r: r.id)


def _plugins(warn: Callable[[str], None] | None) -> list[Rule]:
    from reviewkit.config import installed_entry_points

    found = []
    for ep in installed_entry_points("reviewkit.rules"):  # never from the current directory
        try:
            mod = ep.load()
            rule = rule_from_module(mod, f"plugin {ep.value}") if isinstance(mod, ModuleType) else None
            if rule is None:
                raise TypeError("not a module with ID and check()")
            found.append(rule)
        except Exception as exc:
            if warn is not None:
                warn(f"rule plugin {ep.name} ({ep.value}) not loaded: {exc}")
    return found


def find_rule(rule_id: str) -> Rule | None:
    for rule in discover():
        if rule.id == rule_id:
            return rule
    return None


def rule_topics() -> dict[str, tuple[str, ...]]:
    """Rule id -> TOPICS, for :func:`reviewkit.load.coverage.coverage`."""
    return {r.id: r.topics for r in discover() if r.topics}
