"""A role's grants in the history: each entry names the role and the grant, with the level before and after, and
a grant's change records no change of the role's name."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.models import AuditEntry, Role
from portal.services import security
from tests import factories


def _entries_since(s, last_id: int) -> list[AuditEntry]:
    s.expire_all()
    return s.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id)).all()


def test_a_grant_change_names_the_grant_and_the_role_and_invents_no_name_change(db_session):
    """Defect: a grant's entry was named `<RoleGrant (pending 1406…)>`, and every level change added a change of
    the role's name from nothing to the name it already had."""
    admin = factories.user(db_session)
    role = security.save_role(db_session, None, actor=admin, name="Billing Clerk 2", description="",
                              grants={"documents": "add_edit"})
    [created] = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "role_grants",
                                                            AuditEntry.entity_id == role.id)).all()
    assert (created.action, created.summary, created.entity_id) == (
        "create", "Billing Clerk 2: grant documents: add_edit", role.id)
    assert (created.scope_type, created.scope_id) == ("roles", role.id)
    version, last = role.row_version, created.id

    security.save_role(db_session, role.id, actor=admin, name="Billing Clerk 2", description="",
                       grants={"documents": "full", "po_override_budget": "granted"}, expected_version=version)
    changed = _entries_since(db_session, last)
    assert sorted((e.entity_type, e.action, e.summary, e.changes.get("level")) for e in changed) == [
        ("role_grants", "create", "Billing Clerk 2: grant po_override_budget: granted", [None, "granted"]),
        ("role_grants", "update", "Billing Clerk 2: grant documents: add_edit → full", ["add_edit", "full"]),
    ]  # and no entry of the role itself: its name did not change
    assert db_session.get(Role, role.id).row_version == version + 1  # a stale form of the role is still refused

    last = changed[-1].id
    security.save_role(db_session, role.id, actor=admin, name="Billing Clerk 2", description="",
                       grants={"documents": "full"}, expected_version=version + 1)
    removed = _entries_since(db_session, last)
    assert [(e.entity_type, e.action, e.summary) for e in removed] == [
        ("role_grants", "delete", "Billing Clerk 2: grant po_override_budget: granted")]
    assert db_session.get(Role, role.id).row_version == version + 2


def test_a_role_saved_unchanged_writes_nothing(db_session):
    admin = factories.user(db_session)
    role = security.save_role(db_session, None, actor=admin, name="Quiet", description="d",
                              grants={"documents": "view"})
    last = db_session.scalar(select(func.max(AuditEntry.id)))
    security.save_role(db_session, role.id, actor=admin, name="Quiet", description="d", grants={"documents": "view"},
                       expected_version=role.row_version)
    assert _entries_since(db_session, last) == []
