"""REST API test helpers: a client that sends a personal API token (and never a cookie of its own)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests import factories
from tests.conftest import Browser


class ApiClient:
    """The Flask test client with `Authorization: Bearer <token>`, each request on its own worker
    thread (its own app context and session, as in production; see tests/conftest.Browser)."""

    def __init__(self, app, session, secret: str | None):
        self.browser = Browser(app.test_client(), session)
        self.secret = secret

    def headers(self, extra=None) -> dict:
        out = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return out | dict(extra or {})

    def open(self, method: str, url: str, *, json=None, headers=None, **kw):
        client = self.browser.client
        return self.browser._run(client.open, url, method=method, json=json, headers=self.headers(headers), **kw)

    def get(self, url: str, **kw):
        return self.open("GET", url, **kw)

    def post(self, url: str, json=None, **kw):
        return self.open("POST", url, json=json, **kw)


def make_token(session, user, *, days: int = 30, name: str = "test"):
    from portal.services import api_tokens

    return api_tokens.create(session, user, name=name, expires_on=date.today() + timedelta(days=days))


@pytest.fixture
def api_as(app, db_session):
    """A token client for a fresh user of the named role: api_as("Consultant", branches=[…]) -> (client, user)."""

    def make(role_name: str = "Administrator", **kw):
        user = factories.user(db_session, role_name=role_name, **kw)
        _, secret = make_token(db_session, user)
        return ApiClient(app, db_session, secret), user

    return make


@pytest.fixture
def anonymous_api(app, db_session):
    return ApiClient(app, db_session, None)


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:800])
    assert response.mimetype == "application/problem+json", response.mimetype
    body = response.get_json()
    assert body["status"] == status and body["title"] and "type" in body
    return body
