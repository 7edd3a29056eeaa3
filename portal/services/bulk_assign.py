"""Bulk assignment of a debtor's jobs to a PO or group (seed 003), set-based.

The request carries the job filter plus exclusions (or an explicit inclusion list), never 10,000
ids. Preview and apply each run a fixed number of SQL statements whatever the number of jobs:
the skip reasons are one CASE expression. Applying reads each job's reason once, and writes the
assignments and their audit rows by a single INSERT … SELECT over that one array of job ids, with
a data-modifying CTE.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import Integer, and_, any_, case, exists, func, insert, literal, or_, select, type_coerce, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain import assignment as assignment_rules
from portal.domain.assignment import Target
from portal.domain.formatting import plural
from portal.models import AuditEntry, Branch, JobOrder, JobPOAssignment
from portal.services import audit
from portal.services.errors import Conflict, NotFound, ValidationFailed
from portal.services.job_orders import JobFilter, filtered
from portal.services.job_visibility import assigned_on_clause, lasting_end_sql, lock_jobs
from portal.services.po_timeline import debtor_pos

MAX_LISTED_IDS = 10_000
REASONS = ("not active on the date", "discontinued before the date", "already assigned on the date",
           "has future assignments", "held by its previous debtor on the date")


@dataclass(frozen=True)
class Selection:
    flt: JobFilter
    excluded: frozenset[int] = frozenset()
    included: frozenset[int] | None = None  # "select some": only these (still within the filter)


@dataclass(frozen=True)
class Preview:
    to_assign: int
    skipped: dict[str, int]
    examples: list[tuple[str, str, str]] = field(default_factory=list)  # (job number, title, reason)
    target_problem: str | None = None
    seal: str = ""  # what it promised (domain.assignment.preview_seal), for the Assign button to carry

    @property
    def skipped_count(self) -> int:
        """How many jobs it skips, whatever the reason."""
        return sum(self.skipped.values())

    @property
    def total(self) -> int:
        """Every job the bulk assignment looked at: those it will assign plus those it skips."""
        return self.to_assign + self.skipped_count


@dataclass(frozen=True)
class Outcome:
    assigned: list[tuple[str, str, int | None]]  # (job number, title, job id) for the summary's links
    preview: Preview

    @property
    def count(self) -> int:
        """How many jobs were assigned: those listed, or the preview's count when one summary row stands for them."""
        return len(self.assigned) if self.assigned and self.assigned[0][1] else self.preview.to_assign


def _reason(day: date):
    """Why a job is skipped on `day` (the first that applies): not started, discontinued, assigned, assigned later,
    or still under its previous debtor's (read-only) assignments."""
    future = and_(JobPOAssignment.job_id == JobOrder.id, JobPOAssignment.start_date > day)
    # a job moved from another debtor keeps that debtor's assignments, read-only, to the day before the move
    held = and_(JobPOAssignment.job_id == JobOrder.id, JobPOAssignment.debtor_id != JobOrder.debtor_id,
                or_(JobPOAssignment.manual_end.is_(None), JobPOAssignment.manual_end >= day))
    return case(
        (JobOrder.start_date > day, literal(REASONS[0])),
        (and_(JobOrder.discontinued_date.is_not(None), JobOrder.discontinued_date < day), literal(REASONS[1])),
        (assigned_on_clause(day), literal(REASONS[2])),
        (exists().where(future), literal(REASONS[3])),
        (exists().where(held), literal(REASONS[4])),
        else_=literal(None),
    ).label("reason")


def _selected(user, selection: Selection, today: date):
    """The jobs a bulk assignment covers: the filter's (one debtor), less those unticked or only those ticked."""
    if len(selection.excluded) > MAX_LISTED_IDS or (selection.included and len(selection.included) > MAX_LISTED_IDS):
        raise ValidationFailed({"": [f"Select at most {MAX_LISTED_IDS:,} jobs by hand; use the filter for more."]})
    if selection.flt.debtor_id is None:
        raise ValidationFailed({"debtor_id": ["Choose the debtor."]})
    # without "active on the start date only", inactive jobs stay in and the skip reasons name them
    stmt = filtered(selection.flt, user, today)
    if selection.excluded:
        stmt = stmt.where(JobOrder.id.not_in(selection.excluded))
    if selection.included is not None:
        stmt = stmt.where(JobOrder.id.in_(selection.included or {0}))
    return stmt


LISTED = 100  # jobs listed for ticking at a time; "Show more" lists the next ones after the last number


@dataclass(frozen=True)
class ListedJob:
    """A job as the bulk page lists it for ticking: values, not a tracked row (rows loaded, then detached
    from the session so applying could commit, were 10 ms of the page for the biggest debtor)."""

    id: int
    number: str
    title: str
    branch_code: str
    site: str
    start_date: date
    discontinued_date: date | None

    def active_on(self, day: date) -> bool:
        """Between its start date and its discontinued date on `day` (as JobOrder.active_on)."""
        return assignment_rules.job_active_on(self.start_date, self.discontinued_date, day)


@dataclass(frozen=True)
class Listed:
    """A stretch of the jobs the filter matches, by number: `more` when jobs follow its last one."""

    jobs: list[ListedJob]
    more: bool

    @property
    def last_number(self) -> str | None:
        """Where the next stretch starts (after this number)."""
        return self.jobs[-1].number if self.jobs else None


def listed(session: Session, user, flt: JobFilter, today: date, after: str | None = None) -> Listed:
    """The jobs the filter matches, for ticking: the first LISTED by number, or the LISTED after `after`
    (keyset on the unique job number, so a stretch far down the list costs what the first does)."""
    stmt = (_selected(user, Selection(flt), today)
            .with_only_columns(JobOrder.id, JobOrder.number, JobOrder.title, Branch.code, JobOrder.site,
                               JobOrder.start_date, JobOrder.discontinued_date)
            .join_from(JobOrder, Branch, Branch.id == JobOrder.branch_id).order_by(JobOrder.number)
            .limit(LISTED + 1))
    if after is not None:
        stmt = stmt.where(JobOrder.number > after)
    rows = [ListedJob(*row) for row in session.execute(stmt)]
    return Listed(rows[:LISTED], len(rows) > LISTED)


def _target_problem(session: Session, debtor_id: int, target: Target, day: date) -> str | None:
    """Why the PO or group cannot take jobs from `day` (None: it can); NotFound unless it is the debtor's."""
    data = debtor_pos(session, debtor_id, values_only=True)  # periods, not PO rows
    if target.is_group and target.id not in data.groups or not target.is_group and target.id not in data.pos:
        raise NotFound("Choose a PO or PO group of this debtor.")
    return assignment_rules.target_valid_on(target, day, data.pos.get(target.id), data.groups.get(target.id))


def preview(session: Session, user, selection: Selection, target: Target, day: date, *, today: date,
            examples: int = 50) -> Preview:
    """How many jobs would be assigned, and which are skipped and why (two statements, three with skips), sealed
    with the digest of the jobs it would assign (`apply` with the seal assigns only those)."""
    problem = _target_problem(session, selection.flt.debtor_id, target, day)
    jobs = _selected(user, selection, today).subquery()
    reason = _reason(day)
    base = select(JobOrder.id, JobOrder.number, JobOrder.title, reason).join(jobs, jobs.c.id == JobOrder.id).subquery()
    ids_md5 = func.md5(func.array_to_string(func.array_agg(aggregate_order_by(base.c.id, base.c.id)), ","))
    rows = session.execute(select(base.c.reason, func.count(), ids_md5).group_by(base.c.reason)).all()
    counts = {r[0]: r[1] for r in rows}
    seal = assignment_rules.preview_seal(next((r[2] for r in rows if r[0] is None),
                                              assignment_rules.jobs_digest([])), target, day)
    to_assign = counts.pop(None, 0)
    sample = session.execute(select(base.c.number, base.c.title, base.c.reason).where(base.c.reason.is_not(None))
                             .order_by(base.c.number).limit(examples)).all() if counts else []
    if problem:
        counts = {"PO not valid on the date": to_assign + sum(counts.values())}
        to_assign = 0
    return Preview(to_assign, counts, [tuple(r) for r in sample], problem, seal)


def _decided(session: Session, user, selection: Selection, target: Target, day: date, today: date,
             examples: int = 50) -> tuple[list[int], Preview]:
    """The ids of the selected jobs nothing skips, and the preview's summary of them all (sealed as the preview
    is): each job's skip reason read once (one statement), so writing does not work out the reasons again."""
    jobs = _selected(user, selection, today).subquery()
    rows = session.execute(select(JobOrder.id, JobOrder.number, JobOrder.title, _reason(day))
                           .join(jobs, jobs.c.id == JobOrder.id).order_by(JobOrder.number)).all()
    skipped = [r for r in rows if r.reason is not None]
    counts: dict[str, int] = {}
    for r in skipped:
        counts[r.reason] = counts.get(r.reason, 0) + 1
    eligible = [r.id for r in rows if r.reason is None]
    seal = assignment_rules.preview_seal(assignment_rules.jobs_digest(eligible), target, day)
    return eligible, Preview(len(eligible), counts, [(r.number, r.title, r.reason) for r in skipped[:examples]],
                             seal=seal)


def _close_expired(session: Session, user, job_ids, day: date, now: datetime) -> None:
    """Open-ended rows whose PO expired before `day` no longer hold their job (domain: lasting_end):
    end them at that expiration, as assigning one job does, so the new row never overlaps (one statement)."""
    end = lasting_end_sql()
    closed = (update(JobPOAssignment)
              .where(JobPOAssignment.job_id == any_(job_ids), JobPOAssignment.manual_end.is_(None),
                     JobPOAssignment.start_date <= day, end < day)
              .values(manual_end=end, end_cause=assignment_rules.END_EXPIRY, changed_by_id=user.id,
                      changed_at=now, row_version=JobPOAssignment.row_version + 1)
              .returning(JobPOAssignment.id, JobPOAssignment.job_id, JobPOAssignment.manual_end)
              .cte("closed"))
    changes = type_coerce(func.jsonb_build_object(
        "manual_end", func.jsonb_build_array(None, func.to_char(closed.c.manual_end, "YYYY-MM-DD")),
        "end_cause", func.jsonb_build_array(None, assignment_rules.END_EXPIRY)), JSONB)
    session.execute(insert(AuditEntry).from_select(
        ["actor_id", "entity_type", "entity_id", "scope_type", "scope_id", "action", "summary", "changes", "at"],
        select(literal(user.id), literal("job_po_assignments"), closed.c.id, literal("job_orders"), closed.c.job_id,
               literal("update"), literal(f"ended at its PO's expiration (bulk assignment from {day.isoformat()})"),
               changes, literal(now)).select_from(closed)))


def apply(session: Session, user, selection: Selection, target: Target, day: date, *, today: date,
          seal: str | None = None) -> Outcome:
    """Assign every selected job that nothing skips, with its audit row, in one INSERT … SELECT. With a preview's
    `seal`, only when the jobs to assign, the target and the day are still the ones that preview showed."""
    problem = _target_problem(session, selection.flt.debtor_id, target, day)
    if problem:
        raise ValidationFailed({"target": [problem]})
    job_ids, summary = _decided(session, user, selection, target, day, today)
    if seal and seal != summary.seal:
        raise Conflict("The jobs to assign, the PO or the date changed since the preview (now "
                       f"{plural(len(job_ids), 'job')} from {day.isoformat()}): nothing was assigned. "
                       "Preview again, then assign.")
    if not job_ids:
        raise ValidationFailed({"": ["No job in the selection can be assigned on that date."]})
    audit.acting(session, user)
    now = datetime.now(timezone.utc)
    ids = literal(job_ids, ARRAY(Integer))
    lock_jobs(session, JobOrder.id == any_(ids))  # as one job's change locks it (and in the gaps' order)
    _close_expired(session, user, ids, day, now)
    po_id, group_id = (None, target.id) if target.is_group else (target.id, None)
    inserted = (
        insert(JobPOAssignment)
        .from_select(
            ["job_id", "debtor_id", "po_id", "group_id", "start_date", "source", "created_by_id", "changed_by_id",
             "created_at", "changed_at", "row_version"],
            select(JobOrder.id, JobOrder.debtor_id, literal(po_id, JobPOAssignment.po_id.type),
                   literal(group_id, JobPOAssignment.group_id.type), literal(day), literal("bulk"),
                   literal(user.id), literal(user.id), literal(now), literal(now), literal(1))
            .where(JobOrder.id == any_(ids)),
        )
        .returning(JobPOAssignment.id, JobPOAssignment.job_id)
        .cte("inserted")
    )
    changes = literal({"start_date": ["", day.isoformat()], "po_id": [None, po_id], "group_id": [None, group_id],
                       "source": [None, "bulk"]}, JSONB)  # the same for every row: built once
    audit_rows = (
        insert(AuditEntry)
        .from_select(["actor_id", "entity_type", "entity_id", "scope_type", "scope_id", "action", "summary",
                      "changes", "at"],
                     select(literal(user.id), literal("job_po_assignments"), inserted.c.id, literal("job_orders"),
                            inserted.c.job_id, literal("create"), literal(f"bulk assignment from {day.isoformat()}"),
                            changes, literal(now)).select_from(inserted))
        .returning(AuditEntry.scope_id)
    )
    try:
        assigned_ids = [r[0] for r in session.execute(audit_rows)]
        assigned = session.execute(select(JobOrder.number, JobOrder.title, JobOrder.id)
                                   .where(JobOrder.id.in_(assigned_ids))
                                   .order_by(JobOrder.number)).all() if len(assigned_ids) <= 2000 else \
            [(f"{len(assigned_ids)} jobs", "", None)]
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Some of these jobs were assigned by someone else meanwhile; preview again and retry.")
    return Outcome([tuple(r) for r in assigned], summary)
