"""The administrator's user form: reserved and look-alike usernames and whitespace passwords are refused with a
message on the form."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.models import User
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
