"""Editing a PO moves what its alert thresholds compare (Subtotal ≥ t% × Amount): the edit fires the
thresholds it crosses and re-arms those it falls back below, in its own transaction (DESIGN.md)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import Alert, Notification, OutboxEmail, PurchaseOrder
from portal.services import documents, posting, purchase_orders
from portal.services.documents import DocumentInput, LineInput
from tests import factories
from tests.integration.test_posting import world as posting_world  # noqa: F401  (fixture)

D = Decimal


@pytest.fixture
def world(posting_world):
    """test_posting's world (a billing admin, debtor ACME, the document types, ORD and OT) with an 80% template."""
    return posting_world | {"template": factories.threshold_template(posting_world["session"], "Eighty", ["80"])}


def invoice(w, po, amount: str):
    """Post a Sales Invoice of `amount` on `po`; returns the alerts it fired."""
    data = DocumentInput(debtor_id=w["debtor"].id, document_type_id=w["types"]["Sales Invoice"].id, number="",
                         doc_date=date(2026, 3, 1),
                         lines=(LineInput(job_id=None, bill_code_id=w["ORD"].id, quantity=D("1"), rate=D(amount),
                                          explicit_po_id=po.id),))
    doc = documents.save_draft(w["session"], w["user"], None, data)
    result = posting.post(w["session"], w["user"], doc.id, confirmed=True)
    assert result.posted
    return result.alerts


def edit(w, po, **changes):
    s = w["session"]
    s.expire_all()
    po = s.get(PurchaseOrder, po.id)
    data = replace(purchase_orders.snapshot(po), **changes)
    return purchase_orders.update_po(s, po.id, data, actor=w["user"], expected_version=po.row_version)


def subjects(session) -> list[str]:
    session.expire_all()
    return [n.subject for n in session.scalars(select(Notification).order_by(Notification.id))]


def alert_row(session, po) -> Alert:
    session.expire_all()
    return session.scalars(select(Alert).where(Alert.po_id == po.id, Alert.kind == "threshold")).one()


def test_raising_the_amount_re_arms_the_alert_and_the_next_posting_fires_it_again(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "AL-1", amount="1000.00", alert_template_id=world["template"].id)
    assert invoice(world, po, "850.00") == ["PO AL-1 at 80%"]
    assert not alert_row(s, po).armed

    edit(world, po, amount=D("2000.00"))  # Subtotal 850 < 80% × 2000 = 1600
    assert alert_row(s, po).armed
    assert subjects(s) == ["PO AL-1 at 80%"]

    assert invoice(world, po, "900.00") == ["PO AL-1 at 80%"]  # Subtotal 1750 ≥ 1600
    assert subjects(s) == ["PO AL-1 at 80%", "PO AL-1 at 80%"]
    assert not alert_row(s, po).armed


def test_cutting_the_amount_fires_the_threshold_it_crosses_with_its_mail(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "AL-2", amount="1000.00", alert_template_id=world["template"].id)
    assert invoice(world, po, "700.00") == []
    assert subjects(s) == []

    edit(world, po, amount=D("800.00"))  # 700 is 87.5% of 800
    assert subjects(s) == ["PO AL-2 at 80%"]
    assert not alert_row(s, po).armed
    assert s.scalar(select(func.count()).select_from(OutboxEmail)) == 1

    edit(world, po, description="unrelated")  # once per PO and threshold: no second alert
    assert subjects(s) == ["PO AL-2 at 80%"]


def test_attaching_a_template_to_a_po_already_past_its_threshold_fires_it(world):
    s = world["session"]
    other = factories.threshold_template(s, "Ninety-five", ["95"])
    po = factories.po(s, world["debtor"], "AL-3", amount="1000.00", alert_template_id=other.id)
    assert invoice(world, po, "900.00") == []

    edit(world, po, alert_template_id=world["template"].id)
    assert subjects(s) == ["PO AL-3 at 80%"]
    assert alert_row(s, po).threshold == D("80")


def test_the_edit_form_fires_the_alert(world, login_as):
    s = world["session"]
    browser, _ = login_as("Billing Admin")
    po = factories.po(s, world["debtor"], "AL-4", amount="1000.00", tolerance="90",
                      alert_template_id=world["template"].id)
    invoice(world, po, "700.00")
    s.expire_all()
    po = s.get(PurchaseOrder, po.id)
    form = {"number": "AL-4", "kind": "single_line", "effective": "2026-01-01", "expiration": "2027-12-31",
            "amount": "800.00", "tolerance_pct": "90", "description": "", "notes": "",
            "alert_template_id": str(world["template"].id), "row_version": str(po.row_version)}
    response = browser.post(f"/purchase-orders/{po.id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    s.expire_all()
    assert s.get(PurchaseOrder, po.id).amount == D("800.00")
    assert set(subjects(s)) == {"PO AL-4 at 80%"}  # one per Billing Admin
    assert not alert_row(s, po).armed
