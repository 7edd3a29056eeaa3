"""The permission catalogue (DESIGN.md "Permissions") and the `@requires` decorator.

Items with levels are granted view < add_edit < full; single-level items are granted or not.
Every view declares what it needs exactly once, with `@requires`, `@signed_in` or `@public`;
`tests/web/test_route_permissions.py` walks the URL map and fails on a view that declares nothing.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import abort, current_app
from flask_login import current_user

from portal.domain.permissions import CATALOGUE, GRANTED, LEVEL_RANK, LEVELS, check_declared, satisfies  # noqa: F401

# The catalogue itself is pure data (models read it too): portal/domain/permissions.py
FULL, ADD_EDIT, VIEW = "full", "add_edit", "view"
# DESIGN.md's seeded grants, exactly.
DEFAULT_ROLES: dict[str, dict[str, str]] = {
    "Administrator": {
        "debtors": FULL, "purchase_orders": FULL, "assignments": FULL, "job_orders": FULL, "documents": FULL,
        "maintenance": FULL, "opportunities": FULL, "equipment_pricing": FULL,
        "po_assign_invoiced_item": GRANTED, "po_override_validations": GRANTED, "po_override_budget": GRANTED,
        "settings": GRANTED, "security": GRANTED, "contracts": FULL,
    },
    "Billing Admin": {
        "debtors": FULL, "purchase_orders": FULL, "assignments": FULL, "job_orders": ADD_EDIT, "documents": FULL,
        "maintenance": FULL, "opportunities": VIEW, "equipment_pricing": ADD_EDIT,
        "po_assign_invoiced_item": GRANTED, "po_override_validations": GRANTED, "po_override_budget": GRANTED,
        "contracts": FULL,
    },
    "Consultant": {
        "debtors": VIEW, "purchase_orders": VIEW, "assignments": ADD_EDIT, "job_orders": ADD_EDIT, "documents": VIEW,
        "opportunities": VIEW, "contracts": ADD_EDIT,
    },
    "Relationship Lead": {
        "debtors": ADD_EDIT, "purchase_orders": ADD_EDIT, "assignments": VIEW, "job_orders": VIEW, "documents": VIEW,
        "maintenance": VIEW, "opportunities": ADD_EDIT, "contracts": ADD_EDIT,
    },
    "Auditor": {
        "debtors": VIEW, "purchase_orders": VIEW, "assignments": VIEW, "job_orders": VIEW, "documents": VIEW,
        "maintenance": VIEW, "opportunities": VIEW, "equipment_pricing": VIEW, "contracts": VIEW,
    },
    # posts within the block policy: documents add_edit, no override of any kind
    "Billing Clerk": {
        "debtors": VIEW, "purchase_orders": VIEW, "assignments": ADD_EDIT, "job_orders": VIEW, "documents": ADD_EDIT,
        "maintenance": VIEW, "equipment_pricing": VIEW, "contracts": VIEW,
    },
}


def _mark(view: Callable, declaration: tuple) -> Callable:
    view.permission = declaration  # read by the URL-map test and by the nav
    return view


def requires(item: str, level: str | None = None):
    """Signed in plus `item` at `level` or higher (view < add_edit < full); 403 otherwise."""
    check_declared(item, level)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.can(item, level):
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapped, ("requires", item, level))

    return decorator


def signed_in(view: Callable) -> Callable:
    """Needs only a sign-in (a user's own notifications, the home page, sign-out)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    return _mark(wrapped, ("signed_in",))


def public(view: Callable) -> Callable:
    """Open to anyone: the sign-in page and health check only."""
    return _mark(view, ("public",))
