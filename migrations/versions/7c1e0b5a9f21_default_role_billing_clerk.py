"""Default role Billing Clerk for existing installs (DESIGN.md's grant table)

Posts documents within the block policy and overrides nothing. Added only where no role of
that name exists, so an install that already made its own "Billing Clerk" keeps it.

Revision ID: 7c1e0b5a9f21
Revises: d135f5563596
Create Date: 2026-11-26 06:55:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c1e0b5a9f21'
down_revision = 'd135f5563596'
branch_labels = None
depends_on = None

NAME = "Billing Clerk"
# written out here, not imported: a migration must not change when the code does
GRANTS = {"debtors": "view", "purchase_orders": "view", "assignments": "add_edit", "job_orders": "view",
          "documents": "add_edit", "maintenance": "view", "equipment_pricing": "view"}


def upgrade():
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT 1 FROM roles WHERE upper(name) = upper(:n)"), {"n": NAME}).first():
        return
    if not conn.execute(sa.text("SELECT 1 FROM roles")).first():
        return  # a fresh database: the reference data seeds every default role
    role_id = conn.execute(sa.text(
        "INSERT INTO roles (name, description) VALUES (:n, :d) RETURNING id"),
        {"n": NAME, "d": f"Default {NAME} role"}).scalar_one()
    for item, level in GRANTS.items():
        conn.execute(sa.text("INSERT INTO role_grants (role_id, item, level) VALUES (:r, :i, :l)"),
                     {"r": role_id, "i": item, "l": level})
    conn.execute(sa.text(
        "INSERT INTO audit_entries (entity_type, entity_id, action, summary, changes, reason) "
        "VALUES ('roles', :r, 'create', :n, CAST(:c AS jsonb), 'Default role added by a database upgrade')"),
        {"r": role_id, "n": NAME, "c": json.dumps({"name": [None, NAME], "grants": [[], sorted(GRANTS)]})})


def downgrade():
    # the role stays if anyone holds it (removing it would silently take their access away)
    conn = op.get_bind()
    conn.execute(sa.text(
        "DELETE FROM roles WHERE upper(name) = upper(:n) AND description = :d "
        "AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.role_id = roles.id)"),
        {"n": NAME, "d": f"Default {NAME} role"})
