"""POs of all three kinds through the API with seed 001's figures, as the PO pages show them."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.models import BillCode, POLine, POLineBalance
from portal.services import coverage, documents, posting
from portal.services.documents import DocumentInput, LineInput
from tests import factories
from tests.api.conftest import is_problem

D = Decimal


def test_each_kind_of_po_with_its_figures(api_as, db_session):
    s = db_session
    client, user = api_as("Auditor")
    admin = factories.user(s, role_name="Billing Admin")
    debtor = factories.debtor(s, "ACME")
    labour = factories.bill_code_group(s, "Labour", ["ORD"])
    exp = BillCode(code="EXP")
    s.add(exp)
    single = factories.po(s, debtor, "S1", amount="1000", tolerance=50, used="600", commitments="100", estimates="50")
    multi = factories.po(s, debtor, "ML1", kind="multi_line", amount="500")
    master = factories.po(s, debtor, "M1", kind="multi_line_master", amount="300", expiration=date(2099, 12, 31))
    s.add(POLine(po_id=master.id, line_no=1, budget=D("300"), bill_code_group_id=labour.id, secondary_po_number="A-2",
                 balance=POLineBalance(po_id=master.id)))
    s.flush()
    coverage.sync_po(s, master.id)
    s.commit()
    invoice = factories.document_types(s)["Sales Invoice"]
    doc = documents.save_draft(s, admin, None, DocumentInput(
        debtor_id=debtor.id, document_type_id=invoice.id, number="", doc_date=date(2026, 3, 1), lines=(
            LineInput(None, labour.bill_codes[0].id, D("1"), D("150"), explicit_po_id=master.id),
            LineInput(None, exp.id, D("1"), D("25.50"), explicit_po_id=master.id))))
    assert posting.post(s, admin, doc.id, confirmed=True).posted

    body = client.get(f"/api/v1/purchase-orders/{single.id}").get_json()
    assert body["kind"] == "single_line" and body["lines"] == [] and body["not_on_any_line"] is None
    assert body["figures"] == {"amount": "1000.00", "used": "600.00", "commitments": "100.00", "estimates": "50.00",
                               "subtotal": "750.00", "net_remaining": "250.00", "net_unused": "400.00",
                               "colour": "yellow", "tolerance_mark": "500.00"}
    assert client.get(f"/api/v1/purchase-orders/{multi.id}").get_json()["kind"] == "multi_line"
    body = client.get(f"/api/v1/purchase-orders/{master.id}").get_json()
    assert body["kind"] == "multi_line_master" and body["figures"]["used"] == "175.50"
    assert body["lines_over_budget"] == 0  # its line: 150.00 of 300.00
    [line] = body["lines"]
    assert (line["secondary_po_number"], line["figures"]["used"], line["figures"]["net_remaining"]) == ("A-2", "150.00", "150.00")
    assert body["not_on_any_line"]["used"] == "25.50"
    listed = client.get(f"/api/v1/purchase-orders?debtor_id={debtor.id}&sort=number").get_json()["items"]
    assert [p["number"] for p in listed] == ["M1", "ML1", "S1"]
    assert [p["number"] for p in client.get("/api/v1/purchase-orders?q=ML").get_json()["items"]] == ["ML1"]
    is_problem(client.get("/api/v1/purchase-orders?sort=colour"), 422)
    is_problem(client.get("/api/v1/purchase-orders/987654"), 404)


def test_a_master_po_says_how_many_of_its_lines_are_over_budget(api_as, db_session):
    from tests.web.test_master_lines_over import _master, _post

    client, _ = api_as("Auditor")
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor, po, ordinary = _master(db_session)
    _post(db_session, admin, debtor, po, ordinary, "150")  # its first line: 150.00 of 100.00
    body = client.get(f"/api/v1/purchase-orders/{po.id}").get_json()
    assert body["lines_over_budget"] == 1 and body["figures"]["colour"] is None  # the PO: 150.00 of 1,000.00
    [listed] = client.get(f"/api/v1/purchase-orders?debtor_id={debtor.id}").get_json()["items"]
    assert listed["lines_over_budget"] == 1
