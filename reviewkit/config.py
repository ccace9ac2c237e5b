"""Project configuration: ``[tool.reviewkit]`` in pyproject.toml or ``.reviewkit.toml``.

Found by walking up from the current directory, the way ruff and b4 find
theirs, so a kernel tree can carry one file for every developer.  Keys::

    select = ["lock-balance"]          # only these rules (default: all)
    ignore = ["whitespace-noise"]      # never these
    fail-on = "warning"                # exit 1 at or above: error, warning, info
    skip-paths = ["drivers/staging/", "tools/*"]   # fnmatch; "dir/" = everything below
    baseline = ".reviewkit-baseline.json"          # relative to this file
    lock-pairs = [["my_lock", "my_unlock"]]        # extra acquire/release pairs
    ctor-dtor-pairs = [["my_pool_create", "my_pool_destroy"]]

    [tool.reviewkit.severity]          # per-rule severity overrides
    whitespace-noise = "info"

    [tool.reviewkit.kernel]            # tables merged over reviewkit/kernel/*.toml
                                       # (same keys; lists extend, tables merge)

An unknown key is an error (a typo must not silently switch a check off),
and so is an unknown rule id in ``select``/``ignore``/``severity`` (checked
by :func:`check_rule_ids` once the rules and plugins are loaded).

Where a configuration may come from (the trust model, README "Safety"):
the walk up stops at the top of the git work tree; a file not owned by
the user (or root), or in a world-writable directory such as /tmp, is
skipped with a note, so a file planted in a shared ancestor cannot turn
checks off.  ``baseline`` must name a file inside the configuration's own
directory: a configuration cannot make reviewkit write anywhere else.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewkit.errors import UsageError
from reviewkit.kernel import merge
from reviewkit.model import Severity
from reviewkit.words import noun

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

KEYS = {
    "select",
    "ignore",
    "severity",
    "fail-on",
    "skip-paths",
    "baseline",
    "kernel",
    "lock-pairs",
    "ctor-dtor-pairs",
}


@dataclass
class Config:
    """Settings that change what is reported, never how code is analysed."""

    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity = Severity.ERROR
    skip_paths: list[str] = field(default_factory=list)
    baseline: str | None = None
    kernel: dict[str, Any] = field(default_factory=dict)
    """Extra kernel-model tables (lock pairs, ctor/dtor pairs) merged over the built-in ones."""
    source: str | None = None
    skipped: list[str] = field(default_factory=list)
    """Configuration files passed over on the walk up, with the reason (for ``-v`` and the notes)."""

    def describe(self) -> str:
        """Where this configuration came from, for ``-v`` and the JSON stats."""
        return self.source or "none (built-in defaults)"

    def rule_enabled(self, rule_id: str) -> bool:
        if rule_id in self.ignore:
            return False
        return not self.select or rule_id in self.select

    def path_skipped(self, path: str) -> bool:
        for pat in self.skip_paths:
            if pat.endswith("/") and (path + "/").startswith(pat):
                return True
            if fnmatch(path, pat):
                return True
        return False


def parse_level(text: str, label: str = "--fail-on") -> Severity:
    """A severity name, or a UsageError saying which ones there are (never an internal error)."""
    try:
        return Severity.parse(text)
    except (ValueError, KeyError):
        names = [s.value for s in Severity]
        close = difflib.get_close_matches(text.lower(), names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"{label} {text!r}: use one of {', '.join(names)}{hint}") from None


def _strings(table: dict[str, Any], key: str, source: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{source}: [tool.reviewkit] {key} must be a list of strings")
    return list(value)


def _pairs(table: dict[str, Any], key: str, source: str) -> list[tuple[str, str]]:
    value = table.get(key, [])
    ok = isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) and x.isidentifier() for x in p) for p in value
    )
    if not ok:
        raise UsageError(f'{source}: [tool.reviewkit] {key} must be a list of ["first", "second"] function names')
    return [(a, b) for a, b in value]


def pair_tables(lock_pairs: list[tuple[str, str]], ctor_pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The shorthand pairs in the kernel model's own shape (see reviewkit/kernel/*.toml).

    A lock pair is a lock family of its own: a release only matches its own
    acquire on the same first argument.  A ctor/dtor pair makes the dtor a
    destroy of its first argument (what teardown-order checks) and is kept in
    ``lifecycle.pairs`` for rules that reason about setup/teardown order.
    """
    model: dict[str, Any] = {}
    if lock_pairs:
        model["locks"] = {
            "family": [
                {"group": f"config:{acq}", "variant": "plain", "acquire": [acq], "release": [rel], "key": 0}
                for acq, rel in lock_pairs
            ]
        }
    if ctor_pairs:
        model["lifecycle"] = {
            "pairs": [{"ctor": ctor, "dtor": dtor} for ctor, dtor in ctor_pairs],
            "destroy": [{"name": dtor, "arg": 0} for _ctor, dtor in ctor_pairs],
        }
    return model


def _from_table(table: dict[str, Any], source: str) -> Config:
    cfg = Config(source=source)
    normal = {k.replace("_", "-"): v for k, v in table.items()}
    unknown = sorted(set(normal) - KEYS)
    if unknown:
        raise UsageError(
            f"{source}: unknown [tool.reviewkit] {noun(len(unknown), 'key')}: {', '.join(unknown)}"
            f" (known: {', '.join(sorted(KEYS))})"
        )
    try:
        cfg.select = _strings(normal, "select", source)
        cfg.ignore = _strings(normal, "ignore", source)
        severity = normal.get("severity", {})
        if not isinstance(severity, dict):
            raise UsageError(f"{source}: [tool.reviewkit.severity] must be a table of rule = level")
        cfg.severity = {k: Severity.parse(str(v)) for k, v in severity.items()}
        if "fail-on" in normal:
            cfg.fail_on = parse_level(str(normal["fail-on"]), f"{source}: fail-on")
        cfg.skip_paths = _strings(normal, "skip-paths", source)
    except ValueError as exc:
        raise UsageError(f"{source}: bad [tool.reviewkit] setting: {exc}") from None
    baseline = normal.get("baseline")
    if baseline is not None:
        if not isinstance(baseline, str) or not baseline:
            raise UsageError(f"{source}: [tool.reviewkit] baseline must be a file name")
        cfg.baseline = _confined(baseline, Path(source).parent, source)
    kernel = normal.get("kernel", {})
    if not isinstance(kernel, dict):
        raise UsageError(f"{source}: [tool.reviewkit.kernel] must be a table")
    _check_patterns(kernel, source, "kernel")
    cfg.kernel = {}
    merge(cfg.kernel, pair_tables(_pairs(normal, "lock-pairs", source), _pairs(normal, "ctor-dtor-pairs", source)))
    merge(cfg.kernel, kernel)
    return cfg


REGEX_KEYS = {"returns", "error_labels", "cleanup_labels"}
"""Kernel-model list keys whose strings are regular expressions (see kernel/lifecycle.toml [folio.failure])."""


def _check_patterns(table: Any, source: str, where: str) -> None:
    """A bad regex in a kernel table is a usage error here, not an internal error inside a rule."""
    import re

    if not isinstance(table, dict):
        return
    for key, value in table.items():
        name = f"{where}.{key}"
        if isinstance(value, dict):
            _check_patterns(value, source, name)
        elif key in REGEX_KEYS and isinstance(value, list):
            for item in value:
                try:
                    re.compile(str(item))
                except re.error as exc:
                    raise UsageError(
                        f"{source}: [tool.reviewkit.{name}] {item!r}: bad regular expression: {exc}"
                    ) from None


def _confined(name: str, root: Path, source: str) -> str:
    """``name`` relative to ``root``, refused when it (or a symlink on the way) leads outside ``root``."""
    path = Path(name)
    if path.is_absolute() or ".." in path.parts:
        raise UsageError(f"{source}: [tool.reviewkit] baseline {name!r} must be a file inside {root} (no '..', no /)")
    full = root / path
    real_root = Path(os.path.realpath(root))
    if not Path(os.path.realpath(full)).is_relative_to(real_root):
        raise UsageError(f"{source}: [tool.reviewkit] baseline {name!r} leads outside {root} through a symlink")
    return str(full)


def _untrusted(path: Path) -> str | None:
    """Why a configuration file found on the walk up must not be used (None: it may)."""
    try:
        st, parent = path.stat(), path.parent.stat()
    except OSError as exc:
        return f"cannot stat: {exc.strerror or exc}"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    if st.st_uid not in (uid, 0):
        return f"owned by uid {st.st_uid}, not by you"
    if parent.st_mode & stat.S_IWOTH:
        return "in a world-writable directory"
    return None


def find_config(start: Path | None = None) -> Config:
    """The nearest ``.reviewkit.toml`` or pyproject ``[tool.reviewkit]``, up to the top of the work tree."""
    here = (start or Path.cwd()).resolve()
    skipped: list[str] = []
    for folder in (here, *here.parents):
        for name in (".reviewkit.toml", "pyproject.toml"):
            candidate = folder / name
            if not candidate.is_file():
                continue
            why = _untrusted(candidate)
            if why is not None:
                skipped.append(f"{candidate}: ignored ({why})")
                continue
            cfg = _load_candidate(candidate)
            if cfg is not None:
                cfg.skipped = skipped
                return cfg
        if (folder / ".git").exists():
            break  # a configuration above the repository is not the repository's
    return Config(skipped=skipped)


def _load_candidate(path: Path) -> Config | None:
    if path.name == ".reviewkit.toml":
        return load_file(path, own_file=True)
    try:
        data = tomllib.loads(read_config_text(path))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    if "reviewkit" in data.get("tool", {}):
        return _from_table(data["tool"]["reviewkit"], str(path))
    return None


MAX_CONFIG_BYTES = 1024 * 1024


def read_config_text(path: Path) -> str:
    from reviewkit.io import read_bounded

    return read_bounded(path, MAX_CONFIG_BYTES).decode("utf-8")


def check_rule_ids(
    config: Config, known: Iterable[str], *, select: list[str] | None = None, ignore: list[str] | None = None
) -> None:
    """UsageError for a rule id nobody defines (a typo would silently switch checks off).

    ``known`` is every loaded rule, plugins included; ``select``/``ignore``
    are the command line's lists (checked as such), the configuration's are
    named by their file.
    """
    ids = sorted(set(known))
    where = config.source or "configuration"
    checks = [
        ("--select", select or []),
        ("--ignore", ignore or []),
        (f"{where}: select", config.select if select is None else []),
        (f"{where}: ignore", [i for i in config.ignore if i not in (ignore or [])]),
        (f"{where}: [severity]", list(config.severity)),
    ]
    for label, values in checks:
        for rid in values:
            if rid not in ids:
                close = difflib.get_close_matches(rid, ids, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else " (see 'reviewkit rules')"
                raise UsageError(f"{label}: unknown rule id {rid!r}{hint}")


def installed_entry_points(group: str) -> list[EntryPoint]:
    """Entry points of ``group`` from the installed environment only.

    ``python -m reviewkit`` puts the current directory first on sys.path, so a
    ``*.dist-info`` in a patch's work tree would otherwise declare plugins
    that get imported and run.  The current directory is left out.
    """
    import sys
    from importlib.metadata import distributions

    cwd = os.path.realpath(os.getcwd())
    path = [p for p in sys.path if p and os.path.realpath(p) != cwd]
    seen: set[str] = set()
    out: list[EntryPoint] = []
    for dist in distributions(path=path):
        # The name from the *.dist-info folder's name when it has one (what importlib.metadata's own
        # entry_points() dedups on): parsing every installed METADATA costs more than the review.
        name = getattr(dist, "_normalized_name", None) or re.sub(r"[-_.]+", "_", dist.metadata["Name"] or "").lower()
        if name in seen:
            continue
        seen.add(name)
        out.extend(ep for ep in dist.entry_points if ep.group == group)
    return out


def load_file(path: Path, *, own_file: bool | None = None) -> Config:
    try:
        data = tomllib.loads(read_config_text(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read configuration: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    if own_file is None:
        own_file = path.name != "pyproject.toml"
    table = data if own_file else data.get("tool", {}).get("reviewkit", {})
    if own_file and "tool" in data and "reviewkit" in data["tool"]:
        table = data["tool"]["reviewkit"]
    return _from_table(table, str(path))
