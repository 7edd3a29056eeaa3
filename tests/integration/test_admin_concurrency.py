"""Administration at the same moment from two connections: a role deleted while someone gives it to a user or
names it in an SSO group mapping, and API tokens made at once past the cap. The first request's transaction is
held open (its commit deferred) while the second runs into its locks; then the first commits."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.models import ApiToken, Role, SsoGroupMapping, User
from portal.services import api_tokens, oidc, security
from portal.services.errors import Conflict, ValidationFailed
from tests import factories
from tests.integration.test_source_concurrency import _race


def _held(call):
    """`call(session)` with its commit deferred: what it wrote stays uncommitted, under its locks, until the race
    commits the session itself."""
    def hold(session):
        session.commit = session.flush  # the services commit; this one's commit is the race's
        try:
            call(session)
        finally:
            del session.commit
    return hold


def _outcome(call):
    def second(session):
        try:
            call(session)
        except (ValidationFailed, Conflict) as refused:
            return getattr(refused, "errors", None) or str(refused)
        return "saved"
    return second


@pytest.fixture
def admin_role_user(db_session):
    admin = factories.user(db_session, "admin")
    role = security.save_role(db_session, None, actor=admin, name="Race", description="", grants={"debtors": "view"})
    user = factories.user(db_session, "target", "Auditor")
    return admin.id, role.id, user.id


def _give_role(user_id, role_id, admin_id):
    def call(session):
        user = session.get(User, user_id)
        security.update_user(session, user_id, actor=session.get(User, admin_id), full_name=user.full_name,
                             email=user.email, active=True, role_ids=[r.id for r in user.roles] + [role_id])
    return call


def test_a_role_deleted_while_it_is_given_to_a_user_is_a_form_message_not_a_key_error(app, db_session,
                                                                                       admin_role_user):
    """Defect (F15): the user's save read the role before the delete committed, then failed on user_roles' foreign
    key: an unhandled IntegrityError, a 500. The save now waits for the delete and finds the role gone."""
    admin_id, role_id, user_id = admin_role_user
    delete = _held(lambda s: security.delete_role(s, role_id, actor=s.get(User, admin_id)))
    assert _race(app, delete, _outcome(_give_role(user_id, role_id, admin_id))) == {
        "roles": ["Choose roles from the list."]}
    db_session.expire_all()
    assert db_session.get(Role, role_id) is None
    assert [r.name for r in db_session.get(User, user_id).roles] == ["Auditor"]


def test_a_role_given_to_a_user_while_it_is_deleted_stays_and_the_delete_is_refused(app, db_session, admin_role_user):
    """The other order: the delete counted no holder before the save committed, and the foreign key's cascade then
    took the role from the user with no entry in their history. The delete now waits for the save and counts it."""
    admin_id, role_id, user_id = admin_role_user
    delete = _outcome(lambda s: security.delete_role(s, role_id, actor=s.get(User, admin_id)))
    assert _race(app, _held(_give_role(user_id, role_id, admin_id)), delete) == "1 user still has this role."
    db_session.expire_all()
    assert sorted(r.name for r in db_session.get(User, user_id).roles) == ["Auditor", "Race"]


def test_a_role_named_by_a_mapping_made_while_it_is_deleted_stays_with_its_mapping(app, db_session, admin_role_user):
    admin_id, role_id, _ = admin_role_user
    branch_id = factories.branch(db_session, "NTH").id
    add = _held(lambda s: oidc.add_mapping(s, actor=s.get(User, admin_id), group_name="racers", role_id=role_id,
                                           branch_id=branch_id))
    delete = _outcome(lambda s: security.delete_role(s, role_id, actor=s.get(User, admin_id)))
    assert _race(app, add, delete) == "Role Race cannot be deleted: SSO group mapping racers refers to it."
    db_session.expire_all()
    assert db_session.scalars(select(SsoGroupMapping.branch_id).where(SsoGroupMapping.role_id == role_id)).all() \
        == [branch_id]


def test_tokens_made_at_once_never_pass_the_cap(app, db_session):
    """Defect (F14): the live tokens were counted without a lock, so requests at once each counted 19 and each made
    one (22 and 23 live seen). The count is now taken under the user's row lock: the second waits and is refused."""
    user = factories.user(db_session, "tokens", "Auditor")
    user_id, expires_on = user.id, date.today() + timedelta(days=30)  # live: their expiry is read against now
    for n in range(api_tokens.MAX_OPEN - 1):
        api_tokens.create(db_session, user, name=f"t{n}", expires_on=expires_on)

    def make(name):
        return lambda s: api_tokens.create(s, s.get(User, user_id), name=name, expires_on=expires_on)

    refused = _race(app, _held(make("first")), _outcome(make("second")))
    assert refused == {"": [f"You hold {api_tokens.MAX_OPEN} live tokens; revoke one you no longer use first."]}
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id)) \
        == api_tokens.MAX_OPEN
