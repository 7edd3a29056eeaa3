"""Debtors (seed words: debtor, customer, client)."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Index, String, Table, Text, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import Tracked

OVER_BUDGET_POLICIES = ("warn", "block")

# a value replaced by every statement that writes the list it names (a trigger per table, in the
# migration), read with the signed-in user's session row: a worker keeps such a list (the debtors'
# filter options) while the value it read it under is unchanged (portal/services/debtors.py)
list_stamps = Table(
    "list_stamps",
    db.metadata,
    Column("name", String(40), primary_key=True),
    Column("stamp", Uuid, nullable=False, server_default=text("gen_random_uuid()")),
)


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
