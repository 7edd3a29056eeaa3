"""GET /api/v1/reports/spend-by-po-number covers every branch's jobs: a token of a user limited to
branches gets 403 (problem+json, saying why), an unlimited one the report (probe A, finding 1)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.models import BillCode
from portal.services import documents, posting
from tests import factories
from tests.api.conftest import is_problem

URL = "/api/v1/reports/spend-by-po-number"


def _south_invoice(session):
    north, south = factories.branch(session, "NTH"), factories.branch(session, "STH")
    debtor = factories.debtor(session, "ACME")
    job = factories.job(session, debtor, south, title="Confidential south welder")
    job.po_reference = "STH-ONLY-REF-9"
    code = BillCode(code="ORD")
    session.add(code)
    session.commit()
    admin = factories.user(session, role_name="Administrator")
    invoice = factories.document_types(session)["Sales Invoice"]
    draft = documents.save_draft(session, admin, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=invoice.id, number="", doc_date=date(2026, 3, 1),
        lines=(documents.LineInput(job.id, code.id, Decimal("10"), Decimal("123.45")),)))
    assert posting.post(session, admin, draft.id, confirmed=True, override=True, today=date(2026, 3, 1)).posted
    return north


def test_a_branch_limited_token_gets_403_from_the_spend_report(api_as, db_session):
    north = _south_invoice(db_session)
    client, _ = api_as("Consultant", branches=[north])
    for query in ("", "?page=2", "?debtor_id=1"):
        response = client.get(URL + query)
        body = is_problem(response, 403)
        assert "STH-ONLY-REF-9" not in response.get_data(as_text=True)
        assert body["detail"] == ("The spend report covers every branch's jobs; it is not shown to users limited "
                                  "to branches.")


def test_an_unlimited_token_still_gets_the_spend_report(api_as, db_session):
    _south_invoice(db_session)
    client, _ = api_as("Consultant")
    response = client.get(URL)
    assert response.status_code == 200
    [row] = response.get_json()["items"]
    assert (row["po_number"], row["used"], row["budgeted"]) == ("STH-ONLY-REF-9", "1234.50", False)
