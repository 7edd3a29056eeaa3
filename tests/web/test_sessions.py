"""Sessions end on the server: a copied cookie stops working after sign-out, on every worker."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from conftest import TEST_CONFIG
from portal.models import AuditEntry, User, UserSession
from tests import factories
from tests.conftest import Browser


def _copy_cookie(source: Browser, target_client) -> None:
    cookie = source.client.get_cookie("session")
    assert cookie is not None
    target_client.set_cookie("session", cookie.value)


def _signed_in(response) -> bool:
    return response.status_code == 200


def _other_worker(app):
    """A second app on the same database: another gunicorn worker (or host) serving the same cookie."""
    from portal import create_app

    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})


def test_a_copied_cookie_stops_working_after_sign_out_on_every_worker(app, db_session, login_as):
    browser, user = login_as("Auditor")
    same_worker = Browser(app.test_client(), db_session)
    other_worker = Browser(_other_worker(app).test_client(), db_session)
    for copy in (same_worker, other_worker):
        _copy_cookie(browser, copy.client)
        assert _signed_in(copy.get("/debtors/")), "the copied cookie works while the session is live"
    assert browser.post("/logout").status_code == 302
    for copy in (same_worker, other_worker):
        assert copy.get("/debtors/").status_code == 302  # back to sign-in
        assert copy.get("/debtors/", headers={"HX-Request": "true"}).status_code == 401
    db_session.expire_all()
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.ended_at is not None and row.end_reason == "signed out"
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "users",
                                                                 AuditEntry.entity_id == user.id)).all()
    assert "sign_in" in actions and "sign_out" in actions


def test_the_cookie_never_holds_what_the_database_keeps(app, db_session, login_as):
    browser, user = login_as("Auditor")
    with browser.client.session_transaction() as s:
        token = s["sid"]
    stored = db_session.scalars(select(UserSession.token_hash).where(UserSession.user_id == user.id)).one()
    assert token not in stored and len(stored) == 64


def test_another_users_session_token_signs_no_one_in(app, db_session, login_as):
    first, _ = login_as("Auditor")
    second, _ = login_as("Administrator")
    with first.client.session_transaction() as s:
        stolen = s["sid"]
    with second.client.session_transaction() as s:
        s["sid"] = stolen  # a valid token, but not this user's session
    assert second.get("/admin/users").status_code == 302


def test_an_expired_or_idle_session_ends(app, db_session, login_as):
    browser, user = login_as("Auditor")
    assert _signed_in(browser.get("/debtors/"))
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    db_session.execute(update(UserSession).where(UserSession.user_id == user.id).values(expires_at=past))
    db_session.commit()
    assert browser.get("/debtors/").status_code == 302
    db_session.expire_all()
    assert db_session.scalars(select(UserSession.end_reason).where(UserSession.user_id == user.id)).one() == "expired"
    again, _ = Browser(app.test_client(), db_session), None
    again.login(user.username)
    idle = datetime.now(timezone.utc) - timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
    db_session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                       .values(last_seen_at=idle))
    db_session.commit()
    assert again.get("/debtors/").status_code == 302
    db_session.expire_all()
    assert sorted(db_session.scalars(select(UserSession.end_reason).where(UserSession.user_id == user.id))) == \
        ["expired", "idle"]


def test_activity_is_recorded_but_never_extends_the_session(app, db_session, login_as):
    browser, user = login_as("Auditor")
    earlier = datetime.now(timezone.utc) - timedelta(minutes=5)
    db_session.execute(update(UserSession).where(UserSession.user_id == user.id).values(last_seen_at=earlier))
    db_session.commit()
    ends = db_session.scalars(select(UserSession.expires_at).where(UserSession.user_id == user.id)).one()
    assert _signed_in(browser.get("/debtors/"))
    db_session.expire_all()
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.last_seen_at > earlier and row.expires_at == ends


def test_users_change_their_own_password_and_their_other_sessions_end(app, db_session, login_as):
    browser, user = login_as("Consultant")
    elsewhere = Browser(app.test_client(), db_session)
    elsewhere.login(user.username)
    assert _signed_in(elsewhere.get("/job-orders/"))
    old_hash = user.password_hash
    page = browser.get("/account/password")
    assert page.status_code == 200 and "Current password" in page.get_data(as_text=True)
    wrong = browser.post("/account/password", {"current_password": "not-my-password", "new_password": "a-new-pass-2026",
                                               "confirm_password": "a-new-pass-2026"})
    assert wrong.status_code == 200 and "That is not your current password." in wrong.get_data(as_text=True)
    for new, confirm, message in [("short", "short", "Use at least 10 characters."),
                                  ("a-new-pass-2026", "a-new-pass-2027", "The two new passwords differ."),
                                  (factories.PASSWORD, factories.PASSWORD, "other than the current one")]:
        refused = browser.post("/account/password", {"current_password": factories.PASSWORD, "new_password": new,
                                                     "confirm_password": confirm})
        assert message in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, user.id).password_hash == old_hash
    assert _signed_in(elsewhere.get("/job-orders/"))
    done = browser.post("/account/password", {"current_password": factories.PASSWORD, "new_password": "a-new-pass-2026",
                                              "confirm_password": "a-new-pass-2026"}, follow_redirects=True)
    assert "Password changed. Signed out of 1 other session." in done.get_data(as_text=True)
    assert _signed_in(browser.get("/job-orders/")), "the session that changed it stays signed in"
    assert elsewhere.get("/job-orders/").status_code == 302
    fresh = Browser(app.test_client(), db_session)
    assert fresh.login(user.username).status_code == 200  # the old password no longer signs in
    assert fresh.login(user.username, "a-new-pass-2026").status_code == 302
    db_session.expire_all()
    history = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "users",
                                                          AuditEntry.entity_id == user.id)).all()
    assert any(e.action == "update" and e.changes.get("password_hash") == ["•••", "•••"] for e in history)
    assert any(e.action == "sessions_ended" and e.changes == {"sessions_ended": [None, 1]} for e in history)


def test_an_administrator_signs_a_user_out_everywhere(app, db_session, login_as):
    admin, admin_user = login_as("Administrator")
    browser, user = login_as("Billing Clerk")
    other = Browser(app.test_client(), db_session)
    other.login(user.username)
    page = admin.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "Sign out everywhere" in page and page.count("<tr><td>") >= 2
    assert browser.post(f"/admin/users/{user.id}/sign-out").status_code == 403  # not their own to do
    done = admin.post(f"/admin/users/{user.id}/sign-out", follow_redirects=True)
    assert "Signed out everywhere: 2 sessions ended." in done.get_data(as_text=True)
    assert browser.get("/documents/").status_code == 302 and other.get("/documents/").status_code == 302
    assert _signed_in(admin.get("/admin/users"))
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "sessions_ended",
                                                        AuditEntry.entity_id == user.id)).one()
    assert entry.actor_id == admin_user.id
    assert admin.post("/admin/users/999999/sign-out").status_code == 404


def test_deactivation_ends_the_sessions_in_the_database(app, db_session, login_as):
    admin, _ = login_as("Administrator")
    browser, user = login_as("Auditor")
    role = factories.role(db_session, "Auditor")
    response = admin.post(f"/admin/users/{user.id}/edit", {"full_name": user.full_name, "email": user.email,
                                                           "roles": [str(role.id)], "password": "",
                                                           "row_version": str(user.row_version)})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.scalars(select(UserSession.end_reason).where(UserSession.user_id == user.id)).one() == "deactivated"
    assert browser.get("/debtors/").status_code == 302


def test_the_cookie_is_written_at_sign_in_and_when_it_changes_and_expires_with_the_server_session(
        app, db_session, login_as):
    from werkzeug.http import parse_date

    user = factories.user(db_session, role_name="Auditor")
    browser = Browser(app.test_client(), db_session)
    signed_in = browser.login(user.username)
    cookie = [h for h in signed_in.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(cookie) == 1
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    expires = parse_date(next(p.split("=", 1)[1] for p in cookie[0].split("; ") if p.startswith("Expires=")))
    assert abs(expires - row.expires_at) < timedelta(seconds=5)  # the server's absolute end, not later
    browser.get("/debtors/")  # the first page may add the form token to the cookie
    again = browser.get("/debtors/")
    assert again.status_code == 200 and "Set-Cookie" not in again.headers  # unchanged: not re-signed
    assert _signed_in(browser.get("/debtors/"))  # and still signed in
