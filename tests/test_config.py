"""Configuration files and rule plugins, as a user sets them up in a tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import NOISE, clean_env, git, make_repo, run_cli
from plugins import DIST, make_plugin

from reviewkit.config import Config, find_config, load_file
from reviewkit.engine import run as engine
from reviewkit.errors import UsageError
from reviewkit.model import Severity
from reviewkit.views.context import ReviewContext


@pytest.fixture
def repo_patch(tmp_path: Path) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "linux")
    git(repo, "format-patch", "-q", "-1", "-o", str(tmp_path / "out"))
    [patch] = sorted((tmp_path / "out").glob("*.patch"))
    return repo, patch


def _json(repo: Path, patch: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, list[dict]]:
    proc = run_cli("check", str(patch), "--format", "json", *args, cwd=repo, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"]


def test_found_walking_up_and_own_file_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.reviewkit]\nfail-on = "info"\n')
    deep = tmp_path / "mm" / "damon"
    deep.mkdir(parents=True)
    assert find_config(deep).fail_on is Severity.INFO
    (tmp_path / ".reviewkit.toml").write_text('fail-on = "warning"\n')
    cfg = find_config(deep)
    assert cfg.fail_on is Severity.WARNING and cfg.source == str(tmp_path / ".reviewkit.toml")
    (tmp_path / "mm" / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no [tool.reviewkit]: keep walking
    assert find_config(deep).fail_on is Severity.WARNING


def test_unknown_key_is_an_error(tmp_path: Path, repo_patch: tuple[Path, Path]) -> None:
    bad = tmp_path / ".reviewkit.toml"
    bad.write_text('ignroe = ["whitespace-noise"]\n')
    with pytest.raises(UsageError, match=r"unknown .* ignroe"):
        load_file(bad)
    repo, patch = repo_patch
    (repo / ".reviewkit.toml").write_text('ignroe = ["whitespace-noise"]\n')
    proc = run_cli("check", str(patch), cwd=repo)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.startswith("reviewkit: error: ") and err.count("\n") == 1 and "ignroe" in err


@pytest.mark.parametrize(
    "text",
    ['fail-on = "sometimes"', "select = 3", 'lock-pairs = [["only_one"]]', 'severity = "error"', "baseline = 1"],
)
def test_bad_values_are_one_line_errors(tmp_path: Path, text: str) -> None:
    cfg = tmp_path / ".reviewkit.toml"
    cfg.write_text(text + "\n")
    with pytest.raises(UsageError, match=r"\.reviewkit\.toml"):
        load_file(cfg)


def test_select_ignore_severity_fail_on_end_to_end(repo_patch: tuple[Path, Path]) -> None:
    repo, patch = repo_patch
    rc, findings = _json(repo, patch)
    noise = [f for f in findings if (f["rule"], f["file"], f["line"]) == ("whitespace-noise", *NOISE)]
    assert noise and noise[0]["severity"] == "warning"
    cfg = repo / ".reviewkit.toml"
    cfg.write_text('[severity]\nwhitespace-noise = "error"\n')
    rc, findings = _json(repo, patch)
    assert rc == 1 and [f["severity"] for f in findings if f["rule"] == "whitespace-noise"] == ["error"]
    cfg.write_text('ignore = ["whitespace-noise"]\n')
    assert not [f for f in _json(repo, patch)[1] if f["rule"] == "whitespace-noise"]
    cfg.write_text('select = ["whitespace-noise"]\nfail-on = "warning"\n')
    rc, findings = _json(repo, patch)
    assert rc == 1 and {f["rule"] for f in findings} == {"whitespace-noise"}
    cfg.write_text('select = ["whitespace-noise"]\nfail-on = "error"\n')
    assert _json(repo, patch)[0] == 0


def test_skip_paths(repo_patch: tuple[Path, Path]) -> None:
    repo, patch = repo_patch
    (repo / ".reviewkit.toml").write_text('skip-paths = ["drivers/misc/"]\n')
    assert _json(repo, patch)[1] == []
    cfg = Config(skip_paths=["drivers/*/widget.c", "tools/"])
    assert cfg.path_skipped("drivers/misc/widget.c") and cfg.path_skipped("tools/perf/x.c")
    assert not cfg.path_skipped("toolsx/a.c") and not cfg.path_skipped("mm/memory.c")


def test_baseline_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / ".reviewkit.toml").write_text('baseline = "review/baseline.json"\n')
    sub = tmp_path / "mm"
    sub.mkdir()
    assert find_config(sub).baseline == str(tmp_path / "review" / "baseline.json")


def test_pairs_and_kernel_tables_merge_into_the_model(tmp_path: Path) -> None:
    cfg_file = tmp_path / "pyproject.toml"
    cfg_file.write_text(
        "[tool.reviewkit]\n"
        'lock-pairs = [["widget_lock", "widget_unlock"]]\n'
        'ctor-dtor-pairs = [["widget_pool_create", "widget_pool_destroy"]]\n'
        "[[tool.reviewkit.kernel.locks.family]]\n"
        'group = "widget-irq"\nvariant = "irqsave"\nacquire = ["widget_lock_irqsave"]\n'
        'release = ["widget_unlock_irqrestore"]\nkey = 0\nflags = 1\nrelease_flags = 1\n'
    )
    cfg = load_file(cfg_file)
    model = ReviewContext(None, [], cfg).kernel
    builtin = ReviewContext(None, [], Config()).kernel
    families = model["locks"]["family"]
    assert len(families) == len(builtin.get("locks", {}).get("family", [])) + 2  # lists extend, never replace
    mine = {tuple(f["acquire"]): f for f in families}
    assert mine[("widget_lock",)]["release"] == ["widget_unlock"] and mine[("widget_lock",)]["key"] == 0
    assert mine[("widget_lock_irqsave",)]["flags"] == 1
    assert {"ctor": "widget_pool_create", "dtor": "widget_pool_destroy"} in model["lifecycle"]["pairs"]
    assert {"name": "widget_pool_destroy", "arg": 0} in model["lifecycle"]["destroy"]
    assert builtin.get("lifecycle", {}).get("walker") == model["lifecycle"].get("walker")  # tables merge


WIDGET_LOCK_PATCH = """\
From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: Rita Reviewer <rita@example.org>
Date: Mon, 2 Mar 2026 10:00:00 +0000
Subject: [PATCH] widget: bail out early on a dead widget

Signed-off-by: Rita Reviewer <rita@example.org>
---
 drivers/misc/widget.c | 2 ++
 1 file changed, 2 insertions(+)

diff --git a/drivers/misc/widget.c b/drivers/misc/widget.c
index 1111111..2222222 100644
--- a/drivers/misc/widget.c
+++ b/drivers/misc/widget.c
@@ -10,7 +10,9 @@ struct widget {
 static int widget_poke(struct widget *w)
 {
 \twidget_lock(w);
+\tif (w->dead)
+\t\treturn -ENODEV;
 \tw->count++;
 \twidget_unlock(w);
 \treturn 0;
 }
"""


def test_configured_lock_pair_reaches_the_lock_rule(tmp_path: Path) -> None:
    if "lock-balance" not in {r.id for r in engine.discover()}:
        pytest.skip("no lock-balance rule in this build")
    patch = tmp_path / "0001-widget.patch"
    patch.write_text(WIDGET_LOCK_PATCH)
    _rc, findings = _json(tmp_path, patch, "--select", "lock-balance")
    assert findings == []  # widget_lock() means nothing to reviewkit by default
    (tmp_path / ".reviewkit.toml").write_text('lock-pairs = [["widget_lock", "widget_unlock"]]\n')
    _rc, findings = _json(tmp_path, patch, "--select", "lock-balance")
    assert len(findings) == 1 and findings[0]["line"] in (12, 14)  # the acquire, or the early return
    assert "widget_lock" in findings[0]["message"] and "14" in findings[0]["message"]


# --------------------------------------------------------------------------
# Plugins


def test_plugin_rules_listed_with_source_and_broken_one_warned(tmp_path: Path) -> None:
    site = make_plugin(tmp_path / "site")
    env = clean_env(PYTHONPATH=str(site))
    proc = run_cli("rules", cwd=tmp_path, env=env)
    assert proc.returncode == 0
    out, err = proc.stdout.decode(), proc.stderr.decode()
    [row] = [ln for ln in out.splitlines() if ln.startswith("demo-series ")]
    assert "plugin" in row and "rk_demo_rules.series_rule" in row
    assert "broken" in err and "rk_demo_rules.does_not_exist" in err and "Traceback" not in err
    doc = json.loads(run_cli("rules", "--format", "json", cwd=tmp_path, env=env).stdout)
    [demo] = [r for r in doc if r["id"] == "demo-series"]
    assert demo["source"].startswith("plugin") and "## What it does" in demo["doc"]
    explain = run_cli("explain", "demo-series", cwd=tmp_path, env=env)
    assert explain.returncode == 0 and b"series-level checks" in explain.stdout
    assert DIST  # the dist-info is what importlib.metadata found


def test_plugin_rule_runs_and_broken_plugin_stays_off_machine_stderr(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "linux")
    git(repo, "format-patch", "-q", "-2", "-o", str(tmp_path / "out"))
    site = make_plugin(tmp_path / "site")
    env = clean_env(PYTHONPATH=str(site))
    proc = run_cli("check", str(tmp_path / "out"), "--format", "checkpatch", "--terse", cwd=repo, env=env)
    assert proc.returncode == 1 and proc.stderr == b""
    assert "ERROR: [demo-series] series-level demo finding" in proc.stdout.decode()
    text = run_cli("check", str(tmp_path / "out"), cwd=repo, env=env)
    assert b"rule plugin broken" in text.stderr and b"Traceback" not in text.stderr
