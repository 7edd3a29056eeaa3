"""`flask setup`: what a new installation needs before anyone can work (idempotent).

Reference data (default roles, document types), the default alert template, a first branch and
the first administrator. Each step adds only what is missing, so running it again changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain.usernames import username_problem
from portal.models import AlertTemplate, Branch, Role, User
from portal.services import audit
from portal.services.reference_data import seed_reference_data
from portal.services.errors import ValidationFailed
from portal.services.passwords import password_problems
from portal.services.security import create_user, save_branch

DEFAULT_ALERT_TEMPLATE = dict(
    name="Standard",
    thresholds=[Decimal("75"), Decimal("90"), Decimal("100")],
    days_before_expiry=30,
    subject="PO {po_number} for {debtor} at {percentage}%",
    message="PO {po_number} of {debtor} has drawn {percentage}% of its amount; {remaining} remains. "
            "It expires on {expiration}.",
)
DEFAULT_ALERT_RECIPIENT_ROLES = ("Billing Admin",)


@dataclass(frozen=True)
class FirstAdmin:
    username: str
    password: str
    full_name: str = ""
    email: str = ""


def needs_administrator(session: Session) -> bool:
    """No active user holds the Administrator role yet."""
    return not session.scalar(
        select(func.count()).select_from(User)
        .where(User.active.is_(True), User.roles.any(func.upper(Role.name) == "ADMINISTRATOR")))


def set_up(session: Session, *, branch_code: str, branch_name: str, admin: FirstAdmin | None) -> list[str]:
    """Create what is missing; returns one line per step for the operator.

    The administrator's details are checked before anything is written.
    """
    if admin is not None and needs_administrator(session):
        errors = {}
        if not admin.username.strip() or len(admin.username) > 80:
            errors["username"] = ["Give the administrator a username of at most 80 characters."]
        elif problem := username_problem(admin.username):  # create_user's rule, checked before anything is written
            errors["username"] = [problem]
        if problems := password_problems(admin.password):
            errors["password"] = problems
        if errors:
            raise ValidationFailed(errors)
    report = []
    seed_reference_data(session)
    report.append("Default roles and document types: present.")
    audit.acting(session, None, reason="flask setup")
    if session.scalar(select(func.count()).select_from(AlertTemplate)) == 0:
        roles = session.scalars(select(Role).where(Role.name.in_(DEFAULT_ALERT_RECIPIENT_ROLES))).all()
        session.add(AlertTemplate(**DEFAULT_ALERT_TEMPLATE, recipient_roles=list(roles)))
        session.commit()
        report.append(f"Alert template {DEFAULT_ALERT_TEMPLATE['name']!r}: created.")
    else:
        report.append("Alert templates: already present.")
    if session.scalar(select(func.count()).select_from(Branch)) == 0:
        branch = save_branch(session, None, actor=None, code=branch_code, name=branch_name)
        report.append(f"Branch {branch.code}: created.")
    else:
        report.append("Branches: already present.")
    if needs_administrator(session):
        if admin is None:
            report.append("Administrator: none yet, and none was given.")
        else:
            admin_role = session.scalar(select(Role).where(func.upper(Role.name) == "ADMINISTRATOR"))
            user = create_user(session, actor=None, username=admin.username, full_name=admin.full_name or admin.username,
                               password=admin.password, email=admin.email, role_ids=[admin_role.id])
            report.append(f"Administrator {user.username}: created.")
    else:
        report.append("Administrator: already present.")
    return report
