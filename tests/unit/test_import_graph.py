"""The ledger's modules import one another without a circle: each can be read, tested
and moved knowing only what it imports. Imports inside functions and type-checking
guards count too; a circle hidden in a function is still a circle."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

PACKAGES = ("domain", "projections", "services", "adapters")


def import_circles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Each circle once, as the chain of modules from one back to itself."""
    circles: list[tuple[str, ...]] = []
    seen: set[frozenset[str]] = set()
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None and (members := frozenset(back)) not in seen:
                seen.add(members)
                circles.append((module, *back))
    return circles


def test_no_module_of_the_ledger_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)

    circles = import_circles(graph)

    assert len(graph.modules) > 50
    assert not circles, "Import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_a_circle_closed_by_an_import_inside_a_function_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "house"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "root.py").write_text("from house.copy import copy\n")
    (package / "copy.py").write_text(
        "def copy() -> None:\n    from house.root import build\n", encoding="utf-8"
    )
    (package / "settings.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    graph = grimp.build_graph("house", cache_dir=None)

    assert import_circles(graph) == [("house.copy", "house.root", "house.copy")]
