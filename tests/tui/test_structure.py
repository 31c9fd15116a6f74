"""The console's import structure: no cycle among tui modules, and no screen imports another screen.

grimp sees every import, including those inside functions and those only made for type checkers
(``if TYPE_CHECKING:``): not even a type hint closes a cycle.
"""

from __future__ import annotations

import grimp
import networkx as nx


def _tui_graph() -> nx.DiGraph:
    # no cache: grimp's on-disk cache has been seen to answer with a graph of files since changed
    graph = grimp.build_graph("tui", include_external_packages=False, exclude_type_checking_imports=False, cache_dir=None)
    edges = nx.DiGraph()
    for module in graph.modules:
        edges.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    return edges


def test_no_import_cycle_in_tui():
    cycles = [sorted(group) for group in nx.strongly_connected_components(_tui_graph()) if len(group) > 1]
    assert cycles == []


def test_screens_import_no_screen_but_the_dialogs():
    """Screens dismiss with a result or post a message; tui.app routes. The dialog kit is shared."""
    graph = _tui_graph()
    screens = {m for m in graph if m.startswith("tui.screens.")}
    wrong = sorted((a, b) for a, b in graph.edges if a in screens and b in screens and b != "tui.screens.dialogs")
    assert wrong == []
