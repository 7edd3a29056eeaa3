"""Equipment priced from supplier purchase orders (seed 002): pure rules, no Flask, no SQLAlchemy.

A PO-priced catalog charge costs what its equipment type cost on supplier POs:
1. selection picks the supplier PO lines of the type that count (All / Last / Specific);
2. pricing turns them into one cost (Average over units, Highest / Lowest over lines, Exact);
3. the percent markup, then the flat markup, are added; the result is rounded half-up to cents.
Every priced charge carries a source description saying how it was priced.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PRICE_STEP = Decimal("0.0001")  # a supplier price's precision (NUMERIC(14,4))
HUNDRED = Decimal("100")

SELECTIONS = {"off": "Off", "all": "All", "last": "Last", "last_or_specific": "Last or Specific",
              "specific": "Specific"}
PRICINGS = {"average": "Average", "exact": "Exact", "highest": "Highest", "lowest": "Lowest"}
SPECIFIC_MODES = ("last_or_specific", "specific")

# limits of the columns these values are stored in
MAX_PRICE = Decimal("9999999999.9999")      # NUMERIC(14,4)
MAX_AMOUNT = Decimal("999999999999.99")     # NUMERIC(14,2)
MAX_PERCENT = Decimal("1000")               # a markup above 1000% is a typing mistake


def half_up(value: Decimal) -> Decimal:
    """Rounded half-up to cents (never banker's rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def shown(value: Decimal) -> str:
    """A money figure as the charge descriptions show it: half-up to cents, thousands separated ('1,234.50')."""
    return f"{half_up(value):,.2f}"


def shown_percent(value: Decimal) -> str:
    """A percentage without trailing zeros ('12.50' → '12.5', '100' stays '100')."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class Settings:
    """The tenant's PO pricing configuration."""

    selection: str = "off"
    pricing: str = "average"
    markup_percent: Decimal | None = None
    markup_flat: Decimal | None = None

    @property
    def enabled(self) -> bool:
        """Whether PO pricing is on: any selection but 'off'."""
        return self.selection != "off"

    @property
    def specific(self) -> bool:
        """Pickers between service desk items and supplier POs are offered only in these modes."""
        return self.selection in SPECIFIC_MODES


@dataclass(frozen=True)
class SupplierLine:
    """One supplier PO line of the equipment type being priced."""

    po_id: int
    po_number: str
    order_date: date
    line_no: int
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Priced:
    """A PO pricing outcome: `amount` is None while the charge awaits a unit (Exact, inventory)."""

    amount: Decimal | None
    description: str
    from_pos: bool          # False: the charge stays at its catalog default (description says why)

    @property
    def awaiting_unit(self) -> bool:
        """Whether the charge waits for a unit before it has an amount (Exact pricing from inventory)."""
        return self.amount is None


def number_order(number: str) -> tuple:
    """A supplier PO number as people order them: ignoring case, its runs of digits by value, so SPO-1010 comes
    after SPO-999 (as text it sorted before it, and "Last" picked the older PO on a day both were ordered)."""
    parts = re.split(r"(\d+)", number.upper())
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))


def _po_key(line: SupplierLine) -> tuple[date, tuple]:
    """Supplier POs are ordered by order date, then PO number (`number_order`)."""
    return (line.order_date, number_order(line.po_number))


def last_po_id(lines: list[SupplierLine]) -> int | None:
    """The most recent supplier PO (by order date, then number) that has a line of the type."""
    if not lines:
        return None
    return max(lines, key=lambda l: (_po_key(l), l.po_id)).po_id


def select_lines(lines: list[SupplierLine], selection: str, chosen_po_id: int | None) -> list[SupplierLine]:
    """The lines that count: every PO's (All), the last PO's (Last), the chosen PO's (Specific;
    Last or Specific falls back to the last PO when none is chosen)."""
    if selection == "all":
        return list(lines)
    if selection == "last" or (selection == "last_or_specific" and chosen_po_id is None):
        last = last_po_id(lines)
        return [l for l in lines if l.po_id == last]
    if selection in SPECIFIC_MODES:
        return [l for l in lines if l.po_id == chosen_po_id]
    return []


def cost(lines: list[SupplierLine], pricing: str) -> Decimal:
    """Average (weighted by quantity: every unit counts once), Highest or Lowest over the lines.
    Exact without a picked unit takes the newest line (latest PO, last line). Unrounded."""
    if not lines:
        raise ValueError("no supplier PO lines to price from")
    if pricing == "average":
        units = sum(l.quantity for l in lines)
        return sum((l.price * l.quantity for l in lines), Decimal("0")) / Decimal(units)
    if pricing == "highest":
        return max(l.price for l in lines)
    if pricing == "lowest":
        return min(l.price for l in lines)
    if pricing == "exact":
        return max(lines, key=lambda l: (_po_key(l), l.po_id, l.line_no)).price
    raise ValueError(f"unknown pricing {pricing!r}")


def with_markups(base: Decimal, percent: Decimal | None, flat: Decimal | None) -> Decimal:
    """Percent markup first, then flat markup, then rounded half-up to cents:
    50.00 + 20% = 60.00; 50.00 + 5.00 = 55.00; both = 65.00."""
    value = base
    if percent:
        value = value + value * percent / HUNDRED
    if flat:
        value = value + flat
    return half_up(value)


def shown_cost(value: Decimal) -> str:
    """A cost or running total in a description: to cents when it is whole cents, else to the four decimals of
    a supplier price (10.0049, 12.0059), so each step reads as following from the one before; the charge's
    amount is rounded to cents only at the end (`_steps` says so). Four decimals that would round to another cent
    than the value does get more, as many as it takes: an average of 55.00495 reads 55.00495, not 55.005 (which
    rounds to 55.01) beside the 55.00 it is rounded to."""
    places = 4
    fine = value.quantize(PRICE_STEP, rounding=ROUND_HALF_UP)
    while half_up(fine) != half_up(value):
        places += 1
        fine = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if fine == half_up(fine):
        return shown(fine)
    return f"{fine:,.{places}f}".rstrip("0")


def _steps(base: Decimal, percent: Decimal | None, flat: Decimal | None, amount: Decimal) -> str:
    """How a price reads in a charge's description after its source: the cost, the percent markup, then the flat one,
    each with the running total, and the rounding to cents when the last total was not whole cents."""
    parts, value = [f" = {shown_cost(base)}"], base
    if percent:
        value = value + value * percent / HUNDRED
        parts.append(f"; +{shown_percent(percent)}% = {shown_cost(value)}")
    if flat:
        value = value + flat
        parts.append(f"; +{shown(flat)} = {shown_cost(value)}")
    if shown_cost(value) != shown(amount):
        parts.append(f", rounded to {shown(amount)}")
    return "".join(parts)


def _numbers(lines: list[SupplierLine]) -> str:
    """The supplier PO numbers a price came from, oldest first, each named once."""
    seen: dict[str, None] = {}
    for l in sorted(lines, key=_po_key):
        seen.setdefault(l.po_number, None)
    return ", ".join(seen)


def price(settings: Settings, lines: list[SupplierLine], *, markup_percent: Decimal | None,
          markup_flat: Decimal | None, chosen_po_id: int | None = None, inventory: bool = False,
          unit: SupplierLine | None = None, unit_serial: str = "", default_text: str = "") -> Priced:
    """Price one PO-priced charge from the supplier PO lines of its equipment type.

    `lines` are every supplier PO line of the type; `unit` is the picked unit's line (Exact).
    When nothing can be priced the charge keeps its catalog default (`from_pos` False) and the
    description says why; with Exact pricing and inventory fulfilment it waits for a unit.
    """
    if not settings.enabled:
        return Priced(None, "", False)
    if settings.pricing == "exact" and unit is not None:
        amount = with_markups(unit.price, markup_percent, markup_flat)
        text = (f"PO pricing: Exact, unit {unit_serial} on {unit.po_number}"
                + _steps(unit.price, markup_percent, markup_flat, amount))
        return Priced(amount, text, True)
    if settings.pricing == "exact" and inventory:
        return Priced(None, "PO pricing: Exact, awaiting unit (pick the unit from inventory to price it)", True)
    if settings.selection == "specific" and chosen_po_id is None:
        return Priced(None, f"Catalog default{default_text}: no supplier PO chosen for PO pricing", False)
    chosen = select_lines(lines, settings.selection, chosen_po_id)
    if not chosen:
        why = ("the chosen supplier PO has no line of this equipment type" if settings.selection in SPECIFIC_MODES
               and chosen_po_id is not None else "no supplier PO has this equipment type")
        return Priced(None, f"Catalog default{default_text}: {why}", False)
    base = cost(chosen, settings.pricing)
    amount = with_markups(base, markup_percent, markup_flat)
    name = PRICINGS[settings.pricing]
    if settings.pricing == "average":
        units = sum(l.quantity for l in chosen)
        what = f"Average of {units} unit{'s' if units != 1 else ''} on {_numbers(chosen)}"
    elif settings.pricing == "exact":
        newest = max(chosen, key=lambda l: (_po_key(l), l.po_id, l.line_no))
        what = f"Exact, line {newest.line_no} of {newest.po_number}"
    else:
        what = f"{name} of {len(chosen)} line{'s' if len(chosen) != 1 else ''} on {_numbers(chosen)}"
    return Priced(amount, f"PO pricing: {what}" + _steps(base, markup_percent, markup_flat, amount), True)


def overridden(description: str, amount: Decimal) -> str:
    """The source description once a user types their own amount over the priced one."""
    base = description.split(" | Overridden", 1)[0]
    return f"{base} | Overridden by hand: {shown(amount)}"[:500]


# ---- input rules shared by the forms and services ------------------------------------------

def eligibility_errors(*, charge_type: str, override_allowed: bool) -> list[str]:
    """A catalog charge may be PO-priced only if it is non-recurring and allows an override."""
    errors = []
    if charge_type != "non_recurring":
        errors.append("Only a non-recurring charge can use PO pricing (this one is recurring).")
    if not override_allowed:
        errors.append("Only a charge that allows an override amount can use PO pricing.")
    return errors


def reasons_to_leave(*, charge_type: str, override_allowed: bool, override_amount: Decimal | None) -> list[str]:
    """Why a PO-priced charge edited while the feature is Off stops using PO pricing (none: it keeps it).
    Made recurring or no longer overridable it is not eligible; given an override amount the user chose
    a fixed price that PO pricing would clear. The charge then behaves as a normal charge."""
    reasons = []
    if charge_type == "recurring":
        reasons.append("it is recurring")
    if not override_allowed:
        reasons.append("it does not allow an override amount")
    if override_amount is not None:
        reasons.append("it has an override amount of its own")
    return reasons


def left_po_pricing(reasons: list[str]) -> str:
    """How a charge taken off PO pricing (the feature being Off) says so: '… PO pricing (…): it is recurring'."""
    return "it no longer uses PO pricing (turned off in Settings): " + " and ".join(reasons)


def decimal_errors(value: Decimal | None, label: str, *, places: int, maximum: Decimal,
                   required: bool = False, positive: bool = False) -> list[str]:
    """A money-like input: not negative (or > 0), at most `places` decimals, within its column."""
    if value is None:
        return [f"Enter the {label} as a number."] if required else []
    if value < 0 or (positive and value == 0):
        return [f"The {label} must be {'more than zero' if positive else 'zero or more'}."]
    if value > maximum:
        return [f"The {label} may be at most {maximum:,}."]
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return [f"The {label} may have at most {places} decimals."]
    return []
