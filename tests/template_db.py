"""Build a database migrated to head for TEST_TEMPLATE_DATABASE (see conftest.py): `python -m tests.template_db NAME`.

It is dropped and built again through the migrations on the server TEST_DATABASE_URL names; the test
fixtures then copy it per session instead of migrating. The mutation targets build theirs once per run.
"""
from __future__ import annotations

import sys

import psycopg
from sqlalchemy.engine import make_url


def build(name: str) -> str:
    """Drop `name`, create it and migrate it to head; return its URL."""
    from flask_migrate import upgrade

    from conftest import TEST_CONFIG, _server_url
    from portal import create_app
    from portal.extensions import db

    server = make_url(_server_url())
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()  # no connection may stay open on a template
    return url


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.template_db NAME")
    build(sys.argv[1])
