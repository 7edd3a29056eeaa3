"""Sign-in (services/security.authenticate) at its boundaries, against PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.models import User
from portal.services.security import LoginPolicy, authenticate
from tests import factories

POLICY = LoginPolicy(max_failures=3, lock_minutes=15)


def _user(s, user):
    s.expire_all()
    return s.get(User, user.id)


@pytest.mark.parametrize("typed", ["ada", "ADA", "  Ada  "])
def test_the_username_is_matched_whatever_its_case_and_spaces(db_session, typed):
    user = factories.user(db_session, "ada")
    assert authenticate(db_session, typed, factories.PASSWORD, POLICY).id == user.id
    assert _user(db_session, user).last_login_at is not None


def test_the_account_locks_on_exactly_the_last_allowed_failure(db_session):
    user = factories.user(db_session, "ada")
    for expected in (1, 2):
        assert authenticate(db_session, "ada", "wrong-password-1", POLICY) is None
        assert (_user(db_session, user).failed_logins, _user(db_session, user).locked_until) == (expected, None)
    before = datetime.now(timezone.utc)
    assert authenticate(db_session, "ada", "wrong-password-1", POLICY) is None
    locked = _user(db_session, user)
    assert locked.failed_logins == 0
    assert before + timedelta(minutes=15) <= locked.locked_until <= datetime.now(timezone.utc) + timedelta(minutes=15)
    assert authenticate(db_session, "ada", factories.PASSWORD, POLICY) is None  # the right password, but locked


def test_a_lock_that_has_run_out_lets_the_right_password_in_and_clears_the_counter(db_session):
    user = factories.user(db_session, "ada")
    user.locked_until, user.failed_logins = datetime.now(timezone.utc) - timedelta(seconds=1), 2
    db_session.commit()
    assert authenticate(db_session, "ada", factories.PASSWORD, POLICY).id == user.id
    assert (_user(db_session, user).failed_logins, _user(db_session, user).locked_until) == (0, None)


def test_an_inactive_account_is_refused_even_with_the_right_password_and_counts_it(db_session):
    user = factories.user(db_session, "ada", active=False)
    assert authenticate(db_session, "ada", factories.PASSWORD, POLICY) is None
    assert _user(db_session, user).failed_logins == 1


def test_an_unknown_user_is_refused_and_nothing_is_written(db_session):
    user = factories.user(db_session, "ada")
    assert authenticate(db_session, "bob", factories.PASSWORD, POLICY) is None
    assert _user(db_session, user).failed_logins == 0


def test_a_locked_account_does_not_count_more_failures(db_session):
    user = factories.user(db_session, "ada")
    until = datetime.now(timezone.utc) + timedelta(minutes=5)
    user.locked_until = until
    db_session.commit()
    assert authenticate(db_session, "ada", "wrong-password-1", POLICY) is None
    assert (_user(db_session, user).failed_logins, _user(db_session, user).locked_until) == (0, until)
