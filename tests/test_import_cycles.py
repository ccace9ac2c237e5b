"""No import cycles in ``reviewkit``: each stage imports only stages below it.

grimp reads every import statement, including those inside functions (a
"lazy" import is still a dependency, and a cycle hidden in a function body
is how a stage ends up reaching back into a higher one).
"""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative), plus self-imports."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succs = [s for s in edges.get(node, []) if s in edges]
            if i < len(succs):
                work.append((node, i + 1))
                nxt = succs[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1 or node in edges.get(node, []):
                    out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def test_no_import_cycles_in_reviewkit() -> None:
    graph = grimp.build_graph("reviewkit")
    assert len(graph.modules) > 40  # the whole package was read, not an empty graph
    cycles = _cycles(graph)
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_cycle_finder_sees_a_cycle() -> None:
    """The finder itself: a two-module cycle and a three-module one are reported, a chain is not."""

    class Fake:
        def __init__(self, edges: dict[str, set[str]]) -> None:
            self.modules = set(edges) | {m for targets in edges.values() for m in targets}
            self.edges = edges

        def find_modules_directly_imported_by(self, m: str) -> set[str]:
            return self.edges.get(m, set())

    two_and_three = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}}
    assert sorted(_cycles(Fake(two_and_three))) == [["a", "b"], ["c", "d", "e"]]  # type: ignore[arg-type]
    assert _cycles(Fake({"a": {"b"}, "b": {"c"}})) == []  # type: ignore[arg-type]
