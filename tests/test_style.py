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


def test_every_package_folder_is_installed() -> None:
    """A folder with an ``__init__.py`` under reviewkit/, rules/ or tui/ is listed in pyproject's packages.

    The list is explicit (rules/ and tui/ install under reviewkit.), so a rule
    that grows into a folder is missing from a non-editable install until it is
    added there, and only a fresh-clone CI would notice.
    """
    import tomllib

    table = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    listed = set(table["packages"])
    dirs = {"reviewkit": "reviewkit", "rules": "reviewkit.rules", "tui": "reviewkit.tui"}
    found = set()
    for top, name in dirs.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((name, *rel)))
    assert not found - listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"


def test_counted_nouns_are_singular_or_plural_never_both() -> None:
    """``1 finding``, ``3 fixes`` (reviewkit.words.plural), not ``1 finding(s)``: in every message a user reads."""
    import ast
    import re

    both = re.compile(r"[a-z]\((?:s|es)\)")
    bad = []
    for folder in ("reviewkit", "tui", "rules"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            # docstrings, also of attributes (a string on its own line): read by developers, not users
            docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
            for node in ast.walk(tree):
                text = node.value if isinstance(node, ast.Constant) and id(node) not in docs else None
                if isinstance(text, str) and both.search(text):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text.strip()[:60]!r}")
    assert not bad, "say the count in words:\n" + "\n".join(bad)
