"""A lock set by failed sign-ins: recorded in the user's history when it is set, cleared by an administrator's
password reset or their Unlock, each recorded as the administrator's."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.models import AuditEntry, User
from portal.services import security
from portal.services.errors import NotFound
from portal.services.security import LoginPolicy, authenticate
from tests import factories

POLICY = LoginPolicy(max_failures=3, lock_minutes=15)
WRONG, NEW = "wrong-password-1", "brand-new-pass-1"


def _entries(s, user_id, action=None):
    s.expire_all()
    stmt = select(AuditEntry).where(AuditEntry.entity_type == "users", AuditEntry.entity_id == user_id)
    return s.scalars(stmt.where(AuditEntry.action == action) if action else stmt).all()


def _lock(s, username) -> User:
    for _ in range(POLICY.max_failures):
        assert authenticate(s, username, WRONG, POLICY) is None
    s.expire_all()
    user = s.scalars(select(User).where(User.username == username)).one()
    assert security.is_locked(user)
    return user


def test_the_lock_is_written_to_the_users_history_when_it_is_set(db_session):
    clerk = factories.user(db_session, "clerk", "Billing Clerk")
    assert authenticate(db_session, "clerk", WRONG, POLICY) is None
    assert [e.action for e in _entries(db_session, clerk.id)] == ["create"]  # a failure is counted, not recorded
    clerk = _lock(db_session, "clerk")
    [entry] = _entries(db_session, clerk.id, "locked")
    assert entry.actor_id is None and entry.summary == "Locked after 3 failed sign-ins"
    assert entry.changes == {"locked_until": [None, clerk.locked_until.isoformat()]}


def test_an_administrators_new_password_unlocks_the_account_at_once(db_session):
    admin, clerk = factories.user(db_session, "admin"), factories.user(db_session, "clerk", "Billing Clerk")
    until = _lock(db_session, "clerk").locked_until
    security.update_user(db_session, clerk.id, actor=admin, full_name="Clerk", email="", active=True,
                         role_ids=[factories.role(db_session, "Billing Clerk").id], password=NEW)
    assert authenticate(db_session, "clerk", NEW, POLICY).id == clerk.id
    [entry] = [e for e in _entries(db_session, clerk.id, "update") if "password_hash" in e.changes]
    assert entry.actor_id == admin.id
    assert entry.changes["locked_until"] == [until.isoformat(), None]


def test_an_ordinary_edit_leaves_the_lock(db_session):
    admin, clerk = factories.user(db_session, "admin"), factories.user(db_session, "clerk", "Billing Clerk")
    until = _lock(db_session, "clerk").locked_until
    security.update_user(db_session, clerk.id, actor=admin, full_name="Clerk Two", email="", active=True,
                         role_ids=[factories.role(db_session, "Billing Clerk").id])
    db_session.expire_all()
    assert db_session.get(User, clerk.id).locked_until == until


def test_unlock_clears_the_lock_and_the_count_as_the_administrator(db_session):
    admin, clerk = factories.user(db_session, "admin"), factories.user(db_session, "clerk", "Billing Clerk")
    until = _lock(db_session, "clerk").locked_until
    security.unlock_user(db_session, clerk.id, actor=admin)
    db_session.expire_all()
    user = db_session.get(User, clerk.id)
    assert (user.locked_until, user.failed_logins, security.is_locked(user)) == (None, 0, False)
    [entry] = _entries(db_session, clerk.id, "unlocked")
    assert (entry.actor_id, entry.summary) == (admin.id, "clerk unlocked")
    assert entry.changes == {"locked_until": [until.isoformat(), None]}
    assert authenticate(db_session, "clerk", factories.PASSWORD, POLICY).id == clerk.id


def test_unlocking_an_account_not_locked_records_nothing_and_clears_the_count(db_session):
    admin, clerk = factories.user(db_session, "admin"), factories.user(db_session, "clerk", "Billing Clerk")
    assert authenticate(db_session, "clerk", WRONG, POLICY) is None
    clerk.locked_until = datetime.now(timezone.utc) - timedelta(minutes=1)  # a lock that ran out
    db_session.commit()
    security.unlock_user(db_session, clerk.id, actor=admin)
    db_session.expire_all()
    assert (db_session.get(User, clerk.id).failed_logins, _entries(db_session, clerk.id, "unlocked")) == (0, [])
    with pytest.raises(NotFound):
        security.unlock_user(db_session, 999999, actor=admin)
