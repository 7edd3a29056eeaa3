"""When a signed-in session may still be used: pure rules, no Flask, no database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionPolicy:
    """An absolute lifetime from sign-in, an idle limit, and how often `last seen` is written."""

    lifetime: timedelta
    idle: timedelta
    touch_every: timedelta = timedelta(minutes=1)


def expiry(started_at: datetime, policy: SessionPolicy) -> datetime:
    """The moment a session ends whatever the user does (activity never extends it)."""
    return started_at + policy.lifetime


def why_unusable(*, ended_at: datetime | None, expires_at: datetime, last_seen_at: datetime, now: datetime,
                 policy: SessionPolicy) -> str | None:
    """None if the session may be used now; else why not: 'ended', 'expired' or 'idle'."""
    if ended_at is not None:
        return "ended"
    if now >= expires_at:
        return "expired"
    if now - last_seen_at >= policy.idle:
        return "idle"
    return None


def touch_before(now: datetime, policy: SessionPolicy) -> datetime:
    """`last seen` older than this (or equal) is written anew: at most once per `touch_every`."""
    return now - policy.touch_every


def needs_touch(last_seen_at: datetime, now: datetime, policy: SessionPolicy) -> bool:
    """Whether `last seen` is due to be written now (the rule `touch_before` gives to SQL)."""
    return last_seen_at <= touch_before(now, policy)
