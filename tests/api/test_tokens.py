"""Personal API tokens: shown once, stored hashed, revoked, expired; the API takes them and nothing else."""
from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update

from tests import factories
from tests.api.conftest import ApiClient, is_problem, make_token


def _audit_actions(session, user_id: int) -> list[str]:
    from portal.models import AuditEntry

    session.expire_all()
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "users",
                                                                AuditEntry.entity_id == user_id,
                                                                AuditEntry.action.like("api_token%"))
                                .order_by(AuditEntry.id)))


def test_a_user_creates_a_token_sees_it_once_and_it_is_stored_hashed(login_as, db_session, app):
    from portal.models import ApiToken

    browser, user = login_as("Consultant")
    assert browser.get("/account/api/tokens").status_code == 200
    expires = (date.today() + timedelta(days=30)).isoformat()
    page = browser.post("/account/api/tokens", {"name": "billing sync", "expires_on": expires})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    assert secret.startswith("pop_") and len(secret) > 40
    db_session.expire_all()
    row = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in (row.prefix, row.token_hash)
    assert row.expires_at == datetime.combine(date.today() + timedelta(days=31), datetime.min.time(), timezone.utc)
    # shown once: the list names it by its first characters only
    listed = browser.get("/account/api/tokens").get_data(as_text=True)
    assert secret not in listed and row.prefix in listed and "billing sync" in listed
    assert _audit_actions(db_session, user.id) == ["api_token_created"]
    api = ApiClient(app, db_session, secret)
    me = api.get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["username"] == user.username
    db_session.expire_all()
    assert db_session.get(ApiToken, row.id).last_used_at is not None


def test_bad_token_forms_are_refused_with_messages_and_nothing_saved(login_as, db_session):
    from portal.models import ApiToken

    browser, user = login_as("Auditor")
    for data, message in [
        ({"name": "", "expires_on": (date.today() + timedelta(days=3)).isoformat()}, "Name the token"),
        ({"name": "x" * 81, "expires_on": (date.today() + timedelta(days=3)).isoformat()}, "at most 80"),
        ({"name": "ok", "expires_on": date.today().isoformat()}, "after today"),
        ({"name": "ok", "expires_on": (date.today() + timedelta(days=400)).isoformat()}, "at most 366 days"),
        ({"name": "ok", "expires_on": "31/12/2026"}, "YYYY-MM-DD"),
        ({"name": "ok", "expires_on": ""}, "Choose the date"),
    ]:
        page = browser.post("/account/api/tokens", data)
        assert page.status_code == 200 and message in page.get_data(as_text=True), (data, message)
    assert browser.post("/account/api/tokens", {"name": "ok", "expires_on": "2030-01-01"}, csrf=False).status_code == 400
    assert db_session.scalars(select(ApiToken)).all() == []


def test_revoking_stops_the_token_at_once_and_is_audited(login_as, db_session, app):
    browser, user = login_as("Billing Admin")
    token, secret = make_token(db_session, user)
    api = ApiClient(app, db_session, secret)
    assert api.get("/api/v1/me").status_code == 200
    assert browser.post(f"/account/api/tokens/{token.id}/revoke", csrf=False).status_code == 400
    assert api.get("/api/v1/me").status_code == 200, "a revoke without the CSRF token is not applied"
    assert browser.post(f"/account/api/tokens/{token.id}/revoke").status_code == 302
    body = is_problem(api.get("/api/v1/me"), 401)
    assert "revoked" in body["detail"]
    assert _audit_actions(db_session, user.id) == ["api_token_created", "api_token_revoked"]


def test_nobody_revokes_another_users_token(login_as, db_session, app):
    owner = factories.user(db_session, role_name="Consultant")
    token, secret = make_token(db_session, owner)
    browser, _ = login_as("Administrator")  # even an administrator: tokens are their owner's
    assert browser.post(f"/account/api/tokens/{token.id}/revoke").status_code == 404
    assert ApiClient(app, db_session, secret).get("/api/v1/me").status_code == 200


def test_expired_tokens_and_inactive_users_are_refused(db_session, app):
    from portal.models import ApiToken, User

    user = factories.user(db_session, role_name="Auditor")
    token, secret = make_token(db_session, user)
    api = ApiClient(app, db_session, secret)
    assert api.get("/api/v1/debtors").status_code == 200
    db_session.execute(update(ApiToken).where(ApiToken.id == token.id)
                       .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    db_session.commit()
    assert "expired" in is_problem(api.get("/api/v1/debtors"), 401)["detail"]
    db_session.execute(update(ApiToken).where(ApiToken.id == token.id)
                       .values(expires_at=datetime.now(timezone.utc) + timedelta(days=1)))
    db_session.execute(update(User).where(User.id == user.id).values(active=False))
    db_session.commit()
    assert "no longer active" in is_problem(api.get("/api/v1/debtors"), 401)["detail"]


def test_the_api_takes_a_bearer_token_only(login_as, db_session, app, anonymous_api):
    browser, user = login_as("Administrator")
    _, secret = make_token(db_session, user)
    for headers in ({}, {"Authorization": f"Basic {secret}"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer pop_" + "x" * 43}, {"Authorization": "Bearer " + secret + "x"},
                    {"Authorization": "Bearer " + "\u00e9" * 30}):
        response = anonymous_api.get("/api/v1/debtors", headers=headers)
        body = is_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer") and body["type"].endswith("/unauthorized")
    # a signed-in browser's cookie is not a credential on /api/ (so no cross-site request can use it)
    assert browser.get("/api/v1/debtors").status_code == 401
    debtor = factories.debtor(db_session)
    response = browser._run(browser.client.post, "/api/v1/documents", json={
        "debtor_id": debtor.id, "document_type_id": 1, "doc_date": "2026-05-01",
        "lines": [{"bill_code_id": 1, "quantity": "1", "rate": "1"}]})
    assert response.status_code == 401
    from portal.models import Document

    assert db_session.scalars(select(Document)).all() == []


def test_the_docs_page_serves_swagger_ui_without_inline_script(login_as):
    browser, _ = login_as("Consultant")
    page = browser.get("/account/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "swagger-ui-bundle.js" in html and "<script>" not in html and "cdn" not in html.lower()
    spec = browser.get("/account/api/docs/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/purchase-orders" in spec["paths"]
    assert browser.get("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js").status_code == 200
