"""DESIGN: "extending a PO extends the assignment". A group assignment closed at its group's last PO's expiration
(the job assigned elsewhere after the PO expired) follows that PO's extension, as a PO's own rows do: to the new
expiration, or the day before the job's next assignment when that comes first."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select

from portal.domain.assignment import Target
from portal.models import JobPOAssignment, PurchaseOrder
from portal.services import assignments, purchase_orders
from tests import factories


def _rows(session, job):
    session.expire_all()
    return [(r.group_id, r.po_id, r.start_date, r.manual_end) for r in session.scalars(
        select(JobPOAssignment).where(JobPOAssignment.job_id == job.id).order_by(JobPOAssignment.start_date))]


def _extend(session, admin, po, expiration):
    said: list[str] = []
    data = purchase_orders.snapshot(session.get(PurchaseOrder, po.id))
    purchase_orders.update_po(session, po.id, replace(data, expiration=expiration), actor=admin, notices=said)
    return said


def test_a_group_row_closed_at_its_last_pos_expiration_follows_the_pos_extension(db_session):
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session, "GRP")
    group = factories.po_group(db_session, debtor, "Plant")
    g1 = factories.po(db_session, debtor, "G1", group=group, effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    other = factories.po(db_session, debtor, "P2", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    job = factories.job(db_session, debtor, start=date(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("group", group.id), date(2026, 2, 1))
    assignments.assign(db_session, admin, job.id, Target("po", other.id), date(2026, 9, 1))
    assert _rows(db_session, job) == [(group.id, None, date(2026, 2, 1), date(2026, 6, 30)),  # closed by the expiry
                                      (None, other.id, date(2026, 9, 1), None)]

    said = _extend(db_session, admin, g1, date(2026, 7, 31))
    assert _rows(db_session, job)[0] == (group.id, None, date(2026, 2, 1), date(2026, 7, 31))
    assert said == [f"1 job assignment to group Plant now ends: {job.number} on 2026-07-31."]
    # past the next assignment: up to the day before it
    _extend(db_session, admin, g1, date(2026, 12, 31))
    assert _rows(db_session, job)[0] == (group.id, None, date(2026, 2, 1), date(2026, 8, 31))


def test_a_group_row_ended_on_an_earlier_members_expiration_stays_where_it_was_cleared(db_session):
    """With a later PO in the group, the group still held the job after G1 expired: a row ended on G1's
    expiration was cleared there, and G1's extension leaves it."""
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session, "GRP2")
    group = factories.po_group(db_session, debtor, "Depot")
    g1 = factories.po(db_session, debtor, "G1", group=group, effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    factories.po(db_session, debtor, "G2", group=group, effective=date(2026, 10, 1), expiration=date(2026, 12, 31))
    other = factories.po(db_session, debtor, "P2", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    job = factories.job(db_session, debtor, start=date(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("group", group.id), date(2026, 2, 1))
    assignments.clear(db_session, admin, job.id, date(2026, 7, 1))
    assignments.assign(db_session, admin, job.id, Target("po", other.id), date(2026, 9, 1))
    _extend(db_session, admin, g1, date(2026, 7, 31))
    assert _rows(db_session, job)[0] == (group.id, None, date(2026, 2, 1), date(2026, 6, 30))
