"""An opportunity's status follows its PO's figures (seed 000: PO Amount − Used − Commitments; won at zero,
expired with the PO, reopened when value comes back). Its own module: posting (which contracts posts its orders
through) brings the opportunities of the POs it changed in line without importing contracts."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from portal.domain import contracts as rules
from portal.domain.contracts import POFigures
from portal.models import Contract, ContractNote, Delivery, DocumentLine, Opportunity, POBalance, PurchaseOrder

ZERO = Decimal("0")


def figures(session: Session, po: PurchaseOrder) -> POFigures:
    """The PO's amount, Used and Commitments, read fresh from its balance row."""
    row = session.scalars(select(POBalance).where(POBalance.po_id == po.id)
                          .execution_options(populate_existing=True)).first()
    return POFigures(po.amount, row.used if row else ZERO, row.commitments if row else ZERO)


def note(session: Session, contract: Contract, kind: str, text: str, author_id: int | None) -> None:
    """A dated note on the contract (its history of amounts and statuses)."""
    session.add(ContractNote(contract_id=contract.id, kind=kind, text=text, author_id=author_id))


def sync_opportunity(session: Session, contract: Contract, po_id: int, figs: POFigures, current: bool, today: date,
                     author_id: int | None) -> Opportunity | None:
    """Move the PO's opportunity by itself (won at zero, expired with the PO, reopened when value
    comes back while the PO is current); the change is in its history and in a contract note."""
    opp = session.scalar(select(Opportunity).where(Opportunity.po_id == po_id)
                         .order_by((Opportunity.status == "open").desc(), Opportunity.id.desc()).limit(1)
                         .with_for_update(of=Opportunity).execution_options(populate_existing=True))
    if opp is None:
        return None
    new = rules.automatic_status(opp.status, figs.unscheduled, current)
    if new != opp.status:
        if new == rules.OPEN and session.scalar(select(Opportunity.id).where(
                Opportunity.po_id == po_id, Opportunity.status == "open", Opportunity.id != opp.id)):
            return opp
        opp.status, opp.status_changed_on, opp.lost_reason = new, today, None
        note(session, contract, "status", rules.status_note(today, new), author_id)
    return opp


def follow_postings(session: Session, pos: dict[int, PurchaseOrder], today: date, author_id: int | None) -> None:
    """A posting, void or reassignment moves the POs' Used and Commitments: their opportunities follow in its
    transaction (won at zero, reopened when a credit gives value back), not at the next nightly scan. The
    caller holds the POs locked (posting.lock_pos); one query when none of them has an opportunity."""
    if not pos:
        return
    rows = session.execute(select(Opportunity.po_id, Contract).join(Contract, Contract.id == Opportunity.contract_id)
                           .where(Opportunity.po_id.in_(list(pos)),
                                  Opportunity.status.in_([rules.OPEN, rules.WON, rules.EXPIRED]))
                           .order_by(Opportunity.po_id)).all()
    for po_id, contract in rows:
        po = pos[po_id]
        sync_opportunity(session, contract, po_id, figures(session, po),
                         rules.po_current(po.effective, po.expiration, today), today, author_id)


_INVOICE_LINE = aliased(DocumentLine, name="invoice_line")


def note_credits(session: Session, credit_memo_id: int, pos: dict[int, PurchaseOrder], today: date,
                 author_id: int | None) -> None:
    """A credit memo posted against invoices made from contracts' orders gives that value back to the contracts'
    opportunities: each contract gets a dated note with what was credited and the PO balance now remaining (as a
    cancelling does). Only the credit lines on the contract's own PO count. The caller holds the POs locked."""
    rows = session.execute(
        select(Contract, func.sum(DocumentLine.amount))
        .join(_INVOICE_LINE, _INVOICE_LINE.id == DocumentLine.source_line_id)
        .join(Delivery, Delivery.document_line_id == _INVOICE_LINE.source_line_id)
        .join(Contract, Contract.id == Delivery.contract_id)
        .where(DocumentLine.document_id == credit_memo_id, DocumentLine.po_id == Contract.po_id)
        .group_by(Contract.id).order_by(Contract.id)).all()
    for contract, credited in rows:
        po = pos.get(contract.po_id) or session.get(PurchaseOrder, contract.po_id)
        note(session, contract, "cancelled", rules.credited_note(today, credited, figures(session, po)), author_id)


def note_invoiced(session: Session, lines: list[rules.InvoicedLine], order_line_ids: list[int],
                  pos: dict[int, PurchaseOrder], today: date, author_id: int | None) -> None:
    """An invoice posted from contracts' orders that bills other than was scheduled (another rate than the order
    line's, more than it ordered, on another PO) moves the contracts' opportunities by the difference: each such
    contract gets a dated note saying why and the PO balance now remaining. `lines[i]` made from
    `order_line_ids[i]`; one query for the contracts. The caller holds the POs locked."""
    if not lines:
        return
    owners: dict[int, Contract] = {}
    for contract, order_line_id in session.execute(
            select(Contract, Delivery.document_line_id).join(Delivery, Delivery.contract_id == Contract.id)
            .where(Delivery.document_line_id.in_(order_line_ids))):
        owners[order_line_id] = contract
    contracts = {c.id: c for c in owners.values()}
    for contract in sorted(contracts.values(), key=lambda c: c.id):
        own = [line for line, src in zip(lines, order_line_ids) if owners.get(src) is contract]
        po = pos.get(contract.po_id) or session.get(PurchaseOrder, contract.po_id)
        text = rules.invoiced_note(today, contract.po_id, own, figures(session, po))
        if text:
            moved = sum((line.moves(contract.po_id) for line in own), ZERO)
            note(session, contract, "scheduled" if moved > 0 else "cancelled", text, author_id)


def note_reassigned(session: Session, invoice: str, moved: list[tuple[int, int, Decimal]], target: str,
                    pos: dict[int, PurchaseOrder], today: date, author_id: int | None) -> None:
    """Invoice lines reassigned onto or off a contract's PO move its opportunity (Used moves, commitments do not):
    the contract gets a dated note naming the lines, the target PO and the PO balance now remaining. `moved`: the
    reassignment's ledger amounts as (invoice line number, PO id, amount), its credit memo lines' under their
    invoice line's number. The caller holds the POs locked (they are all in `pos`)."""
    if not moved:
        return
    for contract in session.scalars(select(Contract).where(Contract.po_id.in_(list(pos))).order_by(Contract.id)):
        here = [(line_no, amount) for line_no, po_id, amount in moved if po_id == contract.po_id]
        total = sum((amount for _, amount in here), ZERO)
        if total:
            text = rules.reassigned_note(today, invoice, sorted({n for n, _ in here}), target, total,
                                         figures(session, pos[contract.po_id]))
            note(session, contract, "scheduled" if total > 0 else "cancelled", text, author_id)
