"""A PO statement for the client: the PO's header, its figures as of a statement date, every document
drawn on it with the running balance, and a master PO's lines with their secondary numbers.

"As of" a date means the ledger as it stood at the end of that day: every movement recorded up to
then (postings, releases by invoicing, voids, reassignments), none after. The figures are the same
sums the balance rows keep, so a statement dated today equals the PO page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from portal.domain import budget
from portal.models import AuditEntry, Document, DocumentType, LedgerEntry, POLine, PurchaseOrder
from portal.services.purchase_orders import Figures, figures_of

ZERO = Decimal("0")
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Sums:
    used: Decimal = ZERO
    commitments: Decimal = ZERO
    estimates: Decimal = ZERO


@dataclass(frozen=True)
class StatementDocument:
    doc_date: date
    number: str
    type_name: str
    bill_from: date | None
    bill_to: date | None
    status: str
    used: Decimal
    commitments: Decimal
    estimates: Decimal
    remaining: Decimal  # the PO's Net Remaining after this document

    @property
    def applied(self) -> Decimal:
        """What the document put on the PO: Used + Commitments + Estimates."""
        return self.used + self.commitments + self.estimates


@dataclass(frozen=True)
class StatementLine:
    line: POLine
    figures: Figures


@dataclass(frozen=True)
class Statement:
    po: PurchaseOrder
    as_of: date
    figures: Figures
    documents: list[StatementDocument]  # the latest STATEMENT_DOCUMENTS, oldest first
    lines: list[StatementLine]
    earlier: int = 0  # documents before those, brought forward as one row
    brought_forward: Sums = Sums()  # what they applied
    remaining_before: Decimal | None = None  # the Net Remaining after them


STATEMENT_DOCUMENTS = 200  # the documents a statement lists one by one; earlier ones are brought forward


def statement_date_error(value: date | None, today: date) -> str | None:
    """Why a statement date cannot be used, or None."""
    if value is None:
        return "Enter the statement date as YYYY-MM-DD."
    if value > today:
        return "The statement date cannot be in the future."
    if value < EARLIEST:
        return f"The statement date must be on or after {EARLIEST.isoformat()}."
    return None


def _cutoff(as_of: date) -> datetime:
    """A statement as of a day counts what was recorded up to the end of that day (UTC)."""
    return datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=timezone.utc)


def _bucket_sums():
    le = LedgerEntry
    return [func.coalesce(func.sum(case((le.bucket == b, le.amount))), 0) for b in ("used", "commitment", "estimate")]


def amount_as_of(session: Session, po: PurchaseOrder, cutoff: datetime) -> Decimal:
    """The PO's amount as it stood at `cutoff`: the last amount its history set before then (a later
    change does not rewrite an earlier statement); the amount now when its history sets none before."""
    value = session.scalar(
        select(AuditEntry.changes["amount"][1].astext)
        .where(AuditEntry.entity_type == "purchase_orders", AuditEntry.entity_id == po.id,
               AuditEntry.changes.has_key("amount"), AuditEntry.at < cutoff)
        .order_by(AuditEntry.id.desc()).limit(1))
    return Decimal(value) if value else po.amount


def budgets_as_of(session: Session, lines: list[POLine], cutoff: datetime) -> dict[int, Decimal]:
    """A master PO's line budgets as they stood at `cutoff` (as `amount_as_of`: the last budget each line's
    history set before then, else the budget now): one query for all the lines."""
    ids = [line.id for line in lines]
    set_then = dict(session.execute(
        select(AuditEntry.entity_id, AuditEntry.changes["budget"][1].astext)
        .where(AuditEntry.entity_type == "po_lines", AuditEntry.entity_id.in_(ids),
               AuditEntry.changes.has_key("budget"), AuditEntry.at < cutoff)
        .order_by(AuditEntry.id)).all()) if ids else {}  # oldest first: each line keeps the last it set
    return {line.id: Decimal(set_then[line.id]) if set_then.get(line.id) else line.budget for line in lines}


def statement(session: Session, po: PurchaseOrder, as_of: date) -> Statement:
    """The PO's statement as of the end of `as_of` (UTC): three queries whatever the PO's kind.
    Documents oldest first, each with what it has applied and the Net Remaining after it; past
    STATEMENT_DOCUMENTS the earlier ones are one "brought forward" row (a PO with 12,500 documents made a
    3 MB page and a PDF that took 46 s to draw)."""
    le, cutoff = LedgerEntry, _cutoff(as_of)
    rows = session.execute(
        select(Document.doc_date, Document.number, DocumentType.name, Document.bill_from, Document.bill_to,
               Document.status, *_bucket_sums())
        # each entry under the document whose posting wrote it: a statement is chronological, so an invoice
        # made from an order shows the commitment it released (Commitments −) beside what it used, and the
        # order keeps what it committed on its own day
        .join(Document, Document.id == le.document_id).join(DocumentType, DocumentType.id == Document.document_type_id)
        .where(le.po_id == po.id, le.at < cutoff)
        .group_by(Document.id, DocumentType.name).order_by(Document.doc_date, Document.id)).all()
    amount = amount_as_of(session, po, cutoff) if as_of < date.today() else po.amount
    documents, total, remaining = [], Sums(), amount
    for doc_date, number, type_name, bill_from, bill_to, status, used, commitments, estimates in rows:
        if not (used or commitments or estimates):
            continue  # posted and voided before the statement date: nothing drawn
        remaining -= used + commitments + estimates
        documents.append(StatementDocument(doc_date, number, type_name, bill_from, bill_to, status,
                                           used, commitments, estimates, remaining))
        total = Sums(total.used + used, total.commitments + commitments, total.estimates + estimates)
    lines = []
    if po.is_master:
        per_line = {line_id: Sums(*sums) for line_id, *sums in session.execute(
            select(le.po_line_id, *_bucket_sums()).where(le.po_id == po.id, le.at < cutoff, le.po_line_id.is_not(None))
            .group_by(le.po_line_id))}
        budgets = budgets_as_of(session, po.lines, cutoff) if as_of < date.today() else {l.id: l.budget for l in po.lines}
        lines = [StatementLine(line, figures_of(budgets[line.id], per_line.get(line.id), None))
                 for line in sorted(po.lines, key=lambda l: l.line_no)]
    earlier, brought, before = 0, Sums(), None
    if len(documents) > STATEMENT_DOCUMENTS:  # a PO with thousands of documents: a printable statement still
        older, documents = documents[:-STATEMENT_DOCUMENTS], documents[-STATEMENT_DOCUMENTS:]
        earlier, before = len(older), older[-1].remaining
        brought = Sums(sum((d.used for d in older), ZERO), sum((d.commitments for d in older), ZERO),
                       sum((d.estimates for d in older), ZERO))
    figures = figures_of(amount, total, po.tolerance_pct)
    if po.is_master:
        unlined = budget.not_on_any_line(figures, [budget.Balance.of(l.figures.amount, l.figures) for l in lines])
        figures = Figures(figures.amount, figures.used, figures.commitments, figures.estimates, figures.colour,
                          figures.tolerance_mark, unlined)
    return Statement(po, as_of, figures, documents, lines, earlier, brought, before)
