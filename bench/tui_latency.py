"""First paint and key latency of ``reviewkit tui``, measured with Textual's Pilot.

    python bench/tui_latency.py [MBOX ...] [--size 220x60] [--repeat 3]

For each series: the time to import the TUI, to the first paint (the app is
mounted and has drawn its first frame: what the user sees, the check still
running in its worker), to the findings (the check worker done), and the
median/worst latency of the keys a reviewer uses most (press + the refresh it
triggers).  The baseline row, in the same process and run, is a bare Textual
app with one widget: what Textual itself costs on this machine today, so a
loaded machine shows as a slow baseline rather than as a slow reviewkit.
Targets (issue 18): first paint <= 1 s, every key <= 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [
    ROOT.parent / "shared" / "corpus" / "thp-list_lru-v3-7of7-thread.mbox",
    ROOT / "fixtures" / "demo" / "series.mbox",
]
KEYS = ["j", "k", "j", "n", "p", "full_stop", "comma", "tab", "e", "escape", "question_mark", "escape"]


async def bare(size: tuple[int, int]) -> float:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("hello")

    started = time.perf_counter()
    async with Bare().run_test(size=size) as pilot:
        await pilot.pause()
        return time.perf_counter() - started


async def measure(mbox: Path, size: tuple[int, int]) -> dict[str, float | list[float]]:
    from reviewkit.tui.app import Options, ReviewApp, pipeline_review

    from reviewkit.config import Config
    from reviewkit.review.pipeline import load_series

    started = time.perf_counter()
    app = ReviewApp(Options(load_series(str(mbox)), Config()), pipeline_review)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        painted = time.perf_counter() - started
        await app.workers.wait_for_complete()
        await pilot.pause()
        ready = time.perf_counter() - started
        keys = []
        for key in KEYS:
            t0 = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            keys.append(time.perf_counter() - t0)
    return {"paint": painted, "ready": ready, "keys": keys}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mboxes", nargs="*", type=Path)
    ap.add_argument("--size", default="220x60")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    t0 = time.perf_counter()
    import reviewkit.tui.app  # noqa: F401

    imported = time.perf_counter() - t0
    print(f"import reviewkit.tui.app: {imported:.2f} s (once per process, before the first paint)")
    print(f"{'series':40s} {'paint s':>8s} {'ready s':>8s} {'key med ms':>10s} {'key max ms':>10s}")
    for _ in range(args.repeat):
        base = asyncio.run(bare((w, h)))
        print(f"{'(bare Textual app)':40s} {base:8.2f}")
        for mbox in args.mboxes or [p for p in DEFAULT if p.is_file()]:
            m = asyncio.run(measure(mbox, (w, h)))
            keys = [k * 1000 for k in m["keys"]]  # type: ignore[union-attr]
            med, worst = statistics.median(keys), max(keys)
            slow = KEYS[keys.index(worst)]
            print(f"{mbox.name[:40]:40s} {m['paint']:8.2f} {m['ready']:8.2f} {med:10.0f} {worst:10.0f} ({slow})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
