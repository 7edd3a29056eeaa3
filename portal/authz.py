"""The permission catalogue (DESIGN.md "Permissions") and the `@requires` decorator.

Items with levels are granted view < add_edit < full; single-level items are granted or not.
Every view declares what it needs exactly once, with `@requires`, `@signed_in` or `@public`;
`tests/web/test_route_permissions.py` walks the URL map and fails on a view that declares nothing.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import abort, current_app, request
from flask_login import current_user

from portal.domain.permissions import CATALOGUE, GRANTED, LEVEL_RANK, LEVELS, check_declared, satisfies  # noqa: F401

# The catalogue itself is pure data (models read it too): portal/domain/permissions.py
F, AE, V, G = "full", "add_edit", "view", GRANTED
# DESIGN.md's seeded grants, exactly.
DEFAULT_ROLES: dict[str, dict[str, str]] = {
    "Administrator": {
        "debtors": F, "purchase_orders": F, "assignments": F, "job_orders": F, "documents": F,
        "maintenance": F, "opportunities": F, "equipment_pricing": F,
        "po_assign_invoiced_item": G, "po_override_validations": G, "po_override_budget": G,
        "settings": G, "security": G,
    },
    "Billing Admin": {
        "debtors": F, "purchase_orders": F, "assignments": F, "job_orders": AE, "documents": F,
        "maintenance": F, "opportunities": V, "equipment_pricing": AE,
        "po_assign_invoiced_item": G, "po_override_validations": G, "po_override_budget": G,
    },
    "Consultant": {
        "debtors": V, "purchase_orders": V, "assignments": AE, "job_orders": AE, "documents": V,
        "opportunities": V,
    },
    "Relationship Lead": {
        "debtors": AE, "purchase_orders": AE, "assignments": V, "job_orders": V, "documents": V,
        "maintenance": V, "opportunities": AE,
    },
    "Auditor": {
        "debtors": V, "purchase_orders": V, "assignments": V, "job_orders": V, "documents": V,
        "maintenance": V, "opportunities": V, "equipment_pricing": V,
    },
    # posts within the block policy: documents add_edit, no override of any kind
    "Billing Clerk": {
        "debtors": V, "purchase_orders": V, "assignments": AE, "job_orders": V, "documents": AE,
        "maintenance": V, "equipment_pricing": V,
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


def declared_permission(endpoint: str):
    view = current_app.view_functions[endpoint]
    return getattr(view, "permission", None)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"
