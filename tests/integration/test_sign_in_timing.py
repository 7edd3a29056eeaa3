"""Defect 18: sign-in does the same work (one password hash verification) whatever the outcome, so
its answer time tells nobody which accounts exist or are locked. Counted, not timed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher, extract_parameters

from portal.models import User
from portal.services import passwords
from portal.services.security import LoginPolicy, authenticate
from tests import factories

POLICY = LoginPolicy(max_failures=5, lock_minutes=15)


@pytest.fixture
def verifications(monkeypatch):
    """Every argon2 verification, with the hash it checked against."""
    checked: list[str] = []
    real = PasswordHasher.verify

    def counting(self, hash_, password):
        checked.append(hash_)
        return real(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return checked


def _case(db_session, case):
    user = factories.user(db_session, "ada", active=case != "inactive")
    if case == "locked":
        user.locked_until = datetime.now(timezone.utc) + timedelta(minutes=10)
        db_session.commit()
    name = "nobody" if case == "unknown" else "ada"
    password = factories.PASSWORD if case in ("locked", "inactive", "right") else "wrong-password-1"
    return name, password


@pytest.mark.parametrize("case", ["unknown", "locked", "wrong", "inactive", "right"])
def test_every_sign_in_verifies_exactly_one_password_hash(db_session, verifications, case):
    passwords.verify_dummy("warm-up")  # the dummy hash is made once per process, not per request
    verifications.clear()
    name, password = _case(db_session, case)
    result = authenticate(db_session, name, password, POLICY)
    assert (result is not None) == (case == "right")
    assert len(verifications) == 1


def test_the_dummy_hash_costs_what_a_real_hash_costs(db_session, verifications):
    user = factories.user(db_session, "ada")
    authenticate(db_session, "nobody", "whatever-password", POLICY)
    assert extract_parameters(verifications[-1]) == extract_parameters(user.password_hash)


def test_a_locked_account_stays_locked_even_with_the_right_password(db_session):
    name, password = _case(db_session, "locked")
    assert authenticate(db_session, name, password, POLICY) is None
    db_session.expire_all()
    assert db_session.query(User).one().last_login_at is None
