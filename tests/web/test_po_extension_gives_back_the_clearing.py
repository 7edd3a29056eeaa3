"""Seed 004 step 3 then DESIGN's "PO expires" (the PO's current expiration), through the routes: a PO shortened
past a job's clearing ends the assignment at the new expiration; extended again, the assignment ends on the
clearing once more ("Manual assignment"), and a line on a day between draws on the PO again."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.models import BillCode, DocumentLine, JobPOAssignment, PurchaseOrder
from portal.services import documents, integrity, job_orders, posting
from portal.services.documents import DocumentInput, LineInput
from tests import factories


def _po_form(**kw):
    data = {"number": "LP1", "kind": "single_line", "effective": "2026-01-01", "expiration": "2026-12-31",
            "amount": "10000.00", "tolerance_pct": "90", "description": "", "notes": ""}
    return data | kw


def _edit_expiration(browser, session, po_id, expiration):
    session.expire_all()
    po = session.get(PurchaseOrder, po_id)
    response = browser.post(f"/purchase-orders/{po_id}/edit", _po_form(
        debtor_id=str(po.debtor_id), expiration=expiration, row_version=str(po.row_version)))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _grid_row(browser, debtor, job, as_of="2026-05-15"):
    html = browser.get(f"/assignments/?debtor_id={debtor.id}&as_of={as_of}").get_data(as_text=True)
    return html.split("<tbody", 1)[1].split(job.number, 1)[1].split("</tr>", 1)[0]  # past the edit's notice


def _unassigned_on(session, user, debtor, day):
    flt = job_orders.JobFilter(debtor_id=debtor.id, unassigned=True, as_of=day)
    return [j.id for j in job_orders.list_jobs(session, user, flt, today=day).items]


def test_an_extension_gives_back_the_clearing_a_shortening_cut(db_session, login_as):
    browser, lead = login_as("Relationship Lead")  # edits the PO: without po_override_validations, steps 1-4 apply
    clerk_browser, clerk = login_as("Billing Clerk")  # assigns, clears and invoices
    assert not lead.can("po_override_validations")
    debtor = factories.debtor(db_session, "ACME")
    types = factories.document_types(db_session)
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    job = factories.job(db_session, debtor, start=date(2026, 1, 1), title="Plant cleaning")
    assert browser.post("/purchase-orders/new", _po_form(debtor_id=str(debtor.id))).status_code == 302
    po_id = db_session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.number == "LP1"))
    assigned = clerk_browser.post(f"/assignments/grid/{job.id}/assign",
                                  {"as_of": "2026-02-01", "target": f"po:{po_id}", "start": "2026-02-01"})
    assert assigned.status_code == 200 and "2026-02-01" in assigned.get_data(as_text=True)
    assert clerk_browser.post(f"/assignments/grid/{job.id}/clear", {"as_of": "2026-10-01"}).status_code == 200
    assert "2026-09-30" in _grid_row(browser, debtor, job) and "Manual assignment" in _grid_row(browser, debtor, job)

    _edit_expiration(browser, db_session, po_id, "2026-06-30")
    row = _grid_row(browser, debtor, job)
    assert "2026-06-30" in row and "PO expires" in row
    assert _unassigned_on(db_session, clerk, debtor, date(2026, 8, 15)) == [job.id]

    _edit_expiration(browser, db_session, po_id, "2026-12-31")
    row = _grid_row(browser, debtor, job)
    assert "2026-09-30" in row and "Manual assignment" in row and "2026-06-30" not in row
    db_session.expire_all()
    stored = db_session.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id == job.id)).one()
    assert (stored.start_date, stored.manual_end, stored.end_cause, stored.end_before_cut) == (
        date(2026, 2, 1), date(2026, 9, 30), "manual", None)
    assert _unassigned_on(db_session, clerk, debtor, date(2026, 8, 15)) == []  # job_gaps follow the row
    assert _unassigned_on(db_session, clerk, debtor, date(2026, 10, 1)) == [job.id]
    assert integrity.check(db_session) == []

    # an invoice line in August draws on LP1 again (it drew on no PO while the cut stood)
    invoice = documents.save_draft(db_session, clerk, None, DocumentInput(
        debtor_id=debtor.id, document_type_id=types["Sales Invoice"].id, number="", doc_date=date(2026, 8, 15),
        lines=(LineInput(job_id=job.id, bill_code_id=code.id, quantity=Decimal("1"), rate=Decimal("100")),)))
    assert posting.post(db_session, clerk, invoice.id, confirmed=True).posted
    db_session.expire_all()
    assert db_session.scalars(select(DocumentLine.po_id).where(DocumentLine.document_id == invoice.id)).one() == po_id


def test_a_clearing_or_a_move_after_the_cut_is_not_undone_by_the_extension(db_session):
    from dataclasses import replace

    from portal.domain.assignment import Target
    from portal.services import assignments, purchase_orders

    admin = factories.user(db_session, role_name="Administrator")
    lead = factories.user(db_session, role_name="Relationship Lead")
    debtor, other = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "OTHER")
    po = factories.po(db_session, debtor, "LP1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31),
                      created_by=lead)
    cleared, moved = factories.job(db_session, debtor), factories.job(db_session, debtor)
    for job in (cleared, moved):
        assignments.assign(db_session, admin, job.id, Target("po", po.id), date(2026, 2, 1))
        assignments.clear(db_session, admin, job.id, date(2026, 10, 1))

    def edit(expiration):
        data = purchase_orders.snapshot(db_session.get(PurchaseOrder, po.id))
        purchase_orders.update_po(db_session, po.id, replace(data, expiration=expiration), actor=lead, notices=[])

    edit(date(2026, 6, 30))
    assignments.clear(db_session, admin, cleared.id, date(2026, 5, 1))
    job_orders.update_job(db_session, admin, moved.id, job_orders.JobInput(
        title=moved.title, debtor_id=other.id, branch_id=moved.branch_id, start_date=moved.start_date),
        today=date(2026, 8, 1))
    edit(date(2026, 12, 31))
    db_session.expire_all()
    ends = db_session.execute(select(JobPOAssignment.job_id, JobPOAssignment.manual_end, JobPOAssignment.end_cause)
                              .order_by(JobPOAssignment.job_id)).all()
    assert [tuple(r) for r in ends] == [(cleared.id, date(2026, 4, 30), "manual"),  # the clearing stands
                                        (moved.id, date(2026, 7, 31), "move")]  # back up to the move, no further
    assert integrity.check(db_session) == []
