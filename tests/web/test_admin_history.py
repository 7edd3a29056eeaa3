"""Roles and branches show their history and who created and changed them, as every other record does."""
from __future__ import annotations

from portal.models import Role
from tests import factories


def test_a_role_and_a_branch_show_their_history(db_session, login_as):
    admin, me = login_as("Administrator")
    role = Role(name="Night shift", description="")
    db_session.add(role)
    db_session.commit()
    form = {"name": "Night shift", "description": "", "row_version": str(role.row_version),
            "grant-documents": "view"}
    assert admin.post(f"/admin/roles/{role.id}/edit", form).status_code == 302
    page = admin.get(f"/admin/roles/{role.id}/edit").get_data(as_text=True)
    history = page.split("<h2>History</h2>")[1]
    assert "grant documents" in history and me.full_name in history and 'class="stamps"' in history
    assert "<dt>Role</dt><dd>Night shift</dd>" in history  # named, not its id

    branch = factories.branch(db_session, "EST")
    assert admin.post(f"/admin/branches/{branch.id}/edit", {"code": "EST", "name": "East side",
                                                            "row_version": str(branch.row_version)}).status_code == 302
    history = admin.get(f"/admin/branches/{branch.id}/edit").get_data(as_text=True).split("<h2>History</h2>")[1]
    assert "East side" in history and 'class="stamps"' in history
    assert "<h2>History</h2>" not in admin.get("/admin/roles/new").get_data(as_text=True)


def test_a_users_page_shows_their_history(db_session, login_as):
    admin, _ = login_as("Administrator")
    someone = factories.user(db_session, "sam", role_name="Billing Clerk")
    page = admin.get(f"/admin/users/{someone.id}/edit").get_data(as_text=True)
    assert "<h2>History</h2>" in page and 'class="stamps"' in page
    assert "<h2>History</h2>" not in admin.get("/admin/users/new").get_data(as_text=True)
    from portal.services import security

    security.update_user(db_session, someone.id, actor=None, full_name="Sam Renamed", email="", active=True,
                         role_ids=[r.id for r in someone.roles])
    history = admin.get(f"/admin/users/{someone.id}/edit").get_data(as_text=True).split("<h2>History</h2>")[1]
    assert "Sam Renamed" in history
