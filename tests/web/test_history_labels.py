"""History reads as users talk: labels and record names, no column names or ids; overrides on the PO too."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.models import BillCode
from portal.services import documents, posting
from tests import factories


def test_po_history_names_records_and_shows_the_override(db_session, login_as):
    browser, user = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME", over_budget_policy="block")
    po = factories.po(db_session, debtor, "P-9", amount="100", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    po.kind = "multi_line"
    db_session.add(BillCode(code="ORD"))
    db_session.commit()
    code = db_session.scalar(select(BillCode))
    invoice = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=factories.document_types(db_session)["Sales Invoice"].id, number="",
        doc_date=date(2026, 3, 1), lines=(documents.LineInput(None, code.id, Decimal("1"), Decimal("250"),
                                                              explicit_po_id=po.id),)))
    assert posting.post(db_session, user, invoice.id, confirmed=True, override=True).posted
    html = browser.get(f"/purchase-orders/{po.id}?tab=history").get_data(as_text=True)
    assert "debtor id" not in html and "number key" not in html and "multi_line" not in html
    assert "Multi-line" in html and str(debtor) in html
    assert f"Sales Invoice {invoice.number} posted past the blocked budget" in html


def test_equipment_and_service_desk_history_name_their_records(db_session, login_as):
    """A supplier PO's line and a service desk item's equipment read "Equipment type Router 3", "Catalog …",
    "Customer PO …" in their history, not "Equipment type id 3" or "Supplier po id 2"."""
    eq = factories.equipment_setup(db_session)
    browser, _ = login_as("Billing Admin")
    spo = eq["spo_1001"]
    assert browser.post(f"/equipment/supplier-pos/{spo.id}/lines", {
        "equipment_type_id": str(eq["type"].id), "quantity": "2", "purchase_price": "110.1234"}).status_code == 302
    html = browser.get(f"/equipment/supplier-pos/{spo.id}").get_data(as_text=True)
    assert "Equipment type" in html and eq["type"].name in html.split("History", 1)[-1]
    assert f"Supplier PO</dt><dd>{spo.number}</dd>" in html.split("History", 1)[-1]
    assert " id " not in html.split("History", 1)[-1].replace("<", " ").lower()
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "CUST-1")
    job = factories.job(db_session, debtor)
    assert browser.post("/service-desk/new", {"debtor_id": str(debtor.id), "job_id": str(job.id),
                                              "customer_po_id": str(po.id), "description": "Swap"}).status_code == 302
    from portal.models import ServiceDeskItem
    item = db_session.scalars(select(ServiceDeskItem).order_by(ServiceDeskItem.id.desc())).first()
    assert browser.post(f"/service-desk/{item.id}/equipment/new", {
        "catalog_id": str(eq["catalog"].id), "quantity": "1", "fulfilment": "order", "unit_id": "",
        "supplier_po_id": ""}).status_code == 302
    history = browser.get(f"/service-desk/{item.id}").get_data(as_text=True).split("History", 1)[-1]
    assert "Customer PO</dt><dd>CUST-1</dd>" in history and eq["catalog"].name in history and item.number in history
    assert " id " not in history.replace("<", " ").lower()
