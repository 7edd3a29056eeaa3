"""Contracts (seed 000): scheduled work posted as Sales Orders through the documents and posting
services, and the notes that tell the PO's story.

Every change locks the PO first (as posting does, so a PO edit, a posting and a scheduling run one
after the other), posts through `posting.post` in the same transaction, then reads the PO's
balance row to write the note and move the opportunity: the figures are never kept anywhere else.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import flag_modified

from portal.domain import contracts as rules, formatting
from portal.domain.contracts import Delivery as DeliveryInput
from portal.domain.contracts import POFigures
from portal.models import (BillCode, Contract, ContractNote, Debtor, Delivery, Document, DocumentLine, DocumentType,
                           JobOrder, LedgerEntry, Opportunity, PurchaseOrder, User, debtor_relationship_leads)
from portal.services import audit, documents, job_visibility, maintenance, posting
from portal.services.errors import Conflict, NotFound, ValidationFailed
from portal.services.locks import locked
from portal.services.opportunity_status import figures, sync_opportunity
from portal.services.opportunity_status import note as _note
from portal.services.posting import PostResult

ZERO = Decimal("0")
SALES_ORDER = "Sales Order"
# a Sales Order's notes: a PO has at most one contract, named here by neither title nor number (_post_order)
ORDER_NOTES = "Scheduled on the PO's contract"

CONSTRAINT_MESSAGES = {
    "uq_contracts_po_id": "This PO already has a contract: schedule more on it instead.",
    "uq_opportunities_open_po": "This PO already has an open opportunity.",
    "fk_contracts_po_same_debtor": "That PO is not one of this debtor's.",
}


@dataclass(frozen=True)
class ContractInput:
    debtor_id: int | None
    po_id: int | None
    title: str
    owner_id: int | None
    job_id: int | None
    deliveries: tuple[DeliveryInput, ...]


@dataclass
class ScheduleResult:
    """What scheduling did: posted (with the contract), or the posting check to show first."""

    posting: PostResult | None
    contract: Contract | None = None
    amount: Decimal = ZERO

    @property
    def needs_confirmation(self) -> bool:
        """Whether scheduling waits for the user to confirm the posting's warnings."""
        return bool(self.posting and self.posting.needs_confirmation)

    @property
    def refused(self) -> bool:
        """Whether the posting check refused the scheduled deliveries."""
        return bool(self.posting and self.posting.refused)


# ----- reading -----

def visible(user, contract: Contract) -> bool:
    """Job security (seed 004): a contract on another branch's job is not the user's to see."""
    return contract.job_id is None or job_visibility.may_see(user, contract.job)


def get_contract(session: Session, user, contract_id: int) -> Contract:
    """The contract, if the user may see it; NotFound otherwise (another branch's looks missing)."""
    contract = session.get(Contract, contract_id)
    if contract is None or not visible(user, contract):
        raise NotFound("No such contract.")
    return contract


def contract_of_po(session: Session, po_id: int) -> Contract | None:
    """The contract opened on a PO (a PO has at most one; None: none yet)."""
    return session.scalar(select(Contract).where(Contract.po_id == po_id))


def notes_of(session: Session, contract_id: int, limit: int = 500) -> list[ContractNote]:
    """A contract's notes, oldest first (at most `limit`)."""
    return list(session.scalars(select(ContractNote).where(ContractNote.contract_id == contract_id)
                                .order_by(ContractNote.id).limit(limit)))


def deliveries_of(session: Session, contract_id: int) -> list[Delivery]:
    """A contract's deliveries by delivery date, in the order they were scheduled on a day."""
    return list(session.scalars(select(Delivery).where(Delivery.contract_id == contract_id)
                                .order_by(Delivery.delivery_date, Delivery.id)))


def orders_of(session: Session, contract_id: int) -> dict[int, tuple[int, str]]:
    """Each delivery's Sales Order: delivery id -> (document id, number), in one query."""
    from portal.models import Document

    return {d_id: (doc_id, number) for d_id, doc_id, number in session.execute(
        select(Delivery.id, Document.id, Document.number).join(DocumentLine, DocumentLine.id == Delivery.document_line_id)
        .join(Document, Document.id == DocumentLine.document_id).where(Delivery.contract_id == contract_id))}


_INVOICE_LINE = aliased(DocumentLine, name="invoice_line")
_CREDIT_LINE = aliased(DocumentLine, name="credit_line")


def _scheduled_amount():
    """What a delivery keeps scheduled on its contract's PO: what its order line still commits, plus what the
    invoices made from that line drew net of the credit memos against them. So invoicing moves it from
    Commitments to Used and leaves it as it was, a credit gives it back to the opportunity as a cancelling does,
    and the contract's Scheduled plus the opportunity stay the PO's amount (less what other documents draw).
    From the ledger, on the contract's PO only (an invoice line reassigned to another PO left it)."""
    invoice_lines = (select(_INVOICE_LINE.id).where(_INVOICE_LINE.source_line_id == Delivery.document_line_id)
                     .correlate(Delivery))
    credit_lines = (select(_CREDIT_LINE.id).join(_INVOICE_LINE, _INVOICE_LINE.id == _CREDIT_LINE.source_line_id)
                    .where(_INVOICE_LINE.source_line_id == Delivery.document_line_id).correlate(Delivery))
    po_id = select(Contract.po_id).where(Contract.id == Delivery.contract_id).correlate(Delivery).scalar_subquery()
    return (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
            .where(LedgerEntry.po_id == po_id, LedgerEntry.bucket.in_(("commitment", "used")),
                   or_(LedgerEntry.document_line_id == Delivery.document_line_id,
                       LedgerEntry.document_line_id.in_(invoice_lines),
                       LedgerEntry.document_line_id.in_(credit_lines)))
            .correlate(Delivery).scalar_subquery())


def scheduled_total(session: Session, contract_id: int) -> Decimal:
    """What the contract has scheduled: what its deliveries still commit, and what was invoiced from them net
    of credits (`_scheduled_amount`)."""
    return session.scalar(select(func.coalesce(func.sum(_scheduled_amount()), 0)).where(
        Delivery.contract_id == contract_id)) or ZERO


def scheduled_by_delivery(session: Session, deliveries: list[Delivery]) -> dict[int, Decimal]:
    """What each delivery keeps scheduled (`_scheduled_amount`), for the products table."""
    if not deliveries:
        return {}
    return dict(session.execute(select(Delivery.id, _scheduled_amount()).where(
        Delivery.id.in_([d.id for d in deliveries]))).all())


def products_of(deliveries: list[Delivery], scheduled: dict[int, Decimal]) -> list[tuple[BillCode, Decimal]]:
    """The contract's products (bill codes) and the dollars scheduled on each (`scheduled`: each delivery's,
    `scheduled_by_delivery`: a cancelled one keeps its invoiced part not credited)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    codes: dict[int, BillCode] = {}
    for d in deliveries:
        if scheduled.get(d.id):
            totals[d.bill_code_id] += scheduled[d.id]
            codes[d.bill_code_id] = d.bill_code
    return sorted(((codes[i], a) for i, a in totals.items()), key=lambda pair: pair[0].code)


@dataclass(frozen=True)
class Invoicing:
    """How far the deliveries' order lines are invoiced: the quantity posted invoices took from each, the lines
    still committed (neither invoiced in full nor cancelled), and per line what the invoices made from it
    invoiced and what credit memos took back of that (`invoiced`: line -> (invoiced, credited))."""

    taken: dict[int, Decimal]
    open: set[int]
    invoiced: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)

    def credited(self, delivery: Delivery) -> Decimal:
        """What credit memos took back of the invoices made from the delivery's order line."""
        return self.invoiced.get(delivery.document_line_id, (ZERO, ZERO))[1]

    def not_credited(self, delivery: Delivery) -> Decimal:
        """What the invoices made from the delivery's order line still hold, net of their credit memos."""
        invoiced, credited = self.invoiced.get(delivery.document_line_id, (ZERO, ZERO))
        return invoiced - credited

    def credited_in_full(self, delivery: Delivery) -> bool:
        """Whether the delivery was invoiced and every invoice made from it credited back."""
        return self.credited(delivery) > 0 and self.not_credited(delivery) <= 0

    def may_cancel(self, delivery: Delivery) -> bool:
        """A delivery is cancelled while some of it is still committed (what is not invoiced goes back), or once
        nothing is committed and its invoices were credited in full (nothing is left on the contract for it)."""
        return delivery.cancelled_on is None and (delivery.document_line_id in self.open
                                                  or self.credited_in_full(delivery))

    def state(self, delivery: Delivery) -> str:
        """The delivery's state as its row reads it."""
        taken = self.taken.get(delivery.document_line_id, ZERO)
        part = f"{formatting.quantity(taken)} of {formatting.quantity(delivery.quantity)} invoiced"
        if self.credited_in_full(delivery):
            part += ", credited in full"
        elif credited := self.credited(delivery):
            part += f", {formatting.money(credited)} credited"
        if delivery.cancelled_on is not None:
            return f"cancelled {formatting.day(delivery.cancelled_on)}" + (f" ({part})" if taken else "")
        if delivery.document_line_id not in self.open:
            return part if self.credited(delivery) else "invoiced"
        return part if taken else "scheduled"


def invoicing(session: Session, line_ids: list[int]) -> Invoicing:
    """The Invoicing of these order lines: three queries (the ledger's draw, the invoices' quantities, their
    amounts and credits)."""
    drawn = documents.drawn_by_line(session, line_ids)
    return Invoicing(documents.invoiced_quantities(session, line_ids),
                     {i for i in line_ids if drawn.get(i, {}).get("commitment", ZERO) > 0},
                     documents.invoiced_amounts(session, line_ids))


def relationship_leads(session: Session, debtor_id: int) -> list[User]:
    """The debtor's relationship leads able to own opportunities (active, opportunities add_edit)."""
    users = session.scalars(select(User).join(debtor_relationship_leads, debtor_relationship_leads.c.user_id == User.id)
                            .where(debtor_relationship_leads.c.debtor_id == debtor_id).order_by(User.full_name)).all()
    return [u for u in users if u.active and u.can("opportunities", "add_edit")]


def active_bill_codes(session: Session) -> list[BillCode]:
    """The bill codes a delivery may be scheduled on: the active ones, by code."""
    return maintenance.active_bill_codes(session)


def lead_candidates(session: Session) -> list[User]:
    """Users who may be linked to a debtor as its relationship lead."""
    return [u for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name))
            if u.can("opportunities", "add_edit")]


def set_leads(session: Session, user, debtor_id: int, user_ids: list[int]) -> list[User]:
    """Replace the debtor's relationship leads (each must be able to own opportunities)."""
    audit.acting(session, user)
    debtor = locked(session, Debtor, debtor_id)
    if debtor is None:
        raise NotFound("No such debtor.")
    allowed = {u.id: u for u in lead_candidates(session)}
    if any(i not in allowed for i in user_ids):
        session.rollback()
        raise ValidationFailed({"leads": ["Choose users who can own opportunities (Relationship Lead)."]})
    # every lead linked now, a deactivated one too (the form offers only candidates: it leaves such a lead out)
    before = {u.id: u for u in session.scalars(select(User).join(
        debtor_relationship_leads, debtor_relationship_leads.c.user_id == User.id).where(
        debtor_relationship_leads.c.debtor_id == debtor_id))}
    if set(before) == set(user_ids):  # saved unchanged: nothing written, no history entry
        session.rollback()
        return relationship_leads(session, debtor_id)
    session.execute(debtor_relationship_leads.delete().where(debtor_relationship_leads.c.debtor_id == debtor_id))
    if user_ids:
        session.execute(debtor_relationship_leads.insert(), [{"debtor_id": debtor_id, "user_id": i}
                                                             for i in sorted(set(user_ids))])
    audit.insert_rows(session, [{
        "actor_id": user.id, "entity_type": "debtors", "entity_id": debtor_id, "scope_type": None, "scope_id": None,
        "action": "update", "summary": str(debtor), "reason": None,
        "changes": {"relationship_leads": [sorted(str(u) for u in before.values()),
                                           sorted(str(allowed[i]) for i in set(user_ids))]}}])
    session.commit()
    return relationship_leads(session, debtor_id)


# ----- writing -----

def _sales_order_type(session: Session) -> DocumentType:
    """Deliveries are scheduled on the active Sales Order document type; refused while it is missing."""
    doc_type = session.scalar(select(DocumentType).where(func.upper(DocumentType.name) == SALES_ORDER.upper(),
                                                         DocumentType.active.is_(True)))
    if doc_type is None or not doc_type.is_order:
        raise ValidationFailed("The Sales Order document type is missing or inactive (Maintenance → Document types).")
    return doc_type


def _check_deliveries(session: Session, deliveries: tuple[DeliveryInput, ...]) -> list[Decimal]:
    """Each delivery's amount; every problem refused at once, an inactive product (bill code) included."""
    amounts, errors = rules.delivery_amounts(deliveries)
    active = set(session.scalars(select(BillCode.id).where(BillCode.active.is_(True))))
    for n, d in enumerate(deliveries, start=1):
        if d.bill_code_id is not None and d.bill_code_id not in active:
            errors.append(f"Delivery {n}: choose an active product (bill code).")
    if errors:
        raise ValidationFailed({"deliveries": errors})
    return amounts


def _post_order(session: Session, user, po: PurchaseOrder, job_id: int | None,
                deliveries: tuple[DeliveryInput, ...], *, confirmed: bool, override: bool,
                today: date, seen: str | None = None) -> tuple[PostResult, list[DocumentLine]]:
    """Draft and post the Sales Order the contract makes (explicitly on its PO), without committing. Its notes
    name neither the contract's title nor its number: anyone with documents:view reads them, and a contract on
    another branch's job is not theirs to see (the contract's page lists its orders instead)."""
    doc_type = _sales_order_type(session)
    data = documents.DocumentInput(
        debtor_id=po.debtor_id, document_type_id=doc_type.id, number="", doc_date=today,
        notes=ORDER_NOTES,
        lines=tuple(documents.LineInput(job_id=job_id, bill_code_id=d.bill_code_id, quantity=d.quantity, rate=d.rate,
                                        service_date=d.delivery_date, description=d.description.strip(),
                                        explicit_po_id=po.id) for d in deliveries))
    try:
        draft = documents.save_draft(session, user, None, data, commit=False)
    except ValidationFailed as exc:
        session.rollback()
        raise ValidationFailed({"deliveries": [m for msgs in exc.errors.values() for m in msgs]})
    result = posting.post(session, user, draft.id, confirmed=confirmed, override=override, today=today, commit=False,
                          seen=seen, opportunities=False)  # _commit brings the opportunity in line, after the note
    if not result.posted:
        return result, []
    return result, list(draft.lines)


def _refuse_expired(session: Session, po: PurchaseOrder, today: date, field: str) -> None:
    """Work is scheduled only on a PO the client can still use (rules.po_current): an expired one is refused
    (its opportunity would be born expired)."""
    if not rules.po_current(po.effective, po.expiration, today):
        session.rollback()
        raise ValidationFailed({field: [f"PO {po.number} expired on {po.expiration.isoformat()}: nothing more can be "
                                        "scheduled against it."]})


def _po_taken(session: Session, po_id: int) -> list[str]:
    """Why a new contract cannot go on the PO: it has one, or an open opportunity (none: it can)."""
    taken = [CONSTRAINT_MESSAGES["uq_contracts_po_id"]] if contract_of_po(session, po_id) is not None else []
    if session.scalar(select(Opportunity.id).where(Opportunity.po_id == po_id, Opportunity.status == "open")):
        taken.append(CONSTRAINT_MESSAGES["uq_opportunities_open_po"])
    return taken


def _lock_po(session: Session, po_id: int | None) -> PurchaseOrder:
    """The contract's PO, locked for the change; refused when none is chosen."""
    po = posting.lock_pos(session, [po_id]).get(po_id) if po_id else None
    if po is None:
        session.rollback()
        raise ValidationFailed({"po_id": ["Choose the purchase order."]})
    return po


def enter_contract(session: Session, user, data: ContractInput, *, confirmed: bool = False, override: bool = False,
                   today: date | None = None, seen: str | None = None) -> ScheduleResult:
    """Seed 000 steps 1–3: the contract for only what is scheduled (posted as a Sales Order on the
    PO), its first note, and the opportunity for the rest, owned by the debtor's relationship lead.
    `seen`: the check the user confirmed (posting.post)."""
    today = today or date.today()
    audit.acting(session, user)
    errors: dict[str, list[str]] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = ["Name the contract (e.g. the programme or course)."]
    elif len(title) > 200:
        errors["title"] = ["Use at most 200 characters."]
    po = session.get(PurchaseOrder, data.po_id) if data.po_id else None
    if po is None:
        raise NotFound("No such purchase order.")
    if data.debtor_id is not None and data.debtor_id != po.debtor_id:
        errors.setdefault("po_id", []).append(f"PO {po.number} is not one of this debtor's purchase orders.")
    if data.job_id is not None:
        job = session.get(JobOrder, data.job_id)
        if job is None or job.debtor_id != po.debtor_id or not job_visibility.may_see(user, job):
            errors.setdefault("job_id", []).append(f"Choose one of {po.debtor.code}'s job orders.")
    leads = relationship_leads(session, po.debtor_id)
    owner_id = data.owner_id
    if not leads:
        errors.setdefault("owner_id", []).append(
            f"{po.debtor.code} has no relationship lead to own the opportunity: link one on the debtor first.")
    elif owner_id is None and len(leads) == 1:
        owner_id = leads[0].id
    elif owner_id not in {u.id for u in leads}:
        errors.setdefault("owner_id", []).append("Choose which of the debtor's relationship leads owns the opportunity.")
    if taken := _po_taken(session, po.id):
        errors.setdefault("po_id", []).extend(taken)
    try:
        amounts = _check_deliveries(session, data.deliveries)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    po = _lock_po(session, po.id)
    _refuse_expired(session, po, today, "po_id")
    if taken := _po_taken(session, po.id):  # entered meanwhile (a double click): asked again under the PO's lock
        session.rollback()
        raise ValidationFailed({"po_id": taken})
    result, lines = _post_order(session, user, po, data.job_id, data.deliveries,
                                confirmed=confirmed, override=override, today=today, seen=seen)
    if not result.posted:
        return ScheduleResult(result)
    contract = Contract(po_id=po.id, debtor_id=po.debtor_id, job_id=data.job_id, title=title, last_scheduled_on=today)
    session.add(contract)
    session.flush()
    _add_deliveries(session, contract, data.deliveries, amounts, lines, today)
    scheduled = sum(amounts, ZERO)
    figs = figures(session, po)
    _note(session, contract, "opening", rules.opening_note(po.number, figs, scheduled), user.id)
    session.add(Opportunity(po_id=po.id, contract_id=contract.id, owner_id=owner_id, status="open",
                            status_changed_on=today))
    _commit(session, contract, po, figs, today, user.id)
    return ScheduleResult(result, contract, scheduled)


def _add_deliveries(session: Session, contract: Contract, deliveries, amounts, lines, today: date) -> None:
    for d, amount, line in zip(deliveries, amounts, lines):
        session.add(Delivery(contract_id=contract.id, document_line_id=line.id, bill_code_id=d.bill_code_id,
                             delivery_date=d.delivery_date, description=d.description.strip(), quantity=d.quantity,
                             rate=d.rate, amount=amount, scheduled_on=today))


def _commit(session: Session, contract: Contract, po: PurchaseOrder, figs: POFigures, today: date,
            author_id: int | None) -> None:
    """Bring the opportunity in line with the PO's figures and commit; a clash on the PO becomes a form message."""
    session.flush()
    sync_opportunity(session, contract, po.id, figs, rules.po_current(po.effective, po.expiration, today), today,
                     author_id)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        for name, message in CONSTRAINT_MESSAGES.items():
            if name in str(exc.orig):
                raise ValidationFailed({"po_id": [message]})
        raise


def _lock_contract(session: Session, user, contract_id: int) -> tuple[Contract, PurchaseOrder]:
    """The PO first, then the contract: the order posting and PO edits lock in."""
    po_id = session.scalar(select(Contract.po_id).where(Contract.id == contract_id))
    if po_id is None:
        raise NotFound("No such contract.")
    po = _lock_po(session, po_id)
    contract = locked(session, Contract, contract_id)
    if contract is None or not visible(user, contract):
        session.rollback()
        raise NotFound("No such contract.")
    return contract, po


def schedule_more(session: Session, user, contract_id: int, deliveries: tuple[DeliveryInput, ...], *,
                  confirmed: bool = False, override: bool = False, today: date | None = None,
                  seen: str | None = None, expected_version: int | None = None) -> ScheduleResult:
    """Seed 000 step 4: more classes from the PO, posted as a Sales Order; the opportunity shrinks
    by as much and the contract gets a dated note with the PO dollars remaining. `seen`: as for
    enter_contract. `expected_version`: the contract's row version the form was opened on; a form sent again
    after it scheduled (a double click) is refused, as is one opened before another change."""
    today = today or date.today()
    audit.acting(session, user)
    get_contract(session, user, contract_id)
    amounts = _check_deliveries(session, deliveries)
    contract, po = _lock_contract(session, user, contract_id)
    try:
        audit.check_version(contract, expected_version)
    except Conflict:
        session.rollback()
        raise
    _refuse_expired(session, po, today, "deliveries")
    result, lines = _post_order(session, user, po, contract.job_id, deliveries,
                                confirmed=confirmed, override=override, today=today, seen=seen)
    if not result.posted:
        return ScheduleResult(result)
    contract = locked(session, Contract, contract_id)
    _add_deliveries(session, contract, deliveries, amounts, lines, today)
    contract.last_scheduled_on = today
    flag_modified(contract, "last_scheduled_on")  # its row version moves on even the same day: a resent form is stale
    added = sum(amounts, ZERO)
    figs = figures(session, po)
    _note(session, contract, "scheduled", rules.scheduled_note(today, added, figs), user.id)
    _commit(session, contract, po, figs, today, user.id)
    return ScheduleResult(result, contract, added)


def cancel_deliveries(session: Session, user, contract_id: int, delivery_ids: list[int], *,
                      today: date | None = None) -> Decimal:
    """Cancel scheduled deliveries: void those lines of the contract's order, which gives back to the
    opportunity what they still commit (a partly invoiced delivery: the part not invoiced), with a dated
    note. Deliveries invoiced in full are credited instead; once their invoices are credited in full they
    may be cancelled too (the credit gave their value back already: the note says so)."""
    today = today or date.today()
    audit.acting(session, user)
    get_contract(session, user, contract_id)
    wanted = set(delivery_ids)
    # the orders first, then the PO and the contract: every change locks documents before POs (posting an
    # invoice made from one of these orders locks it, then the PO; the other way round the two deadlocked)
    orders = orders_of(session, contract_id)
    session.scalars(select(Document).where(Document.id.in_(sorted({orders[i][0] for i in wanted if i in orders})))
                    .order_by(Document.id).with_for_update(of=Document)).all()
    contract, po = _lock_contract(session, user, contract_id)
    chosen = [d for d in session.scalars(select(Delivery).where(Delivery.contract_id == contract.id, Delivery.id.in_(wanted))
                                         .with_for_update(of=Delivery).execution_options(populate_existing=True))]
    if not wanted or len(chosen) != len(wanted):
        session.rollback()
        raise ValidationFailed({"deliveries": ["Choose deliveries of this contract."]})
    if done := [d for d in chosen if d.cancelled_on is not None]:
        session.rollback()
        raise ValidationFailed({"deliveries": [f"{d.delivery_date} {d.description} is already cancelled." for d in done]})
    state = invoicing(session, [d.document_line_id for d in chosen])
    if done := [d for d in chosen if not state.may_cancel(d)]:
        session.rollback()
        raise ValidationFailed({"deliveries": [_not_cancelled(d, state) for d in done]})
    by_doc: dict[int, list[int]] = defaultdict(list)
    for d in chosen:
        by_doc[orders[d.id][0]].append(d.document_line_id)
    given_back = ZERO
    try:
        for doc_id, line_ids in sorted(by_doc.items()):
            given_back += posting.void_lines(session, user, doc_id, line_ids, today=today, commit=False)
    except Conflict as exc:
        session.rollback()
        raise ValidationFailed({"deliveries": [str(exc)]})
    contract = locked(session, Contract, contract_id)
    for d in chosen:
        d.cancelled_on = today
    figs = figures(session, po)
    credited = sum((state.credited(d) for d in chosen if d.document_line_id not in state.open), ZERO)
    _note(session, contract, "cancelled", rules.cancelled_note(today, given_back, figs, credited), user.id)
    _commit(session, contract, po, figs, today, user.id)
    return given_back


def _not_cancelled(delivery: Delivery, state: Invoicing) -> str:
    """Why an invoiced delivery is not cancelled: what its invoices hold is credited, not cancelled."""
    what = f"{delivery.delivery_date} {delivery.description}"
    if state.credited(delivery):
        return (f"{what} has {formatting.money(state.not_credited(delivery))} invoiced and not credited: credit the "
                "rest of the invoice instead.")
    return f"{what} has been invoiced in full: credit the invoice instead."


def add_note(session: Session, user, contract_id: int, text: str, *, seen_last: int | None = None) -> ContractNote:
    """A manual line in the contract's story (notes are never edited or deleted). `seen_last`: the newest note
    the form was drawn under (0: none). The same note by the same user after it is that form sent twice (a double
    click, a resend): the note is there once, and it is that one that comes back. Under the contract's row lock,
    so two sends at the same moment are one after the other."""
    audit.acting(session, user)
    contract = get_contract(session, user, contract_id)
    try:
        text = rules.check_note(text)
    except rules.ContractRuleError as exc:
        raise ValidationFailed({"text": [str(exc)]})
    locked(session, Contract, contract.id, key_share=True)
    if seen_last is not None and (sent := session.scalar(select(ContractNote).where(
            ContractNote.contract_id == contract.id, ContractNote.id > seen_last, ContractNote.kind == "manual",
            ContractNote.author_id == user.id, ContractNote.text == text).limit(1))) is not None:
        session.rollback()
        return sent
    note = ContractNote(contract_id=contract.id, kind="manual", text=text, author_id=user.id)
    session.add(note)
    session.commit()
    return note


# ----- the PO's side -----

def on_po_edit(session: Session, po: PurchaseOrder, before, after, actor, confirmed: bool) -> None:
    """A PO edit (amount or dates) writes a note on its contract, and the opportunity follows.
    `update_po` calls it holding the PO's lock, before the edit is applied."""
    from portal.domain.purchase_orders import master_amount

    contract = contract_of_po(session, po.id)
    if contract is None:
        return
    new_amount = master_amount(after.lines) if after.kind == "multi_line_master" else after.amount
    if new_amount is None:
        return
    today = date.today()
    figs = figures(session, po).with_amount(new_amount)
    actor_id = getattr(actor, "id", None)
    if new_amount != before.amount:
        _note(session, contract, "po_amount", rules.amount_changed_note(before.amount, new_amount, figs), actor_id)
    if new_amount != before.amount or after.expiration != before.expiration:
        sync_opportunity(session, contract, po.id, figs, rules.po_current(after.effective, after.expiration, today),
                         today, actor_id)


def po_schedule(session: Session, user, po: PurchaseOrder) -> dict:
    """The PO's Schedule tab: Amount, scheduled, unscheduled, the contract, its notes and opportunity. A contract
    the user may not see is left out, and `hidden_contract` says the PO has one (so the tab does not offer to
    enter another)."""
    contract = contract_of_po(session, po.id)
    hidden_contract = contract is not None and not visible(user, contract)
    if hidden_contract:
        contract = None
    figs = figures(session, po)
    opportunity = session.scalar(select(Opportunity).where(Opportunity.po_id == po.id)
                                 .order_by((Opportunity.status == "open").desc(), Opportunity.id.desc()).limit(1))
    return {"contract": contract, "figures": figs, "opportunity": opportunity if contract else None,
            "scheduled": scheduled_total(session, contract.id) if contract else ZERO,
            "notes": notes_of(session, contract.id) if contract else [], "hidden_contract": hidden_contract}


def contracts_of_debtor(session: Session, user, debtor_id: int, limit: int = 100) -> list[tuple[Contract, Decimal]]:
    """A debtor's contracts with what each has scheduled (two queries, at most `limit` rows)."""
    rows = session.execute(
        select(Contract, func.coalesce(func.sum(_scheduled_amount()), 0))
        .outerjoin(Delivery, Delivery.contract_id == Contract.id).where(Contract.debtor_id == debtor_id)
        .group_by(Contract.id).order_by(Contract.id.desc()).limit(limit)).all()
    return [(c, total) for c, total in rows if visible(user, c)]


# ----- integrity -----

_CONTRACT_SQL = """
WITH deliveries AS (
    -- each delivery's rows, and its ledger on the contract's PO: what its order line posted (and voided), what
    -- invoices released of that, and what the invoices made from the line drew net of their credit memos
    SELECT d.contract_id, d.amount, d.cancelled_on,
           COALESCE(SUM(le.amount) FILTER (WHERE le.document_line_id = dl.id AND le.document_id = dl.document_id),
                    0) AS ordered,
           COALESCE(-SUM(le.amount) FILTER (WHERE le.document_line_id = dl.id AND le.document_id <> dl.document_id),
                    0) AS released,
           COALESCE(SUM(le.amount) FILTER (WHERE le.document_line_id <> dl.id), 0) AS invoiced
    FROM contract_deliveries d
    JOIN contracts c ON c.id = d.contract_id
    JOIN document_lines dl ON dl.id = d.document_line_id
    LEFT JOIN ledger_entries le ON le.po_id = c.po_id AND le.bucket IN ('commitment', 'used') AND (
        le.document_line_id = dl.id
        OR le.document_line_id IN (SELECT il.id FROM document_lines il WHERE il.source_line_id = dl.id)
        OR le.document_line_id IN (SELECT cl.id FROM document_lines cl JOIN document_lines il
                                   ON il.id = cl.source_line_id WHERE il.source_line_id = dl.id))
    GROUP BY d.id
), totals AS (
    -- as the rows say (a delivery's amount less what invoices released, none once cancelled), and as the
    -- ledger says (what the order line still commits); both with what was invoiced net of credits
    SELECT c.id, c.number,
           COALESCE(SUM(CASE WHEN d.cancelled_on IS NULL THEN d.amount - d.released ELSE 0 END + d.invoiced), 0)
               AS scheduled,
           COALESCE(SUM(d.ordered - d.released + d.invoiced), 0) AS ledger
    FROM contracts c LEFT JOIN deliveries d ON d.contract_id = c.id
    GROUP BY c.id, c.number
)
SELECT id, number, scheduled, ledger FROM totals WHERE scheduled <> ledger ORDER BY id
"""

_OPPORTUNITY_SQL = """
WITH ledger AS (
    SELECT po_id, COALESCE(SUM(amount) FILTER (WHERE bucket IN ('used', 'commitment')), 0) AS drawn
    FROM ledger_entries GROUP BY po_id
)
SELECT o.id, po.number, po.amount - COALESCE(b.used, 0) - COALESCE(b.commitments, 0),
       po.amount - COALESCE(l.drawn, 0)
FROM opportunities o
JOIN purchase_orders po ON po.id = o.po_id
LEFT JOIN po_balances b ON b.po_id = po.id
LEFT JOIN ledger l ON l.po_id = po.id
WHERE o.status = 'open'
  AND po.amount - COALESCE(b.used, 0) - COALESCE(b.commitments, 0) <> po.amount - COALESCE(l.drawn, 0)
ORDER BY o.id
"""


def integrity_problems(session: Session) -> list[str]:
    """Contracts whose deliveries (their amounts, and which are cancelled) say another scheduled total than
    the ledger (`scheduled_total`: what their order lines still commit, and what was invoiced from them net of
    credits), and open opportunities whose amount (from the balance row) differs from the ledger's."""
    from sqlalchemy import text

    out = [f"contract {number}: scheduled {scheduled} ≠ ledger {posted}"
           for _, number, scheduled, posted in session.execute(text(_CONTRACT_SQL))]
    out += [f"opportunity on PO {number}: amount {stored} ≠ ledger {ledger}"
            for _, number, stored, ledger in session.execute(text(_OPPORTUNITY_SQL))]
    return out

