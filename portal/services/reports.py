"""Read-only figures: a PO's documents (seed 001's Fetch, seed 004's details), spend by bill code,
and spend by PO number (seed 003's reporting and invoice grouping, on-the-fly numbers included)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain.text import csv_text
from portal.models import BillCode, Document, DocumentLine, DocumentType, JobOrder, LedgerEntry, PurchaseOrder
from portal.services.job_visibility import visible


@dataclass(frozen=True)
class PODocumentRow:
    document_id: int
    doc_date: date
    number: str
    type_name: str
    jobs: str
    bill_to: date | None
    total: Decimal
    applied: Decimal
    remaining: Decimal


def po_documents(session: Session, user, po: PurchaseOrder) -> list[PODocumentRow]:
    """Every document drawing on the PO, oldest first, with the amount applied and the running
    remaining balance (credit memos negative), naming only the jobs the user may see. Two queries."""
    applied = (select(LedgerEntry.document_id, func.sum(LedgerEntry.amount).label("applied"))
               .where(LedgerEntry.po_id == po.id).group_by(LedgerEntry.document_id).subquery())
    jobs = (visible(select(DocumentLine.document_id, func.string_agg(func.distinct(JobOrder.number), ", ").label("jobs"))
                    .join(JobOrder, JobOrder.id == DocumentLine.job_id), user).where(DocumentLine.po_id == po.id)
            .group_by(DocumentLine.document_id).subquery())
    rows = session.execute(
        select(Document.id, Document.doc_date, Document.number, DocumentType.name, func.coalesce(jobs.c.jobs, ""),
               Document.bill_to, Document.total * DocumentType.sign, applied.c.applied)
        .join(applied, applied.c.document_id == Document.id)
        .join(DocumentType, DocumentType.id == Document.document_type_id)
        .outerjoin(jobs, jobs.c.document_id == Document.id)
        .order_by(Document.doc_date, Document.id)).all()
    out, running = [], Decimal("0")
    for doc_id, day, number, type_name, job_numbers, bill_to, total, amount in rows:
        running += amount
        out.append(PODocumentRow(doc_id, day, number, type_name, job_numbers, bill_to, total, amount, po.amount - running))
    return out


def spend_by_bill_code(session: Session, po_id: int) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    """Seed 003's multi-line PO: one budget, spend tracked per bill code (ordinary vs overtime)."""
    rows = session.execute(
        select(BillCode.code, BillCode.description,
               func.coalesce(func.sum(LedgerEntry.amount).filter(LedgerEntry.bucket == "used"), 0),
               func.coalesce(func.sum(LedgerEntry.amount).filter(LedgerEntry.bucket == "commitment"), 0),
               func.coalesce(func.sum(LedgerEntry.amount).filter(LedgerEntry.bucket == "estimate"), 0))
        .join(LedgerEntry, LedgerEntry.bill_code_id == BillCode.id).where(LedgerEntry.po_id == po_id)
        .group_by(BillCode.code, BillCode.description).order_by(BillCode.code)).all()
    return [tuple(r) for r in rows]


REPORT_DOCUMENTS_PER_NUMBER = 50


def spend_by_po_number(session: Session, debtor_id: int | None = None) -> list[tuple]:
    """Posted document lines grouped by the PO number they carry (budgeted or typed on the fly), each
    with its documents (the latest REPORT_DOCUMENTS_PER_NUMBER; the count says how many in all)."""
    number = func.coalesce(DocumentLine.po_number, Document.po_number, "(none)")
    posted = [Document.status == "posted"] + ([Document.debtor_id == debtor_id] if debtor_id else [])
    stmt = (select(Document.debtor_id, number.label("po_number"), DocumentType.bucket,
                   func.sum(DocumentLine.amount * DocumentType.sign), func.count(func.distinct(Document.id)),
                   func.bool_or(DocumentLine.po_id.is_not(None)))
            .join(Document, Document.id == DocumentLine.document_id)
            .join(DocumentType, DocumentType.id == Document.document_type_id)
            .where(*posted))
    rows = session.execute(stmt.group_by(Document.debtor_id, number, DocumentType.bucket).order_by(number)).all()
    table: dict[tuple, dict] = {}
    for debtor, po_number, bucket, amount, docs, budgeted in rows:
        entry = table.setdefault((debtor, po_number), {"used": Decimal("0"), "commitment": Decimal("0"),
                                                       "estimate": Decimal("0"), "documents": 0, "budgeted": False,
                                                       "items": []})
        entry[bucket] += amount
        entry["documents"] += docs
        entry["budgeted"] = entry["budgeted"] or budgeted
    per_document = (select(Document.debtor_id, number.label("po_number"), Document.id, Document.number,
                           Document.doc_date, DocumentType.name, func.sum(DocumentLine.amount * DocumentType.sign),
                           func.row_number().over(partition_by=(Document.debtor_id, number),
                                                  order_by=(Document.doc_date.desc(), Document.id.desc())).label("n"))
                    .join(Document, Document.id == DocumentLine.document_id)
                    .join(DocumentType, DocumentType.id == Document.document_type_id)
                    .where(*posted)
                    .group_by(Document.debtor_id, number, Document.id, DocumentType.name)).subquery()
    for debtor, po_number, doc_id, doc_number, doc_date, type_name, amount, _ in session.execute(
            select(per_document).where(per_document.c.n <= REPORT_DOCUMENTS_PER_NUMBER)
            .order_by(per_document.c.doc_date.desc(), per_document.c.id.desc())):
        table[(debtor, po_number)]["items"].append(ReportDocument(doc_id, doc_number, doc_date, type_name, amount))
    return [(debtor, number, v) for (debtor, number), v in table.items()]


@dataclass(frozen=True)
class ReportDocument:
    document_id: int
    number: str
    doc_date: date
    type_name: str
    amount: Decimal


def spend_by_po_number_csv(rows: list[tuple], debtor_codes: dict[int, str]) -> str:
    """The spend report as CSV for a spreadsheet: one row per debtor and PO number."""
    cent = Decimal("0.01")
    return csv_text(["debtor", "po_number", "budget", "documents", "invoiced_net", "orders", "estimates"],
                    ([debtor_codes[debtor], number, "PO budget" if v["budgeted"] else "on the fly", v["documents"],
                      Decimal(v["used"]).quantize(cent), Decimal(v["commitment"]).quantize(cent),
                      Decimal(v["estimate"]).quantize(cent)] for debtor, number, v in rows))
