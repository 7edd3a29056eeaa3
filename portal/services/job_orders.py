"""Job orders, with job security (seed 004): a user limited to branches sees only their jobs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import Select, and_, distinct, false, func, or_, select
from sqlalchemy.orm import Session

from portal.domain.assignment import Target, enforcement_refusal, must_keep_po
from portal.domain.funding import typed_po_refusal
from portal.models import Branch, Debtor, DocumentType, JobOrder, JobPOAssignment, Role, User, user_branches, user_roles
from portal.services import audit, search, statement_constants as constant
from portal.services.debtors import DebtorOption, all_debtors, inactive_problem, like_pattern
from portal.services import assignments, typed_numbers
from portal.services.errors import ValidationFailed
from portal.services.job_visibility import (active_and_unassigned_on_clause, active_on_clause, assigned_on_clause,
                                           assigned_to_po_on_clause, branch_limit, get_job, visible)
from portal.services.paging import Page, paginate, window_edge


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
    return _filtered(flt, _limit(user), today)


def _limit(user) -> tuple[int, ...] | None:
    """The user's branch limit as a key of the statements built once per worker (None: every branch)."""
    limit = branch_limit(user)
    return tuple(sorted(limit)) if limit else None


@lru_cache(maxsize=256)
def _filtered(flt: JobFilter, limit: tuple[int, ...] | None, today: date, *, walked: bool = False) -> Select:
    """`filtered` for a branch limit: built once per worker for the same filter, limit and day (a statement is
    never changed, only copied; building them and their cache keys was a tenth of a job search's calls).
    `walked`: the search tested on each job of a walk down the number index (a search's window), not looked
    up in the search's own indexes: ANDed with the window's 500 numbers, the title words' index still
    gathered every match of a common word first ("weld": 5,000 jobs, 1 ms, twice a page)."""
    day = flt.as_of or today
    stmt = select(JobOrder)
    if limit:
        stmt = stmt.where(JobOrder.branch_id.in_(limit))  # job security (job_visibility.visible)
    if flt.debtor_id:
        stmt = stmt.where(JobOrder.debtor_id == constant.key(flt.debtor_id))
    if flt.branch_id:
        stmt = stmt.where(JobOrder.branch_id == flt.branch_id)
    if flt.site.strip():
        stmt = stmt.where(JobOrder.site.ilike(like_pattern(flt.site.strip())))
    if flt.active_only:
        stmt = stmt.where(active_on_clause(day))
    if flt.q.strip():
        q = flt.q.strip()  # see portal/services/search.py for what matches
        # one OR: PostgreSQL ORs the three indexes' bitmaps and reads each matching job once
        # (jobs_query keeps it from walking the number index instead)
        matches = or_(search.job_matches(q), search.starts_with(JobOrder.po_reference, q))
        stmt = stmt.where(func.coalesce(matches, false()) if walked else matches)
    if flt.unassigned:
        # active and unassigned: one probe of the job's kept gaps; with inactive jobs listed too, no
        # assignment row holding it (a job not active that day has no gap)
        stmt = stmt.where(active_and_unassigned_on_clause(day) if flt.active_only else ~assigned_on_clause(day))
    if flt.po_id:
        stmt = stmt.where(assigned_to_po_on_clause(day, flt.po_id))
    return stmt


def debtors(session: Session, *, active_only: bool = False) -> tuple[DebtorOption, ...]:
    """The debtors a job order may be for (only the active ones when asked), by code."""
    return all_debtors(session, active_only=active_only)


@dataclass(frozen=True)
class UserOption:
    """A user as the consultant picker lists them: values, not a tracked row (each row loaded its roles,
    branches and grants eagerly: four queries for a name)."""

    id: int
    full_name: str
    username: str

    def __str__(self) -> str:
        return self.full_name or self.username  # as User's


CONSULTANT_ROLE = "consultant"  # a role whose name holds this word (any case) works job orders as consultant


def consultants(session: Session, keep: int | None = None, branch_id: int | None = None) -> list[UserOption]:
    """The users a job order may name as its consultant, by name: the active users holding a consultant role
    (DESIGN.md: front-office consultants create the job orders; administrators, auditors and clerks do
    not) who may see the job's branch (`branch_id`: a consultant limited to other branches would be named on
    a job they cannot open), and `keep`, the consultant the job being edited names already (never dropped)."""
    role = select(user_roles.c.user_id).join(Role, Role.id == user_roles.c.role_id).where(
        Role.name.ilike(f"%{CONSULTANT_ROLE}%"))
    offered = [User.active.is_(True), User.id.in_(role)]
    if branch_id is not None:  # no branch of their own (every branch), or this one among theirs
        limited = select(user_branches.c.user_id)
        offered.append(or_(User.id.not_in(limited), User.id.in_(limited.where(user_branches.c.branch_id == branch_id))))
    return [UserOption(*r) for r in session.execute(
        select(User.id, User.full_name, User.username)
        .where(or_(and_(*offered), User.id == (keep or 0))).order_by(User.full_name))]


def hidden_on_po(session: Session, user, po_id: int) -> int:
    """How many job orders assigned to the PO directly the user may not see (job security): the PO's Job
    assignments tab counts them, as a document counts its lines on other branches' jobs, never names them."""
    if not branch_limit(user):
        return 0
    jobs = (select(func.count(distinct(JobPOAssignment.job_id))).join(JobOrder, JobOrder.id == JobPOAssignment.job_id)
            .where(JobPOAssignment.po_id == po_id))
    return session.scalar(jobs) - session.scalar(visible(jobs, user))


def invoice_type(session: Session) -> DocumentType | None:
    """The document type a job's "invoice it" link opens: the first active one that draws on a PO (used, +1)."""
    return session.scalars(select(DocumentType).where(
        DocumentType.active.is_(True), DocumentType.bucket == "used", DocumentType.sign == 1)
        .order_by(DocumentType.sort_order, DocumentType.id).limit(1)).first()


def branch_choices(session: Session, user) -> list[Branch]:
    """The branches a user may put a job in: their own, or every branch when not limited."""
    limit = branch_limit(user)
    stmt = select(Branch).order_by(Branch.code)
    return list(session.scalars(stmt.where(Branch.id.in_(limit)) if limit else stmt))


SEARCH_WINDOW = 500  # the first jobs by number a search's page looks through first, per page (paginate's window)
WINDOW_PAGES = 4  # past this page a search goes to its own indexes at once


def list_jobs(session: Session, user, flt: JobFilter, *, today: date, page: int = 1, per_page: int = 25) -> Page[JobOrder]:
    """One page of the jobs the user may see, matching the filter as of `today`. A search's first pages
    look through the list's first SEARCH_WINDOW jobs a page (highest number first) before anything else: a
    word in one of twenty of them fills its page there; a rarer one is found through the search's own
    indexes (jobs_query)."""
    limit = _limit(user)
    if not flt.q.strip():
        return paginate(session, _jobs_query(flt, limit, today), page, per_page, kept=True)
    window = None
    if 1 <= page <= WINDOW_PAGES:
        depth = SEARCH_WINDOW * page
        window = _window_from(flt, limit, today, window_edge(session, ("jobs", depth), _edge_of(depth)))
    # a search's page: sorted before it is joined
    return paginate(session, _jobs_query(flt, limit, today), page, per_page, key=JobOrder.id, window=window,
                    kept=True)


@lru_cache(maxsize=16)
def _edge_of(depth: int) -> Select:
    """The job number `depth` places into the list (highest first)."""
    return select(JobOrder.number).order_by(JobOrder.number.desc()).offset(constant.number(depth - 1)).limit(1)


@lru_cache(maxsize=256)
def _window_from(flt: JobFilter, limit: tuple[int, ...] | None, today: date, edge: str | None) -> Select:
    """A search's window: its jobs from the top of the list down to the number `edge` (every job when None:
    fewer jobs than the window's depth), walking the number index. Built once per worker for the same inputs."""
    window = _filtered(flt, limit, today, walked=True).order_by(JobOrder.number.desc(), JobOrder.id.desc())
    return window if edge is None else window.where(JobOrder.number >= constant.word(edge))


def jobs_query(flt: JobFilter, user, today: date) -> Select:
    """The job list's statement (page and export): the filter, job security, newest number first (built once
    per worker for the same filter, branch limit and day: _jobs_query)."""
    return _jobs_query(flt, _limit(user), today)


@lru_cache(maxsize=256)
def _jobs_query(flt: JobFilter, limit: tuple[int, ...] | None, today: date) -> Select:
    """`jobs_query` for a branch limit.

    A search sorts by the number as an expression: ordered by the column itself, the planner walks the
    number index backwards testing every job when it misjudges how many a word matches (a rare word or a
    job number: 12-16 ms over 50,000 jobs); sorted after the search's own indexes it is 0.1 ms for a rare
    word and 5 ms for one in every ten jobs ("weld"), where the sorted walk over the matches cost 15 ms
    (list_jobs then joins the page's rows alone)."""
    number = search.unindexed(JobOrder.number) if flt.q.strip() else JobOrder.number
    return _filtered(flt, limit, today).order_by(number.desc(), JobOrder.id.desc())


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


def _validate(session: Session, user, data: JobInput, keep_consultant: int | None = None,
              keep_debtor: int | None = None) -> dict[str, list[str]]:
    """A job needs a title, a start date (not after its discontinued date), a debtor and one of the user's
    branches; its consultant is one the picker offers (`consultants`: the job's own kept on an edit)."""
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
    elif problem := inactive_problem(session.get(Debtor, data.debtor_id), keep_debtor):
        errors["debtor_id"] = [problem]
    if data.branch_id is None or session.get(Branch, data.branch_id) is None or \
            (branch_limit(user) and data.branch_id not in branch_limit(user)):
        errors["branch_id"] = ["Choose one of your branches."]
    if data.consultant_id is not None and data.consultant_id not in {
            u.id for u in consultants(session, keep_consultant, data.branch_id)}:
        errors["consultant_id"] = ["Choose a consultant from the list."]
    if len(data.po_reference.strip()) > 50:
        errors["po_reference"] = ["Use at most 50 characters."]
    return errors


def create_job(session: Session, user, data: JobInput, *, today: date) -> JobOrder:
    """A new job order. For a debtor that enforces POs a PO or group must be chosen (seed 003);
    otherwise one may be chosen, or a PO number typed on the fly (no budget: reporting only)."""
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
    if debtor is not None and not errors.get("po_reference") and (
            problem := _typed_po_problem(session, debtor, data.po_reference, "choose it from the list")):
        errors["po_reference"] = [problem]
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


def _typed_po_problem(session: Session, debtor: Debtor, reference: str, remedy: str) -> str | None:
    """Why an on-the-fly PO number may not be typed for the debtor: it is the number of one of the debtor's own
    POs (typed_numbers), so the job's lines would be billed under that PO's number drawing on no budget."""
    if typed_numbers.po_named(session, debtor.id, reference) is None:
        return None
    return typed_po_refusal(reference.strip(), debtor.code, remedy)


def update_job(session: Session, user, job_id: int, data: JobInput, *, expected_version: int | None = None,
               today: date | None = None) -> JobOrder:
    """Edit a job. A new debtor keeps the old assignments (shown under the old debtor, read-only,
    ended the day before the move); moving to a debtor that enforces POs needs one of its POs or groups
    (seed 003). A typed PO number naming one of the debtor's POs is refused, unless it is the job's own, unchanged
    under the same debtor (typed before that PO existed: posting warns about its lines)."""
    current = session.execute(select(JobOrder.consultant_id, JobOrder.debtor_id, JobOrder.po_reference)
                              .where(JobOrder.id == job_id)).first()
    errors = _validate(session, user, data, keep_consultant=current and current.consultant_id,
                       keep_debtor=current and current.debtor_id)
    moving = current is not None and current.debtor_id != data.debtor_id
    kept = current is not None and not moving and data.po_reference.strip() == (current.po_reference or "")
    debtor = None if errors.get("debtor_id") or errors.get("po_reference") else session.get(Debtor, data.debtor_id)
    if debtor is not None and not kept and not debtor.enforce_purchase_orders and (problem := _typed_po_problem(
            session, debtor, data.po_reference,
            "choose it from the list" if moving else "clear it and assign the PO on the job's page")):
        errors["po_reference"] = [problem]
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, user)
    job = get_job(session, user, job_id, lock=True)
    audit.check_version(job, expected_version)
    debtor = session.get(Debtor, data.debtor_id)
    if data.po_reference.strip() and debtor.enforce_purchase_orders:
        session.rollback()
        raise ValidationFailed({"po_reference": [f"{debtor.code} enforces purchase orders: assign a PO instead."]})
    old_debtor_id, move_day = job.debtor_id, max(today or date.today(), data.start_date)
    moving = old_debtor_id != debtor.id
    if moving and data.target is None and must_keep_po(debtor.enforce_purchase_orders, data.start_date,
                                                      data.discontinued_date, move_day):
        session.rollback()
        raise ValidationFailed({"po_choice": [enforcement_refusal(debtor.code)]})
    old_start = job.start_date
    job.title, job.debtor_id, job.branch_id = data.title.strip(), data.debtor_id, data.branch_id
    job.start_date, job.discontinued_date, job.site = data.start_date, data.discontinued_date, data.site.strip()
    job.consultant_id, job.po_reference = data.consultant_id, data.po_reference.strip() or None
    if not moving and debtor.enforce_purchase_orders and data.start_date < old_start:
        try:
            session.flush()
            assignments.follow_earlier_start(session, job, old_start)
        except ValidationFailed:
            session.rollback()
            raise
    if moving:
        # the old debtor's assignments end the day before the move whether or not a PO of the new debtor is
        # chosen: left open, they held the job for ever (read-only, and no new one could overlap them)
        try:
            session.flush()
            assignments.end_for_move(session, job, old_debtor_id, move_day)
            if data.target is not None:
                assignments.assign_new_job(session, job, data.target, start=move_day)
        except ValidationFailed:
            session.rollback()
            raise
    session.commit()
    return job


