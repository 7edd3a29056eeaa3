"""The audit history: one row per change of any record."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __audit__ = False
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    # the record whose History tab shows this row too (a PO for its lines, a debtor for its groups)
    scope_type: Mapped[str | None] = mapped_column(String(60))
    scope_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(300), default="")
    changes: Mapped[dict] = mapped_column(JSONB, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    actor = relationship("User", lazy="select")

    __table_args__ = (
        Index("ix_audit_entries_entity", "entity_type", "entity_id", "id"),
        Index("ix_audit_entries_scope", "scope_type", "scope_id", "id"),
    )
