"""Spend by PO number has no branch (its summaries cover every branch's jobs): a user limited to branches
does not get it, as a page, a CSV or an XLSX (403 with the reason), and no page they reach links to it.
An unlimited user still gets it, on-the-fly numbers of every branch included (probe A, finding 1)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.models import BillCode
from portal.services import documents, posting
from tests import factories

SECRET_REF = "STH-ONLY-REF-9"
REFUSAL = "The spend report covers every branch&#39;s jobs; it is not shown to users limited to branches."


@pytest.fixture
def south_invoice(db_session):
    """A posted invoice whose one line is on a south job carrying an on-the-fly PO number; the north branch."""
    return post_south_invoice(db_session)


def post_south_invoice(db_session):
    """The south_invoice fixture's set-up (the API's test uses it too)."""
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    debtor = factories.debtor(db_session, "ACME")
    factories.job(db_session, debtor, north, title="North job")
    job = factories.job(db_session, debtor, south, title="Confidential south welder")
    job.po_reference = SECRET_REF
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    admin = factories.user(db_session, role_name="Administrator")
    invoice = factories.document_types(db_session)["Sales Invoice"]
    draft = documents.save_draft(db_session, admin, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=invoice.id, number="", doc_date=date(2026, 3, 1),
        lines=(documents.LineInput(job.id, code.id, Decimal("10"), Decimal("123.45")),)))
    assert posting.post(db_session, admin, draft.id, confirmed=True, override=True, today=date(2026, 3, 1)).posted
    return north


@pytest.mark.parametrize("role", ["Consultant", "Billing Admin"])
def test_a_branch_limited_user_gets_no_spend_report_page_or_export(south_invoice, login_as, role):
    browser, _ = login_as(role, branches=[south_invoice])
    for query in ("", "?format=csv", "?format=xlsx", "?page=2", "?debtor_id=1&format=csv"):
        response = browser.get("/documents/report" + query)
        body = response.get_data(as_text=True)
        assert response.status_code == 403, (query, body[:300])
        assert SECRET_REF not in body and "1,234.50" not in body and "1234.50" not in body
        assert REFUSAL in body, query


def test_no_page_a_branch_limited_user_reaches_links_to_the_report(south_invoice, login_as):
    browser, _ = login_as("Billing Admin", branches=[south_invoice])
    for url in ("/", "/documents/", "/documents/?q=x", "/documents/?status=posted"):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "/documents/report" not in response.get_data(as_text=True), url


def test_an_unlimited_user_still_gets_the_report_and_the_link(south_invoice, login_as):
    browser, _ = login_as("Consultant")
    assert 'href="/documents/report"' in browser.get("/documents/").get_data(as_text=True)
    page = browser.get("/documents/report")
    assert page.status_code == 200 and SECRET_REF in page.get_data(as_text=True)
    csv = browser.get("/documents/report?format=csv")
    assert csv.status_code == 200 and f"ACME,{SECRET_REF},on the fly,1,1234.50" in csv.get_data(as_text=True)
    assert browser.get("/documents/report?format=xlsx").status_code == 200
