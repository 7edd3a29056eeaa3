"""A change to a user's grants, roles or branches holds from their next request: each worker keeps
what it read only while the security stamp it read it with stands (portal/services/principals.py).
Changes made through the admin pages and straight in the database (another worker's, or a script's)."""
from __future__ import annotations

from sqlalchemy import text

from portal.authz import DEFAULT_ROLES
from tests import factories


def _role_form(name: str, grants: dict[str, str]) -> dict:
    return {"name": name, "description": "", **{f"grant-{item}": level for item, level in grants.items()}}


def test_a_grant_taken_from_a_role_holds_from_its_users_next_request(db_session, login_as):
    admin, _ = login_as("Administrator")
    billing, _ = login_as("Billing Admin")
    for _ in range(2):  # read, then kept
        assert billing.get("/purchase-orders/").status_code == 200
    assert 'href="/purchase-orders/"' in billing.get("/").get_data(as_text=True)
    role = factories.role(db_session, "Billing Admin")
    grants = {item: level for item, level in DEFAULT_ROLES["Billing Admin"].items() if item != "purchase_orders"}
    saved = admin.post(f"/admin/roles/{role.id}/edit", _role_form("Billing Admin", grants)
                       | {"row_version": str(role.row_version)})
    assert saved.status_code == 302, saved.get_data(as_text=True)[-2000:]
    assert billing.get("/purchase-orders/").status_code == 403
    assert 'href="/purchase-orders/"' not in billing.get("/").get_data(as_text=True)
    # given back from outside the portal's requests: the stamp changes with it all the same
    db_session.execute(text("INSERT INTO role_grants (role_id, item, level) VALUES (:r, 'purchase_orders', 'view')"),
                       {"r": role.id})
    db_session.commit()
    assert billing.get("/purchase-orders/").status_code == 200
    assert 'href="/purchase-orders/"' in billing.get("/").get_data(as_text=True)  # the header's link is back


def test_a_users_new_branches_and_roles_hold_from_their_next_request(db_session, login_as):
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    debtor = factories.debtor(db_session)
    job = factories.job(db_session, debtor, north, title="Northern job")
    admin, _ = login_as("Administrator")
    consultant, user = login_as("Consultant", branches=[north])
    for _ in range(2):
        assert consultant.get(f"/job-orders/{job.id}").status_code == 200
    home = consultant.get("/").get_data(as_text=True)
    assert "Your roles: Consultant." in home and "branches NTH only" in home
    auditor = factories.role(db_session, "Auditor")
    saved = admin.post(f"/admin/users/{user.id}/edit", {
        "full_name": user.full_name, "email": user.email, "active": "y", "roles": [str(auditor.id)],
        "branches": [str(south.id)], "row_version": str(user.row_version)})
    assert saved.status_code == 302, saved.get_data(as_text=True)[-2000:]
    assert consultant.get(f"/job-orders/{job.id}").status_code == 404  # another branch's job: not there
    home = consultant.get("/").get_data(as_text=True)
    assert "Your roles: Auditor." in home and "branches STH only" in home
    db_session.execute(text("DELETE FROM user_branches WHERE user_id = :u"), {"u": user.id})
    db_session.commit()
    assert consultant.get(f"/job-orders/{job.id}").status_code == 200  # no branch: every branch


def test_a_signed_in_users_grants_are_read_once_until_they_change(db_session, login_as, count_queries):
    billing, _ = login_as("Billing Admin")
    billing.get("/")

    def grant_reads() -> int:
        with count_queries() as statements:
            assert billing.get("/notifications/").status_code == 200
        return sum("role_grants" in sql or "user_branches" in sql for sql in statements)

    assert grant_reads() == 0  # kept from the request before
    factories.branch(db_session, "NEW")
    assert grant_reads() == 2  # a branch added: read again (grants with roles, branches) ...
    assert grant_reads() == 0  # ... and kept again
