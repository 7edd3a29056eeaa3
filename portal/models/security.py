"""Users, roles, grants and branches."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer,
                        String, Table, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.permissions import satisfies
from portal.extensions import db
from portal.models.base import Tracked

user_roles = Table(
    "user_roles",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)

user_branches = Table(
    "user_branches",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True),
)


class Branch(Tracked, db.Model):
    __tablename__ = "branches"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    __table_args__ = (Index("uq_branches_code_upper", func.upper(code), unique=True),)

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Role(Tracked, db.Model):
    __tablename__ = "roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(400), default="")
    grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="role", cascade="all, delete-orphan", lazy="selectin"
    )
    __table_args__ = (Index("uq_roles_name_upper", func.upper(name), unique=True),)

    def grant_map(self) -> dict[str, str]:
        return {g.item: g.level for g in self.grants}

    def __str__(self) -> str:
        return self.name


class RoleGrant(db.Model):
    __tablename__ = "role_grants"
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    role: Mapped[Role] = relationship(back_populates="grants")
    __table_args__ = (
        CheckConstraint("level IN ('view', 'add_edit', 'full', 'granted')", name="level"),
    )


class User(Tracked, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # bumped on password change or deactivation: every session carrying the old value ends
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # alert e-mails: "immediate" (one per alert) or "digest" (one a day, `flask alerts digest`)
    alert_email: Mapped[str] = mapped_column(String(10), default="immediate", server_default="immediate")
    digest_sent_on: Mapped[date | None] = mapped_column(Date)  # the last day a digest was queued for
    roles: Mapped[list[Role]] = relationship(secondary=user_roles, lazy="selectin", order_by=Role.name)
    branches: Mapped[list[Branch]] = relationship(
        secondary=user_branches, lazy="selectin", order_by=Branch.code
    )
    __table_args__ = (Index("uq_users_username_lower", func.lower(username), unique=True),
                      CheckConstraint("alert_email IN ('immediate', 'digest')", name="alert_email"))

    # What Flask-Login asks of a user (its UserMixin's behaviour, without a Flask import in the models).
    # The id carries the session version, so a bump signs the user out everywhere.
    __hash__ = object.__hash__

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return self.is_active

    @property
    def is_anonymous(self) -> bool:
        return False

    def __eq__(self, other):
        return self.get_id() == other.get_id() if isinstance(other, User) else NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def grant_of(self, item: str) -> str | None:
        """The user's highest grant of `item` across roles."""
        best = None
        for role in self.roles:
            for grant in role.grants:
                if grant.item == item and (best is None or satisfies(grant.level, item, best)):
                    best = grant.level
        return best

    def can(self, item: str, level: str | None = None) -> bool:
        return satisfies(self.grant_of(item), item, level)

    def __str__(self) -> str:
        return self.full_name or self.username
