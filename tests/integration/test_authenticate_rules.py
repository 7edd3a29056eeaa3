"""Sign-in's lock-out rules (services/security.authenticate) beyond the boundaries of test_sign_in.py: what a
lock that ran out starts again from, a failure counted by another worker at the same time, what a locked
account leaves as it was, and that the password is compared exactly."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, update

from portal.models import User
from portal.services.security import LoginPolicy, authenticate
from tests import factories

POLICY = LoginPolicy(max_failures=3, lock_minutes=15)
WRONG = "wrong-password-1"


def _state(s, user_id):
    s.expire_all()
    user = s.get(User, user_id)
    return user.failed_logins, user.locked_until, user.last_login_at


def test_after_a_lock_runs_out_it_takes_every_allowed_failure_again_to_lock(db_session):
    """Locking resets the counter: once the lock has run out, one more wrong password does not lock again."""
    user = factories.user(db_session, "ada")
    ran_out = datetime.now(timezone.utc) - timedelta(seconds=1)
    user.locked_until, user.failed_logins = ran_out, 0
    db_session.commit()
    for expected in (1, 2):
        assert authenticate(db_session, "ada", WRONG, POLICY) is None
        assert _state(db_session, user.id)[:2] == (expected, ran_out)
    assert authenticate(db_session, "ada", WRONG, POLICY) is None
    failures, locked_until, _ = _state(db_session, user.id)
    assert failures == 0 and locked_until > datetime.now(timezone.utc) + timedelta(minutes=14)


def test_a_failure_counted_by_another_worker_meanwhile_counts_toward_the_lock(db_session):
    """Two workers refusing the same account at once: the count is one UPDATE in the database, not the
    number read with the user plus one, so the failure that reaches the limit locks the account."""
    user = factories.user(db_session, "ada")
    user.failed_logins = 1
    db_session.commit()
    user_id, engine, other_worker = user.id, db_session.get_bind(), []

    def other_worker_fails_first(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE users SET failed_logins") and not other_worker:
            other_worker.append(user_id)  # before executing: its own UPDATE passes through here too
            with engine.begin() as other:
                other.execute(update(User).where(User.id == user_id).values(failed_logins=User.failed_logins + 1))

    event.listen(engine, "before_cursor_execute", other_worker_fails_first)
    try:
        assert authenticate(db_session, "ada", WRONG, POLICY) is None
    finally:
        event.remove(engine, "before_cursor_execute", other_worker_fails_first)
    assert other_worker == [user_id]
    failures, locked_until, _ = _state(db_session, user_id)
    assert failures == 0 and locked_until is not None


def test_the_right_password_on_a_locked_account_leaves_the_lock_and_the_counter_as_they_were(db_session):
    user = factories.user(db_session, "ada")
    until = datetime.now(timezone.utc) + timedelta(minutes=5)
    user.locked_until, user.failed_logins = until, 2
    db_session.commit()
    assert authenticate(db_session, "ada", factories.PASSWORD, POLICY) is None
    assert _state(db_session, user.id) == (2, until, None)


@pytest.mark.parametrize("typed", [factories.PASSWORD.upper(), f" {factories.PASSWORD}", f"{factories.PASSWORD} ",
                                   factories.PASSWORD[:-1]])
def test_the_password_is_compared_exactly_neither_trimmed_nor_case_folded(db_session, typed):
    """Only the username is matched loosely (any case, spaces around it)."""
    user = factories.user(db_session, "ada")
    assert authenticate(db_session, " ADA ", typed, POLICY) is None
    assert _state(db_session, user.id)[0] == 1


def test_a_sign_in_records_when_and_clears_the_counter_and_a_lock_that_ran_out(db_session):
    user = factories.user(db_session, "ada")
    user.locked_until, user.failed_logins = datetime.now(timezone.utc) - timedelta(minutes=1), 2
    db_session.commit()
    before = datetime.now(timezone.utc)
    assert authenticate(db_session, "ada", factories.PASSWORD, POLICY).id == user.id
    failures, locked_until, last_login_at = _state(db_session, user.id)
    assert (failures, locked_until) == (0, None)
    assert before <= last_login_at <= datetime.now(timezone.utc)
