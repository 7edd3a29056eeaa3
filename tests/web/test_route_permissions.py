"""Every route declares its permission (what each role gets is pinned in test_permission_table.py)."""
from __future__ import annotations

import pytest

from portal.authz import DEFAULT_ROLES, satisfies
from tests.conftest import ROLE_NAMES

OPEN = {"static"}


def test_every_endpoint_declares_a_permission(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN:
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "permission", None) is None:
            missing.append(rule.endpoint)
    assert missing == [], f"routes without a declared permission: {missing}"


def test_only_sign_in_and_health_are_public(app):
    public = sorted({r.endpoint for r in app.url_map.iter_rules()
                     if getattr(app.view_functions[r.endpoint], "permission", ("",))[0] == "public"})
    assert public == ["auth.login", "main.health", "ops.healthz", "ops.readyz"]




EXPLICIT = [  # DESIGN.md's table, spelt out for the debtor and security routes
    ("debtors.index", {"Administrator", "Billing Admin", "Billing Clerk", "Consultant", "Relationship Lead", "Auditor"}),
    ("debtors.create", {"Administrator", "Billing Admin", "Relationship Lead"}),
    ("debtors.delete", {"Administrator", "Billing Admin"}),
    ("admin.users", {"Administrator"}),
    ("admin.edit_role", {"Administrator"}),
    # equipment pricing (seed 002): full / add_edit / view / — / — / view
    ("equipment.index", {"Administrator", "Billing Admin", "Billing Clerk", "Auditor"}),
    ("equipment.supplier_po", {"Administrator", "Billing Admin", "Billing Clerk", "Auditor"}),
    ("equipment.edit_charge", {"Administrator", "Billing Admin"}),
    ("equipment.add_line", {"Administrator", "Billing Admin"}),
    ("equipment.delete_charge", {"Administrator"}),
    ("service_desk.index", {"Administrator", "Billing Admin", "Billing Clerk", "Auditor"}),
    ("service_desk.edit_equipment", {"Administrator", "Billing Admin"}),
    ("service_desk.override_charge", {"Administrator", "Billing Admin"}),
    ("service_desk.close", {"Administrator", "Billing Admin"}),
    ("admin.po_pricing", {"Administrator"}),
    ("audit_log.index", {"Administrator"}),
    ("audit_log.export", {"Administrator"}),
    ("sso.groups", {"Administrator"}),
    ("sso.delete_group", {"Administrator"}),
]


@pytest.mark.parametrize("endpoint,allowed_roles", EXPLICIT)
def test_declared_levels_match_design_table(app, endpoint, allowed_roles):
    declared = app.view_functions[endpoint].permission
    for role_name in ROLE_NAMES:
        _, item, level = declared
        assert satisfies(DEFAULT_ROLES[role_name].get(item), item, level) == (role_name in allowed_roles), role_name


def test_anonymous_requests_go_to_sign_in(browser):
    assert browser.get("/debtors/").status_code == 302
    htmx = browser.get("/debtors/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")
    assert browser.get("/debtors", headers={"HX-Request": "true"}).headers.get("HX-Redirect")
