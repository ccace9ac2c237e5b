"""Layering: rules import only the public API; the library never imports the TUI.

Checked on the source text with the ast module, so a violation is caught
even in a branch no test executes.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE_ALLOWED = {"reviewkit.api"}
LAZY_ONLY = {"textual", "git"}
ENTRY_POINTS = {"reviewkit/cli.py", "reviewkit/__main__.py"}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level) for every import in a file."""
    tree = ast.parse(path.read_text("utf-8"))
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, id(node) in top) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, id(node) in top))
        elif isinstance(node, ast.ImportFrom) and node.level:
            out.append(("." * node.level + (node.module or ""), id(node) in top))
    return out


def test_rules_import_only_the_api() -> None:
    bad = []
    for path in sorted((ROOT / "rules").glob("*.py")):
        for mod, _top in _imports(path):
            if mod.startswith("reviewkit") and mod not in RULE_ALLOWED and not mod.startswith("reviewkit.rules"):
                bad.append(f"{path.name}: imports {mod}")
            if mod.startswith((".", "tui")) and not mod.startswith("._") and mod != ".":
                bad.append(f"{path.name}: relative import {mod}")
    assert not bad, "\n".join(bad)


def test_library_never_imports_tui_or_cli() -> None:
    bad = []
    for path in sorted((ROOT / "reviewkit").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("reviewkit/commands/"):
            continue  # command modules are the CLI layer; they may start the TUI
        for mod, _top in _imports(path):
            if mod.startswith(("reviewkit.tui", "tui")):
                bad.append(f"{rel}: imports {mod}")
            if mod.startswith(("reviewkit.cli", "reviewkit.commands")) and rel not in ENTRY_POINTS:
                bad.append(f"{rel}: imports {mod}")
    assert not bad, "\n".join(bad)


def test_heavy_imports_are_lazy() -> None:
    """textual and gitpython are imported inside functions, never at module load."""
    bad = []
    for folder in ("reviewkit", "rules"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for mod, top in _imports(path):
                if top and mod.split(".")[0] in LAZY_ONLY:
                    bad.append(f"{path.relative_to(ROOT)}: top-level import of {mod}")
    assert not bad, "\n".join(bad)


def test_plain_check_does_not_load_textual_or_git() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom reviewkit import cli\n"
        "try:\n    cli.main(['rules'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('textual', 'git') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_rules_and_tui_are_subpackages() -> None:
    import reviewkit.rules
    import reviewkit.tui

    assert Path(reviewkit.rules.__file__).parent.name == "rules"
    assert Path(reviewkit.tui.__file__).parent.name == "tui"
