"""The daily alert digest, through a real SMTP server on loopback: digest users get one mail listing
the day's alerts and no immediate mail; immediate users are unchanged; a second run sends nothing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AlertTemplate, OutboxEmail, Role, User
from portal.services import digest
from tests import factories
from tests.integration.test_outbox import smtp_server  # noqa: F401  (the loopback SMTP server fixture)


@pytest.fixture
def alerted(app, db_session):
    """Two relationship leads (one on the digest) and two POs whose "expires in 30 days" alerts are raised."""
    s = db_session
    immediate = factories.user(s, "lead.now", role_name="Relationship Lead")
    daily = factories.user(s, "lead.daily", role_name="Relationship Lead")
    quiet = factories.user(s, "lead.quiet", role_name="Relationship Lead")  # on the digest, no e-mail address
    daily.alert_email = quiet.alert_email = "digest"
    quiet.email = ""
    role = s.scalar(select(Role).where(Role.name == "Relationship Lead"))
    template = AlertTemplate(name="Expiry", thresholds=[], days_before_expiry=30, subject="PO {po_number} expires {expiration}",
                             message="{debtor}: {remaining} unused", recipient_roles=[role])
    s.add(template)
    s.commit()
    debtor = factories.debtor(s, name="Dell Technologies")
    for number in ("EXP-1", "EXP-2"):
        factories.po(s, debtor, number, expiration=date(2026, 12, 31), alert_template_id=template.id, used="100")
    result = app.test_cli_runner().invoke(args=["alerts", "scan", "--today", "2026-12-01"])
    assert "PO EXP-2 expires 2026-12-31" in result.output
    return {"immediate": immediate, "daily": daily, "quiet": quiet}


def _mail_to(session, address):
    return session.scalar(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.to_address == address))


def test_digest_users_get_one_mail_a_day_listing_the_days_alerts(app, db_session, alerted, smtp_server, monkeypatch):
    inbox, port = smtp_server
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    daily, immediate = alerted["daily"], alerted["immediate"]
    assert _mail_to(db_session, immediate.email) == 2 and _mail_to(db_session, daily.email) == 0  # no immediate mail
    runner = app.test_cli_runner()
    first = runner.invoke(args=["alerts", "digest"])
    assert first.exit_code == 0, first.output
    assert "1 digest queued listing 2 alerts" in first.output
    digests = [m for m in inbox.messages if m["To"] == daily.email]
    assert len(digests) == 1 and len(inbox.messages) == 3  # the immediate user's two mails went out too
    body = digests[0].get_payload()
    assert digests[0]["Subject"] == f"PO alerts for {date.today().isoformat()}: 2"
    assert "PO EXP-1 expires 2026-12-31" in body and "PO EXP-2 expires 2026-12-31" in body and "9,900.00 unused" in body
    assert "/purchase-orders/" in body
    again = runner.invoke(args=["alerts", "digest"])
    assert "0 digests queued" in again.output and len(inbox.messages) == 3  # the same day: nothing sent twice
    db_session.expire_all()
    assert db_session.get(User, daily.id).digest_sent_on == date.today()
    assert db_session.get(User, alerted["quiet"].id).digest_sent_on is None  # no address: nothing to send
    assert "0 digests" in runner.invoke(args=["alerts", "digest", "--day",
                                                (date.today() + timedelta(days=1)).isoformat()]).output
    bad = runner.invoke(args=["alerts", "digest", "--day", "2026-02-30"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_a_second_run_the_same_day_queues_nothing(db_session, alerted):
    today = date.today()
    assert digest.queue_digests(db_session, today) == digest.DigestReport(1, 2)
    assert digest.queue_digests(db_session, today) == digest.DigestReport(0, 0)
    assert _mail_to(db_session, alerted["daily"].email) == 1
    # a day without alerts sends nothing and does not mark the day
    assert digest.queue_digests(db_session, today - timedelta(days=3)) == digest.DigestReport(0, 0)


def test_a_user_who_switches_back_gets_immediate_mail_again(app, db_session, alerted):
    daily = alerted["daily"]
    digest.set_preference(db_session, daily, "immediate")
    factories_po = factories.po(db_session, factories.debtor(db_session), "EXP-3", expiration=date(2026, 12, 30),
                                alert_template_id=db_session.scalar(select(AlertTemplate.id)), used="1")
    app.test_cli_runner().invoke(args=["alerts", "scan", "--today", "2026-12-01"])
    assert factories_po.id and _mail_to(db_session, daily.email) == 1
    with pytest.raises(digest.ValidationFailed):
        digest.set_preference(db_session, daily, "weekly")


def test_choosing_the_digest_during_the_day_does_not_mail_the_mornings_alerts_again(app, db_session, alerted):
    """The immediate user got both alerts by e-mail, then chose the digest: the day's digest listed the same
    alerts again. It lists only what was not mailed already (here nothing, so no digest)."""
    immediate = alerted["immediate"]
    digest.set_preference(db_session, immediate, "digest")
    report = digest.queue_digests(db_session, date.today())
    assert _mail_to(db_session, immediate.email) == 2  # the two alert mails, no digest repeating them
    assert report == digest.DigestReport(1, 2)  # the digest user's own
