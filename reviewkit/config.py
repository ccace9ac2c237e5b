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

An unknown key is an error (a typo must not silently switch a check off).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from reviewkit.errors import UsageError
from reviewkit.kernel import merge
from reviewkit.model import Severity

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
            f"{source}: unknown [tool.reviewkit] key(s): {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})"
        )
    try:
        cfg.select = _strings(normal, "select", source)
        cfg.ignore = _strings(normal, "ignore", source)
        severity = normal.get("severity", {})
        if not isinstance(severity, dict):
            raise UsageError(f"{source}: [tool.reviewkit.severity] must be a table of rule = level")
        cfg.severity = {k: Severity.parse(str(v)) for k, v in severity.items()}
        if "fail-on" in normal:
            cfg.fail_on = Severity.parse(str(normal["fail-on"]))
        cfg.skip_paths = _strings(normal, "skip-paths", source)
    except ValueError as exc:
        raise UsageError(f"{source}: bad [tool.reviewkit] setting: {exc}") from None
    baseline = normal.get("baseline")
    if baseline is not None:
        if not isinstance(baseline, str) or not baseline:
            raise UsageError(f"{source}: [tool.reviewkit] baseline must be a file name")
        path = Path(baseline)
        cfg.baseline = str(path if path.is_absolute() else Path(source).parent / path)
    kernel = normal.get("kernel", {})
    if not isinstance(kernel, dict):
        raise UsageError(f"{source}: [tool.reviewkit.kernel] must be a table")
    cfg.kernel = {}
    merge(cfg.kernel, pair_tables(_pairs(normal, "lock-pairs", source), _pairs(normal, "ctor-dtor-pairs", source)))
    merge(cfg.kernel, kernel)
    return cfg


def find_config(start: Path | None = None) -> Config:
    """The nearest ``.reviewkit.toml`` or pyproject ``[tool.reviewkit]``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / ".reviewkit.toml"
        if own.is_file():
            return load_file(own, own_file=True)
        py = folder / "pyproject.toml"
        if py.is_file():
            try:
                data = tomllib.loads(py.read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                continue
            if "reviewkit" in data.get("tool", {}):
                return _from_table(data["tool"]["reviewkit"], str(py))
    return Config()


def load_file(path: Path, *, own_file: bool | None = None) -> Config:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
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
