"""Opportunities for POs' unscheduled balances (seed 000): the pipeline, lost / reopened by
people, won / expired / reopened by the figures (and by `flask alerts scan`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, lazyload

from portal.domain import contracts as rules
from portal.models import Contract, ContractNote, Debtor, JobOrder, Opportunity, POBalance, PurchaseOrder, User
from portal.services import audit, contracts, job_visibility, posting
from portal.services.opportunity_status import figures, sync_opportunity
from portal.services.debtors import like_pattern
from portal.services.errors import Forbidden, NotFound, ValidationFailed
from portal.services.locks import locked
from portal.services.paging import Page, paginate

ZERO = Decimal("0")
EXPIRING_DAYS = 30

# PO Amount − Used − Commitments, from the PO's balance row (never stored on the opportunity)
UNSCHEDULED = (PurchaseOrder.amount - func.coalesce(POBalance.used, 0) - func.coalesce(POBalance.commitments, 0))
SORTS = {
    "amount": UNSCHEDULED.desc(), "-amount": UNSCHEDULED.asc(),
    "po": PurchaseOrder.number_key, "debtor": Debtor.code, "expiry": PurchaseOrder.expiration,
    "age": Opportunity.created_at.asc(), "scheduled": Contract.last_scheduled_on.desc().nulls_last(),
}


@dataclass(frozen=True)
class PipelineFilter:
    owner_id: int | None = None
    debtor_id: int | None = None
    q: str = ""
    status: str = "open"
    sort: str = "amount"
    mine: bool = False


@dataclass(frozen=True)
class PipelineRow:
    opportunity: Opportunity
    amount: Decimal
    po: PurchaseOrder
    debtor: Debtor
    owner: User
    contract: Contract

    @property
    def last_scheduled_on(self) -> date | None:
        """The last day a delivery was scheduled on the contract (None: never)."""
        return self.contract.last_scheduled_on

    def age_days(self, today: date) -> int:
        """Days since the opportunity was opened."""
        return (today - self.opportunity.created_at.date()).days


def can_manage(user, opp: Opportunity) -> bool:
    """add_edit: the owner's own opportunities; full: anyone's."""
    return user.can("opportunities", "full") or (user.can("opportunities", "add_edit") and opp.owner_id == user.id)


_CONTRACT_JOB = aliased(JobOrder, name="contract_job")  # made once: an alias built per call costs ~1.5 ms


def _visible(stmt, user):
    """Job security: opportunities of contracts on another branch's job are left out."""
    limit = job_visibility.branch_limit(user)
    if not limit:
        return stmt
    job = _CONTRACT_JOB
    return stmt.outerjoin(job, job.id == Contract.job_id).where(or_(Contract.job_id.is_(None), job.branch_id.in_(limit)))


def _filtered(stmt, user, flt: PipelineFilter):
    """The pipeline rows the user may see, narrowed by the filter."""
    stmt = (stmt.select_from(Opportunity).join(PurchaseOrder, PurchaseOrder.id == Opportunity.po_id)
            .outerjoin(POBalance, POBalance.po_id == PurchaseOrder.id)
            .join(Debtor, Debtor.id == PurchaseOrder.debtor_id).join(Contract, Contract.id == Opportunity.contract_id)
            .join(User, User.id == Opportunity.owner_id))
    stmt = _visible(stmt, user)
    if flt.status in rules.STATUSES:
        stmt = stmt.where(Opportunity.status == flt.status)
    if flt.mine:
        stmt = stmt.where(Opportunity.owner_id == user.id)
    elif flt.owner_id:
        stmt = stmt.where(Opportunity.owner_id == flt.owner_id)
    if flt.debtor_id:
        stmt = stmt.where(PurchaseOrder.debtor_id == flt.debtor_id)
    if flt.q.strip():
        pattern = like_pattern(flt.q.strip())
        stmt = stmt.where(or_(PurchaseOrder.number.ilike(pattern), Debtor.code.ilike(pattern),
                              Debtor.name.ilike(pattern), Contract.title.ilike(pattern)))
    return stmt


# a pipeline row's entities are selected and joined by the statement itself: their eager relationships
# (the opportunity's PO and owner again, each PO's debtor, group, balance, forecast, lines and types, the
# contract's PO and debtor, the owner's roles and branches) made it a join of 20 tables, which PostgreSQL
# took 35-40 ms to plan on every run (the start page of every opportunity owner). What a row shows is in
# its own columns; a relationship read later finds its object among the row's, or loads it then.
_ROW_COLUMNS_ONLY = (
    lazyload(Opportunity.purchase_order), lazyload(Opportunity.owner), lazyload(Opportunity.contract),
    lazyload(PurchaseOrder.debtor), lazyload(PurchaseOrder.group), lazyload(PurchaseOrder.balance),
    lazyload(PurchaseOrder.forecast), lazyload(PurchaseOrder.lines), lazyload(PurchaseOrder.eligible),
    lazyload(Contract.purchase_order), lazyload(Contract.debtor), lazyload(User.roles), lazyload(User.branches))
_OWNER_COLUMNS_ONLY = (lazyload(User.roles), lazyload(User.branches))


def pipeline_query(user, flt: PipelineFilter):
    """The pipeline's rows (opportunity, unscheduled amount, PO, debtor, owner, contract) in its order."""
    order = SORTS.get(flt.sort, SORTS["amount"])
    return _filtered(select(Opportunity, UNSCHEDULED, PurchaseOrder, Debtor, User, Contract),
                     user, flt).order_by(User.full_name, User.id, order, Opportunity.id).options(*_ROW_COLUMNS_ONLY)


def pipeline(session: Session, user, flt: PipelineFilter, *, page: int = 1,
             per_page: int = 50) -> tuple[Page[PipelineRow], list[tuple[User, int, Decimal]]]:
    """Opportunities grouped by owner (owner's name, then the chosen sort), one page of them, and
    each owner's count and total over the whole filter: three queries whatever the data."""
    raw = paginate(session, pipeline_query(user, flt), page, per_page, scalars=False)
    rows = [PipelineRow(o, amount, po, d, u, c) for o, amount, po, d, u, c in raw.items]
    totals_stmt = _filtered(select(User, func.count(Opportunity.id), func.sum(UNSCHEDULED)), user, flt) \
        .group_by(User.id).order_by(User.full_name, User.id).options(*_OWNER_COLUMNS_ONLY)
    totals = [(u, n, total or ZERO) for u, n, total in session.execute(totals_stmt)]
    return Page(rows, raw.total, raw.page, raw.per_page), totals


def owners(session: Session) -> list[User]:
    """Everyone who owns an opportunity (for the pipeline's owner filter)."""
    return list(session.scalars(select(User).where(User.id.in_(select(Opportunity.owner_id)))
                                .order_by(User.full_name).options(*_OWNER_COLUMNS_ONLY)))


def get_opportunity(session: Session, user, opp_id: int) -> Opportunity:
    """The opportunity, if the user may see its contract's job; NotFound otherwise."""
    opp = session.get(Opportunity, opp_id)
    if opp is None:
        raise NotFound("No such opportunity.")
    contract = session.get(Contract, opp.contract_id)
    if contract.job_id and not job_visibility.may_see(user, contract.job):
        raise NotFound("No such opportunity.")
    return opp


def amount_of(session: Session, opp: Opportunity) -> Decimal:
    """An opportunity's amount: its PO's balance not yet scheduled."""
    return figures(session, opp.purchase_order).unscheduled


def _lock(session: Session, user, opp_id: int) -> tuple[Opportunity, PurchaseOrder]:
    """Only the owner, or someone with full opportunities, changes an opportunity; its PO is locked first."""
    opp = get_opportunity(session, user, opp_id)
    if not can_manage(user, opp):
        raise Forbidden("Only the opportunity's owner (or someone with full opportunities) may change it.")
    po = posting.lock_pos(session, [opp.po_id])[opp.po_id]
    return locked(session, Opportunity, opp_id), po


def lose(session: Session, user, opp_id: int, reason: str, *, expected_version: int | None = None,
         today: date | None = None) -> Opportunity:
    """Mark an open opportunity lost, with the reason (its owner, or opportunities full)."""
    today = today or date.today()
    audit.acting(session, user)
    opp, _ = _lock(session, user, opp_id)
    audit.check_version(opp, expected_version)
    try:
        reason = rules.check_lose(opp.status, reason)
    except rules.ContractRuleError as exc:
        session.rollback()
        raise ValidationFailed({"reason": [str(exc)]})
    opp.status, opp.lost_reason, opp.status_changed_on = rules.LOST, reason, today
    session.add(ContractNote(contract_id=opp.contract_id, kind="status", author_id=user.id,
                             text=rules.status_note(today, rules.LOST, reason)))
    session.commit()
    return opp


def owner_choices(session: Session, opp: Opportunity) -> list[User]:
    """Who an opportunity may be handed to: active users who may own opportunities, its owner first."""
    candidates = contracts.lead_candidates(session)
    return sorted(candidates, key=lambda u: u.id != opp.owner_id)


def hand_over(session: Session, user, opp_id: int, owner_id: int | None, *,
              expected_version: int | None = None) -> Opportunity:
    """Give an opportunity (any status) to another owner, e.g. when its relationship lead leaves: by its owner
    or someone with full opportunities, to an active user who may own opportunities; the change is audited.
    The same owner again changes nothing."""
    audit.acting(session, user)
    opp, _ = _lock(session, user, opp_id)
    audit.check_version(opp, expected_version)
    if owner_id not in {u.id for u in contracts.lead_candidates(session)}:
        session.rollback()
        raise ValidationFailed({"owner_id": ["Choose an active user who may own opportunities (Relationship Lead)."]})
    if owner_id != opp.owner_id:
        opp.owner_id = owner_id
        session.commit()
    else:
        session.rollback()
    return opp


def reopen(session: Session, user, opp_id: int, *, expected_version: int | None = None,
           today: date | None = None) -> Opportunity:
    """Reopen a lost, won or expired opportunity while its PO is current and has a balance; one
    open opportunity per PO (held by a partial unique index)."""
    today = today or date.today()
    audit.acting(session, user)
    opp, po = _lock(session, user, opp_id)
    audit.check_version(opp, expected_version)
    try:
        rules.check_reopen(opp.status, figures(session, po).unscheduled, rules.po_current(po.effective, po.expiration, today))
    except rules.ContractRuleError as exc:
        session.rollback()
        raise ValidationFailed({"": [str(exc)]})
    opp.status, opp.lost_reason, opp.status_changed_on = rules.OPEN, None, today
    session.add(ContractNote(contract_id=opp.contract_id, kind="status", author_id=user.id,
                             text=rules.status_note(today, rules.OPEN)))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"": ["This PO already has an open opportunity."]})
    return opp


def scan(session: Session, today: date) -> list[str]:
    """`flask alerts scan`: expire the opportunities of expired POs, and bring every other one in
    line with its figures (won at zero, reopened when value came back). One PO at a time, locked."""
    changed = []
    rows = session.execute(select(Opportunity.id, Opportunity.po_id, Opportunity.status)
                           .where(Opportunity.status.in_([rules.OPEN, rules.WON, rules.EXPIRED]))
                           .order_by(Opportunity.po_id)).all()
    audit.acting(session, None)
    for opp_id, po_id, status in rows:
        po = posting.lock_pos(session, [po_id])[po_id]
        contract = session.scalar(select(Contract).join(Opportunity, Opportunity.contract_id == Contract.id)
                                  .where(Opportunity.id == opp_id))
        opp = sync_opportunity(session, contract, po_id, figures(session, po),
                               rules.po_current(po.effective, po.expiration, today), today, None)
        if opp is not None and opp.status != status:
            changed.append(f"Opportunity on PO {po.number}: {status} → {opp.status}")
        session.commit()
    return changed


@dataclass(frozen=True)
class LeadStart:
    opportunities: list[PipelineRow]
    total: int
    amount: Decimal
    expiring: list[PipelineRow]

    @property
    def has_unlisted(self) -> bool:
        """The lead has more open opportunities than the start page lists."""
        return self.total > len(self.opportunities)


def start_for(session: Session, user, today: date, rows: int = 10) -> LeadStart | None:
    """The start page of an opportunity owner: their open opportunities (largest first) and the
    POs among them expiring within EXPIRING_DAYS with a balance left."""
    if not user.can("opportunities", "add_edit"):
        return None
    page, totals = pipeline(session, user, PipelineFilter(mine=True), per_page=rows)
    count = sum(n for _, n, _ in totals)
    amount = sum((t for _, _, t in totals), ZERO)
    stmt = _filtered(select(Opportunity, UNSCHEDULED, PurchaseOrder, Debtor, User, Contract),
                     user, PipelineFilter(mine=True)).where(
        PurchaseOrder.expiration <= today + timedelta(days=EXPIRING_DAYS), UNSCHEDULED > 0
    ).order_by(PurchaseOrder.expiration, Opportunity.id).limit(rows).options(*_ROW_COLUMNS_ONLY)
    expiring = [PipelineRow(o, a, po, d, u, c) for o, a, po, d, u, c in session.execute(stmt)]
    return LeadStart(list(page.items), count, amount, expiring)


def open_of_debtor(session: Session, user, debtor_id: int, limit: int = 100) -> list[PipelineRow]:
    """A debtor's opportunities in the pipeline the user may see (at most `limit`)."""
    page, _ = pipeline(session, user, PipelineFilter(debtor_id=debtor_id), per_page=limit)
    return list(page.items)

