"""A job moved to another debtor keeps that debtor's assignments, read-only, to the day before the move; a PO
assignment funds nothing on days its PO is not valid (seed 004 step 2). Found from outside, each test failed
before its fix: the job's panel deleted the old debtor's rows, a move without a PO left them open for ever (the
job could never be assigned again, and bulk failed its whole batch), and a line drew on a PO before its
effective date though the grid showed none."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from portal.domain.assignment import AssignmentError, Target
from portal.models import BillCode, JobPOAssignment, PurchaseOrder
from portal.services import assignments, bulk_assign, job_orders, purchase_orders
from portal.services.errors import ValidationFailed
from portal.services.funding import Resolver
from tests import factories

TODAY = date(2026, 11, 28)


@pytest.fixture
def moved(db_session):
    """J on OLD's P3 from 2026-02-01, then moved to NEW (PO Q1) on TODAY without choosing a PO."""
    admin = factories.user(db_session, role_name="Administrator")
    old, new = factories.debtor(db_session, "OLD"), factories.debtor(db_session, "NEW")
    p3 = factories.po(db_session, old, "P3", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    q1 = factories.po(db_session, new, "Q1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    job = factories.job(db_session, old, start=date(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("po", p3.id), date(2026, 2, 1))
    job_orders.update_job(db_session, admin, job.id, job_orders.JobInput(
        title=job.title, debtor_id=new.id, branch_id=job.branch_id, start_date=job.start_date), today=TODAY)
    return admin, job, p3, q1


def _rows(session, job):
    session.expire_all()
    return [(r.debtor_id, r.po_id, r.start_date, r.manual_end) for r in session.scalars(
        select(JobPOAssignment).where(JobPOAssignment.job_id == job.id).order_by(JobPOAssignment.start_date))]


def test_a_move_without_a_po_ends_the_old_debtors_assignment_and_the_job_is_assignable(db_session, moved):
    admin, job, p3, q1 = moved
    assert _rows(db_session, job) == [(p3.debtor_id, p3.id, date(2026, 2, 1), date(2026, 11, 27))]
    assignments.assign(db_session, admin, job.id, Target("po", q1.id), TODAY)
    assert _rows(db_session, job)[-1] == (q1.debtor_id, q1.id, TODAY, None)


def test_the_panel_never_removes_or_overlaps_the_old_debtors_assignments(db_session, moved):
    admin, job, p3, q1 = moved
    for as_of, remove_future in ((date(2026, 1, 15), True), (date(2026, 11, 27), True), (date(2026, 3, 1), False)):
        with pytest.raises(AssignmentError, match="under its previous debtor run to 2026-11-27 and are read-only: "
                                                  "assign it from 2026-11-28 on"):
            assignments.assign(db_session, admin, job.id, Target("po", q1.id), as_of, remove_future=remove_future)
    assert _rows(db_session, job) == [(p3.debtor_id, p3.id, date(2026, 2, 1), date(2026, 11, 27))]


def test_bulk_skips_a_job_still_under_its_old_debtors_assignments_and_assigns_the_rest(db_session, moved):
    admin, job, p3, q1 = moved
    free = factories.job(db_session, db_session.get(type(job), job.id).debtor, start=date(2026, 1, 1))
    selection = bulk_assign.Selection(job_orders.JobFilter(debtor_id=q1.debtor_id, active_only=False))
    before = bulk_assign.preview(db_session, admin, selection, Target("po", q1.id), date(2026, 6, 1), today=TODAY)
    assert (before.to_assign, before.skipped) == (1, {"held by its previous debtor on the date": 1})
    done = bulk_assign.apply(db_session, admin, selection, Target("po", q1.id), date(2026, 6, 1), today=TODAY)
    assert done.count == 1 and _rows(db_session, free) == [(q1.debtor_id, q1.id, date(2026, 6, 1), None)]
    assert _rows(db_session, job) == [(p3.debtor_id, p3.id, date(2026, 2, 1), date(2026, 11, 27))]


def test_a_po_assignment_funds_nothing_before_the_pos_effective_date(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    debtor = factories.debtor(db_session, "STEP2")
    po = factories.po(db_session, debtor, "L1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    job = factories.job(db_session, debtor, start=date(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("po", po.id), date(2026, 2, 1))
    data = purchase_orders.snapshot(db_session.get(PurchaseOrder, po.id))
    purchase_orders.update_po(db_session, po.id, replace(data, effective=date(2026, 4, 1)), actor=admin)
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    invoice = factories.document_types(db_session)["Sales Invoice"]
    resolver = Resolver(db_session, debtor.id, job_ids={job.id})
    before = resolver.resolve(type_id=invoice.id, bill_code_id=code.id, day=date(2026, 3, 1), job=job)
    assert (before.po_id, before.note) == (None, f"job {job.number}'s PO L1 is not valid on 2026-03-01")
    after = resolver.resolve(type_id=invoice.id, bill_code_id=code.id, day=date(2026, 4, 1), job=job)
    assert after.po_id == po.id


def test_an_enforcing_debtors_job_started_earlier_takes_its_first_assignment_along_or_is_refused(db_session):
    """Seed 003: every job of an enforcing debtor is assigned. Moving its start earlier left it days without a PO
    (accepted silently, where clearing is refused): the first assignment now follows when its PO is valid then."""
    admin = factories.user(db_session, role_name="Administrator")
    debtor = factories.debtor(db_session, "ENF", enforce_purchase_orders=True)
    e1 = factories.po(db_session, debtor, "E1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    job = job_orders.create_job(db_session, admin, job_orders.JobInput(
        title="Enforced", debtor_id=debtor.id, branch_id=factories.branch(db_session).id,
        start_date=date(2026, 11, 1), target=Target("po", e1.id)), today=TODAY)

    def edit(start):
        current = db_session.get(type(job), job.id)
        return job_orders.update_job(db_session, admin, job.id, job_orders.JobInput(
            title=current.title, debtor_id=debtor.id, branch_id=current.branch_id, start_date=start,
            discontinued_date=date(2027, 6, 30)), today=TODAY)

    edit(date(2026, 6, 1))
    assert _rows(db_session, job) == [(debtor.id, e1.id, date(2026, 6, 1), None)]
    with pytest.raises(ValidationFailed) as refused:
        edit(date(2025, 12, 1))
    assert refused.value.errors == {"start_date": [
        "ENF enforces purchase orders: the job's assignment would have to start on 2025-12-01: PO E1 is valid "
        "from 2026-01-01 to 2026-12-31, not on 2025-12-01."]}
    assert _rows(db_session, job) == [(debtor.id, e1.id, date(2026, 6, 1), None)]
