"""A master PO whose line passes its budget needs attention even when the PO's totals do not: the start
page and the PO list's "Needs attention" find it (from the balance row's count, kept by triggers), and
the PO list, the PO page and the exports say how many lines are over."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.models import POBalance, POLine, POLineBalance
from portal.services import coverage, documents, integrity, posting, purchase_orders
from portal.services.documents import DocumentInput, LineInput
from tests import factories

D = Decimal
TODAY = date(2026, 6, 1)


def _master(s):
    debtor = factories.debtor(s, "ACME")
    labour = factories.bill_code_group(s, "Labour", ["ORD"])
    travel = factories.bill_code_group(s, "Travel", ["TRV"])
    # no tolerance and far from expiry: only a line can make it need attention
    po = factories.po(s, debtor, "M1", kind="multi_line_master", amount="1000", expiration=date(2099, 12, 31))
    for n, (group, amount) in enumerate(((labour, "100"), (travel, "900")), start=1):
        s.add(POLine(po_id=po.id, line_no=n, budget=D(amount), bill_code_group_id=group.id,
                     secondary_po_number=f"L{n}", balance=POLineBalance(po_id=po.id)))
    s.flush()
    coverage.sync_po(s, po.id)
    s.commit()
    return debtor, po, labour.bill_codes[0]


def _post(s, user, debtor, po, code, rate: str, type_name: str = "Sales Invoice"):
    kind = factories.document_types(s)[type_name]
    doc = documents.save_draft(s, user, None, DocumentInput(
        debtor_id=debtor.id, document_type_id=kind.id, number="", doc_date=date(2026, 3, 1),
        lines=(LineInput(None, code.id, D("1"), D(rate), explicit_po_id=po.id),)))
    assert posting.post(s, user, doc.id, confirmed=True).posted
    return doc


def _attention(s) -> list[int]:
    page = purchase_orders.list_purchase_orders(s, purchase_orders.POFilter(attention=True), today=TODAY)
    return [p.id for p in page.items]


def _lines_over(s, po) -> int:
    s.expire_all()
    return s.scalar(select(POBalance.lines_over).where(POBalance.po_id == po.id))


def test_a_line_over_its_budget_puts_the_po_on_the_attention_lists(db_session, login_as):
    s = db_session
    browser, user = login_as("Billing Admin")
    debtor, po, ordinary = _master(s)
    _post(s, user, debtor, po, ordinary, "100")  # the line at its budget: not over
    assert _lines_over(s, po) == 0 and _attention(s) == []
    _post(s, user, debtor, po, ordinary, "50")  # 150 of the line's 100; 150 of the PO's 1,000
    assert _lines_over(s, po) == 1 and _attention(s) == [po.id]
    assert not integrity.check(s)

    start = browser.get("/").get_data(as_text=True).split('id="attention"')[1].split("</section>")[0]
    assert "M1" in start and "1 line over budget" in start and f"/purchase-orders/{po.id}?tab=lines" in start
    listed = browser.get("/purchase-orders/?attention=1").get_data(as_text=True)
    assert "M1" in listed and "1 line over budget" in listed
    assert "1 line is\n    over budget" in browser.get(f"/purchase-orders/{po.id}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(browser.get("/purchase-orders/?format=csv").get_data(as_text=True))))
    assert [r["Status"] for r in rows if r["PO number"] == "M1"] == ["1 line over budget"]


def test_the_count_follows_credits_and_budget_edits(db_session, login_as):
    s = db_session
    _, user = login_as("Billing Admin")
    debtor, po, ordinary = _master(s)
    invoice = _post(s, user, debtor, po, ordinary, "150")
    assert _lines_over(s, po) == 1
    line = s.scalar(select(POLine).where(POLine.po_id == po.id, POLine.line_no == 1))
    line.budget = D("150")  # at its budget: no longer over
    s.commit()
    assert _lines_over(s, po) == 0 and _attention(s) == []
    line = s.get(POLine, line.id)
    line.budget = D("149.99")
    s.commit()
    assert _lines_over(s, po) == 1 and _attention(s) == [po.id]
    credit = factories.document_types(s)["Credit Memo"]
    memo = documents.save_draft(s, user, None, DocumentInput(
        debtor_id=debtor.id, document_type_id=credit.id, number="", doc_date=date(2026, 3, 2),
        lines=(LineInput(None, ordinary.id, D("1"), D("10"), source_line_id=invoice.lines[0].id),)),
        source_document_id=invoice.id)
    assert posting.post(s, user, memo.id, confirmed=True).posted  # 140 of 149.99
    assert _lines_over(s, po) == 0 and _attention(s) == [] and not integrity.check(s)
