"""Users, roles, grants and branches."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer,
                        SmallInteger, String, Table, Uuid, func, inspect, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.permissions import best_grants, satisfies
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

# One row: a value the database replaces (a random UUID) in every transaction that writes roles, grants,
# branches or who holds them (statement triggers, migration 1b2609d7a865), so a worker may keep a
# user's grants and branches for as long as the value it read with them is still the value.
security_stamp = Table(
    "security_stamp",
    db.metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("stamp", Uuid, nullable=False, server_default=text("gen_random_uuid()")),
    CheckConstraint("id = 1", name="one_row"),
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

    def audit_scope(self):
        return ("roles", self.role_id)

    def __str__(self) -> str:
        """Its history entry's name ("Billing Clerk: grant documents: add_edit → full"): the role (in the session
        already when its grants change; the one it had, once taken from the role's grants) and the grant, with
        the level it had while its change is being written."""
        state = inspect(self)
        role = self.role or next(iter(state.attrs.role.history.deleted), None)
        was = state.attrs.level.history.deleted
        level = f"{was[0]} → {self.level}" if was and was[0] != self.level else self.level
        return f"{role if role is not None else f'role {self.role_id}'}: grant {self.item}: {level}"


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

    # the signed-in user's grants, branches and role names as their request read them (set by
    # portal/services/principals.py); None: read from the roles and branches relationships
    principal = None  # a Principal (no annotation: the ORM would take it for a column)
    # how many of the user's notifications were unread when their request began, read with the
    # session row (portal/services/sessions.resolve); None: not read yet (the layout asks)
    unread_notifications = None

    def grant_of(self, item: str) -> str | None:
        """The user's highest grant of `item` across roles."""
        if self.principal is not None:
            return self.principal.grants.get(item)
        return best_grants((g.item, g.level) for role in self.roles for g in role.grants).get(item)

    def can(self, item: str, level: str | None = None) -> bool:
        return satisfies(self.grant_of(item), item, level)

    @property
    def branch_ids(self) -> frozenset[int]:
        """The branches the user is limited to (empty: every branch)."""
        return self.principal.branch_ids if self.principal is not None else frozenset(b.id for b in self.branches)

    @property
    def branch_codes(self) -> tuple[str, ...]:
        return self.principal.branch_codes if self.principal is not None else tuple(b.code for b in self.branches)

    @property
    def role_names(self) -> tuple[str, ...]:
        return self.principal.role_names if self.principal is not None else tuple(r.name for r in self.roles)

    def __str__(self) -> str:
        return self.full_name or self.username
