"""The roles page's Delete: a role an SSO group mapping or an alert template still names stays, and the page says
which (the delete once took them along without a word); one nothing names goes."""
from __future__ import annotations

from portal.models import Role, SsoGroupMapping
from portal.services import oidc, security
from tests import factories


def test_deleting_a_role_still_named_says_what_names_it_and_keeps_everything(db_session, login_as):
    admin, admin_user = login_as("Administrator")
    role = security.save_role(db_session, None, actor=admin_user, name="North staff", description="",
                              grants={"job_orders": "view"})
    role_id = role.id
    branch = factories.branch(db_session, "NTH")
    mapping = oidc.add_mapping(db_session, actor=admin_user, group_name="north-staff", role_id=role.id,
                               branch_id=branch.id)
    page = admin.post(f"/admin/roles/{role.id}/delete", follow_redirects=True)
    assert page.status_code == 200
    assert ("Role North staff cannot be deleted: SSO group mapping north-staff refers to it."
            in page.get_data(as_text=True))
    db_session.expire_all()
    assert db_session.get(Role, role.id) is not None and db_session.get(SsoGroupMapping, mapping.id) is not None

    oidc.delete_mapping(db_session, mapping.id, actor=admin_user)
    page = admin.post(f"/admin/roles/{role_id}/delete", follow_redirects=True)
    assert "Role deleted." in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Role, role_id) is None
