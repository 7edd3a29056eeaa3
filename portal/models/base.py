"""Mixins shared by the portal's records."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


class Tracked:
    """Created/changed by and at, filled in by the audit listener (portal/services/audit.py)."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # bumped on every change; edit forms carry it so a stale form is refused, not applied
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    @declared_attr
    def changed_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    @declared_attr
    def created_by(cls):
        return relationship("User", foreign_keys=[cls.created_by_id], lazy="select")

    @declared_attr
    def changed_by(cls):
        return relationship("User", foreign_keys=[cls.changed_by_id], lazy="select")
