"""Each user chooses immediate alert e-mails or a daily digest on their own settings page."""
from __future__ import annotations

from sqlalchemy import select

from portal.models import AuditEntry, User


def test_a_user_chooses_the_daily_digest(db_session, login_as):
    browser, user = login_as("Consultant")
    page = browser.get("/account/settings").get_data(as_text=True)
    assert 'checked id="alert_email-0"' in page and "One e-mail a day" in page and 'href="/account/settings"' in page
    response = browser.post("/account/settings", {"alert_email": "digest"})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(User, user.id).alert_email == "digest"
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "users",
                                                        AuditEntry.entity_id == user.id)).all()[-1]
    assert entry.actor_id == user.id and "alert_email" in entry.changes
    assert 'checked id="alert_email-1"' in browser.get("/account/settings").get_data(as_text=True)
    # the form posted back unchanged keeps the choice
    assert browser.post("/account/settings", {"alert_email": "digest"}).status_code == 302
    assert db_session.get(User, user.id).alert_email == "digest"


def test_bad_or_forged_settings_are_refused_without_a_change(db_session, login_as, browser):
    user_browser, user = login_as("Auditor")
    for value in ("", "weekly", "x" * 5000, "digest\x00"):
        response = user_browser.post("/account/settings", {"alert_email": value})
        assert response.status_code in (200, 400), value
        if response.status_code == 200:
            assert 'role="alert"' in response.get_data(as_text=True) or "Not a valid choice" in response.get_data(as_text=True)
    assert user_browser.post("/account/settings", {"alert_email": "digest"}, csrf=False).status_code == 400
    assert browser.post("/account/settings", {"alert_email": "digest"}).status_code in (302, 401)  # signed out
    db_session.expire_all()
    assert db_session.get(User, user.id).alert_email == "immediate"
