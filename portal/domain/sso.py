"""Single sign-on rules: the provider's groups claim → portal roles and branches; a username from claims.

Pure: no Flask, no SQLAlchemy.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from portal.domain import usernames
from portal.domain.text import identifier_problem

MAX_USERNAME = usernames.MAX_LENGTH


@dataclass(frozen=True)
class GroupRule:
    """One row of the administrator's mapping: members of `group` get `role_id` and/or `branch_id`."""
    group: str
    role_id: int | None = None
    branch_id: int | None = None


@dataclass(frozen=True)
class Access:
    role_ids: frozenset[int]
    branch_ids: frozenset[int]  # empty: every branch, as for a local user without branches

    @property
    def allowed(self) -> bool:
        """Sign-in needs at least one role; a group that gives only a branch lets no one in."""
        return bool(self.role_ids)


def groups_from_claim(value) -> list[str]:
    """The groups claim as a list of names: a JSON list of strings, or one string (comma or space separated)."""
    if isinstance(value, str):
        return [g for g in re.split(r"[,\s]+", value) if g]
    if isinstance(value, (list, tuple)):
        return [g.strip() for g in value if isinstance(g, str) and g.strip()]
    return []


def access_for(groups: Iterable[str], rules: Iterable[GroupRule]) -> Access:
    """Every role and branch that the user's groups are mapped to (group names compared without case)."""
    member_of = {g.casefold() for g in groups}
    roles, branches = set(), set()
    for rule in rules:
        if rule.group.casefold() in member_of:
            if rule.role_id is not None:
                roles.add(rule.role_id)
            if rule.branch_id is not None:
                branches.add(rule.branch_id)
    return Access(frozenset(roles), frozenset(branches))


def username_from_claims(claims: dict) -> str:
    """preferred_username, else the e-mail address, else the subject; at most 80 characters, without the characters
    that print as nothing or control (`isprintable`), look-alike forms folded to their plain letters (NFKC: a
    full-width name becomes the name it reads as), so the result passes `identifier_problem`."""
    for key in ("preferred_username", "email", "sub"):
        value = claims.get(key)
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", "".join(c for c in value if c.isprintable())).strip()
            value = value[:MAX_USERNAME].strip()
            if value and identifier_problem(value) is None:
                return value
    raise ValueError("the provider sent no usable name for the user")


def candidate_usernames(base: str, limit: int = 50) -> Iterable[str]:
    """`base`, then `base-2`, `base-3` …, each at most 80 characters (a local account keeps its name). A name the
    audit history uses for "no user" is skipped (`usernames.is_reserved`): the provider's "system" becomes
    "system-2", as a clash with a local account does, rather than a person whose changes read as automated."""
    if not usernames.is_reserved(base[:MAX_USERNAME]):
        yield base[:MAX_USERNAME]
    for n in range(2, limit + 2):
        suffix = f"-{n}"
        yield base[:MAX_USERNAME - len(suffix)] + suffix
