"""Project configuration: ``[tool.reviewkit]`` in pyproject.toml or ``.reviewkit.toml``.

Found by walking up from the current directory, the way ruff and b4 find
theirs, so a kernel tree can carry one file for every developer.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from reviewkit.errors import UsageError
from reviewkit.findings import Severity


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
        return any(fnmatch(path, pat) for pat in self.skip_paths)


def _from_table(table: dict[str, Any], source: str) -> Config:
    cfg = Config(source=source)
    try:
        cfg.select = list(table.get("select", []))
        cfg.ignore = list(table.get("ignore", []))
        cfg.severity = {k: Severity.parse(v) for k, v in table.get("severity", {}).items()}
        if "fail-on" in table or "fail_on" in table:
            cfg.fail_on = Severity.parse(table.get("fail-on", table.get("fail_on")))
        cfg.skip_paths = list(table.get("skip-paths", table.get("skip_paths", [])))
        cfg.baseline = table.get("baseline")
        cfg.kernel = dict(table.get("kernel", {}))
    except (ValueError, TypeError, AttributeError) as exc:
        raise UsageError(f"{source}: bad [tool.reviewkit] setting: {exc}") from None
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
