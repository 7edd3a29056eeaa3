"""The e-mail outbox: alerts queue mail in their own transaction; `deliver` sends it later.

Queuing in the database (not sending inline) means a posting never waits on, or fails because
of, the mail server, and no alert mail is lost or sent for a rolled-back posting.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import OutboxEmail

MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    ca_file: str | None = None  # trust for STARTTLS beyond the system's CAs (a private mail server's CA)
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> "SmtpSettings":
        """The mail server settings from the app's configuration."""
        return cls(host=config["SMTP_HOST"], port=config["SMTP_PORT"], sender=config["MAIL_FROM"],
                   user=config.get("SMTP_USER"), password=config.get("SMTP_PASSWORD"),
                   starttls=config.get("SMTP_STARTTLS", False), ca_file=config.get("SMTP_CA_FILE"))


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    gave_up: int


def queue(session: Session, to_address: str, subject: str, body: str) -> OutboxEmail | None:
    """Add a mail to the outbox in the caller's transaction (no address: nothing queued)."""
    if not to_address or "@" not in to_address:
        return None
    mail = OutboxEmail(to_address=to_address.strip(), subject=subject[:200], body=body)
    session.add(mail)
    return mail


def retry_delay(attempts: int) -> timedelta:
    """Back off 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def deliver(session: Session, smtp: SmtpSettings, *, limit: int = 200, now: datetime | None = None) -> DeliveryReport:
    """Send due mail; mark what was sent; schedule failures for a later try.

    Rows are claimed with FOR UPDATE SKIP LOCKED so two deliverers never send one mail twice.
    """
    now = now or datetime.now(timezone.utc)
    due = session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.next_attempt_at <= now,
               OutboxEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEmail.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    sent = failed = gave_up = 0
    if not due:
        session.commit()
        return DeliveryReport(0, 0, 0)
    server = None
    try:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.starttls:  # the server's certificate is verified (smtplib alone would not)
            server.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
        if smtp.user:
            server.login(smtp.user, smtp.password or "")
    except OSError as exc:  # unreachable, TLS refused or untrusted, sign-in refused (SMTPException is an OSError)
        if server is not None:
            server.close()
        for mail in due:
            failed += _failed(mail, exc, now)
        gave_up = sum(1 for m in due if m.attempts >= MAX_ATTEMPTS)
        session.commit()
        return DeliveryReport(0, failed, gave_up)
    with server:
        for mail in due:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = smtp.sender, mail.to_address, mail.subject
            message.set_content(mail.body)
            try:
                server.send_message(message)
            except smtplib.SMTPException as exc:
                failed += _failed(mail, exc, now)
                continue
            mail.sent_at, mail.attempts, mail.last_error = now, mail.attempts + 1, None
            sent += 1
    gave_up = sum(1 for m in due if m.sent_at is None and m.attempts >= MAX_ATTEMPTS)
    session.commit()
    return DeliveryReport(sent, failed, gave_up)


def _failed(mail: OutboxEmail, exc: Exception, now: datetime) -> int:
    """A failed send counts an attempt and waits longer before the next (retry_delay)."""
    mail.attempts += 1
    mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    mail.next_attempt_at = now + retry_delay(mail.attempts)
    return 1
