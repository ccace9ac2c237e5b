"""Whole-file review without a patch: ``reviewkit scan`` (audits, baselines, benchmarks).

Each C file becomes a FileView whose every line counts as changed and whose
post-image is the whole file, so rules run exactly as in tree mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from reviewkit import engine
from reviewkit.config import Config
from reviewkit.context import PatchContext, ReviewContext
from reviewkit.findings import Finding
from reviewkit.source import FileView, Line

SKIP_DIRS = {".git", ".pc", "node_modules"}


def c_files(paths: list[str]) -> Iterator[Path]:
    """Every .c file under ``paths`` (files given directly are taken as they are)."""
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            yield p
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                if name.endswith(".c"):
                    yield Path(root) / name


def file_view(path: Path, text: str, display: str | None = None) -> FileView:
    """A FileView that shows the whole file, every line counted as changed."""
    lines = [Line(n, t, True, 0) for n, t in enumerate(text.split("\n"), 1)]
    view = FileView(display or str(path), display or str(path), None, lines, [], tree_post=text)  # type: ignore[arg-type]
    return view


def scan_context(views: list[FileView], config: Config | None = None) -> ReviewContext:
    return ReviewContext(None, [PatchContext(None, views)], config or Config(), scan=True, report_all=True)


def scan_text(path: str, text: str, rules: list[engine.Rule], config: Config | None = None) -> list[Finding]:
    """Run ``rules`` over one file's text."""
    ctx = scan_context([file_view(Path(path), text, path)], config)
    return engine.run(ctx, rules)


def scan_paths(paths: list[str], rules: list[engine.Rule], config: Config | None = None) -> Iterator[Finding]:
    """Findings of every .c file under ``paths``, file by file."""
    for path in c_files(paths):
        try:
            text = path.read_bytes().decode("utf-8", "surrogateescape")
        except OSError:
            continue
        yield from scan_text(str(path), text, rules, config)
