"""Sign-in, lock-out, sessions, rate limit, security headers."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from portal.models import User
from tests import factories
from tests.conftest import Browser


def test_sign_in_and_out(db_session, browser):
    user = factories.user(db_session, "ada", "Administrator")
    assert browser.login("ada").status_code == 302
    home = browser.get("/").get_data(as_text=True)
    assert "Welcome, Ada" in home and "Users &amp; roles" in home
    assert browser.post("/logout").status_code == 302
    assert browser.get("/").status_code == 302
    assert user.id


def test_wrong_password_and_unknown_user_get_the_same_message(db_session, browser):
    factories.user(db_session, "ada")
    browser.get("/login")
    wrong = browser.post("/login", {"username": "ada", "password": "nope-nope-nope"}).get_data(as_text=True)
    unknown = browser.post("/login", {"username": "nobody", "password": "nope-nope-nope"}).get_data(as_text=True)
    message = "Wrong username or password, or the account is locked"
    assert message in wrong and message in unknown


def test_repeated_failures_lock_the_account_in_the_database(app, db_session, browser):
    user = factories.user(db_session, "ada")
    browser.get("/login")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        browser.post("/login", {"username": "ada", "password": "wrong-password-1"})
    db_session.expire_all()
    assert db_session.get(User, user.id).locked_until > datetime.now(timezone.utc)
    right = browser.post("/login", {"username": "ada", "password": factories.PASSWORD})
    assert right.status_code == 200 and "locked" in right.get_data(as_text=True)


def test_a_success_resets_the_failure_counter(db_session, browser):
    user = factories.user(db_session, "ada")
    browser.get("/login")
    browser.post("/login", {"username": "ada", "password": "wrong-password-1"})
    assert browser.post("/login", {"username": "ada", "password": factories.PASSWORD}).status_code == 302
    db_session.expire_all()
    assert db_session.get(User, user.id).failed_logins == 0


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x",
                                    "/%5Cevil.example/x", "/%09/evil.example", "javascript:alert(1)"])
def test_next_is_never_an_open_redirect(db_session, browser, target):
    factories.user(db_session, "ada")
    browser.get("/login")
    response = browser.post("/login", {"username": "ada", "password": factories.PASSWORD},
                            query_string={"next": unquote(target)})
    assert response.headers["Location"] == "/"
    browser.get("/")  # the page after sign-in carries the new session's token
    browser.post("/logout")
    browser.get("/login")
    inside = browser.post("/login?next=/debtors/", {"username": "ada", "password": factories.PASSWORD})
    assert inside.headers["Location"] == "/debtors/"


def test_sign_in_clears_the_earlier_session(app, db_session, browser):
    factories.user(db_session, "ada")
    browser.get("/login")
    with browser.client.session_transaction() as s:
        s["planted"] = "value"
    browser.post("/login", {"username": "ada", "password": factories.PASSWORD})
    with browser.client.session_transaction() as s:
        assert "planted" not in s


def test_deactivation_and_password_change_sign_the_user_out_everywhere(app, db_session, login_as):
    admin, _ = login_as("Administrator")
    victim, user = login_as("Consultant")
    assert victim.get("/debtors/").status_code == 200
    role = factories.role(db_session, "Consultant")
    admin.get(f"/admin/users/{user.id}/edit")
    admin.post(f"/admin/users/{user.id}/edit", {"full_name": user.full_name, "email": "", "roles": [str(role.id)],
                                                "password": "a-brand-new-password", "active": "y",
                                                "row_version": str(user.row_version)})
    assert victim.get("/debtors/").status_code == 302  # the old session no longer counts
    again = Browser(app.test_client(), db_session)
    assert again.login(user.username, "a-brand-new-password").status_code == 302
    assert again.get("/debtors/").status_code == 200
    admin.post(f"/admin/users/{user.id}/edit", {"full_name": user.full_name, "email": "", "roles": [str(role.id)],
                                                "row_version": str(user.row_version)})
    db_session.expire_all()
    assert db_session.get(User, user.id).active is False  # the box left unticked: deactivated
    assert again.get("/debtors/").status_code == 302


def test_sign_in_is_rate_limited(app, db_session, browser):
    from portal.extensions import limiter

    previous = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"  # read per request
    try:
        browser.get("/login")
        codes = [browser.post("/login", {"username": "x", "password": "y"}).status_code for _ in range(5)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = previous
        limiter.reset()
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


def test_security_headers_on_every_response(db_session, browser):
    for url in ("/login", "/static/portal.css", "/nope"):
        headers = browser.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_error_pages_use_the_layout(db_session, login_as):
    browser, _ = login_as("Auditor")
    page = browser.get("/no-such-page")
    assert page.status_code == 404 and "PO Portal" in page.get_data(as_text=True)
    assert browser.get("/admin/users").status_code == 403


def test_admin_creates_users_and_edits_grants(db_session, login_as):
    admin, _ = login_as("Administrator")
    auditor = factories.role(db_session, "Auditor")
    branch = factories.branch(db_session, "NTH")
    created = admin.post("/admin/users/new", {"username": "Newbie", "full_name": "New Person", "email": "n@example.com",
                                              "password": "long-enough-pw", "roles": [str(auditor.id)],
                                              "branches": [str(branch.id)]})
    assert created.status_code == 302, created.get_data(as_text=True)[-2500:]
    user = db_session.scalars(select(User).where(User.username == "Newbie")).one()
    assert [r.name for r in user.roles] == ["Auditor"] and [b.code for b in user.branches] == ["NTH"]
    duplicate = admin.post("/admin/users/new", {"username": "newbie", "full_name": "Again", "password": "long-enough-pw"})
    assert "That username is taken" in duplicate.get_data(as_text=True)
    short = admin.post("/admin/users/new", {"username": "x2", "full_name": "X", "password": "short"})
    assert "Field must be between 10 and 256 characters" in short.get_data(as_text=True)
    grants = {f"grant-{item}": level for item, level in {"debtors": "full", "documents": "view"}.items()}
    edited = admin.post(f"/admin/roles/{auditor.id}/edit", {"name": "Auditor", "description": "", **grants,
                                                             "row_version": str(auditor.row_version)})
    assert edited.status_code == 302, edited.get_data(as_text=True)[-3000:]
    db_session.expire_all()
    assert db_session.get(User, user.id).can("debtors", "full")
    assert not db_session.get(User, user.id).can("purchase_orders", "view")
    bad = admin.post(f"/admin/roles/{auditor.id}/edit", {"name": "Auditor", "grant-debtors": "superuser"})
    assert "not a valid grant" in bad.get_data(as_text=True)


def test_the_role_form_refuses_to_take_security_from_the_administrators_only_role(db_session, login_as):
    admin, _ = login_as("Administrator")
    role = factories.role(db_session, "Administrator")
    grants = {f"grant-{g.item}": g.level for g in role.grants if g.item != "security"}
    refused = admin.post(f"/admin/roles/{role.id}/edit", {"name": "Administrator", "description": "", **grants,
                                                          "row_version": str(role.row_version)})
    assert refused.status_code == 200
    assert "You cannot remove your own access to security." in refused.get_data(as_text=True)
    db_session.expire_all()
    assert "security" in factories.role(db_session, "Administrator").grant_map()


@pytest.mark.parametrize("path,current", [
    ("/admin/settings", "Settings"), ("/admin/users", "Users &amp; roles"), ("/admin/roles", "Users &amp; roles"),
    ("/debtors/new", "Debtors"),
])
def test_navigation_marks_one_current_entry(db_session, login_as, path, current):
    browser, _ = login_as("Administrator")
    header = browser.get(path).get_data(as_text=True).split("<main")[0]  # the site navigation, not page tabs
    marked = [chunk.split(">", 1)[1].split("<", 1)[0] for chunk in header.split('aria-current="page"')[1:]]
    assert marked == [current]
