"""A posted invoice's credit and reassign forms show what the credit memos posted against each line left on it,
not the line's full amount (a user crediting the 950.00 shown was refused: "760.00 left")."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models import BillCode, Document, DocumentLine
from tests import factories
from tests.web.forms_walk import confirm, post_forms


@pytest.fixture
def invoice(db_session, login_as):
    """A posted invoice of two lines (950.00 and 200.00), and the Billing Admin's browser."""
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", amount="100000")
    factories.po(db_session, debtor, "4600", amount="100000")
    job = factories.job(db_session, debtor)
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    types = factories.document_types(db_session)
    browser, _ = login_as("Billing Admin")
    made = browser.post("/documents/new", {
        "debtor_id": str(debtor.id), "document_type_id": str(types["Sales Invoice"].id), "number": "",
        "doc_date": "2026-03-01", "bill_from": "2026-02-16", "bill_to": "2026-03-01", "po_number": "", "notes": "",
        "line_job": [str(job.id)] * 2, "line_code": [str(code.id)] * 2, "line_date": ["", ""],
        "line_description": ["hours", "parts"], "line_quantity": ["10", "4"], "line_rate": ["95.00", "50.00"],
        "line_po": ["", ""], "line_key": ["k1", "k2"]})
    assert made.status_code == 302, made.get_data(as_text=True)[-2000:]
    doc = db_session.scalars(select(Document)).one()
    assert confirm(browser, f"/documents/{doc.id}/post").status_code == 302
    lines = list(db_session.scalars(select(DocumentLine.id).where(DocumentLine.document_id == doc.id)
                                    .order_by(DocumentLine.line_no)))
    return {"browser": browser, "doc": doc, "lines": lines, "credit": types["Credit Memo"]}


def _credit(db_session, s, quantities: dict[int, str]) -> None:
    """Make a credit memo of the invoice with these quantities and post it."""
    browser, doc = s["browser"], s["doc"]
    fields = {"type_id": str(s["credit"].id)} | {f"qty-{i}": q for i, q in quantities.items()}
    assert browser.post(f"/documents/{doc.id}/derive", fields).status_code == 302
    credit = db_session.scalars(select(Document).order_by(Document.id.desc())).first()
    assert confirm(browser, f"/documents/{credit.id}/post").status_code == 302
    db_session.expire_all()


def _reassign_labels(html: str) -> str:
    return " ".join(html.split('id="reassign-panel"', 1)[1].split("</fieldset>", 1)[0].split())


def test_forms_show_what_is_left_after_a_posted_credit(db_session, invoice):
    first, second = invoice["lines"]
    browser, doc = invoice["browser"], invoice["doc"]
    page = browser.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert "left of" not in page  # nothing credited yet: the amounts as they are
    assert "950.00" in _reassign_labels(page)
    _credit(db_session, invoice, {first: "2", second: "0"})  # 190.00 of line 1's 950.00
    page = browser.get(f"/documents/{doc.id}").get_data(as_text=True)
    labels = _reassign_labels(page)
    assert "Line 1 · ORD · 760.00 left of 950.00" in labels and "Line 2 · ORD · 200.00" in labels
    assert "200.00 left of" not in labels
    left = page.split(f'id="left-{first}">', 1)[1].split("</td>", 1)[0]
    assert left == "760.00 left of 950.00"
    assert page.split(f'id="left-{second}">', 1)[1].split("</td>", 1)[0] == "200.00"
    # the reassign form drawn on its own (a debtor with many POs) says the same
    fragment = browser.get(f"/documents/{doc.id}/reassign-form", headers={"HX-Request": "true"})
    assert "Line 1 · ORD · 760.00 left of 950.00" in " ".join(fragment.get_data(as_text=True).split())


def test_a_fully_credited_line_is_not_offered_and_a_fully_credited_invoice_says_so(db_session, invoice):
    first, second = invoice["lines"]
    browser, doc = invoice["browser"], invoice["doc"]
    _credit(db_session, invoice, {first: "10", second: "1"})  # line 1 in full, 50.00 of line 2
    page = browser.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert "Line 1 · ORD · 950.00, fully credited" in _reassign_labels(page)
    assert page.split(f'id="left-{first}">', 1)[1].split("</td>", 1)[0] == "950.00, fully credited"
    assert f'name="qty-{first}"' not in page and f'name="qty-{second}"' in page
    # the form posted back as shown credits what is left of line 2, and leaves line 1 alone
    [form] = [f for f in post_forms(page) if f.action.endswith("/derive")]
    assert browser.post(form.action, form.data()).status_code == 302
    made = db_session.scalars(select(Document).order_by(Document.id.desc())).first()
    assert [(l.source_line_id, l.amount) for l in made.lines] == [(second, Decimal("150.00"))]
    assert confirm(browser, f"/documents/{made.id}/post").status_code == 302
    page = browser.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert 'id="fully-credited"' in page and f'action="/documents/{doc.id}/derive"' not in page
    assert "Line 2 · ORD · 200.00, fully credited" in _reassign_labels(page)


def test_the_invoice_page_runs_as_many_queries_however_many_lines_are_credited(db_session, invoice,
                                                                               count_queries):
    first, second = invoice["lines"]
    browser, doc = invoice["browser"], invoice["doc"]

    def queries():
        browser.get(f"/documents/{doc.id}")
        with count_queries() as statements:
            assert browser.get(f"/documents/{doc.id}").status_code == 200
        return len(statements)

    _credit(db_session, invoice, {first: "1", second: "0"})
    one = queries()
    _credit(db_session, invoice, {first: "1", second: "1"})
    _credit(db_session, invoice, {first: "1", second: "1"})
    assert queries() == one
