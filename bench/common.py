"""A throwaway database built by the real migrations, for benchmarks (not timed tests)."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url


def server_url() -> str:
    from portal.embedded_db import throwaway_server_url

    return throwaway_server_url(("BENCH_DATABASE_URL", "TEST_DATABASE_URL"), "po-portal-bench-pg")


@contextmanager
def bench_app():
    """An app on a fresh database; the database is dropped afterwards."""
    from flask_migrate import upgrade

    from portal import create_app

    server = make_url(server_url())
    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": server.set(database=name).render_as_string(hide_password=False),
                          "SECRET_KEY": "bench", "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 64})
        with app.app_context():
            upgrade()
            from portal.extensions import db
            from portal.services.reference_data import seed_reference_data

            seed_reference_data(db.session)
            yield app, db
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
