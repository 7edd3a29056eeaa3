"""The PO statement: header, figures as of the statement date, documents with the running balance
(credit memos in parentheses), master lines with their secondary numbers; as a page and a PDF."""
from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from portal.models import BillCode, POLine, POLineBalance
from portal.services import coverage, documents, posting, statements
from portal.services.documents import DocumentInput, LineInput
from tests import factories

D = Decimal


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def drawn(db_session):
    """A PO drawn on in March (invoice 1,000, order 2,000, estimate 500) and credited 200 in June."""
    s = db_session
    admin = factories.user(s, role_name="Administrator")
    debtor = factories.debtor(s, "ACME", name="Acme Staffing Ltd")
    po = factories.po(s, debtor, "4500123", amount="10000.00", description="Warehouse staff 2026")
    code = factories.bill_code_group(s, "Statement codes", ["ORD"]).bill_codes[0]
    types = factories.document_types(s)

    def post(type_name, amount):
        doc = documents.save_draft(s, admin, None, DocumentInput(debtor.id, types[type_name].id, "", date(2026, 3, 1), lines=(
            LineInput(None, code.id, D("1"), D(amount), date(2026, 3, 1), explicit_po_id=po.id),)))
        posting.post(s, admin, doc.id, confirmed=True, override=True)
        return doc

    invoice, order, estimate = post("Sales Invoice", "1000"), post("Sales Order", "2000"), post("Estimate", "500")
    s.execute(text("UPDATE ledger_entries SET at = '2026-03-05 12:00+00'"))
    credit = documents.derive(s, admin, invoice.id, types["Credit Memo"].id, quantities={invoice.lines[0].id: D("0.2")},
                              doc_date=date(2026, 6, 1))
    posting.post(s, admin, credit.id, confirmed=True)
    s.execute(text("UPDATE ledger_entries SET at = '2026-06-01 09:00+00' WHERE document_id = :d"), {"d": credit.id})
    s.commit()
    return {"po": po, "invoice": invoice, "order": order, "estimate": estimate, "credit": credit}


def test_statement_figures_as_of_a_date(db_session, drawn):
    po = drawn["po"]
    march = statements.statement(db_session, po, date(2026, 4, 1))
    assert (march.figures.used, march.figures.commitments, march.figures.estimates) == (D("1000"), D("2000"), D("500"))
    assert march.figures.net_remaining == D("6500") and len(march.documents) == 3
    assert [d.remaining for d in march.documents] == [D("9000"), D("7000"), D("6500")]
    now = statements.statement(db_session, po, date.today())
    assert now.figures.used == D("800") and now.documents[-1].used == D("-200") and now.documents[-1].remaining == D("6700")
    assert now.figures.net_remaining == po.amount - (po.balance.used + po.balance.commitments + po.balance.estimates)
    assert statements.statement(db_session, po, date(2026, 3, 4)).documents == []  # before anything was recorded


def test_a_statement_of_a_past_day_uses_the_amount_the_po_had_that_day(db_session, login_as, drawn):
    """The PO raised from 10,000 to 12,000 in July: April's statement keeps 10,000 (it read today's amount)."""
    po = drawn["po"]
    db_session.execute(text("INSERT INTO audit_entries (at, entity_type, entity_id, action, summary, changes) VALUES "
                            "('2026-01-02 09:00+00', 'purchase_orders', :p, 'create', '', '{\"amount\": [null, \"10000.00\"]}'),"
                            "('2026-07-01 09:00+00', 'purchase_orders', :p, 'update', '', "
                            "'{\"amount\": [\"10000.00\", \"12000.00\"]}')"), {"p": po.id})
    po.amount = D("12000.00")
    db_session.commit()
    april = statements.statement(db_session, po, date(2026, 4, 1))
    assert (april.figures.amount, april.figures.net_remaining, april.documents[-1].remaining) == (
        D("10000.00"), D("6500.00"), D("6500.00"))
    assert statements.statement(db_session, po, date.today()).figures.amount == D("12000.00")
    browser, _ = login_as("Billing Admin")
    html = browser.get(f"/purchase-orders/{po.id}/statement?date=2026-04-01").get_data(as_text=True)
    assert "12,000.00" not in html and "10,000.00" in html


def test_past_the_limit_the_earlier_documents_are_brought_forward_with_the_same_balances(db_session, login_as, drawn,
                                                                                          monkeypatch):
    """A PO with thousands of documents made a 3 MB statement and a PDF that took 46 s: the earlier ones are
    one row, with what they applied and the balance after them; the totals and the later rows are unchanged."""
    po = drawn["po"]
    whole = statements.statement(db_session, po, date.today())
    monkeypatch.setattr(statements, "STATEMENT_DOCUMENTS", 2)
    bounded = statements.statement(db_session, po, date.today())
    assert bounded.documents == whole.documents[-2:] and bounded.figures == whole.figures
    assert bounded.earlier == 2 and bounded.remaining_before == whole.documents[1].remaining == D("7000")
    assert (bounded.brought_forward.used, bounded.brought_forward.commitments,
            bounded.brought_forward.estimates) == (D("1000"), D("2000"), D("0"))
    browser, _ = login_as("Auditor")
    page = browser.get(f"/purchase-orders/{po.id}/statement").get_data(as_text=True)
    assert "Brought forward:\n        2 earlier documents" in page and drawn["invoice"].number not in page
    assert drawn["credit"].number in page and drawn["estimate"].number in page
    pdf = _pdf_text(browser.get(f"/purchase-orders/{po.id}/statement.pdf"))
    assert "Brought forward" in pdf and "7,000.00" in pdf and drawn["order"].number not in pdf
    monkeypatch.setattr(statements, "STATEMENT_DOCUMENTS", 4)  # exactly as many: none brought forward
    assert statements.statement(db_session, po, date.today()).earlier == 0


def test_statement_page_and_pdf_show_the_figures(db_session, login_as, drawn):
    browser, _ = login_as("Auditor")  # view is enough
    po = drawn["po"]
    detail = browser.get(f"/purchase-orders/{po.id}").get_data(as_text=True)
    assert f"/purchase-orders/{po.id}/statement" in detail
    page = browser.get(f"/purchase-orders/{po.id}/statement?date=2026-04-01").get_data(as_text=True)
    assert "statement.css" in page and "Acme Staffing Ltd" in page and "6,500.00" in page
    assert drawn["credit"].number not in page
    assert f'/purchase-orders/{po.id}/statement.pdf?date=2026-04-01' in page
    pdf = _pdf_text(browser.get(f"/purchase-orders/{po.id}/statement.pdf"))
    assert "Purchase order statement" in pdf and "4500123" in pdf and "Acme Staffing Ltd" in pdf
    assert date.today().isoformat() in pdf
    for figure in ("10,000.00", "800.00", "2,000.00", "500.00", "3,300.00", "6,700.00", "9,200.00", "(200.00)"):
        assert figure in pdf, figure
    for doc in ("invoice", "order", "estimate", "credit"):
        assert drawn[doc].number in pdf
    march = _pdf_text(browser.get(f"/purchase-orders/{po.id}/statement.pdf?date=2026-04-01"))
    assert "6,500.00" in march and drawn["credit"].number not in march and "(200.00)" not in march


@pytest.mark.parametrize("typed", ["2026-13-01", "yesterday", "0001-01-01", "9999-12-31", "2026-04-01T00:00", "x" * 500])
def test_a_bad_statement_date_is_a_message_not_an_error(db_session, login_as, drawn, typed):
    browser, _ = login_as("Billing Admin")
    po = drawn["po"]
    page = browser.get(f"/purchase-orders/{po.id}/statement", query_string={"date": typed})
    assert page.status_code == 200 and 'role="alert"' in page.get_data(as_text=True)
    assert browser.get(f"/purchase-orders/{po.id}/statement.pdf", query_string={"date": typed}).status_code == 400
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert "cannot be in the future" in browser.get(f"/purchase-orders/{po.id}/statement?date={tomorrow}").get_data(as_text=True)


def test_statement_of_a_missing_po_or_signed_out(db_session, browser, login_as, drawn):
    assert browser.get(f"/purchase-orders/{drawn['po'].id}/statement.pdf").status_code in (302, 401)
    admin, _ = login_as("Billing Admin")
    assert admin.get("/purchase-orders/999999/statement").status_code == 404
    assert admin.get("/purchase-orders/999999/statement.pdf").status_code == 404


def test_master_statement_lists_lines_with_secondary_numbers(db_session, login_as):
    s = db_session
    browser, user = login_as("Billing Admin")
    debtor = factories.debtor(s, "MST")
    labour, travel = factories.bill_code_group(s, "Labour", ["ORD"]), factories.bill_code_group(s, "Travel", ["TRV"])
    po = factories.po(s, debtor, "M-77", kind="multi_line_master", amount="500")
    for n, (group, budget, secondary) in enumerate([(labour, "300", "SEC-LAB"), (travel, "200", "SEC-TRV")], start=1):
        s.add(POLine(po_id=po.id, line_no=n, budget=D(budget), bill_code_group_id=group.id, secondary_po_number=secondary,
                     balance=POLineBalance(po_id=po.id)))
    s.flush()
    coverage.sync_po(s, po.id)
    s.commit()
    invoice = factories.document_types(s)["Sales Invoice"]
    doc = documents.save_draft(s, user, None, DocumentInput(debtor.id, invoice.id, "", date(2026, 3, 1), lines=(
        LineInput(None, labour.bill_codes[0].id, D("1"), D("120"), explicit_po_id=po.id),
        LineInput(None, travel.bill_codes[0].id, D("1"), D("45.50"), explicit_po_id=po.id))))
    assert posting.post(s, user, doc.id, confirmed=True).posted
    st = statements.statement(s, po, date.today())
    assert [(l.line.secondary_po_number, l.figures.used, l.figures.net_remaining) for l in st.lines] == [
        ("SEC-LAB", D("120"), D("180")), ("SEC-TRV", D("45.50"), D("154.50"))]
    pdf = _pdf_text(browser.get(f"/purchase-orders/{po.id}/statement.pdf"))
    assert "SEC-LAB" in pdf and "SEC-TRV" in pdf and "154.50" in pdf and "334.50" in pdf
    assert s.get(BillCode, labour.bill_codes[0].id).code in pdf or "Labour" in pdf


def test_a_past_statement_of_a_master_po_uses_the_line_budgets_of_that_day(db_session):
    """The PO amount came from its history, its lines' budgets from today: a line raised since showed a false
    "not on any line" figure on an earlier statement."""
    s = db_session
    debtor = factories.debtor(s, "MSB")
    labour = factories.bill_code_group(s, "Labour B", ["ORDB"])
    po = factories.po(s, debtor, "M-78", kind="multi_line_master", amount="300")
    line = POLine(po_id=po.id, line_no=1, budget=D("300"), bill_code_group_id=labour.id, secondary_po_number="L1",
                  balance=POLineBalance(po_id=po.id))
    s.add(line)
    s.flush()
    coverage.sync_po(s, po.id)
    s.execute(text("INSERT INTO audit_entries (at, entity_type, entity_id, action, summary, changes) VALUES "
                   "('2026-01-02 09:00+00', 'po_lines', :l, 'create', '', '{\"budget\": [null, \"300.00\"]}'),"
                   "('2026-01-02 09:00+00', 'purchase_orders', :p, 'create', '', '{\"amount\": [null, \"300.00\"]}'),"
                   "('2026-07-01 09:00+00', 'po_lines', :l, 'update', '', '{\"budget\": [\"300.00\", \"500.00\"]}'),"
                   "('2026-07-01 09:00+00', 'purchase_orders', :p, 'update', '', "
                   "'{\"amount\": [\"300.00\", \"500.00\"]}')"), {"l": line.id, "p": po.id})
    line.budget, po.amount = D("500"), D("500")
    s.commit()
    april = statements.statement(s, po, date(2026, 4, 1))
    assert [l.figures.amount for l in april.lines] == [D("300.00")] and april.figures.amount == D("300.00")
    assert april.figures.not_on_any_line.amount == 0
    assert [l.figures.amount for l in statements.statement(s, po, date.today()).lines] == [D("500")]
