"""Demo data for `make run`: default roles, branches, one user per role, a few debtors.

Idempotent: running it again adds only what is missing. Later areas append their own step to
`STEPS`.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Branch, Debtor, Role, User
from portal.services import audit
from portal.services.passwords import hash_password
from portal.services.reference_data import seed_reference_data
from portal.services.security import seed_default_roles

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("admin", "Ada Admin", "Administrator", None),
    ("billing", "Bill Ingram", "Billing Admin", None),
    ("consultant", "Connie Sultan", "Consultant", None),
    ("consultant.north", "Nora North", "Consultant", "NTH"),
    ("lead", "Lee Relations", "Relationship Lead", None),
    ("auditor", "Audrey Tor", "Auditor", None),
]
DEMO_BRANCHES = [("NTH", "North"), ("STH", "South"), ("CTY", "City")]
DEMO_DEBTORS = [
    ("DELL", "Dell Technologies", True, "warn"),
    ("ACME", "Acme Manufacturing", False, "warn"),
    ("CITY", "City Council", True, "block"),
    ("GLOBEX", "Globex Services", False, "block"),
]


def _base(session: Session) -> None:
    seed_reference_data(session)
    roles = seed_default_roles(session)
    audit.acting(session, None)
    branches = {b.code: b for b in session.scalars(select(Branch))}
    for code, name in DEMO_BRANCHES:
        if code not in branches:
            branches[code] = Branch(code=code, name=name)
            session.add(branches[code])
    existing = {u.username for u in session.scalars(select(User))}
    for username, full_name, role, branch in DEMO_USERS:
        if username not in existing:
            session.add(User(username=username, full_name=full_name, email=f"{username}@example.test",
                             password_hash=hash_password(DEMO_PASSWORD), roles=[roles[role]],
                             branches=[branches[branch]] if branch else []))
    codes = set(session.scalars(select(func.upper(Debtor.code))))
    for code, name, enforce, policy in DEMO_DEBTORS:
        if code not in codes:
            session.add(Debtor(code=code, name=name, enforce_purchase_orders=enforce, over_budget_policy=policy))
    session.commit()


STEPS: list[Callable[[Session], None]] = [_base]


def load(session: Session) -> list[str]:
    """Run every demo step and return the lines to print (the demo sign-ins)."""
    for step in STEPS:
        step(session)
    lines = ["", "Demo sign-ins (password for all: %s):" % DEMO_PASSWORD]
    for username, full_name, role, branch in DEMO_USERS:
        lines.append(f"  {username:<18} {role}{' (branch ' + branch + ' only)' if branch else ''}")
    lines.append("")
    return lines


assert Role  # re-exported for steps that need it
