"""The portal's modules import one way: no import cycle anywhere in portal/, lazy imports included."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import portal

if getattr(portal, "__file__", None) is None:  # a mutation run's mutants/ tree holds only the mutated part of portal/
    pytest.skip("the import graph needs the whole portal package, not a partial copy", allow_module_level=True)

ROOT = Path(portal.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the portal modules it imports (at module level or inside functions)."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target.startswith("portal") and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_in_portal():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_visibility_and_timeline_modules_import_no_other_service_area():
    graph = import_graph()
    # errors, locks and statement_constants import nothing of the portal: shared helpers, not service areas
    allowed = {"portal.models", "portal.domain.assignment", "portal.services.errors", "portal.services.locks",
               "portal.services.statement_constants"}
    for module in ("portal.services.job_visibility", "portal.services.po_timeline"):
        assert graph[module] <= allowed, graph[module] - allowed


def test_the_statement_constants_import_nothing_of_the_portal():
    assert {m for m in import_graph()["portal.services.statement_constants"] if m.startswith("portal")} == set()


def test_models_import_no_flask_module_themselves():
    for path in (ROOT / "models").glob("*.py"):
        imported = {alias.name if isinstance(node, ast.Import) else node.module
                    for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.Import, ast.ImportFrom))
                    for alias in node.names}
        assert not {m for m in imported if m and m.split(".")[0] in ("flask", "flask_login", "flask_wtf")}, path


def test_models_import_nothing_bound_to_flask_but_the_extensions():
    graph = import_graph()
    for module, imported in graph.items():
        if module.startswith("portal.models"):
            assert all(m.startswith(("portal.models", "portal.domain")) or m == "portal.extensions"
                       for m in imported), (module, imported)
