"""Personal API tokens: created and revoked by their owner (or an administrator), resolved on every
API request.

A token acts as its user: the same grants, the same branches, checked by the same decorators and
services as the pages. The secret is shown once and stored as its SHA-256; creation and revocation
are written to the user's audit history. What ends a user's sessions (a password change, deactivation,
"sign out everywhere": sessions.end_all) revokes their tokens too. A lock (failed sign-ins) does not
stop a token, as it does not end a session: it guards the password, and anyone's wrong guesses must not
cut a user's integrations off.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timezone

from psycopg.errors import LockNotAvailable
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.domain import api_tokens as rules
from portal.domain.text import CONTROL_MESSAGE, has_control_characters
from portal.models import ApiToken, User
from portal.services import audit
from portal.services.errors import NotFound, ValidationFailed

MAX_OPEN = 20  # live tokens a user may hold at once


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _audit(session: Session, token: ApiToken, action: str, summary: str, actor_id: int) -> None:
    audit.insert_rows(session, [{
        "actor_id": actor_id, "entity_type": "users", "entity_id": token.user_id, "scope_type": None,
        "scope_id": None, "action": action, "summary": summary[:300], "reason": None,
        "changes": {"token": [None, f"{token.name} ({token.prefix}…)"],
                    "expires_at": [None, token.expires_at.isoformat()]}}])


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones stay listed as revoked)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id.desc()).limit(100)))


def create(session: Session, user: User, *, name: str, expires_on: date | None, today: date | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret (shown once, never stored). At most MAX_OPEN live
    tokens: the count is taken under the user's row lock."""
    today = today or _now().date()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if problems := rules.name_problems(name):
        errors["name"] = problems
    elif has_control_characters(name):
        errors["name"] = [CONTROL_MESSAGE]
    if problems := rules.expiry_problems(expires_on, today):
        errors["expires_on"] = problems
    # the user's row locked before counting (FOR NO KEY UPDATE: rows that merely refer to the user are not held
    # up): two requests at once count one after the other, so the cap holds
    session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))
    live = session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                                                     ApiToken.expires_at > _now())).all()
    if len(live) >= MAX_OPEN:
        errors.setdefault("", []).append(f"You hold {MAX_OPEN} live tokens; revoke one you no longer use first.")
    if errors:
        raise ValidationFailed(errors)
    secret = rules.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:len(rules.PREFIX) + 6],
                     created_at=_now(), expires_at=rules.expires_at(expires_on))
    session.add(token)
    session.flush()
    _audit(session, token, "api_token_created", f"API token {name} created", user.id)
    session.commit()
    return token, secret


def revoke(session: Session, user: User, token_id: int, *, actor: User | None = None) -> ApiToken:
    """One of `user`'s tokens revoked by its owner or (`actor`) an administrator; it stops working at
    once. A token of another user is a 404."""
    actor = actor or user
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
                           .with_for_update())
    if token is None:
        session.rollback()
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = _now()
        _audit(session, token, "api_token_revoked", f"API token {token.name} revoked"
               + (" by an administrator" if actor.id != user.id else ""), actor.id)
    session.commit()
    return token


def revoke_all(session: Session, user_id: int, *, actor_id: int | None, reason: str) -> int:
    """Revoke every live token of a user, each revocation in their history with `reason` (the caller
    commits); returns how many. What ends their sessions calls it: a copied token must not outlive a
    password reset or a deactivation."""
    revoked = session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > _now())
        .values(revoked_at=_now())
        .returning(ApiToken.user_id, ApiToken.name, ApiToken.prefix, ApiToken.expires_at)).all()
    for token in revoked:
        _audit(session, token, "api_token_revoked", f"API token {token.name} revoked ({reason})", actor_id)
    return len(revoked)


def resolve(session: Session, secret: str | None) -> tuple[User | None, str]:
    """The user behind a bearer token, or (None, why) — unknown, revoked, expired or an inactive user.

    Last use is written by one conditional UPDATE on its own connection (at most once a minute), so
    the request's own transaction stays the API call's.
    """
    if not rules.looks_like_token(secret):
        return None, "unknown"
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None:
        return None, "unknown"
    user = session.get(User, token.user_id)
    now = _now()
    why = rules.why_unusable(rules.TokenState(token.expires_at, token.revoked_at, bool(user and user.active)), now)
    if why is not None:
        return None, why
    # best effort, as a session's last seen: it gives up after a moment rather than wait behind a
    # table lock queued after this request's own open read (which would wait for this request in turn)
    try:
        with session.get_bind().begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            conn.execute(update(ApiToken).where(ApiToken.id == token.id,
                                                (ApiToken.last_used_at.is_(None))
                                                | (ApiToken.last_used_at <= now - rules.TOUCH_EVERY))
                         .values(last_used_at=now))
    except OperationalError as error:
        if not isinstance(error.orig, LockNotAvailable):
            raise
    return user, ""
