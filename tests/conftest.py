"""Web-test helpers: a signed-in client that sends CSRF tokens like a browser would."""
from __future__ import annotations

import pytest

from concurrent.futures import ThreadPoolExecutor

from conftest import csrf_from
from tests import factories

ROLE_NAMES = ["Administrator", "Billing Admin", "Billing Clerk", "Consultant", "Relationship Lead", "Auditor"]


class Browser:
    """The Flask test client plus what a browser does: keep the CSRF token of the last page.

    Each request runs on a worker thread, so it gets its own app context and database session
    as in production (the test's own app context would otherwise be shared with the request,
    `g` and the scoped session included). The test's session is committed first, so it holds
    no locks a request might wait on, and its objects are reloaded afterwards.
    """

    def __init__(self, client, session=None):
        self.client = client
        self.session = session
        self.token: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=1)

    def _run(self, fn, *args, **kw):
        if self.session is not None:
            self.session.commit()
        return self._pool.submit(fn, *args, **kw).result()

    def get(self, url: str, **kw):
        response = self._run(self.client.get, url, **kw)
        if response.mimetype == "text/html" and response.status_code == 200:
            try:
                self.token = csrf_from(response.get_data(as_text=True))
            except AssertionError:
                pass
        return response

    def csrf(self) -> str:
        if self.token is None:
            self.get("/login")
        return self.token

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        return self._run(self.client.post, url, data=data, **kw)

    def login(self, username: str, password: str = factories.PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        self.token = None
        self.get("/")
        return response


@pytest.fixture
def browser(app, db_session):
    return Browser(app.test_client(), db_session)


@pytest.fixture
def login_as(app, db_session):
    """Sign in a fresh user with the named role; returns (Browser, user)."""

    def sign_in(role_name: str = "Administrator", **kw):
        user = factories.user(db_session, role_name=role_name, **kw)
        b = Browser(app.test_client(), db_session)
        response = b.login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return b, user

    return sign_in
