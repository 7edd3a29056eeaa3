"""The permission catalogue and DESIGN.md's seeded grants."""
import pytest

from portal.authz import DEFAULT_ROLES, check_declared, requires, satisfies

# DESIGN.md's table, written out again: a change to either must be deliberate
ITEMS = ["debtors", "purchase_orders", "assignments", "job_orders", "documents", "maintenance", "opportunities",
         "equipment_pricing", "po_assign_invoiced_item", "po_override_validations", "po_override_budget",
         "settings", "security", "contracts"]
TABLE = {
    "Administrator": ["full", "full", "full", "full", "full", "full", "full", "full", "✓", "✓", "✓", "✓", "✓", "full"],
    "Billing Admin": ["full", "full", "full", "add_edit", "full", "full", "view", "add_edit", "✓", "✓", "✓", "—", "—", "full"],
    "Billing Clerk": ["view", "view", "add_edit", "view", "add_edit", "view", "—", "view", "—", "—", "—", "—", "—", "view"],
    "Consultant": ["view", "view", "add_edit", "add_edit", "view", "—", "view", "—", "—", "—", "—", "—", "—", "add_edit"],
    "Relationship Lead": ["add_edit", "add_edit", "view", "view", "view", "view", "add_edit", "—", "—", "—", "—", "—", "—",
                          "add_edit"],
    "Auditor": ["view", "view", "view", "view", "view", "view", "view", "view", "—", "—", "—", "—", "—", "view"],
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


@pytest.mark.parametrize("granted", ["granted", "bogus", ""])
def test_a_grant_that_is_no_level_satisfies_nothing(granted):
    """A stale or corrupt grant on a levelled item (e.g. 'granted' left from a catalogue change) is no access."""
    assert not satisfies(granted, "debtors", "view")


def test_a_levelled_item_asked_without_a_level_means_view():
    assert satisfies("view", "debtors", None)
    assert not satisfies(None, "debtors", None)


@pytest.mark.parametrize("item,level", [("security", None), ("security", "granted"), ("debtors", "view"),
                                        ("po_override_budget", None)])
def test_good_declarations_pass(item, level):
    check_declared(item, level)
    assert callable(requires(item, level))


@pytest.mark.parametrize("item,level,message", [
    ("debtor", "view", "unknown permission item 'debtor'"),
    ("debtors", "admin", "'debtors' needs a level"),
    ("security", "view", "'security' is granted or not"),
])
def test_a_bad_declaration_says_what_is_wrong(item, level, message):
    with pytest.raises(ValueError, match=message):
        check_declared(item, level)


@pytest.mark.parametrize("grants,expected", [
    ([("documents", "view"), ("documents", "full")], {"documents": "full"}),  # the highest across roles
    ([("documents", "full"), ("documents", "view")], {"documents": "full"}),  # whatever the roles' order
    ([("documents", "add_edit"), ("debtors", "view")], {"documents": "add_edit", "debtors": "view"}),
    ([("security", "granted"), ("security", "granted")], {"security": "granted"}),
    ([("retired_item", "full"), ("debtors", "view")], {"debtors": "view"}),  # an item no longer catalogued
    ([], {}),
])
def test_a_users_grants_are_the_highest_of_each_item_across_their_roles(grants, expected):
    from portal.domain.permissions import best_grants

    assert best_grants(grants) == expected
