"""Contracts of scheduled work on a PO, their deliveries and notes, and the opportunity for the
PO's unscheduled balance (seed 000)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, Column, Date, DateTime, ForeignKey, ForeignKeyConstraint, Index,
                        Sequence, String, Table, Text, func, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Tracked
from portal.models.documents import QUANTITY, RATE
from portal.models.purchase_orders import MONEY

contract_number_seq = Sequence("contract_number_seq", start=1001, metadata=db.metadata)

# a debtor's relationship leads: who owns the opportunities of its POs (seed 000's "RL")
debtor_relationship_leads = Table(
    "debtor_relationship_leads",
    db.metadata,
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_debtor_relationship_leads_user", "user_id"),
)


class Contract(Tracked, db.Model):
    """What the client has scheduled against one PO: its deliveries are posted as Sales Orders
    (commitments on the PO); the rest of the PO is the opportunity."""

    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True,
                                        server_default=text("'CT' || nextval('contract_number_seq')::text"))
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="RESTRICT"), unique=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="RESTRICT"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job_orders.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    last_scheduled_on: Mapped[date | None] = mapped_column(Date)

    purchase_order = relationship("PurchaseOrder", lazy="joined", foreign_keys=[po_id],
                                  primaryjoin="Contract.po_id == PurchaseOrder.id")
    debtor = relationship("Debtor", lazy="joined", foreign_keys=[debtor_id])
    job = relationship("JobOrder", lazy="select")
    deliveries: Mapped[list["Delivery"]] = relationship(
        back_populates="contract", order_by="Delivery.id", lazy="select")
    __table_args__ = (
        # the PO is the debtor's own: (po, debtor) must be a PO's (id, debtor)
        ForeignKeyConstraint(["po_id", "debtor_id"], ["purchase_orders.id", "purchase_orders.debtor_id"],
                                name="fk_contracts_po_same_debtor", ondelete="RESTRICT"),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
    )

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Delivery(Tracked, db.Model):
    """A scheduled class or session: one line of a Sales Order the contract posted."""

    __tablename__ = "contract_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    document_line_id: Mapped[int] = mapped_column(ForeignKey("document_lines.id", ondelete="RESTRICT"), unique=True)
    bill_code_id: Mapped[int] = mapped_column(ForeignKey("bill_codes.id", ondelete="RESTRICT"))
    delivery_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    rate: Mapped[Decimal] = mapped_column(RATE)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    scheduled_on: Mapped[date] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)

    contract: Mapped[Contract] = relationship(back_populates="deliveries")
    bill_code = relationship("BillCode", lazy="joined")
    document_line = relationship("DocumentLine", lazy="select")
    __table_args__ = (
        CheckConstraint("quantity > 0 AND rate > 0 AND amount > 0", name="positive"),
    )

    def audit_scope(self):
        return ("contracts", self.contract_id)

    def __str__(self) -> str:
        return f"{self.delivery_date} {self.description}"


class ContractNote(db.Model):
    """One line of the contract's story. Append-only: a trigger refuses UPDATE and DELETE."""

    __tablename__ = "contract_notes"
    __audit__ = False  # the notes are their own history
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author = relationship("User", lazy="joined")
    __table_args__ = (
        CheckConstraint("kind IN ('opening', 'scheduled', 'cancelled', 'po_amount', 'manual', 'status')",
                        name="kind"),
        CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),
        Index("ix_contract_notes_contract", "contract_id", "id"),
    )


class Opportunity(Tracked, db.Model):
    """The PO's unscheduled balance, owned by a relationship lead. Its amount is not stored: it is
    PO Amount − Used − Commitments from the PO's balance row. One open opportunity per PO."""

    __tablename__ = "opportunities"
    id: Mapped[int] = mapped_column(primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    lost_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_on: Mapped[date] = mapped_column(Date, server_default=func.current_date())

    purchase_order = relationship("PurchaseOrder", lazy="joined")
    contract = relationship("Contract", lazy="select")
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    __table_args__ = (
        CheckConstraint("status IN ('open', 'won', 'lost', 'expired')", name="status"),
        CheckConstraint("status <> 'lost' OR length(trim(coalesce(lost_reason, ''))) > 0", name="lost_has_reason"),
        Index("uq_opportunities_open_po", "po_id", unique=True, postgresql_where=text("status = 'open'")),
        Index("ix_opportunities_status_owner", "status", "owner_id"),
    )

    def audit_scope(self):
        return ("contracts", self.contract_id)

    def __str__(self) -> str:
        return f"opportunity on PO {self.purchase_order.number if self.purchase_order else self.po_id}"

