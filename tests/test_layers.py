"""The stages import downwards only: the layer contract of the library, checked on the import graph.

Each module belongs to the most specific entry below; a module may import
its own layer and the layers under it, never one above.  grimp reads every
import, function-level ones included (imports under ``TYPE_CHECKING`` are
left out: they are annotations, not dependencies).  Known exceptions are
listed by name so that they stay visible and a new one fails the test.
"""

from __future__ import annotations

import pytest

grimp = pytest.importorskip("grimp")

LAYERS: list[list[str]] = [
    ["reviewkit.cli", "reviewkit.commands", "reviewkit.__main__"],
    ["reviewkit.tui"],
    ["reviewkit.review", "reviewkit.fixes.amend"],
    ["reviewkit.report"],
    ["reviewkit.engine"],
    ["reviewkit.rules"],
    ["reviewkit.api"],
    ["reviewkit.fixes.verify", "reviewkit.fixes.fold"],
    ["reviewkit.facts", "reviewkit.locks", "reviewkit.flow", "reviewkit.transform", "reviewkit.fixes.edits"],
    ["reviewkit.views"],
    ["reviewkit.cparse", "reviewkit.load"],
    [
        "reviewkit.kernel",
        "reviewkit.model",
        "reviewkit.fixes.diff",
        "reviewkit.fixes.diffstat",
        "reviewkit.config",
        "reviewkit.errors",
        "reviewkit.io",
        "reviewkit.gitsafe",
        "reviewkit.words",
    ],
]

KNOWN_UPWARD = {
    # the per-function memo keys on a function view; it belongs beside the views
    ("reviewkit.cparse.memo", "reviewkit.views.source"),
    # a context made by hand (tests, plugins) gets its own facts lazily
    ("reviewkit.views.context", "reviewkit.facts"),
}


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (i, len(prefix))
    return best[0] if best else None


def test_stages_import_only_downwards() -> None:
    graph = grimp.build_graph("reviewkit", exclude_type_checking_imports=True)
    upward = set()
    for module in graph.modules:
        mine = layer_of(module)
        if mine is None:
            continue
        for dep in graph.find_modules_directly_imported_by(module):
            theirs = layer_of(dep)
            if theirs is not None and theirs < mine:
                upward.add((module, dep))
    assert upward - KNOWN_UPWARD == set(), "upward imports:\n" + "\n".join(f"{a} -> {b}" for a, b in sorted(upward))
    assert upward >= KNOWN_UPWARD, f"fixed, drop from KNOWN_UPWARD: {sorted(KNOWN_UPWARD - upward)}"


def test_every_library_module_has_a_layer() -> None:
    graph = grimp.build_graph("reviewkit", exclude_type_checking_imports=True)
    # Imported from a source checkout, reviewkit's __path__ also holds the repository root (so that
    # reviewkit.rules/tui resolve); grimp then sees the checkout's other folders as subpackages.
    checkout = ("reviewkit.reviewkit", "reviewkit.tests", "reviewkit.bench", "reviewkit.fixtures")
    stray = sorted(
        m
        for m in graph.modules
        if m.startswith("reviewkit") and not m.startswith(checkout)
        # the two packages split across layers have empty __init__ modules
        if layer_of(m) is None and m not in ("reviewkit", "reviewkit.fixes")
    )
    assert stray == [], f"modules outside every layer: {stray}"
