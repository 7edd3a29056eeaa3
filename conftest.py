"""Fixtures shared by tests/ and e2e/: a fresh PostgreSQL database built by the real migrations.

TEST_DATABASE_URL (any database on the server; CI: the local PostgreSQL) names the server to
create the throwaway database on; without it a private server is started with `pgserver`.
Tables are truncated between tests.

TEST_TEMPLATE_DATABASE (optional; the mutation targets set it) names a database on that server already
migrated to head (`python -m tests.template_db NAME` builds one): the throwaway database is then copied
from it (`CREATE DATABASE ... TEMPLATE`, well under a second) instead of running every migration. A copy
whose alembic version is not the head is dropped, and the database is built through the migrations as
without the variable.
"""
from __future__ import annotations

import os
import re
import uuid

import psycopg
import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_SECURE": False,
    "RATELIMIT_ENABLED": True,
    "LOGIN_RATE_LIMIT": "100000 per minute",  # on, but out of the way; one test lowers it
    "PASSWORD_TIME_COST": 1,
    "PASSWORD_MEMORY_COST": 64,
    "PAGE_SIZE": 25,
}


def _server_url() -> str:
    from portal.embedded_db import throwaway_server_url

    return throwaway_server_url(("TEST_DATABASE_URL",), "po-portal-test-pg")


# the throwaway databases copied at head from TEST_TEMPLATE_DATABASE (the app fixture skips their migrations)
_COPIED_AT_HEAD: set[str] = set()


def migrations_head() -> str:
    """The head revision of migrations/ (one head: the project never branches its migrations)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def _copy_of_template(admin_url: str, name: str, template: str) -> bool:
    """Create `name` as a copy of `template`; True when the copy is at the migrations' head (else it is dropped)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    copy_url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(copy_url, autocommit=True) as conn:
        migrated = conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0] is not None
        versions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")] if migrated else []
    if versions == [migrations_head()]:
        return True
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    return False


@pytest.fixture(scope="session")
def database_url():
    server = make_url(_server_url())
    name = f"portal_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    url = server.set(database=name).render_as_string(hide_password=False)
    template = os.environ.get("TEST_TEMPLATE_DATABASE")
    if template and _copy_of_template(admin, name, template):
        _COPIED_AT_HEAD.add(url)
    else:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    yield url
    _COPIED_AT_HEAD.discard(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    if database_url not in _COPIED_AT_HEAD:
        with app.app_context():
            upgrade()
    return app


@pytest.fixture(scope="session")
def _table_names(app):
    from portal.extensions import db

    # the stamps' rows stay (the migrations write them, as alembic's version); truncating the tables they
    # watch replaces them (their triggers fire on TRUNCATE too)
    with app.app_context():
        return [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in ("security_stamp", "list_stamps")]


@pytest.fixture
def db_session(app, _table_names):
    """The app's session inside an app context, on empty tables with the reference data seeded."""
    from portal.extensions import db
    from portal.services.reference_data import seed_reference_data

    with app.app_context():
        # a lock wait past a minute fails the test instead of hanging the run; a deadlock with a request
        # still finishing in a live server (browser tests) is tried again once that request is done
        db.session.execute(text("SET lock_timeout = '60s'"))
        for attempt in range(3):
            try:
                db.session.execute(text(f"TRUNCATE {', '.join(_table_names)} RESTART IDENTITY CASCADE"))
                db.session.commit()
                break
            except OperationalError as error:
                db.session.rollback()
                if attempt == 2 or not isinstance(error.orig, DeadlockDetected):
                    raise
        seed_reference_data(db.session)
        yield db.session
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app, db_session):
    return app.test_client()


@pytest.fixture
def count_queries(app):
    """Context manager counting the SQL statements run inside it."""
    from contextlib import contextmanager

    from portal.extensions import db

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, params, context, executemany):
            statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page carries no CSRF token"
    return match.group(1) or match.group(2)
