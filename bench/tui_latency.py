"""First paint and key latency of ``reviewkit tui``, measured with Textual's Pilot.

    python bench/tui_latency.py [MBOX ...] [--size 220x60 [--size 80x24 ...]] [--repeat 3] [--keys]

For each series: the time to import the TUI, to the first paint (from
loading the series to the app's first frame drawn: what the user sees, the
check still to come in its worker; taken when Textual runs the callbacks it
was given to run after a refresh, not after ``pilot.pause()``, which waits for
the whole process to go idle and so for the worker too), to the findings (the check worker done), and the
median/worst latency of the keys a reviewer uses most (press + the refresh it
triggers).  The baseline row, in the same process and run, is a bare Textual
app with one widget: its first paint, and what one key costs it through
Pilot.  That floor matters: ``pilot.press`` + ``pilot.pause`` wait for the
process to go idle in steps of Textual's sleep granularity (about 90 ms a key
on this machine for an app that does nothing), so the wall time of a key is
the floor plus the app's own work.  The app's work is also given as the CPU
time of the process during the key (``cpu`` columns): it does not depend on
the sleeps nor, much, on how loaded the machine is.

The ``scr`` columns are what the user waits for: from the key to the last frame it
caused (the frame turned into terminal text too, which Textual's headless driver
skips), without Pilot's idle-detection sleeps; ``--keys`` prints wall/cpu/scr.

Targets (issue 15): first paint <= 1 s, every key <= 100 ms.  ``--keys``
prints every key's wall/cpu time (the first ``i`` explain and the first ``?``
help are the ones that build a screen).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [
    ROOT.parent / "shared" / "corpus" / "thp-list_lru-v3-7of7-thread.mbox",
    ROOT / "fixtures" / "demo" / "series.mbox",
]
KEYS = [
    "j", "k", "j", "n", "p", "full_stop", "comma", "tab", "i", "space", "escape", "question_mark", "escape",
    "c", "j", "j", "j", "i", "escape", "f", "f", "full_stop", "y", "m", "question_mark", "escape", "r", "escape",
]  # fmt: skip
"""Navigation, the first explain (i) and help (?), the table (three moves in it: each shows another
finding), the follow-ups, accept, in/out of the reply, the reply preview: the keys of one review, in
the session's own key map (help_screen.KEYS)."""


async def press(pilot: Any, key: str, frames: list[float] | None = None) -> tuple[float, float, float]:
    """Wall and CPU seconds of one key: the press, and the pause until the app is idle and painted;
    and, when the app records its ``frames``, the seconds from the key to the last frame it caused
    (what the user waits for: Pilot's idle detection sleeps in 20 ms steps after that)."""
    if frames is not None:
        frames.clear()
    w0, c0 = time.perf_counter(), time.process_time()
    await pilot.press(key)
    await pilot.pause()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    screen = (max(frames) - w0) if frames else 0.0
    return wall, cpu, screen


async def bare(size: tuple[int, int]) -> tuple[float, float, float, float, float]:
    """A one-widget Textual app: first paint, the median wall/CPU of an unbound key (the floor of
    any key), and of a key that opens a one-line modal screen (the floor of ``?`` and ``i``)."""
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.screen import ModalScreen
    from textual.widgets import Static

    class Modal(ModalScreen[None]):
        BINDINGS = [Binding("escape", "dismiss")]  # noqa: RUF012

        def compose(self) -> ComposeResult:
            yield Static("modal")

    class Bare(App[None]):
        BINDINGS = [Binding("m", "modal")]  # noqa: RUF012

        def compose(self) -> ComposeResult:
            yield Static("hello")

        def action_modal(self) -> None:
            self.push_screen(Modal())

    started = time.perf_counter()
    async with Bare().run_test(size=size) as pilot:
        await pilot.pause()
        painted = time.perf_counter() - started
        keys = [await press(pilot, "j") for _ in range(7)]
        modal = []
        for _ in range(5):
            modal.append(await press(pilot, "m"))
            await press(pilot, "escape")
    return (
        painted,
        statistics.median(k[0] for k in keys),
        statistics.median(k[1] for k in keys),
        statistics.median(k[0] for k in modal),
        statistics.median(k[1] for k in modal),
    )


async def measure(mbox: Path, size: tuple[int, int]) -> dict[str, Any]:
    from reviewkit.tui.app import Options, ReviewApp, pipeline_review

    from reviewkit.config import Config
    from reviewkit.review.pipeline import load_series

    marks: dict[str, float] = {}
    frames: list[float] = []

    class Timed(ReviewApp):
        """ReviewApp noting when its first frame is drawn (Textual also runs ReviewApp.on_mount), and
        when every later frame is: Textual's headless driver skips turning a frame into terminal
        text, so that step is done here too, and its cost counted, as a terminal would need it."""

        CSS_PATH = str(Path(sys.modules[ReviewApp.__module__].__file__ or "").with_name("review.tcss"))

        def on_mount(self) -> None:
            self.call_after_refresh(lambda: marks.setdefault("paint", time.perf_counter()))

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is not None and not self._batch_count:
                from textual._compositor import CompositorUpdate

                if isinstance(renderable, CompositorUpdate):
                    renderable.render_segments(self.console)
                frames.append(time.perf_counter())

    started = time.perf_counter()
    app = Timed(Options(load_series(str(mbox)), Config()), pipeline_review)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        painted = marks.get("paint", time.perf_counter()) - started
        while app.session is None:  # the check starts after the first frame
            await app.workers.wait_for_complete()
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        ready = time.perf_counter() - started
        # the reply to the patch on screen is written ahead in a worker: let it finish, so that it
        # is not counted in the CPU time of the first keys
        await app.workers.wait_for_complete()
        await pilot.pause()
        keys = [await press(pilot, key, frames) for key in KEYS]
    return {"paint": painted, "ready": ready, "keys": keys}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mboxes", nargs="*", type=Path)
    ap.add_argument("--size", action="append", help="WxH (repeatable; default 220x60)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keys", action="store_true", help="print every key's wall/cpu ms")
    args = ap.parse_args()
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.size or ["220x60"]]
    t0 = time.perf_counter()
    import reviewkit.tui.app  # noqa: F401

    imported = time.perf_counter() - t0
    print(f"import reviewkit.tui.app: {imported:.2f} s (once per process, before the first paint)")
    head = ("paint s", "ready s", "wall med", "wall max", "cpu med", "cpu max", "scr med", "scr max")
    print(f"{'series':36s} " + " ".join(f"{h:>8s}" for h in head) + "  (key ms; slowest key)")
    for _ in range(args.repeat):
        for w, h in sizes:
            paint, wall, cpu, modal_wall, modal_cpu = asyncio.run(bare((w, h)))
            name = f"(bare Textual app) {w}x{h}"
            print(f"{name:36s} {paint:8.2f} {'':8s} {wall * 1000:8.0f} {'':8s} {cpu * 1000:8.0f}")
            name = "(bare app: open a modal)"
            print(f"{name:36s} {'':8s} {'':8s} {modal_wall * 1000:8.0f} {'':8s} {modal_cpu * 1000:8.0f}")
            for mbox in args.mboxes or [p for p in DEFAULT if p.is_file()]:
                m = asyncio.run(measure(mbox, (w, h)))
                walls = [k[0] * 1000 for k in m["keys"]]
                cpus = [k[1] * 1000 for k in m["keys"]]
                screens = [k[2] * 1000 for k in m["keys"]]
                slow = KEYS[screens.index(max(screens))]
                name = f"{mbox.name[:26]} {w}x{h}"
                print(
                    f"{name:36s} {m['paint']:8.2f} {m['ready']:8.2f} {statistics.median(walls):8.0f} "
                    f"{max(walls):8.0f} {statistics.median(cpus):8.0f} {max(cpus):8.0f} "
                    f"{statistics.median(screens):8.0f} {max(screens):8.0f}  ({slow})"
                )
                if args.keys:
                    per_key = zip(KEYS, walls, cpus, screens, strict=True)
                    print("    " + " ".join(f"{k}={w:.0f}/{c:.0f}/{s:.0f}" for k, w, c, s in per_key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
