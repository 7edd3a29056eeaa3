"""User, role and branch administration (services/security): who may do what, the messages of each
refusal, the history entries recorded as the administrator's, and the sessions an edit ends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.domain.sessions import SessionPolicy
from portal.models import AuditEntry, Branch, Role, User, UserSession
from portal.services import security, sessions
from portal.services.errors import Conflict, NotFound, ValidationFailed
from portal.services.passwords import verify_password
from portal.services.security import LoginPolicy
from tests import factories

SESSION_POLICY = SessionPolicy(lifetime=timedelta(hours=8), idle=timedelta(hours=2))
NEW_PASSWORD = "another-long-password"


def _entries(s, entity_type, entity_id, action=None):
    s.expire_all()
    stmt = select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return s.scalars(stmt.order_by(AuditEntry.id)).all()


def _refused(call) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return refused.value.errors


def _user_count(s):
    return len(s.scalars(select(User.id)).all())


# --- users --------------------------------------------------------------------------------------------------


def test_a_new_user_is_stored_trimmed_with_a_hashed_password_and_recorded_as_the_administrators(db_session):
    admin = factories.user(db_session, "admin")
    auditor, branch = factories.role(db_session, "Auditor"), factories.branch(db_session, "NTH")
    user = security.create_user(db_session, actor=admin, username="  Newbie ", full_name=" New Person ",
                                email=" n@example.com ", password=NEW_PASSWORD,
                                role_ids=[auditor.id, auditor.id], branch_ids=[branch.id])
    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert (user.username, user.full_name, user.email, user.active) == ("Newbie", "New Person", "n@example.com", True)
    assert verify_password(user.password_hash, NEW_PASSWORD) and NEW_PASSWORD not in user.password_hash
    assert ([r.name for r in user.roles], [b.code for b in user.branches]) == (["Auditor"], ["NTH"])
    [entry] = _entries(db_session, "users", user.id)
    assert (entry.action, entry.actor_id) == ("create", admin.id)
    assert entry.changes["password_hash"] == [None, "•••"]
    assert entry.changes["roles"] == [[], ["Auditor"]]


def test_a_new_user_without_an_email_address_has_none(db_session):
    admin = factories.user(db_session)
    user = security.create_user(db_session, actor=admin, username="someone", full_name="Some One",
                                password=NEW_PASSWORD)
    db_session.expire_all()
    assert db_session.get(User, user.id).email == ""


@pytest.mark.parametrize("username,full_name,password,errors", [
    ("", "A Person", NEW_PASSWORD, {"username": ["Enter a username."]}),
    ("   ", "A Person", NEW_PASSWORD, {"username": ["Enter a username."]}),
    ("u" * 81, "A Person", NEW_PASSWORD, {"username": ["Use at most 80 characters."]}),
    ("someone", " ", NEW_PASSWORD, {"full_name": ["Enter the person's name."]}),
    ("someone", "n" * 201, NEW_PASSWORD, {"full_name": ["Use at most 200 characters."]}),
    ("someone", "A Person", "short", {"password": ["Use at least 10 characters."]}),
    ("someone", "A Person", "p" * 257, {"password": ["Use at most 256 characters."]}),
    ("", "", "", {"username": ["Enter a username."], "full_name": ["Enter the person's name."],
                  "password": ["Use at least 10 characters."]}),
])
def test_a_new_user_is_refused_with_a_message_under_each_wrong_field(db_session, username, full_name, password,
                                                                      errors):
    admin = factories.user(db_session)
    before = _user_count(db_session)
    assert _refused(lambda: security.create_user(db_session, actor=admin, username=username, full_name=full_name,
                                                 password=password)) == errors
    assert _user_count(db_session) == before


def test_a_username_of_80_a_name_of_200_and_a_password_of_256_characters_are_accepted(db_session):
    admin = factories.user(db_session)
    user = security.create_user(db_session, actor=admin, username="u" * 80, full_name="n" * 200, password="p" * 256)
    assert verify_password(user.password_hash, "p" * 256)


def test_a_username_taken_in_any_case_is_refused_and_the_session_goes_on(db_session):
    admin = factories.user(db_session, "admin")
    factories.user(db_session, "ada")
    before = _user_count(db_session)
    assert _refused(lambda: security.create_user(db_session, actor=admin, username=" ADA ", full_name="Ada Again",
                                                 password=NEW_PASSWORD)) == {"username": ["That username is taken."]}
    assert _user_count(db_session) == before


@pytest.mark.parametrize("field,errors", [("role_ids", {"roles": ["Choose roles from the list."]}),
                                          ("branch_ids", {"branches": ["Choose branches from the list."]})])
def test_a_role_or_branch_not_in_the_lists_is_refused(db_session, field, errors):
    admin = factories.user(db_session)
    real = factories.role(db_session, "Auditor").id if field == "role_ids" else factories.branch(db_session).id
    before = _user_count(db_session)
    assert _refused(lambda: security.create_user(db_session, actor=admin, username="someone", full_name="Some One",
                                                 password=NEW_PASSWORD, **{field: [real, 999999]})) == errors
    assert _user_count(db_session) == before


def _edit(s, user, actor, **kw):
    values = dict(full_name=user.full_name, email=user.email, active=user.active,
                  role_ids=[r.id for r in user.roles], branch_ids=[b.id for b in user.branches])
    values.update(kw)
    return security.update_user(s, user.id, actor=actor, **values)


def test_an_administrator_cannot_deactivate_themselves(db_session):
    admin = factories.user(db_session)
    assert _refused(lambda: _edit(db_session, admin, admin, active=False)) == {
        "active": ["You cannot deactivate yourself."]}
    db_session.expire_all()
    assert db_session.get(User, admin.id).active


def test_an_administrator_cannot_take_away_their_own_security_access(db_session):
    """Another administrator may be given a role without it; their own edit keeps a role that has it."""
    admin, other = factories.user(db_session), factories.user(db_session)
    auditor = factories.role(db_session, "Auditor")
    assert _refused(lambda: _edit(db_session, admin, admin, role_ids=[auditor.id])) == {
        "roles": ["You cannot remove your own access to security."]}
    db_session.expire_all()
    assert [r.name for r in db_session.get(User, admin.id).roles] == ["Administrator"]
    _edit(db_session, other, admin, role_ids=[auditor.id])
    db_session.expire_all()
    assert not db_session.get(User, other.id).can("security")


def test_an_administrator_may_edit_their_own_name_keeping_a_role_with_security(db_session):
    admin = factories.user(db_session, "admin")
    lead = factories.role(db_session, "Relationship Lead")
    _edit(db_session, admin, admin, full_name="The Admin", role_ids=[lead.id] + [r.id for r in admin.roles])
    db_session.expire_all()
    assert db_session.get(User, admin.id).full_name == "The Admin"
    assert [r.name for r in db_session.get(User, admin.id).roles] == ["Administrator", "Relationship Lead"]


def test_editing_a_missing_user_is_not_found(db_session):
    admin = factories.user(db_session)
    with pytest.raises(NotFound, match=r"^No such user\.$"):
        security.update_user(db_session, 999999, actor=admin, full_name="X", email="", active=True)


def _sessions(s, user):
    s.expire_all()
    return s.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)).all()


@pytest.mark.parametrize("change,reason", [({"active": False}, "deactivated"),
                                           ({"password": NEW_PASSWORD}, "password set by an administrator")])
def test_deactivating_a_user_or_setting_their_password_ends_every_session_as_the_administrator(
        db_session, change, reason):
    admin, user = factories.user(db_session, "admin"), factories.user(db_session, "ada", "Auditor")
    sessions.start(db_session, user, SESSION_POLICY)
    sessions.start(db_session, user, SESSION_POLICY)
    version = user.session_version
    _edit(db_session, user, admin, **change)
    assert [(r.ended_at is not None, r.end_reason) for r in _sessions(db_session, user)] == [(True, reason)] * 2
    db_session.expire_all()
    assert db_session.get(User, user.id).session_version == version + 1
    [ended] = _entries(db_session, "users", user.id, "sessions_ended")
    assert (ended.actor_id, ended.changes) == (admin.id, {"sessions_ended": [None, 2]})
    updates = _entries(db_session, "users", user.id, "update")
    assert {e.actor_id for e in updates} == {admin.id}
    changed = {key: value for e in updates for key, value in e.changes.items()}
    assert changed["session_version"] == [version, version + 1]
    if "password" in change:
        assert verify_password(db_session.get(User, user.id).password_hash, NEW_PASSWORD)
        assert changed["password_hash"] == ["•••", "•••"]
    else:
        assert changed["active"] == [True, False]


def test_a_sign_in_racing_a_password_set_by_an_administrator_gets_no_session_that_outlives_it(db_session):
    """The sessions end and the password changes in one transaction: a sign-in with the old password made the
    moment anything of the edit is committed finds the new password, so no session opened on the old one lives."""
    admin, user = factories.user(db_session, "admin"), factories.user(db_session, "ada", "Auditor")
    sessions.start(db_session, user, SESSION_POLICY)
    racer = []

    def sign_in_with_the_old_password(committed):
        if racer:
            return
        with Session(bind=db_session.get_bind()) as other:
            found = security.authenticate(other, "ada", factories.PASSWORD, LoginPolicy(5, 15))
            racer.append(found is not None and sessions.start(other, found, SESSION_POLICY))

    real = db_session()
    event.listen(real, "after_commit", sign_in_with_the_old_password)
    try:
        _edit(db_session, user, admin, password=NEW_PASSWORD)
    finally:
        event.remove(real, "after_commit", sign_in_with_the_old_password)
    assert racer == [False]
    assert all(r.ended_at is not None for r in _sessions(db_session, user))


def test_an_edit_that_neither_deactivates_nor_sets_a_password_leaves_sessions_and_password_alone(db_session):
    """An empty password field means no new password."""
    admin, user = factories.user(db_session, "admin"), factories.user(db_session, "ada", "Auditor")
    token = sessions.start(db_session, user, SESSION_POLICY)
    version, old_hash = user.session_version, user.password_hash
    branch, lead = factories.branch(db_session, "STH"), factories.role(db_session, "Relationship Lead")
    _edit(db_session, user, admin, full_name=" Ada L ", email=" ada@example.org ", password="",
          role_ids=[lead.id], branch_ids=[branch.id])
    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert (user.full_name, user.email, user.session_version, user.password_hash) == (
        "Ada L", "ada@example.org", version, old_hash)
    assert ([r.name for r in user.roles], [b.code for b in user.branches]) == (["Relationship Lead"], ["STH"])
    assert sessions.resolve(db_session, token, user.id, SESSION_POLICY) is not None
    assert _entries(db_session, "users", user.id, "sessions_ended") == []


def test_reactivating_a_user_ends_no_sessions(db_session):
    admin, user = factories.user(db_session, "admin"), factories.user(db_session, "ada", "Auditor", active=False)
    _edit(db_session, user, admin, active=True)
    db_session.expire_all()
    assert db_session.get(User, user.id).active
    assert _entries(db_session, "users", user.id, "sessions_ended") == []


def test_an_edit_is_refused_on_the_new_name_and_a_new_password_only(db_session):
    admin, user = factories.user(db_session, "admin"), factories.user(db_session, "ada", "Auditor")
    assert _refused(lambda: _edit(db_session, user, admin, full_name="  ", password="short")) == {
        "full_name": ["Enter the person's name."], "password": ["Use at least 10 characters."]}
    db_session.expire_all()
    assert db_session.get(User, user.id).full_name == "Ada"


# --- roles --------------------------------------------------------------------------------------------------


def _grants(s, role_id):
    s.expire_all()
    return s.get(Role, role_id).grant_map()


def test_a_new_role_keeps_only_the_chosen_grants_and_single_level_items_as_granted(db_session):
    admin = factories.user(db_session)
    role = security.save_role(db_session, None, actor=admin, name=" Reviewer ", description=" Reads ",
                              grants={"debtors": "full", "documents": "", "security": "view", "settings": "granted"})
    assert _grants(db_session, role.id) == {"debtors": "full", "security": "granted", "settings": "granted"}
    role = db_session.get(Role, role.id)
    assert (role.name, role.description) == ("Reviewer", "Reads")
    [entry] = _entries(db_session, "roles", role.id)
    assert (entry.action, entry.actor_id) == ("create", admin.id)


def test_editing_a_role_adds_changes_and_removes_grants(db_session):
    admin = factories.user(db_session)
    role = security.save_role(db_session, None, actor=admin, name="Reviewer", description="",
                              grants={"debtors": "full", "documents": "view", "maintenance": "view"})
    security.save_role(db_session, role.id, actor=admin, name="Reviewers", description="Edited",
                       grants={"debtors": "view", "documents": "view", "contracts": "add_edit"})
    assert _grants(db_session, role.id) == {"debtors": "view", "documents": "view", "contracts": "add_edit"}
    assert db_session.get(Role, role.id).name == "Reviewers"


def test_an_administrator_cannot_take_security_from_the_only_role_that_gives_it_to_them(db_session):
    """As with their own user record: a role edit that would leave the administrator without security access is
    refused (else one save locks them, or everyone, out of the security pages); another role keeping it is fine."""
    admin = factories.user(db_session)
    role = factories.role(db_session, "Administrator")
    grants = {g.item: g.level for g in role.grants if g.item != "security"}
    assert _refused(lambda: security.save_role(db_session, role.id, actor=admin, name="Administrator",
                                               description="", grants=grants)) == {
        "grants": ["You cannot remove your own access to security."]}
    assert "security" in _grants(db_session, role.id)
    spare = security.save_role(db_session, None, actor=admin, name="Security keeper", description="",
                               grants={"security": "granted"})
    admin = db_session.get(User, admin.id)
    admin.roles.append(db_session.get(Role, spare.id))
    db_session.commit()
    security.save_role(db_session, role.id, actor=admin, name="Administrator", description="", grants=grants)
    assert "security" not in _grants(db_session, role.id)
    assert db_session.get(User, admin.id).can("security")


def test_a_role_is_refused_with_a_message_for_its_name_and_each_wrong_grant(db_session):
    admin = factories.user(db_session)
    before = len(db_session.scalars(select(Role.id)).all())
    grants = {"nothing": "view", "debtors": "superuser", "documents": "granted", "contracts": "full"}
    assert _refused(lambda: security.save_role(db_session, None, actor=admin, name=" ", description="",
                                               grants=grants)) == {
        "name": ["Enter a name."],
        "grants": ["nothing: not a valid grant.", "debtors: not a valid grant.", "documents: not a valid grant."]}
    assert _refused(lambda: security.save_role(db_session, None, actor=admin, name="r" * 81, description="",
                                               grants={})) == {"name": ["Use at most 80 characters."]}
    assert len(db_session.scalars(select(Role.id)).all()) == before
    assert security.save_role(db_session, None, actor=admin, name="r" * 80, description="", grants={}).id


def test_a_role_name_taken_in_any_case_is_refused(db_session):
    admin = factories.user(db_session)
    assert _refused(lambda: security.save_role(db_session, None, actor=admin, name="auditor", description="",
                                               grants={})) == {"name": ["A role with that name exists."]}


def test_saving_a_missing_role_is_not_found(db_session):
    admin = factories.user(db_session)
    with pytest.raises(NotFound, match=r"^No such role\.$"):
        security.save_role(db_session, 999999, actor=admin, name="Gone", description="", grants={})


@pytest.mark.parametrize("holders,message", [(1, "1 user still has this role."), (2, "2 users still have this role.")])
def test_a_role_someone_still_has_is_not_deleted(db_session, holders, message):
    admin = factories.user(db_session)
    role = security.save_role(db_session, None, actor=admin, name="Reviewer", description="", grants={})
    for _ in range(holders):
        factories.user(db_session, role_name="Reviewer")
    with pytest.raises(Conflict) as refused:
        security.delete_role(db_session, role.id, actor=admin)
    assert str(refused.value) == message
    db_session.expire_all()
    assert db_session.get(Role, role.id) is not None


def test_deleting_a_role_no_one_has_is_recorded_as_the_administrators(db_session):
    admin = factories.user(db_session)
    role = security.save_role(db_session, None, actor=admin, name="Reviewer", description="",
                              grants={"debtors": "view"})
    factories.user(db_session, role_name="Auditor")  # others' roles do not count
    security.delete_role(db_session, role.id, actor=admin)
    db_session.expire_all()
    assert db_session.get(Role, role.id) is None
    [entry] = _entries(db_session, "roles", role.id, "delete")
    assert entry.actor_id == admin.id
    with pytest.raises(NotFound, match=r"^No such role\.$"):
        security.delete_role(db_session, role.id, actor=admin)


# --- branches -----------------------------------------------------------------------------------------------


def test_a_branch_code_is_kept_upper_case_and_both_fields_trimmed_as_the_administrators(db_session):
    admin = factories.user(db_session)
    branch = security.save_branch(db_session, None, actor=admin, code=" nth ", name=" North ")
    db_session.expire_all()
    assert (db_session.get(Branch, branch.id).code, db_session.get(Branch, branch.id).name) == ("NTH", "North")
    security.save_branch(db_session, branch.id, actor=admin, code="nw", name="North West")
    db_session.expire_all()
    assert str(db_session.get(Branch, branch.id)) == "NW — North West"
    assert [(e.action, e.actor_id) for e in _entries(db_session, "branches", branch.id)] == [
        ("create", admin.id), ("update", admin.id)]


@pytest.mark.parametrize("code,name,errors", [
    ("", "North", {"code": ["Enter a code of at most 20 characters."]}),
    ("  ", "North", {"code": ["Enter a code of at most 20 characters."]}),
    ("c" * 21, "North", {"code": ["Enter a code of at most 20 characters."]}),
    ("NTH", " ", {"name": ["Enter a name of at most 200 characters."]}),
    ("NTH", "n" * 201, {"name": ["Enter a name of at most 200 characters."]}),
    ("", "", {"code": ["Enter a code of at most 20 characters."], "name": ["Enter a name of at most 200 characters."]}),
])
def test_a_branch_is_refused_with_a_message_under_each_wrong_field(db_session, code, name, errors):
    admin = factories.user(db_session)
    assert _refused(lambda: security.save_branch(db_session, None, actor=admin, code=code, name=name)) == errors
    assert db_session.scalars(select(Branch)).all() == []


def test_a_branch_code_of_20_and_a_name_of_200_characters_are_accepted(db_session):
    admin = factories.user(db_session)
    assert security.save_branch(db_session, None, actor=admin, code="C" * 20, name="n" * 200).id


def test_a_branch_code_taken_in_any_case_is_refused(db_session):
    admin = factories.user(db_session)
    factories.branch(db_session, "NTH")
    assert _refused(lambda: security.save_branch(db_session, None, actor=admin, code="nth", name="Again")) == {
        "code": ["A branch with that code exists."]}


def test_saving_a_missing_branch_is_not_found(db_session):
    admin = factories.user(db_session)
    with pytest.raises(NotFound, match=r"^No such branch\.$"):
        security.save_branch(db_session, 999999, actor=admin, code="X", name="X")
