"""Views parse, call a service and respond: no blueprint module (views, forms, helpers) runs a query itself."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import portal

if getattr(portal, "__file__", None) is None:  # a mutation run's mutants/ tree holds only the mutated part of portal/
    pytest.skip("the query walk needs the whole portal package, not a partial copy", allow_module_level=True)

BLUEPRINTS = Path(portal.__file__).parent / "blueprints"
QUERY_METHODS = {"scalars", "scalar", "execute"}
# Modules still querying, being moved into services; the list may only shrink (a clean entry fails until removed).
ALLOWED: set[str] = set()


def _is_db_session(node: ast.expr) -> bool:
    """`db.session` (the Flask-SQLAlchemy session), not Flask's `session` dict."""
    return isinstance(node, ast.Attribute) and node.attr == "session" and isinstance(node.value, ast.Name) \
        and node.value.id == "db"


def _loads_a_model(call: ast.Call) -> bool:
    """`<anything>.get(Model, id)`: a session's primary-key load (a dict's `.get("key", default)` is not)."""
    first = call.args[0] if call.args else None
    return len(call.args) == 2 and isinstance(first, ast.Name) and first.id[:1].isupper() and not first.id.isupper()


def queries_in(source: str, filename: str = "<source>") -> list[str]:
    """'line: what' for every query the source runs: select(...), db.session.get(...), a session's
    .get(Model, id), .scalars(...), .scalar(...) and .execute(...)."""
    found = []
    calls = sorted((n for n in ast.walk(ast.parse(source, filename)) if isinstance(n, ast.Call)),
                   key=lambda n: (n.lineno, n.col_offset))
    for node in calls:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "select":
            found.append(f"{node.lineno}: select(")
        elif isinstance(func, ast.Attribute):
            if func.attr == "select" and isinstance(func.value, ast.Name) and func.value.id in ("sa", "sqlalchemy"):
                found.append(f"{node.lineno}: select(")
            elif func.attr in QUERY_METHODS:
                found.append(f"{node.lineno}: .{func.attr}(")
            elif func.attr == "get" and (_is_db_session(func.value) or _loads_a_model(node)):
                found.append(f"{node.lineno}: .get(")
    return found


def blueprint_queries() -> dict[str, list[str]]:
    """'area/module.py' -> its queries, for every blueprint module that runs any."""
    found = {}
    for path in sorted(BLUEPRINTS.rglob("*.py")):
        hits = queries_in(path.read_text(), str(path))
        if hits:
            found[str(path.relative_to(BLUEPRINTS))] = hits
    return found


def test_the_walk_finds_every_kind_of_query():
    source = """
from sqlalchemy import select
a = db.session.scalars(select(Debtor).order_by(Debtor.code)).all()
b = db.session.get(Debtor, 1)
c = session.get(User, user_id)
d = db.session.scalar(q)
e = db.session.execute(text("SELECT 1"))
f = sa.select(Role)
"""
    assert [hit.split(": ")[1] for hit in queries_in(source)] == [
        ".scalars(", "select(", ".get(", ".get(", ".scalar(", ".execute(", "select("]


def test_the_walk_leaves_flask_sessions_and_request_args_alone():
    source = """
token = session.get(SESSION_KEY)
nxt = session.pop(NEXT_KEY, None)
page = request.args.get("page", "1")
kind = values.get("kind")
db.session.rollback()
"""
    assert queries_in(source) == []


def test_the_walk_reads_the_blueprints():
    assert len(list(BLUEPRINTS.rglob("*.py"))) > 20
    assert (BLUEPRINTS / "documents" / "views.py").exists()


def test_no_blueprint_module_queries():
    found = {name: hits for name, hits in blueprint_queries().items() if name not in ALLOWED}
    assert not found, "queries in blueprint modules (ask the owning service instead): " + "; ".join(
        f"{name} ({', '.join(hits)})" for name, hits in found.items())


def test_the_allow_list_only_shrinks():
    clean = sorted(name for name in ALLOWED if name not in blueprint_queries())
    assert not clean, "no longer querying, remove from ALLOWED: " + ", ".join(clean)
