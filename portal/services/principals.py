"""The signed-in user's grants, branches and role names, kept per worker between requests.

Every request reads the user's session row, the user and the security stamp in one statement
(`sessions.resolve`). The stamp is a random value PostgreSQL replaces in the same transaction as any
write to roles, role grants, branches, user roles or user branches (statement triggers), so equal
stamps mean equal security tables: a worker keeps what it read for a user with the stamp it read
first, and reads again as soon as the stamp differs. A grant taken away therefore holds from the
next request on, on every worker, as it did when each request read the grants itself.

The stamp is read before the grants (by the earlier statement): a change committed between the two
leaves newer grants under the older stamp, which the next request finds stale; never older grants
under the newer stamp.
"""
from __future__ import annotations

from types import MappingProxyType
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.permissions import Principal, best_grants
from portal.models import Branch, Role, RoleGrant, User, user_branches, user_roles
from portal.models.security import security_stamp

MAX_USERS = 5_000  # users kept per worker; past it the cache starts again (a few reads each)

_kept: dict[int, tuple[UUID, Principal]] = {}


def stamp_column():
    """The security stamp as a scalar subquery, to be read with the signed-in user's row."""
    return select(security_stamp.c.stamp).where(security_stamp.c.id == 1).scalar_subquery()


def read(session: Session, user_id: int) -> Principal:
    """A user's grants (the highest of each item across roles), branches and role names (two queries);
    read-only, as the worker's threads share it."""
    rows = session.execute(
        select(Role.name, RoleGrant.item, RoleGrant.level).select_from(user_roles)
        .join(Role, Role.id == user_roles.c.role_id).outerjoin(RoleGrant, RoleGrant.role_id == Role.id)
        .where(user_roles.c.user_id == user_id).order_by(Role.name, Role.id)).all()
    branches = session.execute(
        select(Branch.id, Branch.code).join(user_branches, user_branches.c.branch_id == Branch.id)
        .where(user_branches.c.user_id == user_id).order_by(Branch.code)).all()
    return Principal(grants=MappingProxyType(best_grants((item, level) for _, item, level in rows if item is not None)),
                     branch_ids=frozenset(b.id for b in branches), branch_codes=tuple(b.code for b in branches),
                     role_names=tuple(dict.fromkeys(name for name, _, _ in rows)))


def attach(session: Session, user: User, stamp: UUID | None) -> User:
    """Give `user` their principal: the one kept under `stamp` (read with the user's row), else
    read now and kept under it. No stamp (its row missing): read every time, kept never."""
    kept = _kept.get(user.id)
    if stamp is not None and kept is not None and kept[0] == stamp:
        user.principal = kept[1]
        return user
    user.principal = read(session, user.id)
    if stamp is not None:
        if len(_kept) >= MAX_USERS:
            _kept.clear()
        _kept[user.id] = (stamp, user.principal)
    return user


def forget() -> None:
    """Drop every kept principal (tests; a worker never needs to)."""
    _kept.clear()
