"""The audit listener: one row per change, with old and new values, in the same transaction."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.models import AuditEntry, Role, RoleGrant
from portal.services import audit
from tests import factories


def test_create_update_delete_are_recorded_with_values(db_session):
    actor = factories.user(db_session, "auditor1", "Auditor")
    audit.acting(db_session, actor)
    po = factories.po(db_session, factories.debtor(db_session, "ACME"), "A-1", amount="100.50",
                      expiration=date(2026, 12, 31))
    assert (po.created_by_id, po.changed_by_id, po.row_version) == (actor.id, actor.id, 1)
    po.amount = Decimal("200.00")
    db_session.commit()
    assert po.row_version == 2
    db_session.delete(po)
    db_session.commit()
    rows = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "purchase_orders")
                              .order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert rows[0].changes["amount"] == [None, "100.50"] and rows[0].changes["expiration"] == [None, "2026-12-31"]
    assert rows[1].changes == {"amount": ["100.50", "200.00"]}
    assert all(r.actor_id == actor.id for r in rows)


def test_passwords_are_redacted_and_composite_keys_are_scoped(db_session):
    user = factories.user(db_session, "redacted")
    db_session.refresh(user)  # services load a row before changing it, so the old value is known
    user.password_hash = "something-else"
    role = db_session.scalar(select(Role).where(Role.name == "Auditor"))
    role.grants.append(RoleGrant(item="settings", level="granted"))
    db_session.commit()
    change = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "users", AuditEntry.action == "update",
                                                         AuditEntry.changes.has_key("password_hash"))).one()
    assert change.changes["password_hash"] == ["•••", "•••"]
    grant = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "role_grants")
                               .order_by(AuditEntry.id.desc()).limit(1)).one()
    assert grant.entity_id == role.id and grant.changes["level"] == [None, "granted"]
