"""Every public function and method in portal/domain and portal/services says its rule in a docstring."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import portal

if getattr(portal, "__file__", None) is None:  # a mutation run's mutants/ tree holds only the mutated part of portal/
    pytest.skip("the docstring check needs the whole portal package, not a partial copy", allow_module_level=True)

ROOT = Path(portal.__file__).parent
PACKAGES = ("domain", "services")


def _functions(tree: ast.AST, prefix: str = ""):
    """Module-level functions and the methods of (nested) classes, with their dotted names."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")


def undocumented() -> list[str]:
    """`path:line name` of each public function or method (no leading underscore) without a docstring."""
    missing = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            for name, node in _functions(ast.parse(path.read_text(), str(path))):
                if node.name.startswith("_"):
                    continue
                if not (ast.get_docstring(node) or "").strip():
                    missing.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {name}")
    return missing


def test_every_public_domain_and_service_function_has_a_docstring():
    missing = undocumented()
    assert not missing, "Say the rule in a one-line docstring:\n" + "\n".join(missing)


def test_the_check_finds_a_function_without_a_docstring():
    tree = ast.parse('class A:\n    def ok(self):\n        """Says why."""\n    def bare(self):\n        pass\n'
                     'def _private():\n    pass\n')
    names = [n for n, node in _functions(tree) if not n.rpartition(".")[2].startswith("_")
             and not ast.get_docstring(node)]
    assert names == ["A.bare"]
