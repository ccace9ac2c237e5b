"""A long series costs each fix's verification what the fix changed, not the whole series again.

Counted, not timed: how often teardown-order learns one function's links,
and which views a verification's rebuild keeps.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from reviewkit.rules.teardown_order import lifecycle

from reviewkit.engine import run as engine
from reviewkit.engine.registry import discover
from reviewkit.load.series import Series, load
from reviewkit.views.build import build_context

N = 6


def _file(k: int) -> list[str]:
    return [
        f"static int __init cask{k}_init(void)",
        "{",
        f'\tcask{k}_shrinker = shrinker_alloc(SHRINKER_MEMCG_AWARE, "cask{k}");',
        f"\tif (!cask{k}_shrinker)",
        "\t\treturn -ENOMEM;",
        f"\tif (list_lru_init_memcg(&cask{k}_lru, cask{k}_shrinker))",
        "\t\tgoto free_shrinker;",
        f"\tshrinker_register(cask{k}_shrinker);",
        "\treturn 0;",
        "",
        "free_shrinker:",
        f"\tshrinker_free(cask{k}_shrinker);",
        "\treturn -ENOMEM;",
        "}",
        "",
        f"static void __exit cask{k}_exit(void)",
        "{",
        f"\tlist_lru_destroy(&cask{k}_lru);",
        f"\tshrinker_free(cask{k}_shrinker);",
        "}",
    ]


def _mbox(tmp: Path) -> Path:
    """N patches, each adding one file whose exit function destroys its lru before freeing the shrinker."""
    msgs = []
    for k in range(1, N + 1):
        lines = _file(k)
        body = "".join(f"+{ln}\n" for ln in lines)
        msgs.append(
            f"From {k:040x} Mon Sep 17 00:00:00 2001\n"
            "From: A Developer <dev@example.org>\n"
            f"Date: Mon, 2 Mar 2026 10:00:{k:02d} +0000\n"
            f"Subject: [PATCH {k}/{N}] mm: add cask{k}\n\n"
            f"Add cask{k}.\n\nSigned-off-by: A Developer <dev@example.org>\n---\n"
            f"diff --git a/mm/cask{k}.c b/mm/cask{k}.c\nnew file mode 100644\n"
            f"--- /dev/null\n+++ b/mm/cask{k}.c\n@@ -0,0 +1,{len(lines)} @@\n{body}-- \n2.43.0\n\n"
        )
    path = tmp / "series.mbox"
    path.write_text("".join(msgs))
    return path


@pytest.fixture
def learned(monkeypatch: pytest.MonkeyPatch) -> Counter[int]:
    """How often teardown-order learned each function view (by identity)."""
    counts: Counter[int] = Counter()
    real = lifecycle._learn

    def counting(fv, model):  # type: ignore[no-untyped-def]
        counts[id(fv)] += 1
        return real(fv, model)

    monkeypatch.setattr(lifecycle, "_learn", counting)
    return counts


def test_verifications_learn_only_the_functions_their_fix_changed(tmp_path: Path, learned: Counter[int]) -> None:
    ctx = build_context(load(str(_mbox(tmp_path))))
    rules = [r for r in discover() if r.id == "teardown-order"]
    found = engine.run(ctx, rules)
    fixed = [f for f in found if f.fix is not None and f.fix.verified]
    assert len(fixed) == N, "every patch's reversed teardown is reported with a verified fix"
    views = sum(len(fv.functions("post")) for _pc, fv in ctx.files())
    assert all(c == 1 for c in learned.values()), "a view is learned once per run"
    # the reviewed series once, then per fix only the folded patch's functions (its two)
    assert sum(learned.values()) <= views + N * 2
    assert sum(learned.values()) < views * (N + 1)


def _two_patch_series(tmp: Path) -> Series:
    (tmp / "tree" / "mm").mkdir(parents=True)
    for name in ("a", "b"):
        (tmp / "tree" / "mm" / f"{name}.c").write_text(f"int {name}_get(int x)\n{{\n\treturn x;\n}}\n")
    msgs = []
    for k, name in enumerate(("a", "b"), 1):
        msgs.append(
            f"From {k:040x} Mon Sep 17 00:00:00 2001\n"
            "From: A Developer <dev@example.org>\n"
            f"Subject: [PATCH {k}/2] mm: {name}\n\nChange {name}.\n\nSigned-off-by: A Developer <dev@example.org>\n"
            f"---\ndiff --git a/mm/{name}.c b/mm/{name}.c\n--- a/mm/{name}.c\n+++ b/mm/{name}.c\n"
            f"@@ -1,4 +1,4 @@\n int {name}_get(int x)\n {{\n-\treturn x;\n+\treturn x + 1;\n }}\n"
        )
    path = tmp / "two.mbox"
    path.write_text("".join(msgs))
    return load(str(path))


def test_a_rebuild_with_whole_files_keeps_the_views_of_unchanged_patches(tmp_path: Path) -> None:
    series = _two_patch_series(tmp_path)
    tree = str(tmp_path / "tree")
    ctx = build_context(series, tree=tree)
    assert all(fv.tree_post is not None for _pc, fv in ctx.files()), "tree mode: whole files attached"
    again = build_context(series, tree=tree, keep=ctx, facts=ctx.facts)
    assert all(a.files is b.files for a, b in zip(ctx.patches, again.patches, strict=True))
    # the first patch re-read (another object): its view is new, the second patch's (another file) kept
    import dataclasses

    first = dataclasses.replace(series.patches[0])
    changed = dataclasses.replace(series, patches=[first, series.patches[1]])
    third = build_context(changed, tree=tree, keep=ctx, facts=ctx.facts)
    assert third.patches[0].files[0] is not ctx.patches[0].files[0]
    assert third.patches[0].files[0].tree_post == ctx.patches[0].files[0].tree_post
    assert third.patches[1].files is ctx.patches[1].files
