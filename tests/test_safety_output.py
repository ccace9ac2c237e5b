"""Issue 16, the output and configuration side: what reviewkit writes, and what decides what it checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from limits import run_cli

from reviewkit.errors import UsageError
from reviewkit.io import write_atomic

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo" / "series.mbox"


def _demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo.mbox"
    target.write_bytes(DEMO.read_bytes())
    return target


# item 5: a configuration cannot make reviewkit write outside its directory


@pytest.mark.parametrize("baseline", ["../victim.json", "/tmp/reviewkit-victim.json", "sub/../../victim.json"])
def test_config_baseline_outside_the_repo_is_refused(tmp_path: Path, baseline: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    victim = tmp_path / "victim.json"
    victim.write_text("precious\n")
    (repo / ".reviewkit.toml").write_text(f'baseline = "{baseline}"\n')
    _demo(repo)
    out = run_cli(["baseline", "write", "demo.mbox", "--replace"], repo)
    assert out.returncode == 2 and "must be a file inside" in out.stderr, out.stderr
    assert victim.read_text() == "precious\n"
    assert not Path("/tmp/reviewkit-victim.json").exists()


def test_config_baseline_through_a_symlink_out_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (repo / "link").symlink_to(tmp_path / "elsewhere")
    (repo / ".reviewkit.toml").write_text('baseline = "link/b.json"\n')
    _demo(repo)
    out = run_cli(["baseline", "write", "demo.mbox"], repo)
    assert out.returncode == 2 and "symlink" in out.stderr
    assert not (tmp_path / "elsewhere" / "b.json").exists()


def test_config_baseline_inside_is_written(tmp_path: Path) -> None:
    (tmp_path / ".reviewkit.toml").write_text('baseline = "meta/base.json"\n')
    _demo(tmp_path)
    out = run_cli(["baseline", "write", "demo.mbox"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "meta" / "base.json").is_file()


# item 8: the input is never clobbered


def test_check_output_onto_the_input_is_refused(tmp_path: Path) -> None:
    mbox = _demo(tmp_path)
    before = mbox.read_bytes()
    for target in ("demo.mbox", "./demo.mbox", str(mbox)):
        out = run_cli(["check", "demo.mbox", "-o", target], tmp_path)
        assert out.returncode == 2 and "refusing to overwrite" in out.stderr, out.stderr
    os.link(mbox, tmp_path / "hardlink.txt")
    assert run_cli(["check", "demo.mbox", "-o", "hardlink.txt"], tmp_path).returncode == 2
    assert mbox.read_bytes() == before


def test_amend_output_onto_a_patch_of_the_input_dir_is_refused(tmp_path: Path) -> None:
    series = tmp_path / "series"
    series.mkdir()
    text = DEMO.read_text("utf-8")
    parts = text.split("\nFrom ")
    for n, part in enumerate(parts):
        (series / f"{n:04d}.patch").write_text(part if n == 0 else "From " + part)
    victim = series / "0002.patch"
    before = victim.read_bytes()
    out = run_cli(["amend", "series", "--accept", "whitespace-noise", "-o", "series/0002.patch"], tmp_path)
    assert out.returncode == 2 and "refusing to overwrite" in out.stderr, out.stderr
    assert victim.read_bytes() == before


# item 9: -o onto a symlink, a device, a directory


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_output_onto_a_fifo_writes_into_it(tmp_path: Path) -> None:
    fifo = tmp_path / "fake-device"
    os.mkfifo(fifo)
    reader = subprocess.Popen(
        [sys.executable, "-c", f"print(open({str(fifo)!r}).read(), end='')"], stdout=subprocess.PIPE
    )
    write_atomic(fifo, "through the device\n")
    assert reader.communicate(timeout=10)[0] == b"through the device\n"
    assert fifo.is_fifo()  # still the device, not replaced by a regular file


def test_output_onto_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        write_atomic(tmp_path, "x")
    _demo(tmp_path)
    out = run_cli(["check", "demo.mbox", "-o", "."], tmp_path)
    assert out.returncode == 2 and "is a directory" in out.stderr and "internal error" not in out.stderr


def test_output_to_dev_null_keeps_dev_null() -> None:
    import stat

    before = os.stat("/dev/null")
    assert stat.S_ISCHR(before.st_mode)
    write_atomic("/dev/null", "x")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (before.st_ino, before.st_rdev) == (after.st_ino, after.st_rdev)


# item 12: rule ids and where the configuration came from


@pytest.mark.parametrize(
    ("args", "config", "hint"),
    [
        (["--select", "lock-balnce"], "", "did you mean 'lock-balance'"),
        (["--ignore", "whitespace"], "", "did you mean 'whitespace-noise'"),
        ([], 'ignore = ["short-identifer"]\n', "did you mean 'short-identifier'"),
        ([], 'select = ["x"]\n', "unknown rule id 'x'"),
        ([], '[severity]\nlock-balanc = "info"\n', "did you mean 'lock-balance'"),
    ],
)
def test_unknown_rule_ids_are_usage_errors(tmp_path: Path, args: list[str], config: str, hint: str) -> None:
    _demo(tmp_path)
    if config:
        (tmp_path / ".reviewkit.toml").write_text(config)
    out = run_cli(["check", "demo.mbox", *args], tmp_path)
    assert out.returncode == 2, out.stderr
    assert hint in out.stderr and out.stderr.count("\n") == 1


def test_a_plugin_rule_id_is_known_once_loaded(tmp_path: Path) -> None:
    from plugins import make_plugin

    site = make_plugin(tmp_path / "site")
    _demo(tmp_path)
    out = run_cli(["check", "demo.mbox", "--select", "demo-series"], tmp_path, env={"PYTHONPATH": str(site)})
    assert out.returncode == 1 and "[demo-series]" in out.stdout, out.stderr


def test_a_config_in_a_world_writable_ancestor_is_ignored(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / ".reviewkit.toml").write_text('select = ["short-identifier"]\n')
    work = shared / "me"
    work.mkdir()
    _demo(work)
    out = run_cli(["check", "demo.mbox", "-v"], work)
    assert out.returncode == 1 and "[lock-balance]" in out.stdout
    assert "world-writable" in out.stderr and "config: none" in out.stderr


def test_config_search_stops_at_the_repository_top(tmp_path: Path) -> None:
    (tmp_path / ".reviewkit.toml").write_text('select = ["short-identifier"]\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _demo(repo)
    out = run_cli(["check", "demo.mbox", "-v"], repo)
    assert "[lock-balance]" in out.stdout and "config: none" in out.stderr


def test_config_source_is_in_verbose_and_json(tmp_path: Path) -> None:
    (tmp_path / ".reviewkit.toml").write_text('fail-on = "warning"\n')
    _demo(tmp_path)
    out = run_cli(["check", "demo.mbox", "-v", "-f", "json"], tmp_path)
    import json

    doc = json.loads(out.stdout)
    assert doc["version"] == 1 and doc["stats"]["config"]["source"].endswith(".reviewkit.toml")
    assert f"config: {tmp_path}" in out.stderr


# item 14: usage errors are usage errors; fix files; leftovers


@pytest.mark.parametrize(
    ("args", "config", "words"),
    [
        (["--fail-on", "eror"], "", "did you mean 'error'"),
        ([], 'fail-on = "warnin"\n', "did you mean 'warning'"),
        ([], '[kernel.folio.failure]\nreturns = ["(unclosed"]\n', "bad regular expression"),
    ],
)
def test_bad_levels_and_regexes_are_usage_errors(tmp_path: Path, args: list[str], config: str, words: str) -> None:
    _demo(tmp_path)
    if config:
        (tmp_path / ".reviewkit.toml").write_text(config)
    out = run_cli(["check", "demo.mbox", *args], tmp_path)
    assert out.returncode == 2 and words in out.stderr and "internal error" not in out.stderr, out.stderr


def test_fix_dir_with_a_long_path_and_no_stale_files(tmp_path: Path) -> None:
    long_dir = "d" * 120
    text = DEMO.read_text("utf-8").replace("drivers/misc/frobcache.c", f"{long_dir}/{'f' * 120}.c")
    (tmp_path / "long.mbox").write_text(text)
    fixes = tmp_path / "fixes"
    fixes.mkdir()
    stale = fixes / "0009-lock-balance-old-file.c-12.diff"
    stale.write_text("old\n")
    mine = fixes / "notes.txt"
    mine.write_text("mine\n")
    out = run_cli(["check", "long.mbox", "--fix-dir", "fixes"], tmp_path)
    assert out.returncode == 1, out.stderr
    names = sorted(p.name for p in fixes.iterdir())
    assert not stale.exists() and mine.exists()
    assert len(names) >= 3 and all(len(n) <= 255 for n in names)


def test_a_killed_write_leaves_no_temporary_behind(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = tmp_path / f".report.txt.{dead.pid}.abcd1234.tmp"
    leftover.write_text("half")
    alive = tmp_path / f".report.txt.{os.getpid()}.zzzz.tmp"
    alive.write_text("mine, in progress")
    write_atomic(target, "whole\n")
    assert target.read_text() == "whole\n"
    assert not leftover.exists() and alive.exists()


# item 15: amend checks a fix against its own patch


def test_amend_folds_a_fix_of_an_early_patch(tmp_path: Path) -> None:
    _demo(tmp_path)
    out = run_cli(["amend", "demo.mbox", "--accept", "list-lru-memcg-guard", "-o", "v2.mbox"], tmp_path, seconds=60)
    assert out.returncode == 0, out.stderr
    again = run_cli(["check", "v2.mbox"], tmp_path, seconds=60)
    assert "[list-lru-memcg-guard]" not in again.stdout and "[lock-balance]" in again.stdout
    both = ["amend", "demo.mbox", "--accept", "list-lru-memcg-guard,teardown-order,whitespace-noise", "-o", "v3.mbox"]
    assert run_cli(both, tmp_path, seconds=60).returncode == 0
    third = run_cli(["check", "v3.mbox"], tmp_path, seconds=60).stdout
    assert "[teardown-order]" not in third and "[whitespace-noise]" not in third
