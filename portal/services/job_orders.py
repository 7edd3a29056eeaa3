"""Job orders, with job security (seed 004): a user limited to branches sees only their jobs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from portal.domain.assignment import Target
from portal.models import Branch, Debtor, JobOrder, JobPOAssignment, User
from portal.services import audit, search
from portal.services.debtors import like_pattern
from portal.services.errors import NotFound, ValidationFailed
from portal.services.locks import locked
from portal.services.paging import Page, paginate


def visible(stmt: Select, user) -> Select:
    """Job security: limit any statement over JobOrder to the user's branches (if limited)."""
    branch_ids = user.branch_ids
    return stmt.where(JobOrder.branch_id.in_(branch_ids)) if branch_ids else stmt


def active_on_clause(day: date):
    return and_(JobOrder.start_date <= day, or_(JobOrder.discontinued_date.is_(None), JobOrder.discontinued_date >= day))


@dataclass(frozen=True)
class JobFilter:
    debtor_id: int | None = None
    q: str = ""
    active_only: bool = True
    as_of: date | None = None
    po_id: int | None = None
    unassigned: bool = False
    branch_id: int | None = None
    site: str = ""


def filtered(flt: JobFilter, user, today: date) -> Select:
    """The jobs a filter selects, limited by job security (also the bulk assignment selection)."""
    day = flt.as_of or today
    stmt = visible(select(JobOrder), user)
    if flt.debtor_id:
        stmt = stmt.where(JobOrder.debtor_id == flt.debtor_id)
    if flt.branch_id:
        stmt = stmt.where(JobOrder.branch_id == flt.branch_id)
    if flt.site.strip():
        stmt = stmt.where(JobOrder.site.ilike(like_pattern(flt.site.strip())))
    if flt.active_only:
        stmt = stmt.where(active_on_clause(day))
    if flt.q.strip():
        q = flt.q.strip()  # see portal/services/search.py for what matches
        stmt = stmt.where(or_(search.starts_with(JobOrder.number, q), search.words_match(JobOrder.title_words, q),
                              search.starts_with(JobOrder.po_reference, q)))
    covering = and_(JobPOAssignment.job_id == JobOrder.id, JobPOAssignment.start_date <= day,
                    or_(JobPOAssignment.manual_end.is_(None), JobPOAssignment.manual_end >= day))
    if flt.unassigned:
        stmt = stmt.where(~exists().where(covering))
    if flt.po_id:
        stmt = stmt.where(exists().where(covering, JobPOAssignment.po_id == flt.po_id))
    return stmt


def list_jobs(session: Session, user, flt: JobFilter, *, today: date, page: int = 1, per_page: int = 25) -> Page[JobOrder]:
    stmt = filtered(flt, user, today).order_by(JobOrder.number.desc())
    return paginate(session, stmt, page, per_page)


def get_job(session: Session, user, job_id: int, *, lock: bool = False) -> JobOrder:
    """The job, or NotFound when it does not exist or lies outside the user's branches."""
    job = locked(session, JobOrder, job_id) if lock else session.get(JobOrder, job_id)
    if job is None or (user.branch_ids and job.branch_id not in user.branch_ids):
        raise NotFound("No such job order.")
    return job


@dataclass(frozen=True)
class JobInput:
    title: str
    debtor_id: int | None
    branch_id: int | None
    start_date: date | None
    discontinued_date: date | None = None
    site: str = ""
    consultant_id: int | None = None
    po_reference: str = ""
    target: Target | None = None  # the PO or group chosen on the form


def _validate(session: Session, user, data: JobInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = ["Enter the job title."]
    elif len(data.title.strip()) > 200:
        errors["title"] = ["Use at most 200 characters."]
    if len(data.site) > 120:
        errors["site"] = ["Use at most 120 characters."]
    if data.start_date is None:
        errors["start_date"] = ["Enter the start date (YYYY-MM-DD)."]
    if data.start_date and data.discontinued_date and data.discontinued_date < data.start_date:
        errors["discontinued_date"] = ["The discontinued date must be on or after the start date."]
    if data.debtor_id is None or session.get(Debtor, data.debtor_id) is None:
        errors["debtor_id"] = ["Choose the debtor."]
    if data.branch_id is None or session.get(Branch, data.branch_id) is None or \
            (user.branch_ids and data.branch_id not in user.branch_ids):
        errors["branch_id"] = ["Choose one of your branches."]
    if data.consultant_id is not None and session.get(User, data.consultant_id) is None:
        errors["consultant_id"] = ["Choose a consultant from the list."]
    if len(data.po_reference.strip()) > 50:
        errors["po_reference"] = ["Use at most 50 characters."]
    return errors


def create_job(session: Session, user, data: JobInput, *, today: date) -> JobOrder:
    """A new job order. For a debtor that enforces POs a PO or group must be chosen (seed 003);
    otherwise one may be chosen, or a PO number typed on the fly (no budget: reporting only)."""
    from portal.services import assignments

    errors = _validate(session, user, data)
    debtor = session.get(Debtor, data.debtor_id) if data.debtor_id else None
    if debtor is not None and debtor.enforce_purchase_orders and data.target is None:
        errors.setdefault("po_choice", []).append(
            f"{debtor.code} enforces purchase orders: choose one of its POs or PO groups.")
    if debtor is not None and debtor.enforce_purchase_orders and data.po_reference.strip():
        errors.setdefault("po_reference", []).append(
            f"{debtor.code} enforces purchase orders: choose a PO instead of typing a number.")
    if data.target is not None and data.po_reference.strip():
        errors.setdefault("po_reference", []).append("Choose a PO or type a number, not both.")
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, user)
    job = JobOrder(title=data.title.strip(), debtor_id=data.debtor_id, branch_id=data.branch_id,
                   start_date=data.start_date, discontinued_date=data.discontinued_date, site=data.site.strip(),
                   consultant_id=data.consultant_id, po_reference=data.po_reference.strip() or None)
    session.add(job)
    session.flush()
    if data.target is not None:
        try:
            assignments.assign_new_job(session, job, data.target)
        except ValidationFailed:
            session.rollback()
            raise
    session.commit()
    return job


def update_job(session: Session, user, job_id: int, data: JobInput, *, expected_version: int | None = None) -> JobOrder:
    """Edit a job. A new debtor keeps the old assignments (shown under the old debtor, read-only)."""
    errors = _validate(session, user, data)
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, user)
    job = get_job(session, user, job_id, lock=True)
    audit.check_version(job, expected_version)
    debtor = session.get(Debtor, data.debtor_id)
    if data.po_reference.strip() and debtor.enforce_purchase_orders:
        session.rollback()
        raise ValidationFailed({"po_reference": [f"{debtor.code} enforces purchase orders: assign a PO instead."]})
    job.title, job.debtor_id, job.branch_id = data.title.strip(), data.debtor_id, data.branch_id
    job.start_date, job.discontinued_date, job.site = data.start_date, data.discontinued_date, data.site.strip()
    job.consultant_id, job.po_reference = data.consultant_id, data.po_reference.strip() or None
    session.commit()
    return job


