"""The check path imports only what it uses (issue 18): a hook or a b4 check pays for no TUI, no cluster.

Each case runs ``reviewkit check`` of the demo series in a fresh interpreter
and reads ``sys.modules`` at its end: the TUI stack (textual, rich), the
distributed executors (dask), GitPython, b4 and the reporters of formats
not asked for must not be there.  The positive side is checked too (the
chosen reporter is imported), so the test cannot pass by running nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo" / "series.mbox"

NEVER = (
    "textual",
    "rich",
    "dask",
    "distributed",
    "git",
    "b4",
    "reviewkit.tui",
    "reviewkit.engine.executor",
    "reviewkit.engine.dask_executor",
    "reviewkit.engine.cache",
    "reviewkit.fixes.amend",
    "reviewkit.load.thread",
)
REPORTERS = {
    "text": "reviewkit.report.text",
    "json": "reviewkit.report.jsonfmt",
    "sarif": "reviewkit.report.sarif",
    "checkpatch": "reviewkit.report.checkpatch",
    "github": "reviewkit.report.github",
    "rdjsonl": "reviewkit.report.rdjsonl",
    "b4-review": "reviewkit.report.b4review",
    "reply": "reviewkit.report.reply",
}

_PROBE = """
import json, runpy, sys
sys.argv = ["reviewkit", *json.loads(sys.argv[1])]
try:
    runpy.run_module("reviewkit", run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(sys.argv[-1] + ".modules", "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""


def _modules_after(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    out = tmp_path / "report"
    argv = ["check", str(DEMO), *args, "-o", str(out)]
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv), str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "report.modules").read_text())
    return data["code"], set(data["modules"])


def _loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_check_imports_nothing_it_does_not_use(tmp_path: Path, fmt: str) -> None:
    code, modules = _modules_after(tmp_path, "--format", fmt)
    assert code in (0, 1)  # a review ran (findings or none), not a usage error
    assert (tmp_path / "report").read_text().strip()
    assert "reviewkit.review.pipeline" in modules and REPORTERS[fmt] in modules
    unwanted = [name for name in NEVER if _loaded(modules, name)]
    # text is also where escape_controls() lives (every command prints notes with it)
    unwanted += [mod for other, mod in REPORTERS.items() if other not in (fmt, "text") and mod in modules]
    assert not unwanted, f"check --format {fmt} imported {unwanted}"
