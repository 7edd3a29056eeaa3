"""TEST_TEMPLATE_DATABASE: a session's database is copied from the template only when the template is at head."""
from __future__ import annotations

import uuid

import psycopg
from sqlalchemy.engine import make_url

from conftest import _copy_of_template, migrations_head


def _admin(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def _databases(admin: str, *names: str) -> set[str]:
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", (list(names),))
        return {r[0] for r in rows}


def _template(admin: str, version: str | None) -> str:
    """An empty database whose alembic_version holds `version` (no table at all for None)."""
    name = f"tmpl_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    if version is not None:
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
            conn.execute("INSERT INTO alembic_version VALUES (%s)", (version,))
    return name


def _drop(admin: str, *names: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_template_at_head_is_copied(database_url):
    admin = _admin(database_url)
    template, copy = _template(admin, migrations_head()), f"copy_test_{uuid.uuid4().hex[:8]}"
    try:
        assert _copy_of_template(admin, copy, template) is True
        assert _databases(admin, copy, template) == {copy, template}
    finally:
        _drop(admin, copy, template)


def test_a_template_behind_head_or_never_migrated_is_not_used(database_url):
    admin = _admin(database_url)
    for version in ("0000_not_the_head", None):
        template, copy = _template(admin, version), f"copy_test_{uuid.uuid4().hex[:8]}"
        try:
            assert _copy_of_template(admin, copy, template) is False
            assert _databases(admin, copy, template) == {template}, "the stale copy is dropped"
        finally:
            _drop(admin, copy, template)
