"""Starting a session (services/sessions.start) and the history entries the session service writes:
what the session row keeps, what the user's history says, and which old rows a sign-in clears away."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from portal.domain.sessions import SessionPolicy
from portal.models import AuditEntry, UserSession
from portal.services import sessions
from tests import factories

POLICY = SessionPolicy(lifetime=timedelta(hours=8), idle=timedelta(hours=2))


def _rows(s, user):
    s.expire_all()
    return s.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)).all()


def _entries(s, action):
    s.expire_all()
    return s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_the_session_row_keeps_the_tokens_digest_never_the_token_and_its_times(db_session):
    """The cookie's token is 32 random bytes; the database keeps only its SHA-256, so a copy of the table
    signs no one in. The session starts, was last seen and expires from one instant."""
    user = factories.user(db_session, "ada")
    before = datetime.now(timezone.utc)
    token = sessions.start(db_session, user, POLICY, ip="10.0.0.1", user_agent="Firefox")
    after = datetime.now(timezone.utc)
    [row] = _rows(db_session, user)
    assert len(token) == 43  # token_urlsafe(32): 32 bytes, 43 characters
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_hash, row.ip, row.user_agent)
    assert (row.user_id, row.ip, row.user_agent, row.ended_at, row.end_reason) == (
        user.id, "10.0.0.1", "Firefox", None, None)
    assert before <= row.created_at <= after
    assert row.last_seen_at == row.created_at
    assert row.expires_at == row.created_at + POLICY.lifetime


def test_each_sign_in_gets_its_own_token(db_session):
    user = factories.user(db_session)
    first, second = sessions.start(db_session, user, POLICY), sessions.start(db_session, user, POLICY)
    assert first != second
    assert len({r.token_hash for r in _rows(db_session, user)}) == 2


def test_signing_in_is_recorded_in_the_users_history_as_their_own_with_the_address(db_session):
    user = factories.user(db_session, "ada")
    sessions.start(db_session, user, POLICY, ip="10.0.0.1", user_agent="Firefox")
    [entry] = _entries(db_session, "sign_in")
    assert (entry.actor_id, entry.entity_type, entry.entity_id, entry.scope_type, entry.scope_id) == (
        user.id, "users", user.id, None, None)
    assert (entry.summary, entry.changes, entry.reason) == ("ada signed in", {"ip": [None, "10.0.0.1"]}, None)


@pytest.mark.parametrize("given", [{}, {"ip": "", "user_agent": ""}, {"ip": None, "user_agent": None}],
                         ids=["left out", "empty", "None"])
def test_a_sign_in_without_an_address_or_browser_records_none(db_session, given):
    """The request may carry neither (no remote address behind some proxies, no User-Agent header)."""
    user = factories.user(db_session)
    sessions.start(db_session, user, POLICY, **given)
    [row] = _rows(db_session, user)
    assert (row.ip, row.user_agent) == ("", "")
    assert _entries(db_session, "sign_in")[0].changes == {"ip": [None, ""]}


def test_an_address_too_long_for_its_column_is_cut_in_the_row_and_the_history(db_session):
    user = factories.user(db_session)
    address = "1" * 64 + "2" * 36
    sessions.start(db_session, user, POLICY, ip=address, user_agent="b" * 300 + "c")
    [row] = _rows(db_session, user)
    assert (row.ip, row.user_agent) == ("1" * 64, "b" * 300)
    assert _entries(db_session, "sign_in")[0].changes == {"ip": [None, "1" * 64]}


def test_sessions_that_expired_over_a_month_ago_go_at_the_next_sign_in_even_if_never_ended(db_session):
    """A session left open (the browser closed) is never ended by a sign-out; it expires. Thirty days
    after it expired it goes like an ended one; one expired 29 days ago stays for the record."""
    user = factories.user(db_session)
    sessions.start(db_session, user, POLICY)
    sessions.start(db_session, user, POLICY)
    old, recent = _rows(db_session, user)
    now = datetime.now(timezone.utc)
    for row, days in ((old, 31), (recent, 29)):
        db_session.execute(update(UserSession).where(UserSession.id == row.id).values(
            created_at=now - timedelta(days=days, hours=8), last_seen_at=now - timedelta(days=days, hours=8),
            expires_at=now - timedelta(days=days)))
    db_session.commit()
    sessions.start(db_session, user, POLICY)
    rows = _rows(db_session, user)
    assert [r.id for r in rows][:1] == [recent.id] and len(rows) == 2
    assert rows[0].ended_at is None and rows[1].expires_at > now


def test_a_history_summary_longer_than_its_column_is_cut_to_300_characters(db_session):
    """`end_all` takes any reason and quotes it in the summary; the history entry is written, cut to fit."""
    admin, user = factories.user(db_session), factories.user(db_session)
    sessions.start(db_session, user, POLICY)
    reason = "r" * 400
    assert sessions.end_all(db_session, user.id, actor_id=admin.id, reason=reason) == 1
    [entry] = _entries(db_session, "sessions_ended")
    assert entry.summary == f"Signed out everywhere ({reason}"[:300]
    assert _rows(db_session, user)[0].end_reason == "r" * 40
