"""The code base stays ruff clean (lint); a style regression fails CI like a bug."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    exe = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(exe).exists():
        pytest.skip("ruff is not installed (pip install '.[test]')")
    return [exe]


def test_ruff_check_is_clean() -> None:
    proc = subprocess.run([*_ruff(), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean_on_the_library() -> None:
    """The library type-checks (pyproject's [tool.mypy]): typing is part of review, not an afterthought."""
    exe = shutil.which("mypy") or str(Path(sys.executable).parent / "mypy")
    if not Path(exe).exists():
        pytest.skip("mypy is not installed (pip install '.[test]')")
    proc = subprocess.run([exe, "--no-incremental"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("root", ["tui", "rules"])
def test_mypy_is_clean_on_the_installed_roots(root: str) -> None:
    """tui/ and rules/ (installed as reviewkit.tui, reviewkit.rules) are checked as their own roots."""
    exe = shutil.which("mypy") or str(Path(sys.executable).parent / "mypy")
    if not Path(exe).exists():
        pytest.skip("mypy is not installed (pip install '.[test]')")
    proc = subprocess.run([exe, "--no-incremental", root], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


SIZE_LIMIT = 400
"""Lines past which a module must say why it is one module (a ``# size:`` comment line)."""


def test_large_modules_say_why() -> None:
    """Small modules are the house style; a module over the limit carries a one-line reason."""
    unexplained = []
    for path in sorted([*ROOT.glob("reviewkit/**/*.py"), *ROOT.glob("rules/**/*.py"), *ROOT.glob("tui/**/*.py")]):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > SIZE_LIMIT and not any(ln.startswith("# size: ") for ln in lines):
            unexplained.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert not unexplained, "modules over the limit without a '# size: ' reason: " + ", ".join(unexplained)
