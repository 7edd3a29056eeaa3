"""An existing install's default roles get DESIGN.md's `contracts` grants (and the opportunities
row as the table now reads) when the contracts migration runs; its downgrade takes them back."""
from __future__ import annotations

from sqlalchemy import text

from tests.integration.test_role_migration import fresh_database  # noqa: F401  (fixture)

BEFORE = "de9cf2692502"


def _grants(session, item):
    return dict(session.execute(text(
        "SELECT r.name, g.level FROM role_grants g JOIN roles r ON r.id = g.role_id WHERE g.item = :i"),
        {"i": item}).all())


def test_upgrade_grants_contracts_to_existing_default_roles(fresh_database):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from conftest import TEST_CONFIG
    from portal import create_app
    from portal.extensions import db

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database})
    with app.app_context():
        upgrade(revision=BEFORE)
        for name in ("Administrator", "Billing Admin", "Billing Clerk", "Consultant", "Relationship Lead", "Auditor",
                     "Payroll"):
            db.session.execute(text("INSERT INTO roles (name, description) VALUES (:n, 'x')"), {"n": name})
        db.session.execute(text("INSERT INTO role_grants (role_id, item, level) SELECT id, 'opportunities', 'full' "
                                "FROM roles WHERE name = 'Relationship Lead'"))
        db.session.commit()
        upgrade()
        assert _grants(db.session, "contracts") == {
            "Administrator": "full", "Billing Admin": "full", "Billing Clerk": "view", "Consultant": "add_edit",
            "Relationship Lead": "add_edit", "Auditor": "view"}  # a role of the install's own gets nothing
        assert _grants(db.session, "opportunities") == {"Relationship Lead": "add_edit", "Consultant": "view"}
        db.session.commit()
        downgrade(revision=BEFORE)
        assert _grants(db.session, "contracts") == {}
        assert _grants(db.session, "opportunities") == {"Relationship Lead": "full"}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
