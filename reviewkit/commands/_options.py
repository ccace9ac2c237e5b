"""Options several commands share: rule selection checked against the loaded rules, the config's origin."""

from __future__ import annotations

import sys

from reviewkit.config import Config, check_rule_ids, find_config


def split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def known_rule_ids() -> list[str]:
    """Every rule id this run can run: built-ins and the plugins that loaded."""
    from reviewkit.engine import run as engine

    return [r.id for r in engine.discover()]


def joined(given: list[str] | str | None) -> str | None:
    """A repeatable rule-id option as one comma-separated list (None when not given)."""
    if given is None or isinstance(given, str):
        return given
    return ",".join(given)


def configured(select: str | None = None, ignore: str | None = None, *, verbose: bool = False) -> Config:
    """The project configuration with ``--select``/``--ignore`` applied; every rule id checked.

    An unknown id is a usage error with a "did you mean": a typo must never
    switch checks off silently.
    """
    config = find_config()
    chosen, skipped = split(select), split(ignore)
    check_rule_ids(config, known_rule_ids(), select=chosen if select else None, ignore=skipped)
    if chosen:
        config.select = chosen
    if skipped:
        config.ignore = config.ignore + skipped
    if verbose:
        print(f"reviewkit: config: {config.describe()}", file=sys.stderr)
    if verbose or config.skipped:
        for line in config.skipped:
            print(f"reviewkit: note: config {line}", file=sys.stderr)
    return config


def config_stats(config: Config) -> dict[str, object]:
    """The JSON report's ``stats.config``: where the settings came from (schema: added field)."""
    return {"source": config.source, "ignored": list(config.skipped)}
