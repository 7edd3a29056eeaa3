"""A master PO's "not on any line" figure shows wherever its figures show, so they add up."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.models import BillCode, POLine, POLineBalance
from portal.services import coverage, documents, posting
from portal.services.documents import DocumentInput, LineInput
from tests import factories

D = Decimal


def test_master_po_pages_show_not_on_any_line(db_session, login_as):
    s = db_session
    browser, user = login_as("Billing Admin")
    debtor = factories.debtor(s, "ACME")
    labour = factories.bill_code_group(s, "Labour", ["ORD"])
    exp = BillCode(code="EXP")
    s.add(exp)
    po = factories.po(s, debtor, "M1", kind="multi_line_master", amount="300", expiration=date(2099, 12, 31))
    s.add(POLine(po_id=po.id, line_no=1, budget=D("300"), bill_code_group_id=labour.id, secondary_po_number="A",
                 balance=POLineBalance(po_id=po.id)))
    s.flush()
    coverage.sync_po(s, po.id)
    s.commit()
    ord_ = labour.bill_codes[0]
    invoice = factories.document_types(s)["Sales Invoice"]
    doc = documents.save_draft(s, user, None, DocumentInput(
        debtor_id=debtor.id, document_type_id=invoice.id, number="", doc_date=date(2026, 3, 1), lines=(
            LineInput(None, ord_.id, D("1"), D("150"), explicit_po_id=po.id),
            LineInput(None, exp.id, D("1"), D("25.50"), explicit_po_id=po.id))))
    assert posting.post(s, user, doc.id, confirmed=True).posted
    for url in (f"/purchase-orders/{po.id}", f"/purchase-orders/{po.id}?tab=lines", "/purchase-orders/",
                f"/debtors/{debtor.id}?tab=purchase_orders"):
        response = browser.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "not on any line" in html.lower() and "25.50" in html, url
