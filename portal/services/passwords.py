"""Password hashing: argon2id through argon2-cffi."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 10


def _hasher() -> PasswordHasher:
    if has_app_context():
        cfg = current_app.config
        return PasswordHasher(time_cost=cfg["PASSWORD_TIME_COST"], memory_cost=cfg["PASSWORD_MEMORY_COST"])
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The password's argon2id hash, as stored."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash (a malformed hash never matches)."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash of nothing anyone knows, checked for unknown usernames so timing does not tell them apart;
# one per hasher cost, so it always costs what a real user's hash costs.
_DUMMIES: dict[tuple[int, int], str] = {}


def verify_dummy(password: str) -> None:
    """Spend the time of a real check when no user matches, so a sign-in does not reveal who exists."""
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMIES:
        _DUMMIES[key] = hasher.hash("not-a-real-password-0")
    verify_password(_DUMMIES[key], password)


def password_problems(password: str) -> list[str]:
    """Why a new password is refused: only spaces (the sign-in form takes that for no password, so it could never be
    used), shorter than MIN_LENGTH or longer than 256 characters. Every form that sets a password asks this."""
    if password and not password.strip():
        return ["Enter a password that is more than spaces: the sign-in form would refuse it."]
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > 256:
        problems.append("Use at most 256 characters.")
    return problems
