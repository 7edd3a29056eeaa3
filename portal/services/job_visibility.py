"""Which jobs a user may see (job security, seed 004) and whether a job is assigned on a day.

One home for both rules, in Python and in SQL: every query that returns jobs, or rows that name a
job, is limited by `visible` (SQL) or `may_see` (a loaded job); every "assigned on this day" (grid,
job lists, the "unassigned" filter, bulk assignment, the start page) asks `assigned_on` or
`assigned_on_clause`, which a property test holds to the same answer; "active and unassigned" (the
start page's count, the filter over active jobs) reads the kept gaps, which another holds to it too.
Imports only models and the pure domain.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Select, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from portal.domain import assignment as timeline_rules
from portal.domain.assignment import Assignment, GroupInfo, POPeriod
from portal.models import JobGap, JobOrder, JobPOAssignment, PurchaseOrder
from portal.services import statement_constants as constant
from portal.services.errors import NotFound
from portal.services.locks import locked


def branch_limit(user) -> set[int] | None:
    """The branches a user is limited to; None (no branch on the user) means every branch."""
    return set(user.branch_ids) or None


def may_see_branch(user, branch_id: int | None) -> bool:
    """Job security for one job's branch."""
    limit = branch_limit(user)
    return limit is None or branch_id in limit


def may_see(user, job: JobOrder | None) -> bool:
    """Whether the user may see this job (None: no job, nothing to hide)."""
    return job is None or may_see_branch(user, job.branch_id)


def visible(stmt: Select, user) -> Select:
    """Job security: limit any statement over JobOrder to the user's branches (if limited)."""
    limit = branch_limit(user)
    return stmt.where(JobOrder.branch_id.in_(limit)) if limit else stmt


def get_job(session: Session, user, job_id: int, *, lock: bool = False) -> JobOrder:
    """The job, or NotFound when it does not exist or lies outside the user's branches."""
    job = locked(session, JobOrder, job_id) if lock else session.get(JobOrder, job_id)
    if job is None or not may_see(user, job):
        raise NotFound("No such job order.")
    return job


def lock_jobs(session: Session, which) -> None:
    """Lock the jobs `which` (a condition on JobOrder) selects, in id order, FOR NO KEY UPDATE, before
    changing assignments of many jobs at once: the triggers keeping the jobs' gaps (job_gaps) lock them
    in that order too, so a change never waits for one that waits for it."""
    session.execute(select(JobOrder.id).where(which).order_by(JobOrder.id).with_for_update(key_share=True)).all()


def active_on_clause(day: date):
    """SQL for domain.assignment.job_active_on: started on or before the day, not discontinued before it.
    The day is written into the statement (portal/services/statement_constants.py)."""
    day = constant.day(day)
    return and_(JobOrder.start_date <= day, or_(JobOrder.discontinued_date.is_(None), JobOrder.discontinued_date >= day))


def assigned_on(timeline: list[Assignment], day: date, pos: dict[int, POPeriod],
                groups: dict[int, GroupInfo]) -> bool:
    """A job is assigned on a day when one of its (current debtor's) assignments is current then:
    started, not manually ended, and its PO (for a group, the group's last PO) not yet expired."""
    return timeline_rules.current_on(timeline, day, pos, groups) is not None


def lasting_end_sql(po=None):
    """SQL for domain.assignment.lasting_end, over JobPOAssignment: the manual end, else the PO's
    expiration, else the group's last PO's expiration (NULL: open-ended). `po`: the row's PO joined
    (its expiration read from the join), else read by a subquery."""
    po_end = po.expiration if po is not None else \
        select(PurchaseOrder.expiration).where(PurchaseOrder.id == JobPOAssignment.po_id).scalar_subquery()
    group_end = (select(func.max(PurchaseOrder.expiration)).where(PurchaseOrder.group_id == JobPOAssignment.group_id)
                 .scalar_subquery())
    return case((JobPOAssignment.manual_end.is_not(None), JobPOAssignment.manual_end),
                (JobPOAssignment.po_id.is_not(None), po_end), else_=group_end)


_ROW_PO = aliased(PurchaseOrder, name="row_po")  # the PO an assignment row names, joined where it is tested
_OPEN_ENDED = date(9999, 12, 31)


def covering_rows(day: date) -> Select:
    """The assignment rows of the job's current debtor (correlated to JobOrder) that hold the job on
    `day` (see assigned_on), each with its PO joined: the end is worked out once per row, from the join.
    Read with a subquery per row, twice (ended, or open-ended), the start page's count of unassigned jobs
    looked up 100,000 POs for 50,000 rows (100 ms; 35 ms joined)."""
    end = func.coalesce(lasting_end_sql(_ROW_PO), _OPEN_ENDED)
    return (select(JobPOAssignment.id).outerjoin(_ROW_PO, _ROW_PO.id == JobPOAssignment.po_id)
            .where(JobPOAssignment.job_id == JobOrder.id, JobPOAssignment.debtor_id == JobOrder.debtor_id,
                   JobPOAssignment.start_date <= day, end >= day))


def assigned_on_clause(day: date):
    """SQL for `assigned_on`, correlated to JobOrder."""
    return covering_rows(day).exists()


def gap_holds(day: date):
    """SQL: a job's kept gap (JobGap: the days it is active and has no PO or group of its current debtor,
    kept by triggers and held to `assigned_on` by tests/integration/test_job_gaps.py) holds `day`."""
    return JobGap.days.contains(cast(constant.day(day), Date))


def active_and_unassigned_on_clause(day: date):
    """SQL, correlated to JobOrder: the job is active on `day` and not assigned on it, read as one probe of
    its kept gaps (the job list's "unassigned" filter tested each job's assignment rows and their POs'
    ends: a debtor's 12,000 jobs 11 ms a page, now 2)."""
    return select(JobGap.job_id).where(JobGap.job_id == JobOrder.id, gap_holds(day)).exists()


def assigned_to_po_on_clause(day: date, po_id: int):
    """SQL: the job is assigned to this PO itself on `day`."""
    return covering_rows(day).where(JobPOAssignment.po_id == po_id).exists()
