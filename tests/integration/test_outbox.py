"""The outbox is delivered to a real SMTP server on loopback (aiosmtpd), failures are retried."""
from __future__ import annotations

import dataclasses
import ssl
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from portal.models import OutboxEmail
from portal.services import outbox
from tests.ports import free_port


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)




@pytest.fixture
def smtp_server():
    inbox = Inbox()
    for port in range(20025, 20125):
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        try:
            controller.start()
        except Exception:
            continue
        yield inbox, port
        controller.stop()
        return
    pytest.fail("no free port for the test SMTP server")


def test_queued_mail_is_sent_once_and_marked(db_session, smtp_server):
    inbox, port = smtp_server
    outbox.queue(db_session, "billing@example.test", "PO 4500 at 90%", "PO 4500 has used 90% of its amount.")
    outbox.queue(db_session, "", "no address", "dropped")
    db_session.commit()
    settings = outbox.SmtpSettings(host="127.0.0.1", port=port, sender="portal@example.test")
    report = outbox.deliver(db_session, settings)
    assert (report.sent, report.failed) == (1, 0)
    assert [m["Subject"] for m in inbox.messages] == ["PO 4500 at 90%"]
    assert "used 90%" in inbox.messages[0].get_payload()
    assert outbox.deliver(db_session, settings).sent == 0  # nothing sent twice
    mail = db_session.scalars(select(OutboxEmail)).one()
    assert mail.sent_at is not None and mail.attempts == 1


def test_unreachable_server_is_retried_later(db_session, smtp_server):
    inbox, port = smtp_server
    outbox.queue(db_session, "lead@example.test", "PO expiring", "PO 77 expires in 30 days.")
    db_session.commit()
    dead = free_port(20200, 20300)  # nothing listens there
    now = datetime.now(timezone.utc)
    report = outbox.deliver(db_session, outbox.SmtpSettings("127.0.0.1", dead, "portal@example.test"), now=now)
    assert (report.sent, report.failed) == (0, 1)
    mail = db_session.scalars(select(OutboxEmail)).one()
    assert mail.sent_at is None and mail.attempts == 1 and "Error" in (mail.last_error or "")
    live = outbox.SmtpSettings("127.0.0.1", port, "portal@example.test")
    assert outbox.deliver(db_session, live, now=now).sent == 0  # not due yet
    assert outbox.deliver(db_session, live, now=now + timedelta(minutes=2)).sent == 1
    assert len(inbox.messages) == 1


@pytest.fixture
def tls_smtp_server(tmp_path):
    """A loopback SMTP server that requires STARTTLS and a sign-in, with a certificate from a private CA."""
    import trustme
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"portal", b"s3cret")
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    inbox = Inbox()
    for port in range(20400, 20500):
        controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_context,
                                require_starttls=True, authenticator=authenticator, auth_require_tls=True)
        try:
            controller.start()
        except Exception:
            continue
        yield inbox, port, str(ca_file)
        controller.stop()
        return
    pytest.fail("no free port for the test SMTP server")


def test_starttls_verifies_the_server_and_signs_in(db_session, tls_smtp_server):
    inbox, port, ca_file = tls_smtp_server
    outbox.queue(db_session, "billing@example.test", "PO 4500 at 90%", "Over TLS.")
    db_session.commit()
    now = datetime.now(timezone.utc)
    settings = outbox.SmtpSettings("127.0.0.1", port, "portal@example.test", user="portal", password="s3cret",
                                   starttls=True)
    untrusted = outbox.deliver(db_session, settings, now=now)  # the private CA is not trusted by default
    assert (untrusted.sent, untrusted.failed) == (0, 1) and inbox.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in db_session.scalars(select(OutboxEmail)).one().last_error
    later = now + timedelta(hours=1)
    wrong = outbox.deliver(db_session, dataclasses.replace(settings, ca_file=ca_file, password="nope"), now=later)
    assert (wrong.sent, wrong.failed) == (0, 1) and inbox.messages == []  # refused sign-in: retried later
    trusted = outbox.deliver(db_session, dataclasses.replace(settings, ca_file=ca_file), now=later + timedelta(hours=1))
    assert (trusted.sent, trusted.failed) == (1, 0)
    assert [m["Subject"] for m in inbox.messages] == ["PO 4500 at 90%"]
