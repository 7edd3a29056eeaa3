"""Defect 5: "assigned on this day" is one rule. An open-ended assignment to a PO that expired on
31 March is "no PO" on 1 May in the grid, the "unassigned" filter, bulk preview and apply, and the
start page alike."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.domain.purchase_orders import POInput
from portal.models import AuditEntry, JobPOAssignment
from portal.services import assignments, bulk_assign, job_orders, purchase_orders, start
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
    assert start.unassigned_jobs(db_session, admin, MAY_1) == 1  # the start page's count (loaded after it)
    # while the PO still runs, the job is assigned
    assert start.unassigned_jobs(db_session, admin, date(2026, 3, 31)) == 0


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
    assert [h.changes for h in history] == [{"manual_end": [None, "2026-03-31"], "end_cause": [None, "expiry"]}]
    april = job_orders.JobFilter(debtor_id=debtor.id, unassigned=True, as_of=date(2026, 4, 15))
    assert [j.id for j in job_orders.list_jobs(db_session, admin, april, today=MAY_1).items] == [job.id]
    ended = assignments.job_history(db_session, admin, job.id, MAY_1)[0]
    assert (ended.end, ended.reason) == (date(2026, 3, 31), "PO expires")  # read "Manual assignment": nobody cleared it
    # DESIGN: extending a PO extends its assignment, here up to the next one: April is funded again (it was not)
    data = purchase_orders.snapshot(db_session.get(type(old), old.id))
    purchase_orders.update_po(db_session, old.id, POInput(**{**data.__dict__, "expiration": date(2026, 12, 31)}),
                              actor=admin)
    db_session.expire_all()
    assert db_session.get(JobPOAssignment, rows[0].id).manual_end == date(2026, 4, 30)
    assert job_orders.list_jobs(db_session, admin, april, today=MAY_1).items == []


def test_grid_and_filter_agree_on_the_expired_job(db_session, login_as):
    debtor, job, _, _ = _expired_assignment(db_session)
    browser, _ = login_as("Billing Admin")
    grid = browser.get(f"/assignments/?debtor_id={debtor.id}&as_of=2026-05-01").get_data(as_text=True)
    assert job.number in grid and "OLD-PO" not in grid.split(job.number, 1)[1].split("</tr>", 1)[0]
    page = browser.get(f"/job-orders/?debtor_id={debtor.id}&unassigned=1&as_of=2026-05-01").get_data(as_text=True)
    assert job.number in page


def test_the_job_list_of_a_po_lists_the_jobs_assigned_to_that_po_itself_that_day(db_session):
    """The PO filter (the job list of a PO): a job assigned to the PO itself and current on the day; not one
    whose assignment ended by hand, whose PO expired, that holds the PO through its group, or another PO's."""
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    group = factories.po_group(db_session, debtor, "Cleaning")
    po = factories.po(db_session, debtor, "P-1", effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    grouped = factories.po(db_session, debtor, "G-1", group=group, effective=date(2026, 1, 1),
                           expiration=date(2026, 12, 31))
    jobs = [factories.job(db_session, debtor, branch, start=date(2026, 1, 1)) for _ in range(4)]
    factories.assignment(db_session, jobs[0], po=po, start=date(2026, 1, 1))  # open-ended, to the PO
    factories.assignment(db_session, jobs[1], po=po, start=date(2026, 1, 1), end=date(2026, 4, 30))  # cleared
    factories.assignment(db_session, jobs[2], group=group, start=date(2026, 1, 1))  # the group's PO
    factories.assignment(db_session, jobs[3], po=grouped, start=date(2026, 1, 1))  # another PO
    admin = factories.user(db_session, role_name="Billing Admin")

    def listed(po_id, day):
        flt = job_orders.JobFilter(debtor_id=debtor.id, po_id=po_id, as_of=day)
        return {j.id for j in job_orders.list_jobs(db_session, admin, flt, today=day).items}

    assert listed(po.id, MAY_1) == {jobs[0].id}
    assert listed(po.id, date(2026, 4, 30)) == {jobs[0].id, jobs[1].id}  # the cleared one's last day
    assert listed(po.id, date(2026, 7, 1)) == set()  # the PO expired: nothing holds it
    assert listed(grouped.id, MAY_1) == {jobs[3].id}


def test_a_job_on_a_group_whose_last_po_expired_is_unassigned(db_session):
    """A group's assignment lasts to its last PO's expiration, not to another PO's of the debtor."""
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    group = factories.po_group(db_session, debtor, "Cleaning")
    factories.po(db_session, debtor, "G-1", group=group, effective=date(2026, 1, 1), expiration=date(2026, 2, 28))
    factories.po(db_session, debtor, "G-2", group=group, effective=date(2026, 3, 1), expiration=date(2026, 3, 31))
    factories.po(db_session, debtor, "LATER", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    job = factories.job(db_session, debtor, branch, start=date(2026, 1, 1))
    factories.assignment(db_session, job, group=group, start=date(2026, 1, 1))  # open-ended
    admin = factories.user(db_session, role_name="Billing Admin")
    assert start.unassigned_jobs(db_session, admin, date(2026, 3, 31)) == 0  # the group's last PO runs
    assert start.unassigned_jobs(db_session, admin, MAY_1) == 1
    flt = job_orders.JobFilter(debtor_id=debtor.id, unassigned=True, as_of=MAY_1)
    assert [j.id for j in job_orders.list_jobs(db_session, admin, flt, today=MAY_1).items] == [job.id]


def test_a_job_on_a_group_with_no_po_yet_is_held_as_the_rule_says(db_session):
    """A group with no PO has no last expiration: the assignment is open-ended, in SQL as in the rule."""
    from portal.services.job_visibility import assigned_on
    from portal.services.po_timeline import debtor_pos, timeline_of

    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    group = factories.po_group(db_session, debtor, "Empty")
    job = factories.job(db_session, debtor, branch, start=date(2026, 1, 1))
    factories.assignment(db_session, job, group=group, start=date(2026, 1, 1))
    data = debtor_pos(db_session, debtor.id, values_only=True)
    assert assigned_on(timeline_of(db_session, job.id)[1], MAY_1, data.pos, data.groups)
    admin = factories.user(db_session, role_name="Billing Admin")
    assert start.unassigned_jobs(db_session, admin, MAY_1) == 0


def test_an_assignment_not_yet_started_or_under_the_previous_debtor_does_not_hold_the_job(db_session):
    debtor, other, branch = factories.debtor(db_session), factories.debtor(db_session), factories.branch(db_session)
    po = factories.po(db_session, debtor, "P-1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    later = factories.job(db_session, debtor, branch, start=date(2026, 1, 1))
    factories.assignment(db_session, later, po=po, start=date(2026, 6, 1))  # starts after May 1
    moved = factories.job(db_session, debtor, branch, start=date(2026, 1, 1))
    factories.assignment(db_session, moved, po=po, start=date(2026, 1, 1))
    moved.debtor_id = other.id  # moved: the row stays under its old debtor, read-only
    db_session.commit()
    admin = factories.user(db_session, role_name="Billing Admin")
    assert start.unassigned_jobs(db_session, admin, MAY_1) == 2
    assert start.unassigned_jobs(db_session, admin, date(2026, 6, 1)) == 1  # the later one has started
