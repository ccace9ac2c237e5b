"""Issue 16, item 15: many tiny patches cost linear time; no rule runs unbounded in ``check``."""

from __future__ import annotations

import time
from pathlib import Path

from limits import run_cli

from reviewkit.load.series import load
from reviewkit.review.pipeline import review
from reviewkit.views.context import ReviewContext


def _series(n: int) -> str:
    parts = []
    for i in range(1, n + 1):
        parts.append(
            f"From {i:040x} Mon Sep 17 00:00:00 2001\nFrom: Dev <dev@example.org>\n"
            f"Subject: [PATCH {i}/{n}] x: change {i}\n\nwhy\n---\n"
            f"diff --git a/f{i}.c b/f{i}.c\n--- a/f{i}.c\n+++ b/f{i}.c\n@@ -1,3 +1,3 @@\n"
            f" static int f{i}(void)\n {{\n-\treturn 0;\n+\treturn 1;\n"
        )
    return "".join(parts)


def _file_walk_steps(tmp_path: Path, n: int, monkeypatch) -> int:  # type: ignore[no-untyped-def]
    """How many (patch, file) pairs the whole review walks for ``n`` one-file patches."""
    path = tmp_path / f"s{n}.mbox"
    path.write_text(_series(n))
    steps = 0
    original = ReviewContext.files

    def counting(self):  # type: ignore[no-untyped-def]
        nonlocal steps
        for item in original(self):
            steps += 1
            yield item

    monkeypatch.setattr(ReviewContext, "files", counting)
    review(load(str(path)))
    monkeypatch.setattr(ReviewContext, "files", original)
    return steps


def test_review_work_grows_linearly_with_the_number_of_patches(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    small, big = _file_walk_steps(tmp_path, 50, monkeypatch), _file_walk_steps(tmp_path, 200, monkeypatch)
    assert big <= 5 * small, (small, big)  # 4x the patches: ~4x the walking, not 16x


def test_a_per_rule_budget_in_check(tmp_path: Path) -> None:
    (tmp_path / "s.mbox").write_text(_series(400))
    started = time.monotonic()
    out = run_cli(["check", "s.mbox", "--timeout", "0.05"], tmp_path, seconds=60)
    assert out.returncode in (0, 1), out.stderr
    assert "skipped: still running after 0.05 s" in out.stderr
    assert time.monotonic() - started < 60
    bad = run_cli(["check", "s.mbox", "--timeout", "-1"], tmp_path)
    assert bad.returncode == 2 and "--timeout" in bad.stderr
