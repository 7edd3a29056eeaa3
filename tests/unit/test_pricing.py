"""Seed 002's PO pricing rules, table-tested on one fixture and by properties (no database)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import example, given, settings as hsettings, strategies as st

from portal.domain import pricing
from portal.domain.pricing import Settings, SupplierLine

# two supplier POs of routers with uneven quantities and prices
SPO_1001 = [SupplierLine(1, "SPO-1001", date(2026, 1, 10), 1, 2, D("100.0000"))]
SPO_1007 = [SupplierLine(7, "SPO-1007", date(2026, 2, 1), 1, 1, D("130.0000")),
            SupplierLine(7, "SPO-1007", date(2026, 2, 1), 2, 3, D("90.5000"))]
LINES = SPO_1001 + SPO_1007


def _price(selection, pricing_name, chosen=None, pct=None, flat=None, **kw):
    return pricing.price(Settings(selection, pricing_name), LINES, markup_percent=pct, markup_flat=flat,
                         chosen_po_id=chosen, **kw)


# (selection, chosen supplier PO, pricing) -> amount
TABLE = [
    # All: 2@100 + 1@130 + 3@90.50 = 601.50 over 6 units
    ("all", None, "average", D("100.25")),
    ("all", None, "highest", D("130.00")),
    ("all", None, "lowest", D("90.50")),
    ("all", None, "exact", D("90.50")),        # by order: the newest line
    # Last: SPO-1007 (latest order date): 1@130 + 3@90.50 = 401.50 over 4 units = 100.375 -> half-up
    ("last", None, "average", D("100.38")),
    ("last", None, "highest", D("130.00")),
    ("last", None, "lowest", D("90.50")),
    ("last", None, "exact", D("90.50")),
    # Specific: the chosen PO only
    ("specific", 1, "average", D("100.00")),
    ("specific", 1, "highest", D("100.00")),
    ("specific", 1, "lowest", D("100.00")),
    ("specific", 1, "exact", D("100.00")),
    ("specific", 7, "average", D("100.38")),
    ("specific", 7, "highest", D("130.00")),
    ("specific", 7, "lowest", D("90.50")),
    # Last or Specific: the chosen PO, else the last one
    ("last_or_specific", 1, "average", D("100.00")),
    ("last_or_specific", None, "average", D("100.38")),
    ("last_or_specific", None, "highest", D("130.00")),
    ("last_or_specific", 1, "lowest", D("100.00")),
    ("last_or_specific", None, "exact", D("90.50")),
]


@pytest.mark.parametrize("selection,chosen,pricing_name,expected", TABLE)
def test_every_selection_and_pricing_on_two_supplier_pos(selection, chosen, pricing_name, expected):
    result = _price(selection, pricing_name, chosen)
    assert result.from_pos and result.amount == expected


def test_every_combination_is_in_the_table():
    combos = {(s, p) for s, _, p, _ in TABLE}
    assert combos == {(s, p) for s in pricing.SELECTIONS if s != "off" for p in pricing.PRICINGS}


@pytest.mark.parametrize("pct,flat,expected", [
    (D("20"), None, D("60.00")), (None, D("5.00"), D("55.00")), (D("20"), D("5.00"), D("65.00")),
    (None, None, D("50.00")),
])
def test_seed_markup_examples(pct, flat, expected):
    assert pricing.with_markups(D("50.00"), pct, flat) == expected


def test_percent_markup_comes_before_flat():
    # (50 + 20%) + 5 = 65, never (50 + 5) + 20% = 66
    assert pricing.with_markups(D("50"), D("20"), D("5")) == D("65.00")


def test_rounding_is_half_up_to_cents():
    assert pricing.with_markups(D("0.125"), None, None) == D("0.13")
    assert pricing.with_markups(D("10.005"), None, None) == D("10.01")


def test_source_description_names_method_pos_and_markups():
    lines = SPO_1001 + [SPO_1007[0]]  # 2@100 + 1@130 = 330 / 3 = 110
    result = pricing.price(Settings("all", "average"), lines, markup_percent=D("20"), markup_flat=D("5.00"))
    assert result.amount == D("137.00")
    assert result.description == "PO pricing: Average of 3 units on SPO-1001, SPO-1007 = 110.00; +20% = 132.00; +5.00 = 137.00"


def test_a_description_of_a_cost_past_cents_follows_step_by_step_and_says_where_it_rounds():
    """A supplier price of 10.0049 with 20% and 5.00 read "= 10.00; +20% = 12.01; +5.00 = 17.01": 10.00 and 20%
    is 12.00. The steps keep the price's four decimals now, and the rounding to cents is the last step."""
    line = [SupplierLine(3, "SPO-3000", date(2026, 11, 20), 1, 1, D("10.0049"))]
    result = pricing.price(Settings("last", "average"), line, markup_percent=D("20"), markup_flat=D("5.00"))
    assert result.amount == D("17.01")
    assert result.description == ("PO pricing: Average of 1 unit on SPO-3000 = 10.0049; +20% = 12.0059; "
                                  "+5.00 = 17.0059, rounded to 17.01")
    thirds = [SupplierLine(3, "SPO-3000", date(2026, 11, 20), n, 1, D(p)) for n, p in ((1, "10"), (2, "10"), (3, "10.01"))]
    result = pricing.price(Settings("last", "average"), thirds, markup_percent=None, markup_flat=None)
    assert (result.amount, result.description) == (D("10.00"), "PO pricing: Average of 3 units on SPO-3000 = 10.0033, "
                                                                "rounded to 10.00")


def test_highest_description_counts_lines():
    result = _price("last", "highest")
    assert result.description == "PO pricing: Highest of 2 lines on SPO-1007 = 130.00"


def test_exact_with_inventory_waits_for_a_unit():
    waiting = _price("all", "exact", inventory=True)
    assert waiting.awaiting_unit and waiting.from_pos and "awaiting unit" in waiting.description
    picked = _price("all", "exact", inventory=True, unit=SPO_1001[0], unit_serial="RT-1", pct=D("10"))
    assert picked.amount == D("110.00")
    assert picked.description == "PO pricing: Exact, unit RT-1 on SPO-1001 = 100.00; +10% = 110.00"


def test_other_pricings_ignore_inventory_and_price_at_once():
    assert _price("all", "average", inventory=True).amount == D("100.25")


def test_no_supplier_po_with_the_type_keeps_the_catalog_default_and_says_why():
    result = pricing.price(Settings("all", "average"), [], markup_percent=None, markup_flat=None,
                           default_text=" 75.00")
    assert not result.from_pos and result.amount is None
    assert result.description == "Catalog default 75.00: no supplier PO has this equipment type"


def test_specific_without_a_chosen_po_keeps_the_default():
    result = _price("specific", "average")
    assert not result.from_pos and "no supplier PO chosen" in result.description


def test_chosen_po_without_the_type_keeps_the_default():
    result = _price("specific", "average", chosen=99)
    assert not result.from_pos and "has no line of this equipment type" in result.description


def test_off_prices_nothing():
    result = _price("off", "average")
    assert result.amount is None and not result.from_pos and result.description == ""


def test_last_breaks_order_date_ties_by_number():
    a = SupplierLine(1, "SPO-2", date(2026, 3, 1), 1, 1, D("10"))
    b = SupplierLine(2, "SPO-10", date(2026, 3, 1), 1, 1, D("20"))
    assert pricing.last_po_id([a, b]) == 2  # SPO-10 after SPO-2: digits by value (as text SPO-2 came last)
    c = SupplierLine(3, "spo-999", date(2026, 3, 1), 1, 1, D("30"))
    d = SupplierLine(4, "SPO-1010", date(2026, 3, 1), 1, 1, D("40"))
    assert pricing.last_po_id([c, d]) == 4 and pricing.last_po_id([d, c]) == 4
    assert pricing.number_order("SPO-999") < pricing.number_order("spo-1010") < pricing.number_order("SPO-1010A")
    assert pricing.number_order("spo-1010a") == pricing.number_order("SPO-1010A") == ("SPO-", 1010, "A")


def test_overridden_description_keeps_the_source_once():
    text = pricing.overridden("PO pricing: Highest of 2 lines on SPO-1007 = 130.00", D("120"))
    assert text == "PO pricing: Highest of 2 lines on SPO-1007 = 130.00 | Overridden by hand: 120.00"
    assert pricing.overridden(text, D("99")).count("Overridden") == 1


@pytest.mark.parametrize("charge_type,override,messages", [
    ("non_recurring", True, 0), ("recurring", True, 1), ("non_recurring", False, 1), ("recurring", False, 2),
])
def test_eligibility_says_which_rule(charge_type, override, messages):
    errors = pricing.eligibility_errors(charge_type=charge_type, override_allowed=override)
    assert len(errors) == messages
    if charge_type == "recurring":
        assert any("non-recurring" in e for e in errors)


@pytest.mark.parametrize("value,places,ok", [
    (D("1.2345"), 4, True), (D("1.23456"), 4, False), (D("1.234"), 2, False), (D("-1"), 2, False),
    (D("0"), 2, True), (D("1e20"), 2, False),
])
def test_decimal_errors(value, places, ok):
    assert (pricing.decimal_errors(value, "price", places=places, maximum=pricing.MAX_PRICE) == []) == ok


prices = st.decimals(min_value=D("0"), max_value=D("100000"), places=4)
line = st.tuples(st.integers(1, 50), prices, st.integers(0, 2))


@hsettings(max_examples=200, deadline=None)
@given(st.lists(line, min_size=1, max_size=8))
def test_lowest_le_average_le_highest(raw):
    lines = [SupplierLine(po, f"SPO-{po}", date(2026, 1, 1 + po), n, q, p) for n, (q, p, po) in enumerate(raw, 1)]
    low, avg, high = (pricing.cost(lines, p) for p in ("lowest", "average", "highest"))
    assert low <= avg <= high
    amounts = [pricing.price(Settings("all", p), lines, markup_percent=None, markup_flat=None).amount
               for p in ("lowest", "average", "highest")]
    assert amounts == sorted(amounts)


@hsettings(max_examples=200, deadline=None)
@given(prices, st.decimals(min_value=D("0"), max_value=D("500"), places=2),
       st.decimals(min_value=D("0"), max_value=D("10000"), places=2))
def test_markups_apply_percent_then_flat(base, pct, flat):
    result = pricing.with_markups(base, pct, flat)
    assert result == pricing.half_up(base * (1 + pct / 100) + flat)
    assert result >= pricing.half_up(base)
    assert result == result.quantize(D("0.01"))


def test_exact_prices_the_unit_with_both_markups_and_names_the_line_it_took():
    picked = _price("all", "exact", inventory=True, unit=SPO_1007[1], unit_serial="RT-9", pct=D("10"), flat=D("2.50"))
    assert (picked.amount, picked.from_pos) == (D("102.05"), True)  # 90.50 + 10% = 99.55; + 2.50
    assert picked.description == "PO pricing: Exact, unit RT-9 on SPO-1007 = 90.50; +10% = 99.55; +2.50 = 102.05"
    by_order = _price("all", "exact")  # by order: the newest line's price
    assert by_order.amount == D("90.50") and by_order.description == "PO pricing: Exact, line 2 of SPO-1007 = 90.50"


@pytest.mark.parametrize("value,text", [
    (D("10.00005"), "10.0001"),  # half-up at the fourth decimal (half-even would read 10.00)
    (D("10.005"), "10.005"), (D("12.3400"), "12.34"), (D("1234.5"), "1,234.50"), (D("1000.0049"), "1,000.0049"),
])
def test_a_cost_reads_to_cents_or_to_the_price_s_four_decimals(value, text):
    assert pricing.shown_cost(value) == text


def test_the_total_before_rounded_to_rounds_to_the_amount_shown():
    """An average of 55.00495 (3 units at 0.0099 among 200) read "= 55.005, rounded to 55.00": 55.005 rounds
    half-up to 55.01. The total before the rounding now has the places it takes to round to the amount shown."""
    lines = [SupplierLine(1, "SPO-2001", date(2026, 3, 1), 1, 196, D("56.0000")),
             SupplierLine(1, "SPO-2001", date(2026, 3, 1), 2, 1, D("24.9603")),
             SupplierLine(2, "SPO-2002", date(2026, 4, 1), 1, 3, D("0.0099"))]
    assert pricing.cost(lines, "average") == D("55.00495")
    result = pricing.price(Settings("all", "average"), lines, markup_percent=D("0"), markup_flat=D("0.00"))
    assert result.amount == D("55.00")
    assert result.description == "PO pricing: Average of 200 units on SPO-2001, SPO-2002 = 55.00495, rounded to 55.00"
    assert pricing.shown_cost(D("55.0049999")) == "55.0049999"


@given(st.decimals(min_value=D("0"), max_value=D("99999999"), places=12))
@example(D("55.00495")).via("the tester's average")
@example(D("1234.994999999"))
def test_a_shown_cost_rounds_to_the_cent_its_value_rounds_to(value):
    shown_value = D(pricing.shown_cost(value).replace(",", ""))
    assert pricing.half_up(shown_value) == pricing.half_up(value)
