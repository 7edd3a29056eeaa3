"""Job PO assignments: the grid, assign and clear on an as-of date, job history (seed 004)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, contains_eager, lazyload

from portal.domain import assignment as assignment_rules, budget, formatting
from portal.domain.assignment import GroupInfo, POPeriod, Target
from portal.domain.po_edit import (CutEnd, JobSpan, POState, follow_extension, group_follows_extension,
                                  plan_po_edit)
from portal.models import (Debtor, Document, DocumentLine, DocumentType, JobOrder, JobPOAssignment, POBalance,
                           POGroup, PurchaseOrder)
from portal.services import audit, search
from portal.services.errors import Conflict, NotFound, ValidationFailed
from portal.services.job_visibility import active_on_clause, get_job, lock_jobs, may_see, visible
from portal.services.po_timeline import DebtorPOs, debtor_pos, timeline_of, to_value
from portal.services.paging import Page, paginate


def _write_timeline_change(session: Session, job: JobOrder, result: assignment_rules.Result,
                           source: str) -> None:
    """Write a timeline change to the job's assignment rows: deletions and ends first, so a new row never overlaps."""
    by_id = {r.id: r for r in session.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id == job.id))}
    for op in result.operations:  # deletions and ends first, so the new row never overlaps
        if isinstance(op, assignment_rules.Delete):
            session.delete(by_id[op.assignment_id])
        elif isinstance(op, assignment_rules.SetEnd):
            _set_end(by_id[op.assignment_id], op)
    session.flush()
    for op in result.operations:
        if isinstance(op, assignment_rules.Insert):
            a = op.assignment
            session.add(JobPOAssignment(job_id=job.id, debtor_id=job.debtor_id, start_date=a.start, source=source,
                                        po_id=None if a.target.is_group else a.target.id,
                                        group_id=a.target.id if a.target.is_group else None))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("Someone else changed this job's assignments at the same time; reload and try again.")


def _set_end(row: JobPOAssignment, op: assignment_rules.SetEnd) -> None:
    """Write an end to a row: what a shortening cut kept (po_edit.CutEnd) goes with any other end, so a PO's
    later extension never gives back an end since replaced."""
    row.manual_end, row.end_cause = op.manual_end, op.cause
    row.end_before_cut, row.cause_before_cut = (op.end_before, op.cause_before) if isinstance(op, CutEnd) else (
        None, None)


def _check_target(data: DebtorPOs, target: Target) -> None:
    """A job is assigned only to a PO or PO group of its own debtor."""
    if target.is_group and target.id not in data.groups or not target.is_group and target.id not in data.pos:
        raise NotFound("Choose a PO or PO group of the job's debtor.")


def assign(session: Session, user, job_id: int, target: Target, as_of: date, *, start: date | None = None,
           remove_future: bool | frozenset[int] = False, source: str = "manual") -> assignment_rules.Result:
    """Assign a PO or group to a job on the as-of date (seed 004); the job row is locked so two
    people changing one job's assignments apply one after the other. `remove_future`: the future assignments
    the user's confirmation listed (assignment_rules.confirmed_removal), removed only if they are still all."""
    audit.acting(session, user)
    job = get_job(session, user, job_id, lock=True)
    data = debtor_pos(session, job.debtor_id, values_only=True)  # the rules read periods, not PO rows
    _check_target(data, target)
    rows, timeline = timeline_of(session, job.id)
    try:
        _after_previous_debtors(rows, job, start or as_of)
        result = assignment_rules.assign(timeline, job.id, target, as_of, start=start, remove_future=remove_future,
                                         po=data.pos.get(target.id) if not target.is_group else None,
                                         group=data.groups.get(target.id) if target.is_group else None, source=source,
                                         pos=data.pos, groups=data.groups)
    except assignment_rules.AssignmentError:
        session.rollback()
        raise
    _write_timeline_change(session, job, result, source)
    session.commit()
    return result


def follow_earlier_start(session: Session, job: JobOrder, old_start: date) -> None:
    """An enforcing debtor's job whose start moves earlier (seed 003: every job of it is assigned): its first
    assignment, made from the old start, starts from the new one when its PO (or group) is valid then;
    otherwise the change is refused, naming why. A job of another debtor may have days without a PO."""
    new_start = job.start_date
    first = session.scalar(select(JobPOAssignment).where(
        JobPOAssignment.job_id == job.id, JobPOAssignment.debtor_id == job.debtor_id)
        .order_by(JobPOAssignment.start_date).limit(1))
    if first is None or not new_start < first.start_date <= old_start:
        return
    data = debtor_pos(session, job.debtor_id, values_only=True)
    target = Target("group", first.group_id) if first.group_id else Target("po", first.po_id)
    problem = assignment_rules.target_valid_on(target, new_start, data.pos.get(first.po_id),
                                               data.groups.get(first.group_id))
    if problem:
        raise ValidationFailed({"start_date": [
            f"{job.debtor.code} enforces purchase orders: the job's assignment would have to start on "
            f"{new_start.isoformat()}: {problem}"]})
    first.start_date = new_start


def _after_previous_debtors(rows, job: JobOrder, first_day: date) -> None:
    """Assignments made under the job's previous debtors are read-only (seed 004; no override skips it): a new
    one starts after the last day they cover, so it neither overlaps nor removes them."""
    held = [r.manual_end for r in rows if r.debtor_id != job.debtor_id]
    if not held:
        return
    if any(end is None for end in held):
        raise assignment_rules.AssignmentError(
            "An assignment made under the job's previous debtor has no end and is read-only: ask an administrator.")
    if first_day <= (last := max(held)):
        raise assignment_rules.AssignmentError(
            f"The job's assignments under its previous debtor run to {last.isoformat()} and are read-only: assign "
            f"it from {(last + assignment_rules.ONE_DAY).isoformat()} on.")


def clear(session: Session, user, job_id: int, as_of: date, *, replacement: Target | None = None) -> assignment_rules.Result:
    """End the job's assignment the day before the as-of date, or delete it on its start day; then
    assign `replacement` from the as-of date. A job of a debtor that enforces POs must get one (seed 003)."""
    audit.acting(session, user)
    job = get_job(session, user, job_id, lock=True)
    rows, timeline = timeline_of(session, job.id)
    data = debtor_pos(session, job.debtor_id, values_only=True)  # the rules read periods, not PO rows
    current = assignment_rules.current_on(timeline, as_of, data.pos, data.groups)
    if current is not None and next(r for r in rows if r.id == current.id).debtor_id != job.debtor_id:
        session.rollback()
        raise assignment_rules.AssignmentError("This assignment was made under the job's previous debtor and is read-only.")
    try:
        result = assignment_rules.clear(timeline, as_of, data.pos, data.groups)
        if replacement is None and assignment_rules.must_keep_po(job.debtor.enforce_purchase_orders, job.start_date,
                                                                 job.discontinued_date, as_of):
            raise assignment_rules.AssignmentError(assignment_rules.enforcement_refusal(job.debtor.code))
        if replacement is not None:
            _check_target(data, replacement)
            following = assignment_rules.assign(assignment_rules.apply(timeline, result), job.id, replacement, as_of,
                                                po=data.pos.get(replacement.id) if not replacement.is_group else None,
                                                group=data.groups.get(replacement.id) if replacement.is_group else None,
                                                pos=data.pos, groups=data.groups)
            result = assignment_rules.Result(result.operations + following.operations, following.notices)
    except (assignment_rules.AssignmentError, NotFound):
        session.rollback()
        raise
    _write_timeline_change(session, job, result, "manual")
    session.commit()
    return result


def assign_new_job(session: Session, job: JobOrder, target: Target, *, start: date | None = None) -> None:
    """The PO or group chosen when the job was created (or moved to another debtor), from the job's
    start date or `start` (or the first day the PO or group is valid, if later)."""
    data = debtor_pos(session, job.debtor_id, values_only=True)  # the rules read periods, not PO rows
    if target.is_group and target.id not in data.groups or not target.is_group and target.id not in data.pos:
        raise ValidationFailed({"po_choice": ["Choose a PO or PO group of this debtor."]})
    start = max(start or job.start_date, job.start_date)
    if target.is_group:
        group = data.groups[target.id]
        if group.po_on(start) is None and (upcoming := group.next_po_after(start)):
            start = upcoming.effective
    else:
        start = max(start, data.pos[target.id].effective)
    if job.discontinued_date and start > job.discontinued_date:
        raise ValidationFailed({"po_choice": ["That PO is not valid while the job is active."]})
    try:
        result = assignment_rules.assign([], job.id, target, start, po=data.pos.get(target.id) if not target.is_group else None,
                                         group=data.groups.get(target.id) if target.is_group else None, source="job_order")
    except assignment_rules.AssignmentError as exc:
        raise ValidationFailed({"po_choice": [str(exc)]})
    _write_timeline_change(session, job, result, "job_order")


def end_for_move(session: Session, job: JobOrder, old_debtor_id: int, day: date) -> None:
    """A job moving to another debtor on `day` keeps its old debtor's assignments, ended the day
    before (those starting later are removed): the new debtor's PO takes over from `day`. A row a shortened PO
    cut earlier keeps no end past the move for the PO's extension to give back."""
    last = day - assignment_rules.ONE_DAY
    for row in session.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id == job.id,
                                                             JobPOAssignment.debtor_id == old_debtor_id)):
        if row.start_date >= day:
            session.delete(row)
        elif row.manual_end is None or row.manual_end >= day:
            _set_end(row, assignment_rules.SetEnd(row.id, last, assignment_rules.END_MOVE))
        elif row.end_before_cut is not None and row.end_before_cut > last:
            row.end_before_cut, row.cause_before_cut = (
                (last, assignment_rules.END_MOVE) if row.manual_end < last else (None, None))
    session.flush()


@dataclass(frozen=True)
class GridRow:
    job: JobOrder
    assignment: JobPOAssignment | None
    po: POPeriod | None        # the PO shown (the group's PO valid on the as-of date)
    end: date | None
    reason: str
    next_date: date | None
    read_only: bool             # made under a previous debtor
    start: date | None


GRID_PAGE = 25


def grid(session: Session, user, debtor_id: int, as_of: date, *, active_only: bool = True, page: int = 1,
         per_page: int | None = None, job_id: int | None = None) -> Page[GridRow]:
    """Seed 004's Job PO Assignments grid for a debtor on the as-of date, one page of jobs at a time
    in a fixed number of queries (only the POs and groups the page's assignments name are read).
    `job_id`: that job's row only (a row redrawn after assigning or clearing in the grid).

    With "active jobs only" cleared it also shows jobs that have moved to another debtor but kept
    assignments under this one (read-only)."""
    per_page = per_page or GRID_PAGE
    jobs_page = paginate(session, grid_query(user, debtor_id, as_of, active_only=active_only, job_id=job_id),
                         page, per_page)
    out = grid_rows(session, list(jobs_page.items), debtor_id, as_of)
    return Page(out, jobs_page.total, jobs_page.page, per_page, jobs_page.more)


def grid_query(user, debtor_id: int, as_of: date, *, active_only: bool = True, job_id: int | None = None):
    """The grid's jobs (page and export), by number, limited by job security (`job_id`: that job only)."""
    stmt = visible(select(JobOrder), user)
    moved = select(JobPOAssignment.job_id).where(JobPOAssignment.debtor_id == debtor_id)
    if active_only:
        stmt = stmt.where(JobOrder.debtor_id == debtor_id, active_on_clause(as_of))
    else:
        stmt = stmt.where((JobOrder.debtor_id == debtor_id) | JobOrder.id.in_(moved))
    if job_id is not None:
        stmt = stmt.where(JobOrder.id == job_id)
    return stmt.order_by(JobOrder.number, JobOrder.id)


def grid_rows(session: Session, jobs: list[JobOrder], debtor_id: int | None, as_of: date) -> list[GridRow]:
    """Each job's assignment under this debtor (None: under each job's own debtor) on the as-of date,
    its end and reason: three queries for any number of jobs (the grid's page, an export's chunk, a
    job list's current PO)."""
    under = {j.id: debtor_id if debtor_id is not None else j.debtor_id for j in jobs}
    rows_by_job: dict[int, list[JobPOAssignment]] = {j.id: [] for j in jobs}
    if jobs:
        for row in session.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id.in_(list(rows_by_job)))
                                   .options(lazyload(JobPOAssignment.purchase_order))  # the page reads POPeriods
                                   .order_by(JobPOAssignment.start_date)):
            if row.debtor_id == under[row.job_id]:
                rows_by_job[row.job_id].append(row)
    named = [r for rows in rows_by_job.values() for r in rows]
    # the rules read the POs' periods, not their rows (a row shows the PO's number from its period)
    data = debtor_pos(session, debtor_id, po_ids={r.po_id for r in named if r.po_id},
                      group_ids={r.group_id for r in named if r.group_id}, values_only=True)
    out = []
    for job in jobs:
        rows = rows_by_job.get(job.id, [])
        timeline = [to_value(r) for r in rows]
        current = assignment_rules.current_on(timeline, as_of, data.pos, data.groups)
        row = next((r for r in rows if current and r.id == current.id), None)
        if current is not None:
            end, reason = assignment_rules.end_of(current, timeline, data.pos, data.groups, as_of)
            shown = assignment_rules.po_shown(current, as_of, data.pos, data.groups)
        else:
            end, reason, shown = None, "", None
            future = assignment_rules.future_after(timeline, as_of)
            if future:
                reason = f"Next assignment {future[0].start.isoformat()}"
        out.append(GridRow(job, row, shown, end, reason, assignment_rules.next_date(timeline, data.pos, data.groups, as_of),
                           job.debtor_id != under[job.id], current.start if current else None))
    return out


GRID_POS = 50


@dataclass(frozen=True)
class ValidPO:
    """A PO as the grid's side table lists it: values, not a tracked row with its debtor, group, balance
    and forecast joined (50 of those were 1.5 ms of the grid)."""

    id: int
    number: str
    group: str  # the PO group's description, "" when it is in none
    effective: date
    expiration: date
    description: str = ""  # the PO's own: what tells a split PO's twins apart


def valid_pos(session: Session, debtor_id: int, as_of: date, *, limit: int = GRID_POS,
              include: int | None = None) -> tuple[list[ValidPO], int]:
    """The debtor's POs valid on the as-of date by number (at most `limit`, plus `include` when it
    is one of them) and how many there are in all."""
    valid = [PurchaseOrder.debtor_id == debtor_id, PurchaseOrder.effective <= as_of, PurchaseOrder.expiration >= as_of]
    # how many there are rides on the statement that lists them (a subquery run once): one round trip
    total = select(func.count()).select_from(PurchaseOrder).where(*valid).correlate(None).scalar_subquery()
    first = [(PurchaseOrder.id == include).desc()] if include else []
    rows = session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, func.coalesce(POGroup.description, ""), PurchaseOrder.effective,
               PurchaseOrder.expiration, func.coalesce(PurchaseOrder.description, ""), total)
        .outerjoin(POGroup, POGroup.id == PurchaseOrder.group_id).where(*valid)
        .order_by(*first, PurchaseOrder.number_key, PurchaseOrder.id).limit(limit)).all()
    pos, total = [ValidPO(*row[:6]) for row in rows], rows[0][6] if rows else 0
    return sorted(pos, key=lambda p: p.number), total


@dataclass(frozen=True)
class HistoryRow:
    row: JobPOAssignment
    end: date | None
    reason: str
    current: bool = False


def job_history(session: Session, user, job_id: int, as_of: date) -> list[HistoryRow]:
    """Every assignment of a job over time, with its end and reason (seed 004's Job Details)."""
    job = get_job(session, user, job_id)
    rows, timeline = timeline_of(session, job.id)
    out = []
    for debtor_id in {r.debtor_id for r in rows}:
        # the POs and groups the job's rows name, with the groups' members, as values (as a page of the
        # grid reads them): a debtor's 1,000 PO rows were 20 ms of the job's page
        named = [r for r in rows if r.debtor_id == debtor_id]
        data = debtor_pos(session, debtor_id, po_ids={r.po_id for r in named if r.po_id},
                          group_ids={r.group_id for r in named if r.group_id}, values_only=True)
        own = [t for t, r in zip(timeline, rows) if r.debtor_id == debtor_id]
        current = assignment_rules.current_on(own, as_of, data.pos, data.groups) if debtor_id == job.debtor_id else None
        for value in own:
            end, reason = assignment_rules.end_of(value, own, data.pos, data.groups, as_of,
                                                  moved=debtor_id != job.debtor_id)
            out.append(HistoryRow(next(r for r in rows if r.id == value.id), end, reason,
                                  current is not None and current.id == value.id))
    return sorted(out, key=lambda h: h.row.start_date)


def current_po_numbers(session: Session, jobs, day: date) -> dict[int, str]:
    """Each listed job's PO on `day` (a group's PO of the day), for the job list: two queries per page.
    Assignments made under a job's previous debtor do not count; a PO past its expiration funds nothing."""
    jobs = list(jobs)
    if not jobs:
        return {}
    debtor_of = {j.id: j.debtor_id for j in jobs}
    rows = session.execute(
        select(JobPOAssignment.job_id, JobPOAssignment.debtor_id, JobPOAssignment.po_id, JobPOAssignment.group_id,
               PurchaseOrder.number, PurchaseOrder.expiration)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == JobPOAssignment.po_id)
        .where(JobPOAssignment.job_id.in_(list(debtor_of)), JobPOAssignment.start_date <= day,
               (JobPOAssignment.manual_end.is_(None)) | (JobPOAssignment.manual_end >= day))
        .order_by(JobPOAssignment.job_id, JobPOAssignment.start_date)).all()
    current = {r.job_id: r for r in rows if r.debtor_id == debtor_of[r.job_id]}  # the latest start wins
    group_ids = {r.group_id for r in current.values() if r.group_id}
    group_po = {}
    if group_ids:
        group_po = {g: n for g, n in session.execute(
            select(PurchaseOrder.group_id, PurchaseOrder.number).where(
                PurchaseOrder.group_id.in_(group_ids), PurchaseOrder.effective <= day, PurchaseOrder.expiration >= day))}
    out = {}
    for job_id, r in current.items():
        if r.group_id:
            if r.group_id in group_po:
                out[job_id] = group_po[r.group_id]
        elif r.number is not None and r.expiration >= day:
            out[job_id] = r.number
    return out


def target_names(session: Session, targets) -> dict[tuple[str, int], str]:
    """How users know assignment targets: ("po", 18) -> "PO P3", ("group", 2) -> "group Cleaning"."""
    po_ids = {t.id for t in targets if not t.is_group}
    group_ids = {t.id for t in targets if t.is_group}
    names: dict[tuple[str, int], str] = {}
    if po_ids:
        names |= {("po", i): f"PO {n}" for i, n in session.execute(
            select(PurchaseOrder.id, PurchaseOrder.number).where(PurchaseOrder.id.in_(po_ids)))}
    if group_ids:
        names |= {("group", i): f"group {d}" for i, d in session.execute(
            select(POGroup.id, POGroup.description).where(POGroup.id.in_(group_ids)))}
    return names


def offer_with_remaining(session: Session, debtor_id: int,
                         as_of: date) -> tuple[list[tuple[POPeriod, Decimal]], list[GroupInfo]]:
    """`offer_names` with each PO's Net Remaining (the job form's picker): values, one more query. As rows,
    a debtor's 1,000 POs with their balances, forecasts, lines and types were 250 ms of the form."""
    pos, groups = offer_names(session, debtor_id, as_of)
    if not pos:
        return [], groups
    P, B = PurchaseOrder, POBalance
    # the same POs as `offer_names` lists (the debtor's, valid on the day), by the debtor's index: a list
    # of 1,000 ids was 1,000 parameters to compile and send
    left = {r.id: budget.Balance.of(r.amount, r if r.used is not None else None).net_remaining
            for r in session.execute(select(P.id, P.amount, B.used, B.commitments, B.estimates)
                                     .outerjoin(B, B.po_id == P.id)
                                     .where(P.debtor_id == debtor_id, P.effective <= as_of, P.expiration >= as_of))}
    return [(p, left[p.po_id]) for p in pos if p.po_id in left], groups  # one changed in between: left out


PICKER_OPTIONS = 40  # more POs than this valid on the day: the job form lists this many and a search finds others


@dataclass(frozen=True)
class PickerOffer:
    """What the job form's picker lists: POs with their Net Remaining, the offerable groups, and how many
    POs are valid on the day in all (`total` > len(`pos`): the form shows a search for the others)."""

    pos: list[tuple[POPeriod, Decimal | None]]
    groups: list[GroupInfo]
    total: int


def picker_offer(session: Session, debtor_id: int, as_of: date, *, q: str = "", chosen: Target | None = None,
                 limit: int = PICKER_OPTIONS, with_remaining: bool = True) -> PickerOffer:
    """The job form's picker: every PO valid on the day (`offer_with_remaining`) when there are at most
    `limit`; otherwise the first `limit` by number among those whose number starts with `q` (or whose
    description has words starting with its words: the PO list's search), plus the `chosen` PO so a
    form shown again keeps it. A debtor's 1,000 POs were a 68 KB form; now one indexed page of them.
    Without `with_remaining` each PO's remaining is None (and not read)."""
    P, B = PurchaseOrder, POBalance
    valid = (P.debtor_id == debtor_id, P.effective <= as_of, P.expiration >= as_of)
    total = session.scalar(select(func.count()).select_from(P).where(*valid))
    if total <= limit and not q.strip():
        if not with_remaining:
            pos, groups = offer_names(session, debtor_id, as_of)
            return PickerOffer([(p, None) for p in pos], groups, total)
        pos, groups = offer_with_remaining(session, debtor_id, as_of)
        return PickerOffer(pos, groups, total)
    offered = select(P.id, P.number, P.effective, P.expiration, P.group_id, P.description)
    if with_remaining:
        offered = offered.add_columns(P.amount, B.used, B.commitments, B.estimates).outerjoin(B, B.po_id == P.id)
    offered = offered.where(*valid)
    stmt = offered.where(search.po_matches(q)) if q.strip() else offered
    rows = session.execute(stmt.order_by(P.number_key, P.id).limit(limit)).all()
    if chosen is not None and not chosen.is_group and chosen.id not in {r.id for r in rows}:
        rows += session.execute(offered.where(P.id == chosen.id)).all()  # kept (only if valid for this debtor)
    pos = [(POPeriod(r.id, r.number, r.effective, r.expiration, r.group_id, r.description or ""),
            budget.Balance.of(r.amount, r if r.used is not None else None).net_remaining if with_remaining else None)
           for r in rows]
    group_ids = set(session.scalars(select(POGroup.id).where(POGroup.debtor_id == debtor_id)))
    groups = []
    if group_ids:  # the groups with their member POs only, not the debtor's other POs
        data = debtor_pos(session, debtor_id, po_ids=set(), group_ids=group_ids, values_only=True)
        groups = assignment_rules.offerable_groups(sorted(data.groups.values(), key=lambda g: g.description))
    return PickerOffer(pos, groups, total)


def panel_offer(session: Session, user, job: JobOrder, history: list[HistoryRow], as_of: date, *, q: str = "",
                chosen: Target | None = None, limit: int | None = None) -> PickerOffer:
    """What a job's panel offers to assign, read only where the panel shows a picker: to a user who may
    assign, when the job has no current PO, or to replace it under a debtor that enforces POs. Like the
    job form's picker (`picker_offer`): past `limit` POs valid on the day, those matching `q` and the
    one `chosen`. Net Remaining is not read (the panel names POs by number and dates)."""
    if not user.can("assignments", "add_edit") or (any(h.current for h in history)
                                                   and not job.debtor.enforce_purchase_orders):
        return PickerOffer([], [], 0)
    return picker_offer(session, job.debtor_id, as_of, q=q, chosen=chosen, with_remaining=False,
                        limit=PICKER_OPTIONS if limit is None else limit)


def offer_names(session: Session, debtor_id: int, as_of: date) -> tuple[list[POPeriod], list[GroupInfo]]:
    """What may be assigned on the as-of date, as values (what the grid's, a job's and the bulk pickers name):
    the POs valid then by number, and the active groups with at least one PO; no PO rows built."""
    data = debtor_pos(session, debtor_id, valid_on=as_of, values_only=True)
    pos = sorted((p for p in data.pos.values() if p.valid_on(as_of)), key=lambda p: p.number)
    return pos, assignment_rules.offerable_groups(sorted(data.groups.values(), key=lambda g: g.description))


@dataclass(frozen=True)
class StartChoice:
    po: POPeriod | None          # the PO the assignment starts on (a group's PO of the as-of date)
    group: GroupInfo | None
    options: dict[str, date]     # seed 004's start-date prompt; empty: no question to ask


def start_choice(pos: list[POPeriod], groups: list[GroupInfo], target: Target | None, as_of: date) -> StartChoice:
    """Whether assigning `target` (out of `offer_names`' POs and groups) on the as-of date asks for the start
    date: when its PO's effective date is not the as-of date. A group starts on its PO of the day, and
    that PO gets the same prompt as a PO chosen itself."""
    po = group = None
    if target is not None and target.is_group:
        group = next((g for g in groups if g.id == target.id), None)
        po = group.po_on(as_of) if group else None
    elif target is not None:
        po = next((p for p in pos if p.po_id == target.id), None)
    options = assignment_rules.start_date_options(po, as_of) if po and po.effective != as_of else {}
    return StartChoice(po, group, options)


@dataclass(frozen=True)
class StartQuestion:
    """Seed 004's start-date prompt where a row assigns (the grid): the question and its choices by label."""

    text: str
    options: dict[str, date]


def start_question(session: Session, user, job_id: int, target: Target, as_of: date) -> StartQuestion | None:
    """Seed 004's start-date prompt for assigning `target` to the job on the as-of date from a grid row (its
    choices: the PO's effective date, the as-of date; a day between on the job's page); None when the PO
    starts on the as-of date."""
    job = get_job(session, user, job_id)
    pos, groups = offer_names(session, job.debtor_id, as_of)
    choice = start_choice(pos, groups, target, as_of)
    if not choice.options:
        return None
    whose = (f"Group {choice.group.description} starts on PO {choice.po.number}, which is" if choice.group
             else f"PO {choice.po.number} is")
    return StartQuestion(f"{whose} valid from {choice.po.effective.isoformat()}: when does the assignment start? "
                         "(A day between: on the job's page.)",
                         {{"effective": "the PO's effective date", "as_of": "the as-of date"}[k]: d
                          for k, d in choice.options.items()})


def of_po(session: Session, user, po_id: int, limit: int = 500) -> list[JobPOAssignment]:
    """Assignments made to a PO itself, limited by job security (one query, jobs joined)."""
    stmt = visible(select(JobPOAssignment).join(JobPOAssignment.job).options(contains_eager(JobPOAssignment.job)),
                   user).where(JobPOAssignment.po_id == po_id)
    return list(session.scalars(stmt.order_by(JobPOAssignment.start_date).limit(limit)))


def _next_starts(session: Session, rows: list[JobPOAssignment], expiration: date) -> dict[int, date]:
    """For each row ended on `expiration`, the start of its job's next row under the same debtor (one query)."""
    ending = [r.id for r in rows if r.manual_end == expiration]
    if not ending:
        return {}
    later = aliased(JobPOAssignment)
    return dict(session.execute(
        select(JobPOAssignment.id, func.min(later.start_date))
        .join(later, and_(later.job_id == JobPOAssignment.job_id, later.debtor_id == JobPOAssignment.debtor_id,
                          later.start_date > JobPOAssignment.start_date))
        .where(JobPOAssignment.id.in_(ending)).group_by(JobPOAssignment.id)).all())


def apply_po_edit_steps(session: Session, po: PurchaseOrder, before, after, actor, confirmed: bool) -> list[str]:
    """Seed 004's steps 1–4 when a PO's dates or group change (skipped with po_override_validations),
    and the jobs its group would leave with no PO (asked, or refused for an enforcing debtor)."""
    if (before.effective, before.expiration, before.group_id) == (after.effective, after.expiration, after.group_id):
        return []
    groups = [g for g in (before.group_id, after.group_id) if g]
    lock_jobs(session, JobOrder.id.in_(select(JobPOAssignment.job_id).where(  # before reading their rows
        or_(JobPOAssignment.po_id == po.id, JobPOAssignment.group_id.in_(groups)))))
    rows = list(session.scalars(select(JobPOAssignment).where(JobPOAssignment.po_id == po.id)))
    bill = session.execute(
        select(func.min(func.coalesce(Document.bill_from, Document.doc_date)),
               func.max(func.coalesce(Document.bill_to, Document.doc_date)))
        .join(DocumentType, DocumentType.id == Document.document_type_id)
        .where(Document.status == "posted", DocumentType.bucket == "used",
               Document.id.in_(select(DocumentLine.document_id).where(DocumentLine.po_id == po.id)))).one()
    bill_dates = [d for d in bill if d is not None]
    group_size = session.scalar(select(func.count()).select_from(PurchaseOrder).where(
        PurchaseOrder.group_id == before.group_id)) if before.group_id else 0
    group_rows = list(session.scalars(select(JobPOAssignment).where(
        JobPOAssignment.group_id == before.group_id))) if before.group_id else []
    spans = {j.id: JobSpan(j.start_date, j.discontinued_date) for j in session.scalars(
        select(JobOrder).where(JobOrder.id.in_({r.job_id for r in rows + group_rows})))} if rows or group_rows else {}
    group = session.get(POGroup, before.group_id) if before.group_id else None
    debtor = session.get(Debtor, po.debtor_id)
    states = POState(before.effective, before.expiration, before.group_id), POState(
        after.effective, after.expiration, after.group_id)
    extended_from, drawn = _shortened_back(session, po, before, after) if group_rows else (None, frozenset())
    kept = {r.id: (r.end_before_cut, r.cause_before_cut) for r in rows if r.end_before_cut is not None}
    plan = plan_po_edit(*states, [to_value(r) for r in rows],
                        bill_dates, group_size_before=group_size or 0,
                        can_override=actor.can("po_override_validations"), confirmed=confirmed,
                        group_assignments=[to_value(r) for r in group_rows], jobs=spans,
                        group_name=group.description if group else "",
                        enforcing_debtor=debtor.code if debtor.enforce_purchase_orders else None,
                        extended_from=extended_from, drawn=drawn, kept_ends=kept)
    if plan.errors:
        raise ValidationFailed(plan.errors)
    if plan.confirmations:
        raise Conflict(" ".join(plan.confirmations))
    by_id = {r.id: r for r in rows} | {r.id: r for r in group_rows}
    removed, ended = [], []
    extended = follow_extension(*states, [to_value(r) for r in rows], _next_starts(session, rows, before.expiration),
                                kept)
    extended += _group_follows(session, po, states, group_rows)
    for op in [*plan.operations, *extended]:
        if isinstance(op, assignment_rules.Delete):
            removed.append(by_id[op.assignment_id])
            session.delete(by_id[op.assignment_id])
        elif isinstance(op, assignment_rules.SetEnd):
            ended.append((by_id[op.assignment_id], op.manual_end))
            _set_end(by_id[op.assignment_id], op)
    said = list(plan.notices)
    jobs = {j.id: j for j in session.scalars(select(JobOrder).where(
        JobOrder.id.in_({r.job_id for r in removed} | {r.job_id for r, _ in ended})).options(
        lazyload(JobOrder.debtor), lazyload(JobOrder.branch)))} if removed or ended else {}
    for to, changed in ((f"PO {po.number}", [(r, end) for r, end in ended if r.group_id is None]),
                        (f"group {group.description if group else ''}", [(r, e) for r, e in ended if r.group_id])):
        if changed:  # say what changed, job by job (a shortened PO ends or removes assignments)
            said.append(f"{formatting.plural(len(changed), 'job assignment')} to {to} now "
                        f"{formatting.verb(len(changed), 'ends', 'end')}: " + _jobs_listed(
                            actor, jobs, [(r.job_id, f"on {end.isoformat()}") for r, end in changed]) + ".")
    if removed:
        said.append(f"{formatting.plural(len(removed), 'job assignment')} to PO {po.number} starting after the new "
                    f"dates {formatting.verb(len(removed), 'was', 'were')} removed: " + _jobs_listed(
                        actor, jobs, [(r.job_id, f"(from {r.start_date.isoformat()})") for r in removed]) + ".")
    return said


def _shortened_back(session: Session, po: PurchaseOrder, before, after) -> tuple[date | None, frozenset[int]]:
    """For a group PO whose expiration moves earlier: the earliest expiration its history shows it had, when
    earlier than its current one (the days after it only an extension funded; None otherwise), and the jobs
    that documents not voided drew on the PO for on the days cut after it (po_edit.group_jobs_left_without_po)."""
    if before.group_id is None or after.group_id != before.group_id or after.expiration >= before.expiration:
        return None, frozenset()
    had = audit.values_had(session, PurchaseOrder.__tablename__, po.id, "expiration")
    earliest = min((date.fromisoformat(d) for d in had if isinstance(d, str)), default=None)
    if earliest is None or earliest >= before.expiration:
        return None, frozenset()
    first_cut = max(after.expiration, earliest) + assignment_rules.ONE_DAY
    drawn = session.scalars(
        select(DocumentLine.job_id).distinct().join(Document, Document.id == DocumentLine.document_id)
        .where(DocumentLine.po_id == po.id, DocumentLine.job_id.is_not(None), Document.status != "void",
               func.coalesce(DocumentLine.service_date, Document.doc_date).between(first_cut, before.expiration)))
    return earliest, frozenset(drawn)


def _group_follows(session: Session, po: PurchaseOrder, states, group_rows: list[JobPOAssignment]):
    """The group's rows closed on this PO's old expiration that follow its extension
    (po_edit.group_follows_extension), as SetEnd operations; the group's other POs' expirations are read to tell
    whether this PO was the group's last."""
    before, after = states
    if not group_rows or after.expiration <= before.expiration or after.group_id != before.group_id:
        return []
    others = list(session.scalars(select(PurchaseOrder.expiration).where(
        PurchaseOrder.group_id == before.group_id, PurchaseOrder.id != po.id)))
    return group_follows_extension(before, after, [to_value(r) for r in group_rows],
                                   _next_starts(session, group_rows, before.expiration), others)


def _jobs_listed(user, jobs: dict[int, JobOrder], items: list[tuple[int, str]], limit: int = 20) -> str:
    """A PO edit's list of the assignments it changed (`items`: each one's job and what is said of it),
    naming only the jobs the user may see (job security) and counting the others: "J1 on 2026-06-30
    and 1 job order of another branch"."""
    seen = {job_id for job_id, job in jobs.items() if may_see(user, job)}
    shown = [f"{jobs[job_id].number} {said}" for job_id, said in items if job_id in seen]
    hidden = len({job_id for job_id, _ in items if job_id not in seen})
    listed = ", ".join(shown[:limit]) + (" …" if len(shown) > limit else "")
    if not hidden:
        return listed
    others = f"{formatting.plural(hidden, 'job order')} of {'another branch' if hidden == 1 else 'other branches'}"
    return f"{listed} and {others}" if listed else others
