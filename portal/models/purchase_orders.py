"""Customer purchase orders (seeds 001, 003, 004), their groups, lines and balances."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Column, Computed, Date, FetchedValue, ForeignKey,
                        ForeignKeyConstraint, Index, Integer, Numeric, String, Table, Text,
                        UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import TSVECTOR, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain import purchase_orders as po_rules
from portal.extensions import db
from portal.models.base import Tracked

MONEY = Numeric(14, 2)
BALANCE = Numeric(16, 2)
PERCENT = Numeric(5, 2)
PO_KINDS = ("single_line", "multi_line", "multi_line_master")


class POGroup(Tracked, db.Model):
    """A debtor's PO group (seed 004): member POs may not overlap in dates."""

    __tablename__ = "po_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # read when asked: a group is its POs' debtor's, whom a PO's own join has loaded already (a joined
    # load here joined debtors twice into every PO statement, and planning that cost up to 1 ms)
    debtor = relationship("Debtor", lazy="select")
    __table_args__ = (
        UniqueConstraint("id", "debtor_id", name="uq_po_groups_id_debtor"),
        Index("uq_po_groups_debtor_description", "debtor_id", func.upper(description), unique=True),
    )

    def audit_scope(self):
        return ("debtors", self.debtor_id)

    def __str__(self) -> str:
        return self.description


class PurchaseOrder(Tracked, db.Model):
    __tablename__ = "purchase_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(50))
    number_key: Mapped[str] = mapped_column(String(50), Computed("upper(number)", persisted=True))
    kind: Mapped[str] = mapped_column(String(20), default="single_line")
    description: Mapped[str] = mapped_column(String(200), default="")
    # the description's words for search (portal/services/search.py), kept by the database
    description_words: Mapped[str] = mapped_column(TSVECTOR, Computed(
        "to_tsvector('simple'::regconfig, (description)::text)", persisted=True), deferred=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    effective: Mapped[date] = mapped_column(Date)
    expiration: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    tolerance_pct: Mapped[Decimal | None] = mapped_column(PERCENT)
    group_id: Mapped[int | None] = mapped_column(Integer)
    alert_template_id: Mapped[int | None] = mapped_column(ForeignKey("alert_templates.id", ondelete="RESTRICT"))

    debtor = relationship("Debtor", lazy="joined")
    group = relationship("POGroup", lazy="joined", foreign_keys=[group_id],
                         primaryjoin="PurchaseOrder.group_id == POGroup.id")
    alert_template = relationship("AlertTemplate", lazy="select")
    lines: Mapped[list["POLine"]] = relationship(
        back_populates="purchase_order", cascade="all, delete-orphan", order_by="POLine.line_no", lazy="selectin"
    )
    eligible: Mapped[list["POEligibleType"]] = relationship(
        back_populates="purchase_order", cascade="all, delete-orphan", lazy="selectin",
        passive_deletes=True,
    )
    balance: Mapped["POBalance"] = relationship(
        back_populates="purchase_order", cascade="all, delete-orphan", lazy="joined", uselist=False
    )
    forecast: Mapped["POForecast | None"] = relationship(
        back_populates="purchase_order", cascade="all, delete-orphan", lazy="joined", uselist=False,
        passive_deletes=True,
    )

    __table_args__ = (
        UniqueConstraint("id", "debtor_id", name="uq_purchase_orders_id_debtor"),
        UniqueConstraint("id", "debtor_id", "number_key", name="uq_purchase_orders_id_debtor_number"),
        ForeignKeyConstraint(["group_id", "debtor_id"], ["po_groups.id", "po_groups.debtor_id"],
                             name="fk_purchase_orders_group_same_debtor", ondelete="RESTRICT"),
        CheckConstraint("expiration >= effective", name="dates_in_order"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("tolerance_pct IS NULL OR (tolerance_pct >= 0 AND tolerance_pct <= 100)", name="tolerance"),
        CheckConstraint("kind IN ('single_line', 'multi_line', 'multi_line_master')", name="kind"),
        CheckConstraint("length(trim(number)) > 0", name="number_not_blank"),
        # seed 004: the POs of one group may not overlap in dates (core operators only: no btree_gist)
        ExcludeConstraint(
            (text("int4range(group_id, group_id, '[]')"), "&&"),
            (text("daterange(effective, expiration, '[]')"), "&&"),
            using="gist", where=text("group_id IS NOT NULL"), name="ex_purchase_orders_group_overlap",
        ),
        Index("ix_purchase_orders_debtor_number", "debtor_id", "number_key"),
        Index("ix_purchase_orders_expiration", "expiration"),
        Index("ix_purchase_orders_group", "group_id"),
        Index("ix_purchase_orders_number_prefix", "number_key", postgresql_ops={"number_key": "varchar_pattern_ops"}),
        Index("ix_purchase_orders_description_words", "description_words", postgresql_using="gin",
              postgresql_with={"fastupdate": "off"}),  # no pending list: searches stay on the index
        Index("ix_purchase_orders_debtor_expiration", "debtor_id", "expiration", "number_key"),
        Index("ix_purchase_orders_expiration_number", "expiration", "number_key", "id"),
        Index("ix_purchase_orders_number_order", "number_key", "id"),  # the PO list by number, in its order
    )

    @property
    def is_master(self) -> bool:
        return self.kind == po_rules.MASTER

    def expired_on(self, today: date) -> bool:
        """Past its expiration date on `today`."""
        return not po_rules.is_current_or_future(self.expiration, today)

    def assignment_start(self, today: date) -> date:
        """The start date its page offers for assigning jobs to it: its effective date, or today once that passed."""
        return po_rules.assignment_start(self.effective, today)

    def shown_tabs(self, tabs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (key, label) tabs of its page that apply to its kind."""
        return [t for t in tabs if po_rules.has_tab(self.kind, t[0])]

    def __str__(self) -> str:
        return self.number


class POEligibleType(db.Model):
    """A document type a PO may be used on. UNIQUE (debtor, upper(number), type): a number may
    repeat for one debtor only across POs whose eligible types are disjoint (seeds 001 + 004)."""

    __tablename__ = "po_eligible_types"
    __audit__ = False  # the PO's own history records its eligible types
    po_id: Mapped[int] = mapped_column(primary_key=True)
    document_type_id: Mapped[int] = mapped_column(ForeignKey("document_types.id", ondelete="RESTRICT"),
                                                  primary_key=True)
    debtor_id: Mapped[int] = mapped_column(Integer)
    number_key: Mapped[str] = mapped_column(String(50))
    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="eligible")
    document_type = relationship("DocumentType", lazy="joined")
    __table_args__ = (
        # kept equal to the PO's debtor and number: a renumbered PO cascades here
        ForeignKeyConstraint(["po_id", "debtor_id", "number_key"],
                             ["purchase_orders.id", "purchase_orders.debtor_id", "purchase_orders.number_key"],
                             name="fk_po_eligible_types_po", ondelete="CASCADE", onupdate="CASCADE"),
        UniqueConstraint("debtor_id", "number_key", "document_type_id", name="uq_po_eligible_types_number_type"),
    )


class POLine(Tracked, db.Model):
    """A master PO's line budget: its own amount, bill code group and secondary PO number (seed 003)."""

    __tablename__ = "po_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    budget: Mapped[Decimal] = mapped_column(MONEY)
    bill_code_group_id: Mapped[int] = mapped_column(ForeignKey("bill_code_groups.id", ondelete="RESTRICT"))
    secondary_po_number: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(200), default="")
    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    bill_code_group = relationship("BillCodeGroup", lazy="joined")
    balance: Mapped["POLineBalance"] = relationship(
        back_populates="po_line", cascade="all, delete-orphan", lazy="joined", uselist=False
    )
    __table_args__ = (
        # checked at commit while a save reorders lines or swaps their groups (SET CONSTRAINTS … DEFERRED)
        UniqueConstraint("po_id", "line_no", name="uq_po_lines_po_line_no", deferrable=True, initially="IMMEDIATE"),
        UniqueConstraint("po_id", "bill_code_group_id", name="uq_po_lines_po_group", deferrable=True,
                         initially="IMMEDIATE"),
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("length(trim(secondary_po_number)) > 0", name="secondary_not_blank"),
    )

    def audit_scope(self):
        return ("purchase_orders", self.po_id)

    def __str__(self) -> str:
        return f"line {self.line_no} ({self.secondary_po_number})"


po_line_bill_codes = Table(
    "po_line_bill_codes",
    db.metadata,
    # the bill codes each master line covers, kept by the service from the lines' groups:
    # UNIQUE (po, bill code) holds "no bill code in two lines of one PO", also when a group is edited
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"), nullable=False),
    Column("po_line_id", ForeignKey("po_lines.id", ondelete="CASCADE"), nullable=False),
    Column("bill_code_id", ForeignKey("bill_codes.id", ondelete="RESTRICT"), nullable=False),
    UniqueConstraint("po_id", "bill_code_id", name="uq_po_line_bill_codes_po_code"),
    Index("ix_po_line_bill_codes_line", "po_line_id"),
)


class POBalance(db.Model):
    """A PO's running balances, kept equal to the ledger in the posting transaction."""

    __tablename__ = "po_balances"
    __audit__ = False
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), primary_key=True)
    used: Mapped[Decimal] = mapped_column(BALANCE, default=Decimal("0"), server_default="0")
    commitments: Mapped[Decimal] = mapped_column(BALANCE, default=Decimal("0"), server_default="0")
    estimates: Mapped[Decimal] = mapped_column(BALANCE, default=Decimal("0"), server_default="0")
    # the PO's own figures, copied by database triggers (on insert here, on update of the PO), so
    # the attention list is answered from this table's indexes alone
    amount: Mapped[Decimal] = mapped_column(MONEY, server_default=FetchedValue())
    tolerance_pct: Mapped[Decimal | None] = mapped_column(PERCENT, server_default=FetchedValue())
    expiration: Mapped[date] = mapped_column(Date, server_default=FetchedValue())
    remaining: Mapped[Decimal] = mapped_column(BALANCE, Computed("amount - (used + commitments + estimates)",
                                                                 persisted=True))
    # seed 001's yellow or red (budget.colour is not None), as the database sees it
    budget_attention: Mapped[bool] = mapped_column(Boolean, Computed(
        "(used + commitments + estimates) > amount OR (tolerance_pct IS NOT NULL AND "
        "(used + commitments + estimates) >= amount * tolerance_pct / 100)", persisted=True))
    # a master PO's lines whose Subtotal passes their budget (budget.colour "red" on the Lines tab), counted by
    # database triggers on the line balances and budgets, so the attention list finds such a PO by an index too
    lines_over: Mapped[int] = mapped_column(Integer, server_default="0")
    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="balance")
    __table_args__ = (
        Index("ix_po_balances_expiration", "expiration"),
        Index("ix_po_balances_remaining", "remaining", "po_id"),  # least remaining first (start page, PO list)
        Index("ix_po_balances_budget_attention", "expiration", postgresql_where=text("budget_attention")),
        Index("ix_po_balances_lines_over", "expiration", postgresql_where=text("lines_over > 0")),
    )


class POLineBalance(db.Model):
    """A master line's running balances."""

    __tablename__ = "po_line_balances"
    __audit__ = False
    po_line_id: Mapped[int] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"), primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    used: Mapped[Decimal] = mapped_column(BALANCE, default=Decimal("0"), server_default="0")
    commitments: Mapped[Decimal] = mapped_column(BALANCE, default=Decimal("0"), server_default="0")
    estimates: Mapped[Decimal] = mapped_column(BALANCE, default=Decimal("0"), server_default="0")
    po_line: Mapped[POLine] = relationship(back_populates="balance")


class POForecast(db.Model):
    """A PO's burn-down forecast as last computed (portal/services/forecasts.py): by the nightly
    `flask alerts scan` for every current PO and by each posting for the POs it touches, so PO lists
    filter and sort on it with an index. The PO page computes its own forecast afresh."""

    __tablename__ = "po_forecasts"
    __audit__ = False
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))  # Used per day
    tolerance_on: Mapped[date | None] = mapped_column(Date)
    # the projected day Used reaches the amount; for a PO already over, the day that was found
    runs_out_on: Mapped[date | None] = mapped_column(Date)
    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="forecast")
    __table_args__ = (
        CheckConstraint("state IN ('no_history', 'too_little_history', 'over', 'not_rising', 'projected')",
                        name="state"),
        Index("ix_po_forecasts_runs_out_on", "runs_out_on"),
    )
