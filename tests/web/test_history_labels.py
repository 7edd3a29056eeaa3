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
