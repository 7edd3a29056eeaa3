"""Usernames, role names, branch codes and bill codes: a look-alike (zero-width, tab, line break, full-width) or a
word the audit history uses for "no user" is refused on every path that makes one, single sign-on included; an
administrator's password is held to the self-service form's rules."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.domain import text, usernames
from portal.models import BillCode, Branch, Role, SsoGroupMapping, User
from portal.services import maintenance, oidc, security
from portal.services.errors import ValidationFailed
from tests import factories

PASSWORD = "long-enough-password"
LOOK_ALIKES = [("admin\u200b", text.IDENTIFIER_INVISIBLE), ("ad\tmin2", text.IDENTIFIER_CONTROL),
               ("ad\nmin3", text.IDENTIFIER_CONTROL), ("ａｄｍｉｎ", text.IDENTIFIER_LOOK_ALIKE)]


def _refused(call) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return refused.value.errors


@pytest.mark.parametrize("username", ["system", "System", " SYSTEM ", "-", " - "])
def test_a_user_named_as_the_audit_history_names_no_user_is_refused(db_session, username):
    admin = factories.user(db_session, "admin")
    errors = _refused(lambda: security.create_user(db_session, actor=admin, username=username, full_name="S",
                                                   password=PASSWORD))
    assert errors == {"username": [usernames.RESERVED_MESSAGE.format(name=username.strip())]}
    assert db_session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("username, message", LOOK_ALIKES)
def test_a_username_that_reads_as_another_is_refused(db_session, username, message):
    admin = factories.user(db_session, "admin")
    errors = _refused(lambda: security.create_user(db_session, actor=admin, username=username, full_name="A",
                                                   password=PASSWORD))
    assert errors == {"username": [message]}


@pytest.mark.parametrize("name, message", LOOK_ALIKES[:3] + [("Ａdministrator", text.IDENTIFIER_LOOK_ALIKE)])
def test_a_role_name_that_reads_as_another_is_refused(db_session, name, message):
    admin = factories.user(db_session, "admin")
    name = name.replace("admin", "Administrator")
    before = db_session.scalar(select(func.count()).select_from(Role))
    errors = _refused(lambda: security.save_role(db_session, None, actor=admin, name=name, description="",
                                                 grants={"security": "granted"}))
    assert errors == {"name": [message]}
    assert db_session.scalar(select(func.count()).select_from(Role)) == before


@pytest.mark.parametrize("code, message", [
    ("NTH\u200b", text.IDENTIFIER_INVISIBLE), ("N\tTH", text.IDENTIFIER_CONTROL),
    ("ＮＴＨ", text.IDENTIFIER_LOOK_ALIKE)])
def test_a_branch_code_that_reads_as_another_is_refused(db_session, code, message):
    admin = factories.user(db_session, "admin")
    errors = _refused(lambda: security.save_branch(db_session, None, actor=admin, code=code, name="North"))
    assert errors == {"code": [message]}
    assert db_session.scalar(select(func.count()).select_from(Branch)) == 0


@pytest.mark.parametrize("code, message", [
    ("ORD\u200b", text.IDENTIFIER_INVISIBLE), ("O\tRD", text.IDENTIFIER_CONTROL),
    ("ＯＲＤ", text.IDENTIFIER_LOOK_ALIKE)])
def test_a_bill_code_that_reads_as_another_is_refused(db_session, code, message):
    admin = factories.user(db_session, "admin")
    errors = _refused(lambda: maintenance.save_bill_code(db_session, None, actor=admin, code=code, description="",
                                                         active=True))
    assert errors == {"code": [message]}
    assert db_session.scalar(select(func.count()).select_from(BillCode)) == 0


def test_plain_names_are_still_taken(db_session):
    admin = factories.user(db_session, "admin")
    assert security.create_user(db_session, actor=admin, username=" José.Ünal ", full_name="J",
                                password=PASSWORD).username == "José.Ünal"
    assert security.save_branch(db_session, None, actor=admin, code=" nth ", name="North").code == "NTH"
    assert maintenance.save_bill_code(db_session, None, actor=admin, code="ord-2", description="",
                                      active=True).code == "ORD-2"


def test_an_existing_user_whose_name_the_rule_now_refuses_can_still_be_edited(db_session):
    """The username is fixed once made: an account made before the rule (here "system") keeps working."""
    admin, old = factories.user(db_session, "admin"), factories.user(db_session, "system", "Auditor")
    security.update_user(db_session, old.id, actor=admin, full_name="Renamed", email="", active=True,
                         role_ids=[factories.role(db_session, "Auditor").id])
    db_session.expire_all()
    assert db_session.get(User, old.id).full_name == "Renamed"


@pytest.mark.parametrize("password", [" " * 12, " " * 300, "\t" * 12])
def test_an_administrators_password_of_only_spaces_is_refused_as_the_sign_in_form_would(db_session, password):
    admin = factories.user(db_session, "admin")
    message = ["Enter a password that is more than spaces: the sign-in form would refuse it."]
    assert _refused(lambda: security.create_user(db_session, actor=admin, username="spaceuser", full_name="S",
                                                 password=password)) == {"password": message}
    other = factories.user(db_session, "other", "Auditor")
    assert _refused(lambda: security.update_user(db_session, other.id, actor=admin, full_name="Other", email="",
                                                 active=True, role_ids=[factories.role(db_session, "Auditor").id],
                                                 password=password)) == {"password": message}


def test_a_password_with_spaces_around_its_characters_is_taken_as_typed(db_session):
    admin = factories.user(db_session, "admin")
    user = security.create_user(db_session, actor=admin, username="spaced", full_name="S", password="  a b c d e  ")
    assert security.authenticate(db_session, "spaced", "  a b c d e  ", security.LoginPolicy(5, 15)).id == user.id


def _mapped(db_session) -> None:
    db_session.add(SsoGroupMapping(group_name="staff", role_id=factories.role(db_session, "Auditor").id))
    db_session.commit()


@pytest.mark.parametrize("preferred, expected", [("system", "system-2"), ("System", "System-2"), ("-", "--2"),
                                                 ("ｓｙｓｔｅｍ", "system-2"), ("sys\u200btem", "system-2"),
                                                 ("ｓｔｅｖｅ", "steve")])
def test_single_sign_on_gives_an_account_named_system_another_username(db_session, preferred, expected):
    """The provider decides the name, and the portal already derives another on a clash (`-2`): a reserved or
    look-alike name is derived the same way rather than refusing a colleague the sign-in."""
    _mapped(db_session)
    user = oidc.sign_in(db_session, issuer="https://idp.example", claims={
        "sub": "s-1", "preferred_username": preferred, "groups": ["staff"]})
    assert user.username == expected
    assert usernames.username_problem(user.username) is None


def test_flask_setup_refuses_a_reserved_administrator_name_before_writing_anything(db_session):
    from portal.services.first_run import FirstAdmin, set_up

    errors = _refused(lambda: set_up(db_session, branch_code="HQ", branch_name="Head office",
                                     admin=FirstAdmin(username="System", password=PASSWORD)))
    assert errors == {"username": [usernames.RESERVED_MESSAGE.format(name="System")]}
    assert db_session.scalar(select(func.count()).select_from(Branch)) == 0
