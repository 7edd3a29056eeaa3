"""Migrations are written for PostgreSQL and can be undone: no SQLite batch blocks (the two
foundation migrations that have them landed before this rule and are never edited), and every
migration's downgrade does something."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
# landed with batch_alter_table before the rule; landed migrations are never edited
BATCH_BEFORE_THE_RULE = {"3e2ba5069cd5", "d135f5563596"}
MIGRATIONS = sorted(VERSIONS.glob("*.py"))


def _revision(path: Path) -> str:
    return path.name.split("_", 1)[0]


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _does_something(func: ast.FunctionDef | None) -> bool:
    """A body with at least one statement that is neither `pass` nor a bare string or comment."""
    if func is None:
        return False
    return any(not isinstance(s, ast.Pass) and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
               for s in func.body)


def test_the_walk_finds_the_migrations():
    assert len(MIGRATIONS) >= 15
    assert BATCH_BEFORE_THE_RULE <= {_revision(p) for p in MIGRATIONS}


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: p.name[:40])
def test_migration_is_plain_postgresql_with_a_working_downgrade(path: Path):
    source = path.read_text()
    if _revision(path) not in BATCH_BEFORE_THE_RULE:
        assert "batch_alter_table" not in source, f"{path.name}: write plain op.* calls, not SQLite batch blocks"
    tree = ast.parse(source, str(path))
    assert _does_something(_function(tree, "upgrade")), f"{path.name}: upgrade does nothing"
    assert _does_something(_function(tree, "downgrade")), f"{path.name}: downgrade does nothing"


def test_the_checks_catch_what_they_are_for():
    empty = ast.parse("def downgrade():\n    '''nothing'''\n    pass\n")
    assert not _does_something(_function(empty, "downgrade"))
    assert _does_something(_function(ast.parse("def downgrade():\n    op.drop_index('x')\n"), "downgrade"))
