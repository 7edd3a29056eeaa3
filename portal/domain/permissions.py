"""The permission catalogue (DESIGN.md "Permissions") and what a grant satisfies. Pure data and rules.

Items with levels are granted view < add_edit < full; single-level items are granted or not.
`portal.authz` builds the decorators on it; the User model asks `satisfies`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LEVELS = ("view", "add_edit", "full")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS, start=1)}
GRANTED = "granted"

# item -> (label, levelled?)
CATALOGUE: dict[str, tuple[str, bool]] = {
    "debtors": ("Debtors", True),
    "purchase_orders": ("Purchase orders", True),
    "assignments": ("Job PO assignments", True),
    "job_orders": ("Job orders", True),
    "documents": ("Documents", True),
    "maintenance": ("Maintenance (bill codes, groups, document types, alert templates)", True),
    "opportunities": ("Opportunities", True),
    "equipment_pricing": ("Equipment pricing", True),
    "po_assign_invoiced_item": ("Assign / reassign items on a posted invoice", False),
    "po_override_validations": ("Override PO validations", False),
    "po_override_budget": ("Post past a blocked PO budget", False),
    "settings": ("Settings", False),
    "security": ("Security (users and roles)", False),
    "contracts": ("Contracts (scheduled work on a PO)", True),
}


def check_declared(item: str, level: str | None) -> None:
    """Fail at import time on an unknown item or a level the item does not take."""
    if item not in CATALOGUE:
        raise ValueError(f"unknown permission item {item!r}")
    levelled = CATALOGUE[item][1]
    if levelled and level not in LEVELS:
        raise ValueError(f"{item!r} needs a level out of {LEVELS}, not {level!r}")
    if not levelled and level not in (None, GRANTED):
        raise ValueError(f"{item!r} is granted or not; it takes no level")


def satisfies(granted: str | None, item: str, level: str | None) -> bool:
    """Whether a grant (`None` = nothing) of `item` meets the `level` asked for."""
    if granted is None:
        return False
    if not CATALOGUE[item][1]:
        return granted == GRANTED
    return LEVEL_RANK.get(granted, 0) >= LEVEL_RANK[level or "view"]


def best_grants(grants) -> dict[str, str]:
    """Each catalogued item's highest grant among `grants` ((item, level) pairs from all of a user's
    roles); an item no longer in the catalogue grants nothing."""
    best: dict[str, str] = {}
    for item, level in grants:
        if item in CATALOGUE and (item not in best or satisfies(level, item, best[item])):
            best[item] = level
    return best


@dataclass(frozen=True)
class Principal:
    """What a signed-in user may do and see, read once: their grants, branches and role names."""

    grants: Mapping[str, str]
    branch_ids: frozenset[int]
    branch_codes: tuple[str, ...]  # by code
    role_names: tuple[str, ...]  # by name
