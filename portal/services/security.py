"""Sign-in with a lock-out counter kept in the database, users, roles and branches."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from portal.domain import formatting
from portal.domain.text import identifier_problem
from portal.domain.usernames import username_problem
from portal.authz import CATALOGUE, DEFAULT_ROLES, GRANTED, LEVELS, check_declared
from portal.models import Branch, Role, RoleGrant, User
from portal.services import audit
from portal.services.errors import Conflict, NotFound, ValidationFailed
from portal.services.locks import locked, serialised
from portal.services.passwords import hash_password, password_problems, verify_dummy, verify_password
from portal.services.references import delete_unreferenced
from portal.services.sessions import end_all


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lock_minutes: int


def authenticate(session: Session, username: str, password: str, policy: LoginPolicy) -> User | None:
    """The user if the password is right and the account usable; None otherwise (one message for all).

    Failures are counted in the database with an atomic UPDATE, so the lock-out holds across
    gunicorn workers; reaching `max_failures` locks the account for `lock_minutes`.
    """
    now = datetime.now(timezone.utc)
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        verify_dummy(password)
        return None
    # verified before the lock is looked at: a locked account answers as slowly as a wrong password
    password_ok = verify_password(user.password_hash, password)
    if user.locked_until and user.locked_until > now:
        return None
    if not password_ok or not user.active:
        failures = session.scalar(
            update(User).where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins)
        )
        if failures >= policy.max_failures:
            until = now + timedelta(minutes=policy.lock_minutes)
            session.execute(update(User).where(User.id == user.id).values(locked_until=until, failed_logins=0))
            _lock_entry(session, user.id, "locked", None, f"Locked after {failures} failed sign-ins",
                        locked_until=[None, audit.to_json(until)])
        session.commit()
        return None
    session.execute(update(User).where(User.id == user.id).values(
        failed_logins=0, locked_until=None, last_login_at=now))
    session.commit()
    session.refresh(user)
    return user


def _lock_entry(session: Session, user_id: int, action: str, actor_id: int | None, summary: str, **changes) -> None:
    """The user's history entry for a lock set or cleared (its columns are written by UPDATE, past the listener)."""
    audit.insert_rows(session, [{"actor_id": actor_id, "entity_type": "users", "entity_id": user_id, "action": action,
                                 "summary": summary, "changes": changes}])


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Whether failed sign-ins lock the account at `now` (default: this instant)."""
    return user.locked_until is not None and user.locked_until > (now or datetime.now(timezone.utc))


def unlock_user(session: Session, user_id: int, *, actor) -> User:
    """An administrator lets a user locked by failed sign-ins try again at once: the lock and the count of failures
    are cleared (row locked; recorded in the user's history when a lock was in force)."""
    user = locked(session, User, user_id, key_share=True)
    if user is None:
        raise NotFound("No such user.")
    if is_locked(user):
        _lock_entry(session, user.id, "unlocked", getattr(actor, "id", None), f"{user.username} unlocked",
                    locked_until=[audit.to_json(user.locked_until), None])
    session.execute(update(User).where(User.id == user.id).values(locked_until=None, failed_logins=0))
    session.commit()
    session.refresh(user)
    return user


def _user_errors(username: str | None, full_name: str, password: str | None) -> dict[str, list[str]]:
    """A new user needs a username `username_problem` allows (an existing one keeps theirs: None) and a name (200
    characters at most); a new password must pass password_problems."""
    errors: dict[str, list[str]] = {}
    if username is not None and (problem := username_problem(username)):
        errors["username"] = [problem]
    if not full_name.strip():
        errors["full_name"] = ["Enter the person's name."]
    elif len(full_name) > 200:
        errors["full_name"] = ["Use at most 200 characters."]
    if password is not None and (problems := password_problems(password)):
        errors["password"] = problems
    return errors


def all_users(session: Session) -> list[User]:
    """Every user, by username (the users page)."""
    return list(session.scalars(select(User).order_by(User.username)))


def active_users(session: Session) -> list[User]:
    """The active users, by username (e.g. an alert template's recipients)."""
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)))


def all_roles(session: Session) -> list[Role]:
    """Every role, by name."""
    return list(session.scalars(select(Role).order_by(Role.name)))


def all_branches(session: Session) -> list[Branch]:
    """Every branch, by code."""
    return list(session.scalars(select(Branch).order_by(Branch.code)))


def get_user(session: Session, user_id: int) -> User:
    """The user by id; NotFound when there is none."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def get_role(session: Session, role_id: int) -> Role:
    """The role by id; NotFound when there is none."""
    role = session.get(Role, role_id)
    if role is None:
        raise NotFound("No such role.")
    return role


def get_branch(session: Session, branch_id: int) -> Branch:
    """The branch by id; NotFound when there is none."""
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound("No such branch.")
    return branch


def _roles_and_branches(session: Session, role_ids, branch_ids) -> tuple[list[Role], list[Branch]]:
    """The chosen roles and branches; an id not in the lists is refused. The roles are read FOR KEY SHARE (as the
    user_roles rows' foreign key will lock them): a role being deleted meanwhile is waited for and then missing,
    refused here instead of failing the save on its key (delete_role counts holders under its own lock)."""
    roles = list(session.scalars(select(Role).where(Role.id.in_(role_ids)).order_by(Role.id)
                                 .with_for_update(of=Role, read=True, key_share=True))) if role_ids else []
    branches = list(session.scalars(select(Branch).where(Branch.id.in_(branch_ids)))) if branch_ids else []
    if len(roles) != len(set(role_ids or [])):
        raise ValidationFailed({"roles": ["Choose roles from the list."]})
    if len(branches) != len(set(branch_ids or [])):
        raise ValidationFailed({"branches": ["Choose branches from the list."]})
    return roles, branches


def create_user(session: Session, *, actor, username: str, full_name: str, password: str,
                email: str = "", role_ids=(), branch_ids=()) -> User:
    """A new user; the username is unique whatever its case."""
    errors = _user_errors(username, full_name, password)
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    roles, branches = _roles_and_branches(session, role_ids, branch_ids)
    user = User(username=username.strip(), full_name=full_name.strip(), email=email.strip(),
                password_hash=hash_password(password), roles=roles, branches=branches)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"username": ["That username is taken."]})
    return user


def update_user(session: Session, user_id: int, *, actor, full_name: str, email: str, active: bool,
                role_ids=(), branch_ids=(), password: str | None = None,
                expected_version: int | None = None, commit: bool = True) -> User:
    """Edit a user; deactivating or setting a password signs them out everywhere, and a password set clears a lock
    failed sign-ins put on the account. The user row is locked and a form opened before another change is refused
    (`expected_version`): two administrators' saves never undo each other (a stale form re-activated a deactivated
    user), nor collide on the user's roles. Edits run one at a time (`SECURITY_CHANGES`) and must leave an active
    user with security access (`_keep_a_security_holder`), so two administrators deactivating each other at once
    cannot lock everyone out: the second save is refused."""
    serialised(session, SECURITY_CHANGES)
    # FOR NO KEY UPDATE: the history and the sessions this edit writes refer to the acting user's row, and another
    # administrator editing that user must not hold it the way FOR UPDATE would (a deadlock)
    user = locked(session, User, user_id, key_share=True)
    if user is None:
        raise NotFound("No such user.")
    audit.check_version(user, expected_version)
    errors = _user_errors(None, full_name, password or None)
    if errors:
        raise ValidationFailed(errors)
    if actor is not None and user.id == actor.id and not active:
        raise ValidationFailed({"active": ["You cannot deactivate yourself."]})
    audit.acting(session, actor)
    roles, branches = _roles_and_branches(session, role_ids, branch_ids)
    keeps_security = active and any(r.grant_map().get("security") for r in roles)
    if user.id == getattr(actor, "id", None) and not any(r.grant_map().get("security") for r in roles):
        raise ValidationFailed({"roles": ["You cannot remove your own access to security."]})
    _keep_a_security_holder(session, actor, user.id, keeps_security)
    user.full_name, user.email = full_name.strip(), email.strip()
    if user.active != active or password:
        user.session_version += 1
    if password or (user.active and not active):  # their sessions end in the database, on every worker
        end_all(session, user.id, actor_id=getattr(actor, "id", None), commit=False,
                reason="password set by an administrator" if password else "deactivated")
    user.active = active
    user.roles, user.branches = roles, branches
    if password:  # the help desk's fix for "I'm locked out": the new password works at once
        if is_locked(user):
            audit.note(session, user, "locked_until", user.locked_until, None)
        user.password_hash, user.failed_logins, user.locked_until = hash_password(password), 0, None
    if commit:
        session.commit()
    return user


SECURITY_CHANGES = "security holders"  # the advisory lock under which who holds security access changes


def _security_holders(session: Session, *, only: int | None = None, besides: int | None = None) -> int:
    """How many active users hold a role that grants security (`only` that user; `besides` that user left out)."""
    stmt = (select(func.count(User.id.distinct())).select_from(User).join(User.roles).join(Role.grants)
            .where(User.active.is_(True), RoleGrant.item == "security"))
    if only is not None:
        stmt = stmt.where(User.id == only)
    if besides is not None:
        stmt = stmt.where(User.id != besides)
    return session.scalar(stmt)


def _keep_a_security_holder(session: Session, actor, user_id: int, keeps_security: bool) -> None:
    """Refuse an edit of `user_id` (who keeps security access and stays active, or not: `keeps_security`) when the
    acting user lost their own access since their page was drawn, or when it takes access from the last active user
    holding it. Read under SECURITY_CHANGES, so the answer holds until the edit commits."""
    if actor is not None and not _security_holders(session, only=actor.id):
        raise Conflict("Your own access to security was changed or your account deactivated meanwhile by another "
                       "administrator: nothing was saved.")
    if not keeps_security and _security_holders(session, only=user_id) and not _security_holders(session,
                                                                                                besides=user_id):
        raise ValidationFailed({"": ["This would leave no active user with access to security (users and roles): "
                                     "keep at least one, or give another user that access first."]})


def save_role(session: Session, role_id: int | None, *, actor, name: str, description: str,
              grants: dict[str, str], expected_version: int | None = None) -> Role:
    """Create or edit a role and its grants from the permission catalogue (locked, and refused from a stale form:
    a grant revoked meanwhile came back with another administrator's edit of the description)."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Enter a name."]
    elif len(name) > 80:
        errors["name"] = ["Use at most 80 characters."]
    elif problem := identifier_problem(name.strip()):
        errors["name"] = [problem]
    clean: dict[str, str] = {}
    for item, level in grants.items():
        if not level:
            continue
        try:
            check_declared(item, level if CATALOGUE.get(item, ("", True))[1] else GRANTED)
        except ValueError:
            errors.setdefault("grants", []).append(f"{item}: not a valid grant.")
            continue
        clean[item] = level if CATALOGUE[item][1] else GRANTED
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    takes_security = False
    if role_id is None:
        role = Role(name=name.strip(), description=description.strip())
        session.add(role)
    else:
        if "security" not in clean:
            # who holds security may change: one such change at a time, as user edits (update_user)
            serialised(session, SECURITY_CHANGES)
        role = locked(session, Role, role_id)
        if role is None:
            raise NotFound("No such role.")
        audit.check_version(role, expected_version)
        if "security" not in clean and _loses_security(actor, role):
            raise ValidationFailed({"grants": ["You cannot remove your own access to security."]})
        takes_security = "security" not in clean and "security" in role.grant_map()
        role.name, role.description = name.strip(), description.strip()
    current = {g.item: g for g in role.grants}
    for item, grant in current.items():
        if item not in clean:
            role.grants.remove(grant)
        elif grant.level != clean[item]:
            grant.level = clean[item]
            # a grant's level is the role's change too: its version moves on (the grant's own entry says what
            # changed; a flagged name was recorded as a change of the name from nothing)
            flag_modified(role, "row_version")
    for item, level in clean.items():
        if item not in current:
            role.grants.append(RoleGrant(item=item, level=level))
    try:
        if takes_security:
            _still_held_after(session, actor)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"name": ["A role with that name exists."]})
    return role


def _still_held_after(session: Session, actor) -> None:
    """Refuse a role edit that takes security from the role when, counted with the edit made (flushed) and under
    SECURITY_CHANGES, the acting user or every active user is left without it: two administrators each taking it
    from another of the roles they both hold, at the same moment, left nobody to administer the portal."""
    session.flush()
    if actor is not None and not _security_holders(session, only=actor.id):
        session.rollback()
        raise Conflict("Your own access to security was changed meanwhile by another administrator (your other "
                       "role that grants it lost it): nothing was saved.")
    if not _security_holders(session):
        session.rollback()
        raise ValidationFailed({"grants": ["This would leave no active user with access to security (users and "
                                           "roles): give another user that access first."]})


def _loses_security(actor, role: Role) -> bool:
    """Whether taking security from `role` leaves the acting user with no role that grants it."""
    held = getattr(actor, "roles", [])
    return any(r.id == role.id for r in held) and not any(r.grant_map().get("security") for r in held if r.id != role.id)


def delete_role(session: Session, role_id: int, *, actor) -> None:
    """Delete a role, unless a user still has it or an SSO group mapping or an alert template names it: the
    database would take those along without a word (a mapping's branch limit with it, a template's only
    recipient), so the refusal names them. Counted under the role's row lock, which giving the role to a user,
    a mapping or a template waits for: none of them is made meanwhile and lost."""
    get_role(session, role_id)
    delete_unreferenced(session, Role, role_id, actor=actor, label=lambda r: f"Role {r.name}",
                        guard=lambda role: _refuse_if_held(session, role))


def _refuse_if_held(session: Session, role: Role) -> None:
    """Conflict when a user has `role` (their roles would lose it with no entry in their history)."""
    in_use = session.scalar(select(func.count()).select_from(User).where(User.roles.any(Role.id == role.id)))
    if in_use:
        session.rollback()
        have = formatting.verb(in_use, "has", "have")
        raise Conflict(f"{formatting.plural(in_use, 'user')} still {have} this role.")


def save_branch(session: Session, branch_id: int | None, *, actor, code: str, name: str,
                expected_version: int | None = None) -> Branch:
    """Add or change a branch: a code (upper case, unique, a plain identifier: `identifier_problem`) and a name, each
    within its length; a change from a form opened before another is refused."""
    errors = {}
    if not code.strip() or len(code) > 20:
        errors["code"] = ["Enter a code of at most 20 characters."]
    elif problem := identifier_problem(code.strip()):
        errors["code"] = [problem]
    if not name.strip() or len(name) > 200:
        errors["name"] = ["Enter a name of at most 200 characters."]
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    branch = Branch() if branch_id is None else locked(session, Branch, branch_id)
    if branch is None:
        raise NotFound("No such branch.")
    if branch_id is not None:
        audit.check_version(branch, expected_version)
    branch.code, branch.name = code.strip().upper(), name.strip()
    session.add(branch)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"code": ["A branch with that code exists."]})
    return branch


def seed_default_roles(session: Session) -> dict[str, Role]:
    """The five default roles with exactly DESIGN.md's grants (idempotent: adds what is missing)."""
    roles = {r.name: r for r in session.scalars(select(Role))}
    for name, grants in DEFAULT_ROLES.items():
        role = roles.get(name)
        if role is None:
            role = Role(name=name, description=f"Default {name} role")
            role.grants = [RoleGrant(item=i, level=lv) for i, lv in grants.items()]
            session.add(role)
            roles[name] = role
    session.commit()
    return roles


assert set(LEVELS) == {"view", "add_edit", "full"}
