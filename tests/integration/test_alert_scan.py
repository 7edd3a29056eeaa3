from datetime import date


from sqlalchemy import func, select

from portal.models import Alert, AlertTemplate, Notification, OutboxEmail, Role
from tests import factories


def test_expiry_alerts_are_raised_once_when_due(app, db_session):
    lead = factories.user(db_session, role_name="Relationship Lead")
    role = db_session.scalar(select(Role).where(Role.name == "Relationship Lead"))
    template = AlertTemplate(name="Expiry", thresholds=[], days_before_expiry=30, subject="PO {po_number} expires {expiration}",
                             message="{debtor}: {remaining} unused", recipient_roles=[role])
    db_session.add(template)
    db_session.commit()
    debtor = factories.debtor(db_session, name="Dell Technologies")
    factories.po(db_session, debtor, "EXP-1", expiration=date(2026, 12, 31), alert_template_id=template.id, used="100")
    runner = app.test_cli_runner()
    early = runner.invoke(args=["alerts", "scan", "--today", "2026-11-30"])
    assert "0 expiry alerts" in early.output
    due = runner.invoke(args=["alerts", "scan", "--today", "2026-12-01"])
    assert "PO EXP-1 expires 2026-12-31" in due.output and "1 expiry alert raised" in due.output
    again = runner.invoke(args=["alerts", "scan", "--today", "2026-12-02"])
    assert "0 expiry alerts" in again.output
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Alert)) == 1
    note = db_session.scalars(select(Notification)).one()
    assert note.user_id == lead.id and "9,900.00 unused" in note.body
    assert db_session.scalar(select(func.count()).select_from(OutboxEmail)) == 1
