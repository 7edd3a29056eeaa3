"""A role is deleted only when nothing names it, and its grants' history reads as the change it was.

Deleting a role no user held took its SSO group mappings along (each with the branch half of the mapping) and
left an alert template whose only recipient it was active with no recipient at all, none of it in the history:
the database's keys cascade. The delete is now refused with what still names the role."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import AlertTemplate, AuditEntry, Role, SsoGroupMapping, alert_template_roles
from portal.services import maintenance, oidc, security
from portal.services.errors import Conflict
from tests import factories


def _role(s, admin, name="North staff") -> Role:
    return security.save_role(s, None, actor=admin, name=name, description="", grants={"job_orders": "view"})


def _template(s, admin, name: str, role: Role) -> AlertTemplate:
    return maintenance.save_alert_template(s, None, actor=admin, name=name, thresholds="50", days_before_expiry=None,
                                           subject="PO {po_number}", message="m", role_ids=[role.id], user_ids=[],
                                           active=True)


def _refusal(s, role_id: int, admin) -> str:
    with pytest.raises(Conflict) as refused:
        security.delete_role(s, role_id, actor=admin)
    s.expire_all()
    assert s.get(Role, role_id) is not None
    return str(refused.value)


def test_a_role_named_by_an_sso_group_mapping_is_not_deleted_and_the_mapping_keeps_its_branch(db_session):
    admin = factories.user(db_session)
    role, branch = _role(db_session, admin), factories.branch(db_session, "NTH")
    oidc.add_mapping(db_session, actor=admin, group_name="north-staff", role_id=role.id, branch_id=branch.id)
    assert _refusal(db_session, role.id, admin) == (
        "Role North staff cannot be deleted: SSO group mapping north-staff refers to it.")
    [mapping] = db_session.scalars(select(SsoGroupMapping)).all()
    assert (mapping.role_id, mapping.branch_id) == (role.id, branch.id)
    assert not db_session.scalars(select(AuditEntry).where(AuditEntry.action == "delete")).all()


def test_a_role_an_alert_template_sends_to_is_not_deleted_and_the_template_keeps_its_recipient(db_session):
    admin = factories.user(db_session)
    role = _role(db_session, admin, "PO watchers")
    template = _template(db_session, admin, "Watchers only", role)
    assert _refusal(db_session, role.id, admin) == (
        "Role PO watchers cannot be deleted: alert template Watchers only refers to it.")
    assert db_session.scalar(select(func.count()).select_from(alert_template_roles)
                             .where(alert_template_roles.c.template_id == template.id)) == 1


def test_the_refusal_names_every_mapping_and_template_and_counts_past_five(db_session):
    admin = factories.user(db_session)
    role = _role(db_session, admin)
    for group in ("g-b", "G-a"):
        oidc.add_mapping(db_session, actor=admin, group_name=group, role_id=role.id, branch_id=None)
    for name in ("T7", "T1", "T2", "T3", "T4", "T5", "T6"):
        _template(db_session, admin, name, role)
    assert _refusal(db_session, role.id, admin) == (
        "Role North staff cannot be deleted: 2 SSO group mappings (G-a, g-b), "
        "7 alert templates (T1, T2, T3, T4, T5 and 2 more) refer to it.")


def test_users_holding_the_role_are_named_first_and_a_role_nothing_names_is_deleted_with_its_grants(db_session):
    admin = factories.user(db_session)
    role = _role(db_session, admin)
    oidc.add_mapping(db_session, actor=admin, group_name="north-staff", role_id=role.id, branch_id=None)
    holder = factories.user(db_session, role_name="North staff")
    assert _refusal(db_session, role.id, admin) == "1 user still has this role."
    security.update_user(db_session, holder.id, actor=admin, full_name=holder.full_name, email="", active=True,
                         role_ids=[factories.role(db_session, "Auditor").id])
    oidc.delete_mapping(db_session, db_session.scalars(select(SsoGroupMapping.id)).one(), actor=admin)
    security.delete_role(db_session, role.id, actor=admin)
    db_session.expire_all()
    assert db_session.get(Role, role.id) is None
    deleted = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "delete",
                                                          AuditEntry.entity_type.in_(["roles", "role_grants"]))
                                 .order_by(AuditEntry.entity_type)).all()
    assert [(e.entity_type, e.summary, e.actor_id) for e in deleted] == [
        ("role_grants", "North staff: grant job_orders: view", admin.id), ("roles", "North staff", admin.id)]
