"""How much of a C tree parses cleanly: the yardstick for :mod:`reviewkit.cparse.normalize`.

Rules only see functions that tree-sitter parsed without ERROR/MISSING nodes,
so the share of clean functions is the share of the kernel a scan can judge.
The denominator is the number of lines that are exactly ``{``: in kernel
style that is where (nearly) every function body opens, so it counts the
functions that *should* be found, independent of how well the parser does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from reviewkit.cparse.parse import Node, iter_functions, parse


@dataclass
class FileStats:
    """Counts for one file (or a sum of files)."""

    files: int = 0
    functions: int = 0
    clean_functions: int = 0
    clean_brace_functions: int = 0
    denominator: int = 0
    bytes: int = 0

    def add(self, other: FileStats) -> None:
        self.files += other.files
        self.functions += other.functions
        self.clean_functions += other.clean_functions
        self.clean_brace_functions += other.clean_brace_functions
        self.denominator += other.denominator
        self.bytes += other.bytes


def count_brace_lines(src: bytes) -> int:
    """Lines that are exactly ``{`` (kernel-style function body openers)."""
    lines = src.split(b"\n")
    return sum(1 for line in lines if line.rstrip(b"\r") == b"{")


def file_stats(src: bytes, *, raw: bool = False) -> FileStats:
    """Parse one source and count its functions, clean functions and ``{`` lines."""
    parsed = parse(src, raw=raw)
    stats = FileStats(files=1, denominator=count_brace_lines(src), bytes=len(src))
    lines = src.split(b"\n")
    for fn in iter_functions(parsed):
        stats.functions += 1
        if fn.clean:
            stats.clean_functions += 1
            stats.clean_brace_functions += int(_opens_brace_line(fn.body, lines))
    return stats


def _opens_brace_line(body: Node, lines: list[bytes]) -> bool:
    """The body starts on a line that is exactly ``{``: the functions the denominator counts."""
    row, col = body.start_point
    return col == 0 and lines[row].rstrip(b"\r") == b"{"


def iter_c_files(paths: Iterable[str]) -> Iterator[str]:
    """Every ``.c`` file under ``paths`` (files are taken as given), sorted for stable output."""
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".c"):
                    yield os.path.join(root, name)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def stats_for(path: str, *, raw: bool = False) -> dict[str, int | float]:
    """Summed :class:`FileStats` for one directory (or file), plus the seconds it took."""
    total = FileStats()
    start = time.perf_counter()
    for name in iter_c_files([path]):
        total.add(file_stats(_read(name), raw=raw))
    result: dict[str, int | float] = dict(asdict(total))
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def parse_stats(paths: list[str], *, raw: bool = False) -> dict[str, dict[str, int | float]]:
    """Per path: ``{"files", "functions", "clean_functions", "denominator", "bytes", "seconds"}``.

    ``raw=True`` skips normalisation, to measure what it buys.
    """
    return {path: stats_for(path, raw=raw) for path in paths}
