"""Server-side sessions: signing in starts one, and signing out, a password change, deactivation or
an administrator's "sign out everywhere" ends it in PostgreSQL, so a copied cookie stops working on
every worker at once; the last three revoke the user's API tokens too. Each start and end is written
to the user's audit history.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from psycopg.errors import LockNotAvailable
from sqlalchemy import bindparam, delete, func, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, lazyload

from portal.domain import formatting
from portal.domain.sessions import SessionPolicy, expiry, needs_touch, touch_before, why_unusable
from portal.models import User, UserSession
from portal.services import api_tokens, audit, debtors, principals
from portal.services.errors import NotFound, ValidationFailed
from portal.services.notifications import unread_count_of
from portal.services.passwords import hash_password, password_problems, verify_password

KEEP_ENDED_DAYS = 30  # ended sessions stay this long for the record, then go at the user's next sign-in

# the session row, its user, the security stamp, the unread count and the debtors' list stamp in one
# round trip (every request); built once, so a request neither builds it nor works out its cache key again
_SIGNED_IN = (
    select(UserSession, User, principals.stamp_column(), unread_count_of(UserSession.user_id).scalar_subquery(),
           debtors.list_stamp_column())
    .outerjoin(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
    .options(lazyload(User.roles), lazyload(User.branches)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _audit(session: Session, user_id: int, action: str, summary: str, actor_id: int | None, **changes) -> None:
    audit.insert_rows(session, [{"actor_id": actor_id, "entity_type": "users", "entity_id": user_id,
                                 "scope_type": None, "scope_id": None, "action": action, "summary": summary[:300],
                                 "changes": {k: [None, v] for k, v in changes.items()}, "reason": None}])


def start(session: Session, user: User, policy: SessionPolicy, *, ip: str = "", user_agent: str = "") -> str:
    """A new session for `user`; returns the token for the cookie (never stored as is)."""
    now = _now()
    token = secrets.token_urlsafe(32)
    cutoff = now - timedelta(days=KEEP_ENDED_DAYS)
    session.execute(delete(UserSession).where(
        UserSession.user_id == user.id, or_(UserSession.ended_at < cutoff, UserSession.expires_at < cutoff)))
    session.add(UserSession(token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
                            expires_at=expiry(now, policy), ip=(ip or "")[:64], user_agent=(user_agent or "")[:300]))
    _audit(session, user.id, "sign_in", f"{user.username} signed in", user.id, ip=(ip or "")[:64])
    session.commit()
    return token


def resolve(session: Session, token: str | None, user_id: int, policy: SessionPolicy) -> User | None:
    """The user of a live session, or None (unknown token, another user's, ended, expired, idle, inactive).

    An expired or idle session is ended on the spot. `last seen` is written at most once a minute:
    only when the row read says it is due, by a conditional UPDATE (two workers may both find it due).
    """
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    # the user's grants and branches come from the worker's copy while the stamp read with the
    # session row is unchanged (principals.attach)
    found = session.execute(_SIGNED_IN, {"token_hash": _digest(token)}).first()
    row, stamp, unread, debtors_stamp = (found[0], found[2], found[3], found[4]) if found else (None,) * 4
    if row is None or row.user_id != user_id:
        return None
    now = _now()
    reason = why_unusable(ended_at=row.ended_at, expires_at=row.expires_at, last_seen_at=row.last_seen_at,
                          now=now, policy=policy)
    if reason is not None:
        if row.ended_at is None:
            row.ended_at, row.end_reason = now, reason
            session.commit()
        return None
    # on its own connection and transaction: the request's own unit of work (and whether it saved
    # anything) stays the user's; the ORM session is not committed, so nothing loaded is expired.
    # Best effort: it gives up after a moment rather than wait behind a table lock queued after this
    # request's own open read (a migration's, say), which would wait for this request in turn.
    if needs_touch(row.last_seen_at, now, policy):
        try:
            with session.get_bind().begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '2s'"))
                conn.execute(update(UserSession).where(UserSession.id == row.id,
                                                       UserSession.last_seen_at <= touch_before(now, policy))
                             .values(last_seen_at=now))
        except OperationalError as error:
            if not isinstance(error.orig, LockNotAvailable):
                raise
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    user.unread_notifications = unread
    session.info[debtors.LIST_STAMP] = debtors_stamp
    return principals.attach(session, user, stamp)


def end(session: Session, token: str | None, *, reason: str = "signed out") -> None:
    """End the session behind `token` (sign-out); an unknown or ended one is left as it is."""
    if not token or not isinstance(token, str):
        return
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token),
                                                   UserSession.ended_at.is_(None)).with_for_update())
    if row is None:
        session.rollback()
        return
    row.ended_at, row.end_reason = _now(), reason
    _audit(session, row.user_id, "sign_out", f"Signed out ({reason})", row.user_id)
    session.commit()


def end_all(session: Session, user_id: int, *, actor_id: int | None, reason: str, keep_token: str | None = None,
            commit: bool = True) -> int:
    """End every open session of a user (but the one behind `keep_token`) and revoke their API tokens (a
    token would outlive the password change, deactivation or sign-out); returns how many sessions ended."""
    stmt = (update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(ended_at=_now(), end_reason=reason[:40]).returning(UserSession.id))
    if keep_token:
        stmt = stmt.where(UserSession.token_hash != _digest(keep_token))
    ended = len(session.execute(stmt).all())
    _audit(session, user_id, "sessions_ended", f"Signed out everywhere ({reason}): {formatting.plural(ended, 'session')}", actor_id,
           sessions_ended=ended)
    api_tokens.revoke_all(session, user_id, actor_id=actor_id, reason=reason)
    if commit:
        session.commit()
    return ended


def open_sessions(session: Session, user_id: int) -> list[UserSession]:
    """A user's sessions not yet ended (at most 50, newest first), for the administrator's page."""
    return list(session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None), UserSession.expires_at > func.now())
        .order_by(UserSession.id.desc()).limit(50)))


def sign_out_everywhere(session: Session, user_id: int, *, actor) -> int:
    """An administrator ends every session of a user (the user must sign in again)."""
    if session.get(User, user_id) is None:
        raise NotFound("No such user.")
    return end_all(session, user_id, actor_id=actor.id, reason="signed out by an administrator")


def change_own_password(session: Session, user: User, *, current: str, new: str, confirm: str,
                        keep_token: str | None) -> int:
    """The signed-in user sets a new password; the current one is required. Every other session ends."""
    errors: dict[str, list[str]] = {}
    if not verify_password(user.password_hash, current or ""):
        errors["current_password"] = ["That is not your current password."]
    if problems := password_problems(new or ""):
        errors["new_password"] = problems
    elif new != confirm:
        errors["confirm_password"] = ["The two new passwords differ."]
    elif new == current:
        errors["new_password"] = ["Choose a password other than the current one."]
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, user, reason="Changed their own password")
    user.password_hash = hash_password(new)
    session.flush()
    return end_all(session, user.id, actor_id=user.id, reason="password changed", keep_token=keep_token)
