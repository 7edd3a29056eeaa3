"""The demo data tells seed 000's Dell story, and `flask alerts scan` / `flask integrity check` see it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.models import Contract, Opportunity, PurchaseOrder
from portal.services import contracts


def test_demo_tells_the_dell_story(app, db_session):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert runner.invoke(args=["demo", "load"]).exit_code == 0  # idempotent
    po = db_session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == "4500150"))
    contract = db_session.scalar(select(Contract).where(Contract.po_id == po.id))
    notes = [n.text for n in contracts.notes_of(db_session, contract.id)]
    year = date.today().year
    assert notes[:3] == [
        "PO 4500150: PO amount 150,000.00; scheduled 18,000.00; balance 132,000.00",
        f"{year}-03-02: classes added 12,000.00; PO balance remaining 120,000.00",
        f"{year}-03-05: classes cancelled 2,000.00; PO balance remaining 122,000.00"]
    assert contracts.scheduled_total(db_session, contract.id) == Decimal("28000.00")
    assert contracts.figures(db_session, po).unscheduled == Decimal("122000.00")
    opp = db_session.scalar(select(Opportunity).where(Opportunity.po_id == po.id))
    assert opp.status == "open" and opp.owner.username == "lead"
    check = runner.invoke(args=["integrity", "check"])
    assert check.exit_code == 0 and "0 mismatch" in check.output
    scan = runner.invoke(args=["alerts", "scan", "--today", f"{year + 1}-01-01"])
    assert scan.exit_code == 0 and "Opportunity on PO 4500150: open → expired" in scan.output
