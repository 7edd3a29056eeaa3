"""Personal API tokens: a user's key to the REST API, acting with exactly that user's grants and branches."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain import api_tokens as token_rules
from portal.extensions import db


class ApiToken(db.Model):
    """The token itself is shown once; only its SHA-256 is stored (a high-entropy secret needs no slow hash)."""

    __tablename__ = "api_tokens"
    __audit__ = False  # last use is touched on requests; the service audits creation and revocation itself
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, so the owner can tell tokens apart
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user = relationship("User", lazy="select")

    __table_args__ = (Index("ix_api_tokens_user_id", "user_id", "id"),)

    @property
    def works_until(self) -> date:
        """The last day (UTC) the token works: it stops at the following midnight."""
        return (self.expires_at - timedelta(microseconds=1)).date()

    def status_at(self, now: datetime) -> str:
        """revoked, expired or active at `now`."""
        return token_rules.status(self.expires_at, self.revoked_at, now)

    def __str__(self) -> str:
        return f"API token {self.name} ({self.prefix}…)"
