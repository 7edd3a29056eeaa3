"""Single sign-on through the company's OpenID Connect provider (Authlib does the protocol).

`sign_in` turns the provider's verified claims into a portal user: the first sign-in creates the
user; every sign-in sets the user's roles and branches from the administrator's group mapping, so
the provider's groups stay the source of truth. A user whose groups give no role is refused.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain import sso
from portal.models import Branch, Role, SsoGroupMapping, SsoIdentity, User
from portal.services import audit
from portal.services.errors import NotFound, ServiceError, ValidationFailed

# not an argon2 hash: no password ever matches, so a provider's user cannot sign in locally
NO_PASSWORD = "!sso"


class SignInRefused(ServiceError):
    """The provider vouched for the person, but the portal will not let them in (no role, deactivated)."""


def _rules(session: Session) -> list[sso.GroupRule]:
    return [sso.GroupRule(m.group_name, m.role_id, m.branch_id) for m in session.scalars(select(SsoGroupMapping))]


def _free_username(session: Session, base: str) -> str:
    """The first candidate username no user has (ignoring case); refused when every one is taken."""
    for name in sso.candidate_usernames(base):
        if not session.scalar(select(User.id).where(func.lower(User.username) == name.lower())):
            return name
    raise SignInRefused("No free username for this account; ask an administrator.")


def sign_in(session: Session, *, issuer: str, claims: dict, groups_claim: str = "groups") -> User:
    """The portal user for verified provider claims; created on first sign-in; roles and branches synced."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SignInRefused("The identity provider sent no usable subject.")
    access = sso.access_for(sso.groups_from_claim(claims.get(groups_claim)), _rules(session))
    if not access.allowed:
        raise SignInRefused("Your company account is in no group that gives access to the portal. "
                            "Ask an administrator to map one of your groups to a role.")
    for attempt in range(2):
        try:
            return _sync_sso_user(session, issuer, subject, claims, access)
        except IntegrityError:  # the same person's first sign-in on another worker won the race
            session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _sync_sso_user(session: Session, issuer: str, subject: str, claims: dict, access: sso.Access) -> User:
    """Find or create the user of a provider identity and give them the roles and branches their groups map to."""
    audit.acting(session, None, reason="single sign-on")
    identity = session.scalar(select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject))
    roles = list(session.scalars(select(Role).where(Role.id.in_(access.role_ids)).order_by(Role.name)))
    branches = list(session.scalars(select(Branch).where(Branch.id.in_(access.branch_ids)).order_by(Branch.code)))
    email = claims.get("email") if isinstance(claims.get("email"), str) and len(claims["email"]) <= 254 else ""
    name = claims.get("name") if isinstance(claims.get("name"), str) and claims["name"].strip() else None
    if identity is None:
        try:
            username = _free_username(session, sso.username_from_claims(claims))
        except ValueError:
            raise SignInRefused("The identity provider sent no usable name for the user.")
        user = User(username=username, full_name=(name or username)[:200], email=email, password_hash=NO_PASSWORD,
                    roles=roles, branches=branches)
        session.add(user)
        session.flush()
        session.add(SsoIdentity(user_id=user.id, issuer=issuer, subject=subject))
    else:
        user = identity.user
        if not user.active:
            raise SignInRefused("This portal account is deactivated.")
        if {r.id for r in user.roles} != access.role_ids:
            user.roles = roles
        if {b.id for b in user.branches} != access.branch_ids:
            user.branches = branches
        if email and user.email != email:
            user.email = email
    user.last_login_at = datetime.now(timezone.utc)
    session.commit()
    return user


def list_mappings(session: Session) -> list[SsoGroupMapping]:
    """Every SSO group mapping, by group name."""
    return list(session.scalars(select(SsoGroupMapping).order_by(func.upper(SsoGroupMapping.group_name),
                                                                  SsoGroupMapping.id)))


def add_mapping(session: Session, *, actor, group_name: str, role_id: int | None, branch_id: int | None) -> SsoGroupMapping:
    """Map a provider group to a role, a branch or both."""
    group_name = (group_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not group_name or len(group_name) > 200 or "\x00" in group_name:
        errors["group_name"] = ["Enter the group's name as the provider sends it (at most 200 characters)."]
    if role_id is None and branch_id is None:
        errors[""] = ["Choose a role, a branch or both."]
    # the role read FOR KEY SHARE, as the mapping's key will: one being deleted meanwhile is waited for, then missing
    share = {"read": True, "key_share": True}
    if role_id is not None and session.get(Role, role_id, with_for_update=share) is None:
        errors["role_id"] = ["Choose a role from the list."]
    if branch_id is not None and session.get(Branch, branch_id) is None:
        errors["branch_id"] = ["Choose a branch from the list."]
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    mapping = SsoGroupMapping(group_name=group_name, role_id=role_id, branch_id=branch_id)
    session.add(mapping)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"group_name": ["That group already has this mapping."]})
    return mapping


def delete_mapping(session: Session, mapping_id: int, *, actor) -> None:
    """Delete an SSO group mapping; users keep their roles until they next sign in."""
    mapping = session.get(SsoGroupMapping, mapping_id)
    if mapping is None:
        raise NotFound("No such mapping.")
    audit.acting(session, actor)
    session.delete(mapping)
    session.commit()
