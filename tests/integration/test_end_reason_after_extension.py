"""DESIGN: the end reason reads "Manual assignment" only for a manual clearing. A row that a PO's extension
moved up to the day before the job's next assignment was closed by that assignment, not by hand."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from portal.domain.assignment import Target
from portal.models import PurchaseOrder
from portal.services import assignments, purchase_orders
from tests import factories

D = date


def _extend(session, admin, po, expiration):
    data = purchase_orders.snapshot(session.get(PurchaseOrder, po.id))
    purchase_orders.update_po(session, po.id, replace(data, expiration=expiration), actor=admin, notices=[])


def _reasons(session, admin, job, as_of):
    session.expire_all()
    return [(h.row.start_date, h.end, h.reason) for h in assignments.job_history(session, admin, job.id, as_of)]


def test_a_row_the_extension_ends_before_the_next_assignment_reads_next_assignment(db_session):
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session, "EXT")
    first = factories.po(db_session, debtor, "E1", effective=D(2026, 1, 1), expiration=D(2026, 3, 31))
    second = factories.po(db_session, debtor, "E2", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("po", first.id), D(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("po", second.id), D(2026, 5, 1))
    assert _reasons(db_session, admin, job, D(2026, 2, 1))[0] == (D(2026, 1, 1), D(2026, 3, 31), "PO expires")

    _extend(db_session, admin, first, D(2026, 9, 30))
    assert _reasons(db_session, admin, job, D(2026, 2, 1)) == [
        (D(2026, 1, 1), D(2026, 4, 30), "Next assignment 2026-05-01"),
        (D(2026, 5, 1), D(2026, 12, 31), "PO expires")]
    page = assignments.grid(db_session, admin, debtor.id, D(2026, 2, 1))
    assert [(r.end, r.reason) for r in page.items] == [(D(2026, 4, 30), "Next assignment 2026-05-01")]


def test_a_group_row_the_extension_ends_before_the_next_assignment_reads_next_assignment(db_session):
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session, "EXTG")
    group = factories.po_group(db_session, debtor, "Plant")
    g1 = factories.po(db_session, debtor, "G1", group=group, effective=D(2026, 1, 1), expiration=D(2026, 6, 30))
    other = factories.po(db_session, debtor, "P2", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("group", group.id), D(2026, 2, 1))
    assignments.assign(db_session, admin, job.id, Target("po", other.id), D(2026, 9, 1))
    _extend(db_session, admin, g1, D(2026, 12, 31))
    assert _reasons(db_session, admin, job, D(2026, 3, 1))[0] == (
        D(2026, 2, 1), D(2026, 8, 31), "Next assignment 2026-09-01")


def test_a_manual_clearing_still_reads_manual_assignment(db_session):
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session, "EXTM")
    first = factories.po(db_session, debtor, "M1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    second = factories.po(db_session, debtor, "M2", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("po", first.id), D(2026, 1, 1))
    assignments.clear(db_session, admin, job.id, D(2026, 5, 1), replacement=Target("po", second.id))
    assert _reasons(db_session, admin, job, D(2026, 2, 1))[0] == (D(2026, 1, 1), D(2026, 4, 30), "Manual assignment")


def test_the_history_says_what_ended_the_row(db_session):
    from portal.services import audit
    from portal.services.history_labels import readable

    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session, "EXTH")
    first = factories.po(db_session, debtor, "H1", effective=D(2026, 1, 1), expiration=D(2026, 3, 31))
    second = factories.po(db_session, debtor, "H2", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("po", first.id), D(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("po", second.id), D(2026, 5, 1))
    _extend(db_session, admin, first, D(2026, 9, 30))
    entries = [e for e in audit.history_of(db_session, "job_orders", job.id)
               if e.entity_type == "job_po_assignments" and e.action == "update"]
    changes = [[(c.label, c.old, c.new) for c in e.changes] for e in readable(db_session, entries, admin)]
    assert ("Ended by", "PO expiry", "Next assignment") in changes[0]  # newest first: the extension's
    assert ("Ended by", "—", "PO expiry") in changes[1]  # assigning after the expiry closed it there


def test_bulk_assignment_and_a_move_say_what_ended_the_rows(db_session):
    from sqlalchemy import select

    from portal.models import JobPOAssignment
    from portal.services import bulk_assign, job_orders

    admin = factories.user(db_session, role_name="Administrator")
    debtor, other = factories.debtor(db_session, "EXTB"), factories.debtor(db_session, "EXTO")
    old = factories.po(db_session, debtor, "B-OLD", effective=D(2026, 1, 1), expiration=D(2026, 1, 31))
    new = factories.po(db_session, debtor, "B-NEW", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    held, moving = factories.job(db_session, debtor), factories.job(db_session, debtor)
    factories.assignment(db_session, held, po=old, start=D(2026, 1, 1))
    assignments.assign(db_session, admin, moving.id, Target("po", new.id), D(2026, 1, 1))
    selection = bulk_assign.Selection(job_orders.JobFilter(debtor_id=debtor.id, active_only=False))
    bulk_assign.apply(db_session, admin, selection, Target("po", new.id), D(2026, 3, 1), today=D(2026, 3, 1))
    job_orders.update_job(db_session, admin, moving.id, job_orders.JobInput(
        title=moving.title, debtor_id=other.id, branch_id=moving.branch_id, start_date=moving.start_date),
        today=D(2026, 6, 1))
    db_session.expire_all()
    ended = db_session.execute(select(JobPOAssignment.job_id, JobPOAssignment.manual_end, JobPOAssignment.end_cause)
                               .where(JobPOAssignment.manual_end.is_not(None)).order_by(JobPOAssignment.job_id)).all()
    assert [tuple(r) for r in ended] == [(held.id, D(2026, 1, 31), "expiry"), (moving.id, D(2026, 5, 31), "move")]


def test_a_cause_needs_an_end_and_is_one_of_the_known_ones(db_session):
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from portal.models import JobPOAssignment

    debtor = factories.debtor(db_session, "EXTC")
    po = factories.po(db_session, debtor, "C1")
    row = factories.assignment(db_session, factories.job(db_session, debtor), po=po, start=D(2026, 1, 1))
    for values in ({"end_cause": "manual"}, {"end_cause": "typo", "manual_end": D(2026, 2, 1)}):
        with pytest.raises(IntegrityError, match="ck_job_po_assignments_end_cause"):
            db_session.execute(update(JobPOAssignment).where(JobPOAssignment.id == row.id).values(**values))
        db_session.rollback()
