"""Summaries kept in the transaction that changes what they summarise, so pages read a few rows
instead of the ledger.

They are maintained by database triggers (see the migration that creates them), which fire in the
posting, voiding and reassigning transactions whatever code path writes the ledger or the lines;
`flask integrity check` recomputes them from their sources.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import DATERANGE, Range
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.purchase_orders import BALANCE


class PODocumentTotal(db.Model):
    """What one document has applied to one PO (the sum of its ledger entries there), with the
    document's date: the PO's documents tab pages over these."""

    __tablename__ = "po_document_totals"
    __audit__ = False
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    doc_date: Mapped[date] = mapped_column(Date)
    applied: Mapped[Decimal] = mapped_column(BALANCE)
    __table_args__ = (
        Index("ix_po_document_totals_po_date", "po_id", "doc_date", "document_id", postgresql_include=["applied"]),
    )


class PODayTotal(db.Model):
    """A PO's Used and Commitments summed per document date: the burn-down's series and its forecast's
    history (portal/services/forecasts.py) read a PO's days, not its ledger entries."""

    __tablename__ = "po_day_totals"
    __audit__ = False
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[Decimal] = mapped_column(BALANCE)
    commitments: Mapped[Decimal] = mapped_column(BALANCE)


class POBillCodeTotal(db.Model):
    """A PO's ledger summed per bill code and bucket (seed 003's multi-line PO: ordinary vs overtime)."""

    __tablename__ = "po_bill_code_totals"
    __audit__ = False
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), primary_key=True)
    bill_code_id: Mapped[int] = mapped_column(ForeignKey("bill_codes.id", ondelete="CASCADE"), primary_key=True)
    used: Mapped[Decimal] = mapped_column(BALANCE)
    commitments: Mapped[Decimal] = mapped_column(BALANCE)
    estimates: Mapped[Decimal] = mapped_column(BALANCE)


class SpendDocument(db.Model):
    """A posted document's lines summed per PO number they carry (budgeted or typed on the fly)."""

    __tablename__ = "spend_documents"
    __audit__ = False
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    po_number: Mapped[str] = mapped_column(String(50), primary_key=True)
    debtor_id: Mapped[int] = mapped_column(Integer)
    doc_date: Mapped[date] = mapped_column(Date)
    used: Mapped[Decimal] = mapped_column(BALANCE)
    commitments: Mapped[Decimal] = mapped_column(BALANCE)
    estimates: Mapped[Decimal] = mapped_column(BALANCE)
    budgeted: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (
        Index("ix_spend_documents_number_latest", "debtor_id", "po_number", "doc_date", "document_id"),
    )


class PONumberSpend(db.Model):
    """Spend per (debtor, PO number): the sums of SpendDocument, read by the spend report."""

    __tablename__ = "po_number_spend"
    __audit__ = False
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="CASCADE"), primary_key=True)
    po_number: Mapped[str] = mapped_column(String(50), primary_key=True)
    used: Mapped[Decimal] = mapped_column(BALANCE)
    commitments: Mapped[Decimal] = mapped_column(BALANCE)
    estimates: Mapped[Decimal] = mapped_column(BALANCE)
    documents: Mapped[int] = mapped_column(Integer)
    budgeted_documents: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        Index("ix_po_number_spend_number", "po_number", "debtor_id"),
    )


class PONumberSpendTotal(db.Model):
    """A debtor's PONumberSpend rows summed (those with a document, as the report lists them): the spend
    report's footer reads one row per debtor (all debtors: one per debtor), not the 10,000 numbers.
    Kept at commit by a deferred trigger on po_number_spend, so the row lock on a debtor's totals is
    taken last, after every PO a posting locks (see the migration that creates it)."""

    __tablename__ = "po_number_spend_totals"
    __audit__ = False
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="CASCADE"), primary_key=True)
    numbers: Mapped[int] = mapped_column(Integer)  # PO numbers with at least one document
    used: Mapped[Decimal] = mapped_column(BALANCE)
    commitments: Mapped[Decimal] = mapped_column(BALANCE)
    estimates: Mapped[Decimal] = mapped_column(BALANCE)
    documents: Mapped[int] = mapped_column(Integer)  # the numbers' document counts summed


class JobGap(db.Model):
    """A stretch of days on which an active job has no PO or group (job_visibility.assigned_on is
    false and the job is active): its active days less every day one of its current debtor's
    assignments covers. The start page counts the jobs unassigned today from these, through the GiST
    index, reading only them (counting from the jobs read all 50,000 and their assignments: 100 ms)."""

    __tablename__ = "job_gaps"
    __audit__ = False
    # no foreign key: its check, one per row written, was a third of a bulk assignment's recomputation
    # (a trigger removes a deleted job's gaps, and `flask integrity check` finds any left)
    job_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    days: Mapped[Range[date]] = mapped_column(DATERANGE, primary_key=True)
    branch_id: Mapped[int] = mapped_column(Integer)  # the job's, for job security without reading the job
    __table_args__ = (
        Index("ix_job_gaps_days", "days", postgresql_using="gist", postgresql_include=["branch_id"]),
    )
