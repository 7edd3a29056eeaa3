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


def test_an_expiry_alert_says_it_is_one_whatever_its_template_says(app, db_session):
    """Defect: an "expires in N days" alert on the usual threshold template read "PO EXP-2 … at 0%" / "has passed 0%
    of its amount" and never said the PO was expiring. Its subject says so, and its message ends saying when."""
    role = db_session.scalar(select(Role).where(Role.name == "Billing Admin"))
    factories.user(db_session, role_name="Billing Admin")
    template = AlertTemplate(name="Standard-like", thresholds=[75], days_before_expiry=30,
                             subject="PO {po_number} at {percentage}%",
                             message="PO {po_number} has passed {percentage}% of its amount.", recipient_roles=[role])
    db_session.add(template)
    db_session.commit()
    factories.po(db_session, factories.debtor(db_session), "EXP-2", expiration=date(2026, 12, 10),
                 alert_template_id=template.id)
    due = app.test_cli_runner().invoke(args=["alerts", "scan", "--today", "2026-11-28"])
    assert "1 expiry alert raised" in due.output
    note = db_session.scalars(select(Notification)).one()
    assert note.subject == "Expiring soon: PO EXP-2 at 0%"
    assert note.body.endswith("Expiry alert: the PO expires on 2026-12-10, in 12 days (the template warns 30 days "
                              "before).")
    mail = db_session.scalars(select(OutboxEmail)).one()
    assert mail.subject == note.subject


def test_an_expiry_alert_warns_again_before_an_extended_pos_new_date_and_never_claims_a_rounded_draw(app, db_session):
    """Warned once, then extended, the PO ran out on its new date with no warning: any expiry row for it blocked
    it for good. And {percentage} was the draw rounded ("has passed 14%" at 13.8%); it is cut as {drawn} is."""
    from portal.domain.purchase_orders import POInput
    from portal.services import purchase_orders

    role = db_session.scalar(select(Role).where(Role.name == "Billing Admin"))
    admin = factories.user(db_session, role_name="Billing Admin")
    template = AlertTemplate(name="Standard-like", thresholds=[], days_before_expiry=30,
                             subject="PO {po_number} at {percentage}%",
                             message="PO {po_number} has passed {percentage}% of its amount (now at {drawn}%).",
                             recipient_roles=[role])
    db_session.add(template)
    db_session.commit()
    po = factories.po(db_session, factories.debtor(db_session), "EXP-3", amount="1000.00", used="138.00",
                      effective=date(2026, 1, 1), expiration=date(2026, 12, 20), alert_template_id=template.id)
    runner = app.test_cli_runner()

    def scan(day: str) -> str:
        return runner.invoke(args=["alerts", "scan", "--today", day]).output

    assert "1 expiry alert raised" in scan("2026-11-25")
    note = db_session.scalars(select(Notification)).one()
    assert note.subject == "Expiring soon: PO EXP-3 at 13.8%" and "has passed 13.8% of its amount (now at 13.8%)" in note.body

    def expire_on(day: date) -> None:
        data = purchase_orders.snapshot(db_session.get(type(po), po.id))
        purchase_orders.update_po(db_session, po.id, POInput(**{**data.__dict__, "expiration": day}), actor=admin)

    expire_on(date(2027, 6, 30))
    assert "0 expiry alerts" in scan("2026-11-26")  # not due: re-armed
    expire_on(date(2026, 12, 27))  # the new date comes close (29 days out)
    assert "1 expiry alert raised" in scan("2026-11-28")
    assert "0 expiry alerts" in scan("2026-11-29")  # once per approach
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Notification)) == 2
