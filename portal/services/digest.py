"""The daily alert digest: users who chose it get one e-mail listing the day's alerts instead of one
e-mail per alert (portal/services/alerts.py leaves them out of the immediate mail).

Idempotent: queuing a user's digest and marking the day sent (`users.digest_sent_on`) happen in one
transaction, claimed by a conditional UPDATE, so a second run on the same day, or two runs at once,
send nothing more. A user with no alerts that day gets no mail (and a later run that day still may
send, once).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from portal.domain.formatting import plural
from portal.models import Notification, OutboxEmail, User
from portal.services import audit, outbox
from portal.services.errors import ValidationFailed

PREFERENCES = (("immediate", "One e-mail per alert, when it is raised"),
               ("digest", "One e-mail a day listing the day's alerts"))
MOST_LISTED = 200  # alerts written out in one digest; the rest are counted


@dataclass(frozen=True)
class DigestReport:
    queued: int   # digests queued (one per user)
    alerts: int   # alerts they list


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """A digest's day runs from midnight to midnight UTC."""
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def _of_day(user: User, start: datetime, end: datetime) -> list:
    """The user's alert notifications raised in [start, end), but those already mailed to them one by one (a user
    who chose the digest during the day got the morning's alerts by e-mail then: the digest listed them again).
    The alert's own mail was queued in the transaction that raised it: same address, subject and time."""
    mailed = exists().where(OutboxEmail.to_address == user.email, OutboxEmail.subject == Notification.subject,
                            OutboxEmail.created_at == Notification.created_at)
    return [Notification.user_id == user.id, Notification.alert_id.is_not(None),
            Notification.created_at >= start, Notification.created_at < end, ~mailed]


def digest_body(user: User, day: date, alerts: list[Notification], more: int) -> str:
    """The digest's text: each alert's time, subject, message and link."""
    lines = [f"Hello {user.full_name},", "", f"{plural(len(alerts) + more, 'PO alert')} on {day.isoformat()} (UTC):", ""]
    for n in alerts:
        lines.append(f"- {n.created_at.astimezone(timezone.utc).strftime('%H:%M')}  {n.subject}")
        lines.extend(f"    {line}" for line in (n.body or "").splitlines() if line.strip())
        if n.link:
            lines.append(f"    {n.link}")
    if more:
        lines += ["", f"… and {more} more: see Notifications in the portal."]
    lines += ["", "You receive one digest a day; change this under Settings in the portal."]
    return "\n".join(lines)


def queue_digests(session: Session, day: date) -> DigestReport:
    """Queue one e-mail per digest user with alerts on `day` (UTC), each user once per day; commit."""
    start, end = _day_bounds(day)
    due = session.scalars(select(User).where(
        User.active.is_(True), User.alert_email == "digest", User.email != "",
        or_(User.digest_sent_on.is_(None), User.digest_sent_on < day)).order_by(User.id)).all()
    queued = listed = 0
    for user in due:
        alerts = session.scalars(select(Notification).where(*_of_day(user, start, end))
            .order_by(Notification.id).limit(MOST_LISTED + 1)).all()
        if not alerts:
            continue
        # the claim: only one run marks this user's day, and only that run queues the mail
        claimed = session.execute(update(User).where(
            User.id == user.id, or_(User.digest_sent_on.is_(None), User.digest_sent_on < day))
            .values(digest_sent_on=day).execution_options(synchronize_session=False)).rowcount
        if not claimed:
            session.rollback()
            continue
        shown, more = alerts[:MOST_LISTED], 0
        if len(alerts) > MOST_LISTED:
            more = session.scalar(select(func.count()).select_from(Notification).where(
                *_of_day(user, start, end))) - len(shown)
        subject = f"PO alerts for {day.isoformat()}: {len(shown) + more}"
        if outbox.queue(session, user.email, subject, digest_body(user, day, shown, more)) is None:
            session.rollback()
            continue
        session.commit()
        queued += 1
        listed += len(shown)
    session.commit()
    return DigestReport(queued, listed)


def set_preference(session: Session, user: User, choice: str) -> None:
    """The user's own choice of alert e-mail (audited by the history listener)."""
    if choice not in dict(PREFERENCES):
        raise ValidationFailed({"alert_email": ["Choose immediate e-mails or a daily digest."]})
    audit.acting(session, user)
    session.get(User, user.id).alert_email = choice
    session.commit()
