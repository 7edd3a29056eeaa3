"""API tokens end with what ends a user's sessions (a password change by the user or an administrator,
"sign out everywhere", deactivation), each revocation in the user's history; a locked account's tokens
are refused while the lock lasts; an administrator revokes one token of a user."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from portal.models import ApiToken, AuditEntry, User
from portal.services import api_tokens, security, sessions
from portal.services.errors import NotFound
from tests import factories

NEW_PASSWORD = "another-long-password"


def _token(s, user, name="sync", days=30):
    return api_tokens.create(s, user, name=name, expires_on=date.today() + timedelta(days=days))


def _works(s, secret) -> bool:
    user, _ = api_tokens.resolve(s, secret)
    s.rollback()
    return user is not None


def _revocations(s, user) -> list[AuditEntry]:
    s.expire_all()
    return s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "users", AuditEntry.entity_id == user.id,
                                              AuditEntry.action == "api_token_revoked").order_by(AuditEntry.id)).all()


def test_changing_ones_own_password_revokes_ones_api_tokens(db_session):
    user = factories.user(db_session, role_name="Auditor")
    _, first = _token(db_session, user, "first")
    _, second = _token(db_session, user, "second")
    sessions.change_own_password(db_session, user, current=factories.PASSWORD, new=NEW_PASSWORD,
                                 confirm=NEW_PASSWORD, keep_token=None)
    assert not _works(db_session, first) and not _works(db_session, second)
    entries = _revocations(db_session, user)
    assert sorted(e.summary for e in entries) == ["API token first revoked (password changed)",
                                                  "API token second revoked (password changed)"]
    assert {e.actor_id for e in entries} == {user.id}


def test_an_administrator_setting_a_password_revokes_the_users_api_tokens(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    user = factories.user(db_session, role_name="Auditor")
    _, secret = _token(db_session, user)
    security.update_user(db_session, user.id, actor=admin, full_name=user.full_name, email=user.email, active=True,
                         role_ids=[r.id for r in user.roles], password=NEW_PASSWORD)
    assert not _works(db_session, secret)
    assert [e.actor_id for e in _revocations(db_session, user)] == [admin.id]


def test_an_edit_without_a_password_or_deactivation_keeps_the_api_tokens(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    user = factories.user(db_session, role_name="Auditor")
    _, secret = _token(db_session, user)
    security.update_user(db_session, user.id, actor=admin, full_name="A New Name", email=user.email, active=True,
                         role_ids=[r.id for r in user.roles])
    assert _works(db_session, secret) and not _revocations(db_session, user)


def test_signing_out_everywhere_revokes_the_users_api_tokens(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    user = factories.user(db_session, role_name="Auditor")
    _, secret = _token(db_session, user)
    sessions.sign_out_everywhere(db_session, user.id, actor=admin)
    assert not _works(db_session, secret)
    assert "signed out by an administrator" in _revocations(db_session, user)[0].summary


def test_deactivation_revokes_the_api_tokens_and_reactivation_does_not_restore_them(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    user = factories.user(db_session, role_name="Auditor")
    token, secret = _token(db_session, user)
    for active in (False, True):
        security.update_user(db_session, user.id, actor=admin, full_name=user.full_name, email=user.email,
                             active=active, role_ids=[r.id for r in user.roles])
    assert db_session.get(User, user.id).active
    assert not _works(db_session, secret)
    assert db_session.get(ApiToken, token.id).revoked_at is not None
    assert len(_revocations(db_session, user)) == 1


def test_revoking_every_token_leaves_expired_and_revoked_ones_as_they_were(db_session):
    user = factories.user(db_session, role_name="Auditor")
    expired, _ = _token(db_session, user, "old")
    past = datetime.now(timezone.utc) - timedelta(days=1)
    db_session.execute(update(ApiToken).where(ApiToken.id == expired.id).values(expires_at=past))
    revoked, _ = _token(db_session, user, "revoked")
    api_tokens.revoke(db_session, user, revoked.id)
    before = db_session.get(ApiToken, revoked.id).revoked_at
    assert api_tokens.revoke_all(db_session, user.id, actor_id=None, reason="test") == 0
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(ApiToken, expired.id).revoked_at is None
    assert db_session.get(ApiToken, revoked.id).revoked_at == before


def test_a_lock_from_failed_sign_ins_stops_no_token_as_it_ends_no_session(db_session):
    """The lock guards the password: wrong guesses by anyone must not cut off the user's integrations (a
    session lives on through a lock too); a password change or deactivation is what revokes tokens."""
    user = factories.user(db_session, role_name="Auditor")
    _, secret = _token(db_session, user)
    locked_until = datetime.now(timezone.utc) + timedelta(minutes=15)
    db_session.execute(update(User).where(User.id == user.id).values(locked_until=locked_until))
    db_session.commit()
    assert _works(db_session, secret)


def test_an_administrator_revokes_a_users_token_recorded_as_the_administrators(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    user = factories.user(db_session, role_name="Auditor")
    token, secret = _token(db_session, user, "billing sync")
    api_tokens.revoke(db_session, user, token.id, actor=admin)
    assert not _works(db_session, secret)
    [entry] = _revocations(db_session, user)
    assert (entry.actor_id, entry.summary) == (admin.id, "API token billing sync revoked by an administrator")
    other = factories.user(db_session, role_name="Auditor")
    with pytest.raises(NotFound):
        api_tokens.revoke(db_session, other, token.id, actor=admin)
