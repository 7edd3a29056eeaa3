"""Personal API token rules: what a token looks like, how long it may live, when it stops working. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

PREFIX = "pop_"           # says what the secret is when it turns up in a log or a paste
MAX_DAYS = 366            # a token lives at most about a year; the owner makes a new one after
NAME_MAX = 80
TOUCH_EVERY = timedelta(minutes=1)  # last use is written at most this often


@dataclass(frozen=True)
class TokenState:
    expires_at: datetime
    revoked_at: datetime | None
    user_active: bool


def looks_like_token(raw: str | None) -> bool:
    """Cheap shape check before any database work: our prefix and a bounded length."""
    return bool(raw) and raw.startswith(PREFIX) and 20 <= len(raw) <= 120 and raw.isascii()


def expiry_problems(expires_on: date | None, today: date) -> list[str]:
    """The expiry date a user picks: after today, at most MAX_DAYS ahead."""
    if expires_on is None:
        return ["Choose the date the token stops working (YYYY-MM-DD)."]
    if expires_on <= today:
        return ["Choose a date after today."]
    if expires_on > today + timedelta(days=MAX_DAYS):
        return [f"A token may live at most {MAX_DAYS} days; choose an earlier date."]
    return []


def name_problems(name: str) -> list[str]:
    """Why a token's name is refused: blank, or longer than NAME_MAX characters (empty: it is fine)."""
    if not name.strip():
        return ["Name the token (what uses it, e.g. \"billing sync\")."]
    if len(name.strip()) > NAME_MAX:
        return [f"Use at most {NAME_MAX} characters."]
    return []


def expires_at(expires_on: date) -> datetime:
    """A token works through its expiry date (UTC) and stops at the next midnight."""
    return datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=timezone.utc)


def status(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> str:
    """What the owner's token list says of a token now: revoked, expired (from its expiry instant on) or active."""
    if revoked_at is not None:
        return "revoked"
    if now >= expires_at:
        return "expired"
    return "active"


def why_unusable(state: TokenState, now: datetime) -> str | None:
    """None when the token may be used now; else why not (said in the 401, never which secret)."""
    if state.revoked_at is not None:
        return "revoked"
    if now >= state.expires_at:
        return "expired"
    if not state.user_active:
        return "inactive user"
    return None
