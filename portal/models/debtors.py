"""Debtors (seed words: debtor, customer, client)."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import Tracked

OVER_BUDGET_POLICIES = ("warn", "block")


class Debtor(Tracked, db.Model):
    __tablename__ = "debtors"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    enforce_purchase_orders: Mapped[bool] = mapped_column(Boolean, default=False)
    over_budget_policy: Mapped[str] = mapped_column(String(10), default="warn")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("uq_debtors_code_upper", func.upper(code), unique=True),
        Index("ix_debtors_name_lower", func.lower(name)),
        CheckConstraint("over_budget_policy IN ('warn', 'block')", name="over_budget_policy"),
        CheckConstraint("length(trim(code)) > 0", name="code_not_blank"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"
