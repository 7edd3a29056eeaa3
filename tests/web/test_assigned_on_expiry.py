"""Defect 5: "assigned on this day" is one rule. An open-ended assignment to a PO that expired on
31 March is "no PO" on 1 May in the grid, the "unassigned" filter, bulk preview and apply, and the
start page alike."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.models import AuditEntry, JobPOAssignment
from portal.services import bulk_assign, job_orders, start
from tests import factories

MAY_1 = date(2026, 5, 1)


def _expired_assignment(db_session):
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    old = factories.po(db_session, debtor, "OLD-PO", effective=date(2026, 1, 1), expiration=date(2026, 3, 31))
    new = factories.po(db_session, debtor, "NEW-PO", effective=date(2026, 4, 1), expiration=date(2026, 12, 31))
    job = factories.job(db_session, debtor, branch, start=date(2026, 1, 1), title="Expired PO job")
    factories.assignment(db_session, job, po=old, start=date(2026, 1, 1))  # open-ended
    return debtor, job, old, new


def test_unassigned_filter_and_start_page_count_a_job_whose_po_expired(db_session):
    debtor, job, _, _ = _expired_assignment(db_session)
    admin = factories.user(db_session, role_name="Billing Admin")
    flt = job_orders.JobFilter(debtor_id=debtor.id, unassigned=True, as_of=MAY_1)
    listed = job_orders.list_jobs(db_session, admin, flt, today=MAY_1)
    assert [j.id for j in listed.items] == [job.id]
    assert start.start_page(db_session, admin, MAY_1).unassigned_jobs == 1
    # while the PO still runs, the job is assigned
    assert start.start_page(db_session, admin, date(2026, 3, 31)).unassigned_jobs == 0


def test_bulk_assigns_a_job_whose_po_expired_and_closes_the_old_row(db_session):
    debtor, job, old, new = _expired_assignment(db_session)
    admin = factories.user(db_session, role_name="Billing Admin")
    selection = bulk_assign.Selection(job_orders.JobFilter(debtor_id=debtor.id, as_of=MAY_1))
    target = bulk_assign.Target("po", new.id)
    preview = bulk_assign.preview(db_session, admin, selection, target, MAY_1, today=MAY_1)
    assert (preview.to_assign, preview.skipped) == (1, {})
    bulk_assign.apply(db_session, admin, selection, target, MAY_1, today=MAY_1)
    rows = db_session.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id == job.id)
                              .order_by(JobPOAssignment.start_date)).all()
    assert [(r.po_id, r.start_date, r.manual_end) for r in rows] == [
        (old.id, date(2026, 1, 1), date(2026, 3, 31)), (new.id, MAY_1, None)]
    history = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_id == rows[0].id,
                                                          AuditEntry.entity_type == "job_po_assignments",
                                                          AuditEntry.action == "update")).all()
    assert [h.changes for h in history] == [{"manual_end": [None, "2026-03-31"]}]


def test_grid_and_filter_agree_on_the_expired_job(db_session, login_as):
    debtor, job, _, _ = _expired_assignment(db_session)
    browser, _ = login_as("Billing Admin")
    grid = browser.get(f"/assignments/?debtor_id={debtor.id}&as_of=2026-05-01").get_data(as_text=True)
    assert job.number in grid and "OLD-PO" not in grid.split(job.number, 1)[1].split("</tr>", 1)[0]
    page = browser.get(f"/job-orders/?debtor_id={debtor.id}&unassigned=1&as_of=2026-05-01").get_data(as_text=True)
    assert job.number in page
