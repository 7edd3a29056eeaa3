"""When a signed-in session may be used (portal/domain/sessions.py), at its boundaries."""
from datetime import datetime, timedelta, timezone

import pytest

from portal.domain.sessions import SessionPolicy, expiry, needs_touch, why_unusable

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
POLICY = SessionPolicy(lifetime=timedelta(hours=8), idle=timedelta(hours=2), touch_every=timedelta(minutes=1))


def test_the_lifetime_runs_from_sign_in():
    assert expiry(T0, POLICY) == T0 + timedelta(hours=8)


@pytest.mark.parametrize("now,last_seen,ended,reason", [
    (T0 + timedelta(hours=1), T0 + timedelta(minutes=59), None, None),
    (T0 + timedelta(hours=8) - timedelta(microseconds=1), T0 + timedelta(hours=7), None, None),
    (T0 + timedelta(hours=8), T0 + timedelta(hours=7, minutes=59), None, "expired"),
    (T0 + timedelta(hours=3), T0 + timedelta(hours=1), None, "idle"),
    (T0 + timedelta(hours=3), T0 + timedelta(hours=1, microseconds=1), None, None),
    (T0 + timedelta(minutes=1), T0, T0 + timedelta(seconds=30), "ended"),
    (T0 + timedelta(hours=9), T0, T0 + timedelta(seconds=30), "ended"),  # ended wins over expired
    (T0 + timedelta(hours=9), T0, None, "expired"),  # expired wins over idle
])
def test_why_a_session_is_unusable(now, last_seen, ended, reason):
    assert why_unusable(ended_at=ended, expires_at=expiry(T0, POLICY), last_seen_at=last_seen, now=now,
                        policy=POLICY) == reason


@pytest.mark.parametrize("elapsed,touch", [(timedelta(seconds=59), False), (timedelta(minutes=1), True),
                                           (timedelta(hours=1), True), (timedelta(0), False)])
def test_last_seen_is_written_at_most_once_a_minute(elapsed, touch):
    assert needs_touch(T0, T0 + elapsed, POLICY) is touch
