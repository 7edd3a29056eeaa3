"""A debtor made inactive takes no new work: the pickers leave it out, and a form posted with it anyway (an old
page, a forged request) is refused by the service with a message by the debtor field. What it already has keeps
it through an edit."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from portal.models import BillCode, Document, JobOrder, PurchaseOrder, ServiceDeskItem
from tests import factories

REFUSED = "ACME is inactive: it takes no new work"


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_an_inactive_debtor_gets_no_new_job_po_document_or_service_desk_item(db_session, login_as):
    """Defect: every create path took an inactive debtor posted directly (a consultant made a job order, billing a
    PO and a Sales Order it then posted); only the pickers left it out."""
    browser, _ = login_as("Administrator")
    debtor, branch = factories.debtor(db_session, "ACME"), factories.branch(db_session)
    po = factories.po(db_session, debtor, "4500")
    job = factories.job(db_session, debtor, branch)
    code = BillCode(code="ORD")
    db_session.add(code)
    debtor.active = False
    db_session.commit()
    before = {m: _count(db_session, m) for m in (JobOrder, PurchaseOrder, Document, ServiceDeskItem)}
    posts = {
        "/job-orders/new": {"title": "Late job", "debtor_id": debtor.id, "branch_id": branch.id,
                            "start_date": "2026-01-01", "discontinued_date": "", "site": "", "po_choice": "",
                            "po_reference": "", "consultant_id": ""},
        "/purchase-orders/new": {"debtor_id": debtor.id, "number": "LATE-1", "kind": "single_line",
                                 "effective": "2026-01-01", "expiration": "2026-12-31", "amount": "100.00",
                                 "tolerance_pct": "", "description": "", "notes": ""},
        "/documents/new": {"debtor_id": debtor.id,
                           "document_type_id": factories.document_types(db_session)["Sales Order"].id,
                           "number": "", "doc_date": "2026-03-01", "bill_from": "", "bill_to": "", "po_number": "",
                           "notes": "", "line_key": ["k1"], "line_source": [""], "line_job": [str(job.id)],
                           "line_code": [str(code.id)], "line_date": [""], "line_description": ["x"],
                           "line_quantity": ["1"], "line_rate": ["10"], "line_po": [str(po.id)]},
        "/service-desk/new": {"debtor_id": debtor.id, "description": "Broken router", "job_id": "",
                              "customer_po_id": ""},
    }
    for url, data in posts.items():
        refused = browser.post(url, data)
        assert refused.status_code == 200 and REFUSED in refused.get_data(as_text=True), url
    assert {m: _count(db_session, m) for m in before} == before


def test_an_edit_keeps_the_inactive_debtor_a_record_already_has(db_session, login_as):
    from portal.services import documents, job_orders

    browser, user = login_as("Administrator")
    debtor, branch = factories.debtor(db_session, "ACME"), factories.branch(db_session)
    other = factories.debtor(db_session, "GLOBEX")
    job = factories.job(db_session, debtor, branch, title="Kept")
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    draft = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=factories.document_types(db_session)["Sales Invoice"].id, number="",
        doc_date=date(2026, 3, 1), lines=(documents.LineInput(job.id, code.id, Decimal(1), Decimal(10)),)))
    debtor.active = False
    db_session.commit()
    kept = job_orders.update_job(db_session, user, job.id, job_orders.JobInput(
        title="Kept, renamed", debtor_id=debtor.id, branch_id=branch.id, start_date=date(2026, 1, 1)),
        today=date(2026, 3, 1))
    assert kept.title == "Kept, renamed"
    edited = documents.save_draft(db_session, user, draft.id, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=draft.document_type_id, number="", doc_date=date(2026, 3, 2),
        lines=(documents.LineInput(job.id, code.id, Decimal(2), Decimal(10)),)))
    assert edited.doc_date == date(2026, 3, 2)
    other_job = factories.job(db_session, other, branch)
    moved = browser.post(f"/job-orders/{other_job.id}/edit", {
        "title": "Moved", "debtor_id": debtor.id, "branch_id": branch.id, "start_date": "2026-01-01",
        "discontinued_date": "", "site": "", "po_reference": "", "consultant_id": "",
        "row_version": str(other_job.row_version)})
    assert REFUSED in moved.get_data(as_text=True)
