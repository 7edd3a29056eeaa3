"""The session service against PostgreSQL: start, resolve, end, prune, and who may be signed in."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from portal.domain.sessions import SessionPolicy
from portal.models import AuditEntry, UserSession
from portal.services import sessions
from portal.services.errors import NotFound, ValidationFailed
from tests import factories

POLICY = SessionPolicy(lifetime=timedelta(hours=8), idle=timedelta(hours=2))


def _rows(s, user):
    s.expire_all()
    return s.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)).all()


def test_start_keeps_address_and_browser_cut_to_their_columns(db_session):
    user = factories.user(db_session)
    token = sessions.start(db_session, user, POLICY, ip="10.0.0.1", user_agent="x" * 1000)
    row = _rows(db_session, user)[0]
    assert (row.ip, len(row.user_agent), row.ended_at) == ("10.0.0.1", 300, None)
    assert row.expires_at - row.created_at == timedelta(hours=8)
    assert sessions.resolve(db_session, token, user.id, POLICY).id == user.id


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 5000, 12345])
def test_no_token_or_a_forged_one_signs_no_one_in(db_session, token):
    user = factories.user(db_session)
    sessions.start(db_session, user, POLICY)
    assert sessions.resolve(db_session, token, user.id, POLICY) is None
    sessions.end(db_session, token)  # nothing to end: no error, nothing written
    assert _rows(db_session, user)[0].ended_at is None


def test_an_inactive_user_is_not_signed_in_even_with_a_live_session(db_session):
    user = factories.user(db_session)
    token = sessions.start(db_session, user, POLICY)
    db_session.execute(update(type(user)).where(type(user).id == user.id).values(active=False))
    db_session.commit()
    assert sessions.resolve(db_session, token, user.id, POLICY) is None


def test_sessions_ended_over_a_month_ago_go_at_the_next_sign_in(db_session):
    user, other = factories.user(db_session), factories.user(db_session)
    for who in (user, user, other):
        sessions.start(db_session, who, POLICY)
    long_ago = datetime.now(timezone.utc) - timedelta(days=31)
    db_session.execute(update(UserSession).values(ended_at=long_ago, end_reason="signed out"))
    first = _rows(db_session, user)[0]
    db_session.execute(update(UserSession).where(UserSession.id == first.id)
                       .values(ended_at=datetime.now(timezone.utc) - timedelta(days=29)))
    db_session.commit()
    sessions.start(db_session, user, POLICY)
    rows = _rows(db_session, user)
    assert len(rows) == 2 and rows[0].id == first.id and rows[1].ended_at is None
    assert len(_rows(db_session, other)) == 1  # another user's old rows wait for their own sign-in


def test_end_all_keeps_only_the_named_session_and_says_how_many_ended(db_session):
    admin, user = factories.user(db_session), factories.user(db_session)
    keep = sessions.start(db_session, user, POLICY)
    sessions.start(db_session, user, POLICY)
    sessions.start(db_session, user, POLICY)
    assert sessions.end_all(db_session, user.id, actor_id=admin.id, reason="test", keep_token=keep) == 2
    assert [r.ended_at is None for r in _rows(db_session, user)] == [True, False, False]
    assert sessions.resolve(db_session, keep, user.id, POLICY) is not None
    assert [s.id for s in sessions.open_sessions(db_session, user.id)] == [_rows(db_session, user)[0].id]
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "sessions_ended")).one()
    assert (entry.actor_id, entry.entity_id, entry.changes) == (admin.id, user.id, {"sessions_ended": [None, 2]})


def test_open_sessions_leave_out_expired_ones(db_session):
    user = factories.user(db_session)
    sessions.start(db_session, user, POLICY)
    sessions.start(db_session, user, POLICY)
    db_session.execute(update(UserSession).where(UserSession.id == _rows(db_session, user)[0].id)
                       .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    db_session.commit()
    assert [s.id for s in sessions.open_sessions(db_session, user.id)] == [_rows(db_session, user)[1].id]


def test_an_administrators_sign_out_everywhere_is_recorded_as_such(db_session):
    """The ended sessions and the user's history say an administrator signed them out, and who."""
    admin, user = factories.user(db_session), factories.user(db_session)
    sessions.start(db_session, user, POLICY)
    sessions.start(db_session, user, POLICY)
    assert sessions.sign_out_everywhere(db_session, user.id, actor=admin) == 2
    assert [r.end_reason for r in _rows(db_session, user)] == ["signed out by an administrator"] * 2
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "sessions_ended")).one()
    assert (entry.actor_id, entry.summary) == (admin.id, "Signed out everywhere (signed out by an administrator): 2 sessions")


def test_signing_out_everywhere_an_unknown_user_is_not_found(db_session):
    admin = factories.user(db_session)
    with pytest.raises(NotFound):
        sessions.sign_out_everywhere(db_session, 999999, actor=admin)


@pytest.mark.parametrize("current,new,confirm,errors", [
    ("wrong-password", "a-new-pass-2026", "a-new-pass-2027",
     {"current_password": ["That is not your current password."], "confirm_password": ["The two new passwords differ."]}),
    (factories.PASSWORD, factories.PASSWORD, factories.PASSWORD,
     {"new_password": ["Choose a password other than the current one."]}),
])
def test_a_refused_password_change_says_why_under_each_field(db_session, current, new, confirm, errors):
    user = factories.user(db_session)
    with pytest.raises(ValidationFailed) as refused:
        sessions.change_own_password(db_session, user, current=current, new=new, confirm=confirm, keep_token=None)
    assert refused.value.errors == errors


@pytest.mark.parametrize("current,new,confirm,fields", [
    ("wrong-password", "a-new-pass-2026", "a-new-pass-2026", {"current_password"}),
    ("wrong-password", "short", "other", {"current_password", "new_password"}),
    (factories.PASSWORD, "short", "short", {"new_password"}),
    (factories.PASSWORD, "a-new-pass-2026", "a-new-pass-2027", {"confirm_password"}),
    (factories.PASSWORD, factories.PASSWORD, factories.PASSWORD, {"new_password"}),
    (factories.PASSWORD, "", "", {"new_password"}),
])
def test_a_refused_password_change_changes_nothing(db_session, current, new, confirm, fields):
    user = factories.user(db_session)
    token = sessions.start(db_session, user, POLICY)
    other = sessions.start(db_session, user, POLICY)
    before = user.password_hash
    with pytest.raises(ValidationFailed) as refused:
        sessions.change_own_password(db_session, user, current=current, new=new, confirm=confirm, keep_token=token)
    db_session.rollback()
    assert set(refused.value.errors) == fields
    db_session.expire_all()
    assert db_session.get(type(user), user.id).password_hash == before
    assert sessions.resolve(db_session, other, user.id, POLICY) is not None
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "sessions_ended")) == 0


def test_touching_last_seen_gives_up_rather_than_wait_on_its_own_request(db_session):
    """A table lock queued behind the request's open read (a migration's, a test's TRUNCATE) would wait
    for the request, while the request's touch, on its own connection, waited for that lock: both for
    ever. The touch gives up after a moment and the request goes on."""
    import threading
    import time

    from sqlalchemy import text

    user = factories.user(db_session)
    token = sessions.start(db_session, user, POLICY)
    later = POLICY.idle / 2  # due a touch
    db_session.execute(update(UserSession).values(last_seen_at=UserSession.last_seen_at - later))
    db_session.commit()
    db_session.scalar(select(UserSession.id))  # the request's open read: ACCESS SHARE on user_sessions
    engine = db_session.get_bind()
    locker_done = threading.Event()

    def lock_table():
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            conn.execute(text("LOCK TABLE user_sessions IN ACCESS EXCLUSIVE MODE"))
        locker_done.set()

    locker = threading.Thread(target=lock_table, daemon=True)
    locker.start()
    deadline = time.monotonic() + 10
    with engine.connect() as watch:  # wait until the LOCK is queued behind our read
        while not watch.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock'"
                                     " AND relation = 'user_sessions'::regclass")).scalar():
            assert time.monotonic() < deadline, "the LOCK never queued"
    started = time.monotonic()
    assert sessions.resolve(db_session, token, user.id, POLICY).id == user.id
    assert time.monotonic() - started < 10
    db_session.rollback()  # the request ends: the queued lock goes through
    assert locker_done.wait(20)
    locker.join(5)


def test_signing_out_twice_keeps_the_first_end_and_audits_once_as_the_user(db_session):
    user = factories.user(db_session)
    token = sessions.start(db_session, user, POLICY)
    sessions.end(db_session, token)
    first = _rows(db_session, user)[0]
    ended_at = first.ended_at
    sessions.end(db_session, token, reason="again")
    again = _rows(db_session, user)[0]
    assert (again.ended_at, again.end_reason) == (ended_at, "signed out")
    outs = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_out")).all()
    assert [(e.actor_id, e.entity_id, e.summary) for e in outs] == [(user.id, user.id, "Signed out (signed out)")]


def test_a_password_change_ends_the_other_sessions_and_is_recorded_as_the_users_own(db_session):
    user = factories.user(db_session)
    keep = sessions.start(db_session, user, POLICY)
    sessions.start(db_session, user, POLICY)
    sessions.start(db_session, user, POLICY)
    before = db_session.scalar(select(func.max(AuditEntry.id)))
    assert sessions.change_own_password(db_session, user, current=factories.PASSWORD, new="a-new-pass-2026",
                                        confirm="a-new-pass-2026", keep_token=keep) == 2
    db_session.commit()
    assert [r.end_reason for r in _rows(db_session, user)] == [None, "password changed", "password changed"]
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id)).all()
    changed = [e for e in entries if e.action != "sessions_ended"]
    [ended] = [e for e in entries if e.action == "sessions_ended"]
    assert changed and {(e.actor_id, e.reason) for e in changed} == {(user.id, "Changed their own password")}
    assert (ended.actor_id, ended.summary) == (user.id, "Signed out everywhere (password changed): 2 sessions")


def test_end_all_leaves_sessions_already_ended_as_they_were(db_session):
    admin, user = factories.user(db_session), factories.user(db_session)
    first = sessions.start(db_session, user, POLICY)
    sessions.end(db_session, first)
    ended_at = _rows(db_session, user)[0].ended_at
    sessions.start(db_session, user, POLICY)
    assert sessions.end_all(db_session, user.id, actor_id=admin.id, reason="test") == 1
    assert [(r.end_reason, r.ended_at == ended_at) for r in _rows(db_session, user)] == [("signed out", True), ("test", False)]


def test_open_sessions_are_the_users_own_newest_first_at_most_50(db_session):
    user, other = factories.user(db_session), factories.user(db_session)
    for _ in range(51):
        sessions.start(db_session, user, POLICY)
    sessions.start(db_session, other, POLICY)  # the newest session, not the user's
    rows = _rows(db_session, user)
    assert [s.id for s in sessions.open_sessions(db_session, user.id)] == [r.id for r in reversed(rows)][:50]


def test_resolving_touches_only_its_own_sessions_last_seen(db_session):
    """Another session due for a touch keeps its own `last seen` (else it would never go idle)."""
    user, other = factories.user(db_session), factories.user(db_session)
    mine, theirs = sessions.start(db_session, user, POLICY), sessions.start(db_session, other, POLICY)
    earlier = datetime.now(timezone.utc) - timedelta(minutes=30)
    db_session.execute(update(UserSession).values(last_seen_at=earlier))
    db_session.commit()
    assert sessions.resolve(db_session, mine, user.id, POLICY) is not None
    assert [r.last_seen_at > earlier for r in _rows(db_session, user)] == [True]
    assert [r.last_seen_at for r in _rows(db_session, other)] == [earlier]
    assert sessions.resolve(db_session, theirs, other.id, POLICY) is not None
