"""The permission catalogue and DESIGN.md's seeded grants."""
import pytest

from portal.authz import DEFAULT_ROLES, check_declared, requires, satisfies

# DESIGN.md's table, written out again: a change to either must be deliberate
ITEMS = ["debtors", "purchase_orders", "assignments", "job_orders", "documents", "maintenance", "opportunities",
         "equipment_pricing", "po_assign_invoiced_item", "po_override_validations", "po_override_budget",
         "settings", "security"]
TABLE = {
    "Administrator": ["full", "full", "full", "full", "full", "full", "full", "full", "✓", "✓", "✓", "✓", "✓"],
    "Billing Admin": ["full", "full", "full", "add_edit", "full", "full", "view", "add_edit", "✓", "✓", "✓", "—", "—"],
    "Billing Clerk": ["view", "view", "add_edit", "view", "add_edit", "view", "—", "view", "—", "—", "—", "—", "—"],
    "Consultant": ["view", "view", "add_edit", "add_edit", "view", "—", "view", "—", "—", "—", "—", "—", "—"],
    "Relationship Lead": ["add_edit", "add_edit", "view", "view", "view", "view", "add_edit", "—", "—", "—", "—", "—", "—"],
    "Auditor": ["view", "view", "view", "view", "view", "view", "view", "view", "—", "—", "—", "—", "—"],
}


@pytest.mark.parametrize("role", TABLE)
def test_default_roles_are_exactly_design_md(role):
    expected = {item: ("granted" if cell == "✓" else cell) for item, cell in zip(ITEMS, TABLE[role]) if cell != "—"}
    assert DEFAULT_ROLES[role] == expected


@pytest.mark.parametrize("granted,level,ok", [
    ("view", "view", True), ("view", "add_edit", False), ("add_edit", "view", True), ("add_edit", "add_edit", True),
    ("add_edit", "full", False), ("full", "full", True), (None, "view", False),
])
def test_levels_are_ordered(granted, level, ok):
    assert satisfies(granted, "debtors", level) is ok


def test_single_level_items_are_granted_or_not():
    assert satisfies("granted", "security", None)
    assert not satisfies(None, "security", None)


@pytest.mark.parametrize("item,level", [("debtor", "view"), ("debtors", "admin"), ("debtors", None), ("security", "full")])
def test_a_bad_declaration_fails_at_import_time(item, level):
    with pytest.raises(ValueError):
        check_declared(item, level)
    with pytest.raises(ValueError):
        requires(item, level)
