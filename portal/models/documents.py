"""Documents drawing on PO budgets, the budget ledger, alerts, notifications and the e-mail outbox."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer,
                        Numeric, String, Text, UniqueConstraint, func, text)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from portal.extensions import db
from portal.models.base import Tracked
from portal.models.purchase_orders import MONEY, PERCENT

QUANTITY = Numeric(14, 4)
RATE = Numeric(14, 4)
DOCUMENT_STATUSES = ("draft", "posted", "void")


class Document(Tracked, db.Model):
    """An estimate, order, invoice or credit memo of a debtor (its DocumentType says which)."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    # indexed by ix_documents_debtor_date_id (its first column)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="RESTRICT"))
    document_type_id: Mapped[int] = mapped_column(ForeignKey("document_types.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(30))
    doc_date: Mapped[date] = mapped_column(Date)
    bill_from: Mapped[date | None] = mapped_column(Date)   # seed 004's Bill To period
    bill_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="draft")
    # the order an invoice was made from, the estimate an order was converted from, the invoice a memo credits
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    # typed on the document when the debtor has no POs (seed 001)
    po_number: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    override_used: Mapped[bool] = mapped_column(Boolean, default=False)
    # no columns: loaded by the lists for a user limited to branches (services.documents.with_totals_shown),
    # None otherwise. The lines on other branches' jobs, and the total of the others (no job, or their branches')
    lines_hidden: Mapped[int | None] = query_expression()
    lines_shown_total: Mapped[Decimal | None] = query_expression()

    debtor = relationship("Debtor", lazy="joined")
    document_type = relationship("DocumentType", lazy="joined")
    source_document = relationship("Document", remote_side=[id], lazy="select")
    lines: Mapped[list["DocumentLine"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentLine.line_no", lazy="selectin"
    )
    __table_args__ = (
        Index("uq_documents_type_number", "document_type_id", func.upper(number), unique=True),
        CheckConstraint("status IN ('draft', 'posted', 'void')", name="status"),
        CheckConstraint("bill_to IS NULL OR bill_from IS NULL OR bill_to >= bill_from", name="bill_period"),
        Index("ix_documents_source", "source_document_id"),
        Index("ix_documents_date_id", "doc_date", "id"),
        Index("ix_documents_drafts", "doc_date", "id", postgresql_where=text("status = 'draft'")),
        # the list's order within a debtor and among the (few) voided documents: a filter matching few
        # documents walked the date index past every other one (a debtor with 5 documents: 37 ms)
        Index("ix_documents_debtor_date_id", "debtor_id", "doc_date", "id"),
        Index("ix_documents_voided", "doc_date", "id", postgresql_where=text("status = 'void'")),
        Index("ix_documents_number_prefix", func.upper(number).label("number_upper"),
              postgresql_ops={"number_upper": "varchar_pattern_ops"}),
        Index("ix_documents_po_number_prefix", func.upper(po_number).label("po_number_upper"),
              postgresql_ops={"po_number_upper": "varchar_pattern_ops"}),
    )

    def signed(self, amount: Decimal) -> Decimal:
        """An amount of this document as its type counts it: negative on a credit memo."""
        return amount * self.document_type.sign

    @property
    def total_shown(self) -> Decimal:
        """The total a list shows: the document's own, or, for a user limited to branches from whom lines are
        hidden (`lines_hidden` loaded and not 0), the total of the lines shown to them."""
        return self.lines_shown_total if self.lines_hidden else self.total

    @property
    def lines_reassignable(self) -> bool:
        """Only the lines of a posted invoice move to another PO (seed 003)."""
        return self.status == "posted" and self.document_type.is_invoice

    def __str__(self) -> str:
        return self.number


class DocumentLine(Tracked, db.Model):
    __tablename__ = "document_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job_orders.id", ondelete="RESTRICT"), index=True)
    bill_code_id: Mapped[int] = mapped_column(ForeignKey("bill_codes.id", ondelete="RESTRICT"))
    service_date: Mapped[date | None] = mapped_column(Date)  # None: the document date
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    rate: Mapped[Decimal] = mapped_column(RATE)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    # the funding: resolved on posting, or named explicitly (explicit_po) on the line
    # indexed by ix_document_lines_po_document (its first column)
    po_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id", ondelete="RESTRICT"))
    po_line_id: Mapped[int | None] = mapped_column(ForeignKey("po_lines.id", ondelete="RESTRICT"))
    explicit_po: Mapped[bool] = mapped_column(Boolean, default=False)
    po_number: Mapped[str | None] = mapped_column(String(50))  # the number printed/grouped (on-the-fly included)
    # the order/estimate line this came from, or the invoice line a credit memo line reverses
    source_line_id: Mapped[int | None] = mapped_column(ForeignKey("document_lines.id", ondelete="RESTRICT"), index=True)

    document: Mapped[Document] = relationship(back_populates="lines")
    job = relationship("JobOrder", lazy="select")
    bill_code = relationship("BillCode", lazy="joined")
    purchase_order = relationship("PurchaseOrder", lazy="select")
    po_line = relationship("POLine", lazy="select")
    __table_args__ = (
        # carries each line's PO and job: a page of documents' jobs on a PO is read from this index alone
        UniqueConstraint("document_id", "line_no", name="uq_document_lines_doc_line_no",
                         postgresql_include=["po_id", "job_id"]),
        Index("ix_document_lines_po_document", "po_id", "document_id"),
        # PO numbers typed on the fly (a line with a number and no PO), for the documents list's PO filter
        Index("ix_document_lines_typed_po_number", func.upper(po_number).label("po_number_upper"),
              postgresql_ops={"po_number_upper": "varchar_pattern_ops"},
              postgresql_where=text("po_id IS NULL AND po_number IS NOT NULL")),
        CheckConstraint("po_line_id IS NULL OR po_id IS NOT NULL", name="line_needs_po"),
    )

    def audit_scope(self):
        return ("documents", self.document_id)

    def __str__(self) -> str:
        return f"line {self.line_no}"


class LedgerEntry(db.Model):
    """One movement of a PO bucket: balances are the sums of these, kept in po_balances."""

    __tablename__ = "ledger_entries"
    __audit__ = False  # the document's own history records postings
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    document_line_id: Mapped[int] = mapped_column(ForeignKey("document_lines.id", ondelete="RESTRICT"))
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="RESTRICT"))
    po_line_id: Mapped[int | None] = mapped_column(ForeignKey("po_lines.id", ondelete="RESTRICT"))
    bill_code_id: Mapped[int] = mapped_column(ForeignKey("bill_codes.id", ondelete="RESTRICT"))
    bucket: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    event: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    __table_args__ = (
        CheckConstraint("bucket IN ('estimate', 'commitment', 'used')", name="bucket"),
        Index("ix_ledger_entries_po", "po_id", "id"),
        Index("ix_ledger_entries_line", "document_line_id"),
        Index("ix_ledger_entries_document", "document_id"),
        Index("ix_ledger_entries_po_line", "po_line_id"),
    )


class Alert(db.Model):
    """A PO alert fired once per PO and threshold (re-armed when Subtotal falls back below)."""

    __tablename__ = "alerts"
    __audit__ = False
    id: Mapped[int] = mapped_column(primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # threshold | expiry | forecast
    threshold: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal("0"))  # % (threshold) or days (expiry, forecast)
    armed: Mapped[bool] = mapped_column(Boolean, default=False)  # False: fired and not re-armed
    fired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    message: Mapped[str] = mapped_column(Text, default="")
    purchase_order = relationship("PurchaseOrder", lazy="joined")
    __table_args__ = (
        UniqueConstraint("po_id", "kind", "threshold", name="uq_alerts_po_kind_threshold"),
        CheckConstraint("kind IN ('threshold', 'expiry', 'forecast')", name="kind"),
    )


class Notification(db.Model):
    """An in-app notice for one user (alerts); belongs to that user only."""

    __tablename__ = "notifications"
    __audit__ = False
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
                      Index("ix_notifications_user_id", "user_id", "id"))


class OutboxEmail(db.Model):
    """An e-mail queued in the transaction that raised it; `flask alerts deliver` sends it."""

    __tablename__ = "outbox_emails"
    __audit__ = False
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (Index("ix_outbox_emails_pending", "next_attempt_at", postgresql_where="sent_at IS NULL"),)
