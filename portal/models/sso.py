"""Single sign-on: a user's identity at the company's OpenID Connect provider, and the group mapping."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Tracked


class SsoIdentity(Tracked, db.Model):
    """The provider's subject for a portal user: the same person whatever their name or e-mail becomes."""

    __tablename__ = "sso_identities"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(400))
    subject: Mapped[str] = mapped_column(String(255))
    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identities_issuer_subject"),)

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class SsoGroupMapping(Tracked, db.Model):
    """A provider group gives its members a portal role, a branch, or both (edited by administrators)."""

    __tablename__ = "sso_group_mappings"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_name: Mapped[str] = mapped_column(String(200))
    role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    role = relationship("Role", lazy="joined")
    branch = relationship("Branch", lazy="joined")
    __table_args__ = (
        CheckConstraint("role_id IS NOT NULL OR branch_id IS NOT NULL", name="role_or_branch"),
        Index("uq_sso_group_mappings_group_role_branch", func.upper(group_name),
              func.coalesce(role_id, 0), func.coalesce(branch_id, 0), unique=True),
    )

    def __str__(self) -> str:
        gives = ", ".join(str(x) for x in (self.role, self.branch) if x is not None)
        return f"{self.group_name} → {gives}"
