"""The administrator's user form and page: reserved and look-alike usernames and whitespace passwords are refused
with a message on the form; a locked account shows its lock and an Unlock button that clears it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from portal.models import AuditEntry, User
from tests import factories


def _new_user(admin, **fields):
    data = {"username": "someone", "full_name": "Some One", "password": "long-enough-pass", "active": "y",
            "roles": str(factories.role(admin.session, "Auditor").id)} | fields
    return admin.post("/admin/users/new", data)


def _users(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(User))


def test_the_user_form_refuses_system_dash_and_look_alike_usernames(db_session, login_as):
    admin, _ = login_as("Administrator")
    before = _users(db_session)
    for username, message in [("system", "stands for changes no user made"), ("-", "stands for changes no user made"),
                              ("admin\u200b", "prints as nothing"), ("ad\tmin2", "a tab, a line break"),
                              ("ｓｔｅｖｅ", "look-alike form")]:
        response = _new_user(admin, username=username)
        assert response.status_code == 200 and message in response.get_data(as_text=True), username
    assert _users(db_session) == before
    assert _new_user(admin, username="steve").status_code == 302


def test_the_user_form_refuses_a_password_of_only_spaces(app, db_session, login_as):
    admin, _ = login_as("Administrator")
    response = _new_user(admin, username="spaceuser", password=" " * 12)
    assert response.status_code == 200
    assert "more than spaces" in response.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.username == "spaceuser")) is None


def test_a_locked_account_shows_its_lock_and_an_administrator_unlocks_it(app, db_session, login_as, browser):
    admin, admin_user = login_as("Administrator")
    clerk = factories.user(db_session, "clerk", "Billing Clerk")
    browser.get("/login")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        browser.post("/login", {"username": "clerk", "password": "wrong-password-1"})
    db_session.expire_all()
    until = db_session.get(User, clerk.id).locked_until
    assert until > datetime.now(timezone.utc)
    page = admin.get(f"/admin/users/{clerk.id}/edit").get_data(as_text=True)
    assert f"until <strong>{until.strftime('%Y-%m-%d %H:%M')}</strong>" in page and ">Unlock</button>" in page
    assert "Yes (locked)" in admin.get("/admin/users").get_data(as_text=True)
    assert admin.post(f"/admin/users/{clerk.id}/unlock", csrf=False).status_code == 400
    done = admin.post(f"/admin/users/{clerk.id}/unlock", follow_redirects=True).get_data(as_text=True)
    assert "clerk is unlocked" in done and "Not locked." in done and ">Unlock</button>" not in done
    assert browser.login("clerk").status_code == 302
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "unlocked")).one()
    assert (entry.entity_id, entry.actor_id) == (clerk.id, admin_user.id)
    assert admin.post("/admin/users/999999/unlock").status_code == 404


def test_a_lock_that_ran_out_is_not_shown_as_a_lock(db_session, login_as):
    admin, _ = login_as("Administrator")
    clerk = factories.user(db_session, "clerk", "Billing Clerk")
    clerk.locked_until = datetime.now(timezone.utc) - timedelta(minutes=1)
    db_session.commit()
    assert "(locked)" not in admin.get("/admin/users").get_data(as_text=True)
    assert "Not locked." in admin.get(f"/admin/users/{clerk.id}/edit").get_data(as_text=True)


def test_an_administrators_password_reset_lets_a_locked_user_in_at_once(app, db_session, login_as, browser):
    admin, _ = login_as("Administrator")
    clerk = factories.user(db_session, "clerk", "Billing Clerk")
    clerk.locked_until = datetime.now(timezone.utc) + timedelta(minutes=15)
    db_session.commit()
    page = admin.get(f"/admin/users/{clerk.id}/edit").get_data(as_text=True)
    version = page.split('name="row_version" type="hidden" value="')[1].split('"')[0]
    saved = admin.post(f"/admin/users/{clerk.id}/edit", {
        "full_name": "Clerk", "active": "y", "roles": str(factories.role(db_session, "Billing Clerk").id),
        "password": "brand-new-pass-1", "row_version": version})
    assert saved.status_code == 302
    assert browser.login("clerk", "brand-new-pass-1").status_code == 302
