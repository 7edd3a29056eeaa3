"""In-app notifications: each belongs to one user, who alone may read or dismiss it."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.models import Notification
from portal.services.paging import Page, paginate


def notify(session: Session, user_ids, subject: str, body: str = "", link: str = "", alert_id: int | None = None) -> int:
    """Add one notification per user in the caller's transaction; returns how many."""
    rows = [Notification(user_id=uid, subject=subject[:200], body=body, link=link[:300], alert_id=alert_id)
            for uid in sorted(set(user_ids))]
    session.add_all(rows)
    return len(rows)


UNREAD_SHOWN = 99  # the header counts unread notifications up to this, then shows "99+"


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread, counted up to UNREAD_SHOWN + 1."""
    return session.scalar(unread_count_of(user_id)) or 0


def unread_count_of(user_id):
    """The statement counting a user's unread notifications, up to UNREAD_SHOWN + 1 (the header then
    says "99+"), so a user who never reads costs each request no more than one who does. `user_id` may
    be a column: the signed-in user's count is read with their session row (one round trip)."""
    unread = (select(Notification.id).where(Notification.user_id == user_id, Notification.read_at.is_(None))
              .correlate_except(Notification).limit(UNREAD_SHOWN + 1).lateral())
    return select(func.count()).select_from(unread)


def list_for(session: Session, user_id: int, *, unread_only: bool = False, page: int = 1, per_page: int = 25) -> Page:
    """One page of the user's own notifications, optionally unread ones only."""
    return paginate(session, notifications_query(user_id, unread_only=unread_only), page, per_page)


def notifications_query(user_id: int, *, unread_only: bool = False):
    """A user's own notifications, newest first (page and export)."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.id.desc())


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) notification of `user_id` read; another user's id changes nothing."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    count = session.execute(stmt.values(read_at=datetime.now(timezone.utc))).rowcount
    session.commit()
    return count
