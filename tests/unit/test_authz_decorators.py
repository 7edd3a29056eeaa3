"""`@requires`, `@signed_in` and `@public` on a bare Flask app (no database): what each answers to a
signed-out visitor, a user lacking the grant and a user holding it, and what each declares."""
from __future__ import annotations

import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin

from portal.authz import public, requires, signed_in


class FakeUser(UserMixin):
    def __init__(self, grants: dict[str, str]):
        self.id = "u"
        self.grants = grants
        self.asked: list[tuple] = []

    def can(self, item, level=None):
        from portal.domain.permissions import satisfies

        self.asked.append((item, level))
        return satisfies(self.grants.get(item), item, level)


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "x"
    login = LoginManager(app)
    users = {"clerk": FakeUser({"documents": "add_edit"}), "auditor": FakeUser({"documents": "view"})}
    login.request_loader(lambda request: users.get(request.headers.get("X-User", "")))
    app.users = users

    @app.get("/post/<int:doc_id>")
    @requires("documents", "add_edit")
    def post(doc_id):
        return f"posted {doc_id}"

    @app.get("/reassign")
    @requires("po_assign_invoiced_item")
    def reassign():
        return "moved"

    @app.get("/home")
    @signed_in
    def home():
        return "home"

    @app.get("/health")
    @public
    def health():
        return "ok"

    return app


def get(app, url, user=None):
    return app.test_client().get(url, headers={"X-User": user} if user else {})


def test_requires_answers_401_403_or_the_view(app):
    assert get(app, "/post/7").status_code == 401
    assert get(app, "/post/7", "auditor").status_code == 403
    response = get(app, "/post/7", "clerk")
    assert response.status_code == 200 and response.get_data(as_text=True) == "posted 7"
    assert app.users["clerk"].asked == [("documents", "add_edit")]
    assert get(app, "/reassign", "clerk").status_code == 403


def test_signed_in_and_public(app):
    assert get(app, "/home").status_code == 401
    assert get(app, "/home", "auditor").get_data(as_text=True) == "home"
    assert get(app, "/health").get_data(as_text=True) == "ok"


def test_each_view_declares_what_it_needs_and_keeps_its_name(app):
    views = app.view_functions
    assert views["post"].permission == ("requires", "documents", "add_edit")
    assert views["reassign"].permission == ("requires", "po_assign_invoiced_item", None)
    assert views["home"].permission == ("signed_in",)
    assert views["health"].permission == ("public",)
    assert [views[n].__name__ for n in ("post", "home")] == ["post", "home"]


def test_a_bad_declaration_fails_when_the_view_is_declared():
    with pytest.raises(ValueError, match="unknown permission item 'docs'"):
        requires("docs", "view")
