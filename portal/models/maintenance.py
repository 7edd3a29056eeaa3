"""Maintenance lists (seed 003): bill codes, bill code groups, document types, alert templates, settings."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (ARRAY, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, Numeric,
                        SmallInteger, String, Table, Text, func)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Tracked

BUCKETS = ("estimate", "commitment", "used")

bill_code_group_members = Table(
    "bill_code_group_members",
    db.metadata,
    Column("group_id", ForeignKey("bill_code_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("bill_code_id", ForeignKey("bill_codes.id", ondelete="RESTRICT"), primary_key=True),
)

alert_template_roles = Table(
    "alert_template_roles",
    db.metadata,
    Column("template_id", ForeignKey("alert_templates.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)

alert_template_users = Table(
    "alert_template_users",
    db.metadata,
    Column("template_id", ForeignKey("alert_templates.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class BillCode(Tracked, db.Model):
    """A bill element (ORD, OT, ALLOW, EXP …)."""

    __tablename__ = "bill_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (
        Index("uq_bill_codes_code_upper", func.upper(code), unique=True),
        CheckConstraint("length(trim(code)) > 0", name="code_not_blank"),
    )

    def __str__(self) -> str:
        return self.code


class BillCodeGroup(Tracked, db.Model):
    """A named set of bill codes; a master PO line draws on the codes of its group."""

    __tablename__ = "bill_code_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bill_codes: Mapped[list[BillCode]] = relationship(
        secondary=bill_code_group_members, lazy="selectin", order_by=BillCode.code
    )
    __table_args__ = (Index("uq_bill_code_groups_name_upper", func.upper(name), unique=True),)

    def __str__(self) -> str:
        return self.name


class DocumentType(Tracked, db.Model):
    """Estimate, Sales Order, Repair Order, Sales Invoice, Service Invoice, Credit Memo …

    The bucket says which balance column a posted document of this type draws on; the sign is
    -1 for credit memos (bucket used, negative).
    """

    __tablename__ = "document_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(10))  # prefix for document numbers: EST, SO, RO, SI, SVI, CM
    bucket: Mapped[str] = mapped_column(String(12))
    sign: Mapped[int] = mapped_column(SmallInteger, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # the last number given to a draft with a blank number (portal/services/documents.py)
    last_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    __table_args__ = (
        Index("uq_document_types_name_upper", func.upper(name), unique=True),
        Index("uq_document_types_code_upper", func.upper(code), unique=True),
        CheckConstraint("bucket IN ('estimate', 'commitment', 'used')", name="bucket"),
        CheckConstraint("sign IN (1, -1)", name="sign"),
        CheckConstraint("sign = 1 OR bucket = 'used'", name="only_used_is_negative"),
    )

    @property
    def is_estimate(self) -> bool:
        return self.bucket == "estimate"

    @property
    def is_order(self) -> bool:
        return self.bucket == "commitment"

    @property
    def is_invoice(self) -> bool:
        return self.bucket == "used" and self.sign == 1

    @property
    def is_credit_memo(self) -> bool:
        return self.bucket == "used" and self.sign == -1

    def __str__(self) -> str:
        return self.name


class AlertTemplate(Tracked, db.Model):
    """PO alert template: thresholds (% of the PO amount), days before expiry, recipients, message."""

    __tablename__ = "alert_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    thresholds: Mapped[list[Decimal]] = mapped_column(ARRAY(Numeric(5, 2)), default=list)
    days_before_expiry: Mapped[int | None] = mapped_column(Integer)
    # "forecast to run out within N days" (portal/domain/forecast.py), checked by `flask alerts scan`
    forecast_days: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # read when an alert is sent or the template edited, not whenever a PO names its template (a PO's
    # summary shows the name: the roles, their grants and the users were three statements more)
    recipient_roles = relationship("Role", secondary=alert_template_roles, lazy="select")
    recipient_users = relationship("User", secondary=alert_template_users, lazy="select")
    __table_args__ = (
        Index("uq_alert_templates_name_upper", func.upper(name), unique=True),
        CheckConstraint("days_before_expiry IS NULL OR days_before_expiry BETWEEN 0 AND 3650", name="days"),
        CheckConstraint("forecast_days IS NULL OR forecast_days BETWEEN 1 AND 365", name="forecast_days"),
    )

    def __str__(self) -> str:
        return self.name


class Setting(Tracked, db.Model):
    """A portal-wide setting (e.g. seed 004's InvoiceGenerationMessage, seed 002's PO pricing)."""

    __tablename__ = "settings"
    __audit_expand__ = ("value",)  # the history lists each changed field of the value, not the whole object
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict] = mapped_column(JSONB, default=dict)

    def __str__(self) -> str:
        return self.key
