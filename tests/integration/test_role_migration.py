"""An existing install (roles seeded before Billing Clerk existed) gets the role on upgrade."""
from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

BEFORE = "d135f5563596"


@pytest.fixture
def fresh_database(database_url):
    server = make_url(database_url)
    name = f"portal_mig_{uuid.uuid4().hex[:8]}"
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_adds_billing_clerk_to_an_existing_install(fresh_database):
    from flask_migrate import downgrade, upgrade

    from portal import create_app
    from portal.extensions import db
    from conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database})
    with app.app_context():
        upgrade(revision=BEFORE)
        db.session.execute(text("INSERT INTO roles (name, description) VALUES ('Administrator', 'Default')"))
        db.session.commit()
        upgrade()
        grants = dict(db.session.execute(text(
            "SELECT g.item, g.level FROM role_grants g JOIN roles r ON r.id = g.role_id "
            "WHERE r.name = 'Billing Clerk'")).all())
        assert grants["documents"] == "add_edit" and grants["assignments"] == "add_edit"
        assert "po_override_budget" not in grants and grants["debtors"] == "view"
        assert db.session.scalar(text(
            "SELECT count(*) FROM audit_entries WHERE entity_type = 'roles' AND summary = 'Billing Clerk'")) == 1
        db.session.commit()
        upgrade()  # running again adds nothing
        assert db.session.scalar(text("SELECT count(*) FROM roles WHERE name = 'Billing Clerk'")) == 1
        db.session.commit()
        downgrade(revision=BEFORE)
        assert db.session.scalar(text("SELECT count(*) FROM roles WHERE name = 'Billing Clerk'")) == 0
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
