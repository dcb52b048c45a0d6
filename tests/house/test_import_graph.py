"""The package's modules import each other without circles.

Every import that runs (``grimp`` reads them from the source; function-level imports count too,
since a circle held together by a function-level import is still a circle; imports under
``if TYPE_CHECKING:`` feed annotations only and do not) forms a directed graph; its strongly
connected components must all be single modules.  The layering between packages is
checked by the import-linter contract in ``pyproject.toml``.
"""
from __future__ import annotations

import grimp


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; returns the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _import_graph() -> dict[str, set[str]]:
    g = grimp.build_graph("steerable", cache_dir=None, exclude_type_checking_imports=True)
    return {m: {i for i in g.find_modules_directly_imported_by(m) if i.startswith("steerable")} for m in g.modules}


def test_tarjan_finds_a_planted_circle() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_module_is_in_an_import_circle() -> None:
    graph = _import_graph()
    # a package's __init__ re-exporting its children is not a circle of its own making: drop the
    # edges from a child back up to the package it belongs to (``from . import x`` resolves there)
    for module, imported in graph.items():
        graph[module] = {i for i in imported if not module.startswith(i + ".")}
    assert _strongly_connected(graph) == []
