"""The one number parser (defect 16) and the column limits of quantities, rates and amounts (defect 15)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, strategies as st

from portal.domain import numbers
from portal.domain.purchase_orders import parse_money


@pytest.mark.parametrize("text,expected", [
    ("1,234.50", D("1234.50")), ("1234.50", D("1234.50")), ("12,345,678", D("12345678")), ("-1,000", D("-1000")),
    (" 7 ", D("7")), ("0.5", D("0.5")), (".5", D("0.5")), ("999,999,999,999.99", D("999999999999.99")),
])
def test_numbers_as_people_type_them(text, expected):
    assert numbers.parse_number(text) == expected
    assert parse_money(text) == expected  # the PO forms read through the same parser


@pytest.mark.parametrize("text", [
    "1,2,3", "10,00", "1,23", "1234,567", ",100", "100,", "1,,000", "1,000,00", "12,34.5", "1.000,50", "1 000",
    "1e3", "1E-2", "NaN", "inf", "-inf", "Infinity", "0x10", "1_000", "+-1", "--1", "", "   ", None, "1,000.",
    "١٢٣", "1.2.3", "x" * 100,
])
def test_anything_else_is_not_a_number(text):
    assert numbers.parse_number(text) is None
    assert parse_money(text) is None


@given(st.decimals(min_value=D("-999999999999.99"), max_value=D("999999999999.99"), places=2, allow_nan=False))
def test_any_amount_reads_back_with_or_without_separators(value):
    assert numbers.parse_number(f"{value:,.2f}") == value
    assert numbers.parse_number(f"{value:.2f}") == value


@given(st.integers(min_value=1000, max_value=10**12), st.data())
def test_a_misplaced_separator_is_refused(value, data):
    digits = str(value)
    at = data.draw(st.integers(min_value=1, max_value=len(digits) - 1))
    text = digits[:at] + "," + digits[at:]
    well_placed = (len(digits) - at) == 3 and at <= 3
    assert (numbers.parse_number(text) is not None) == well_placed


@given(st.text(max_size=30))
def test_the_parser_never_raises_and_returns_finite_decimals(text):
    value = numbers.parse_number(text)
    assert value is None or (isinstance(value, D) and value.is_finite())


@pytest.mark.parametrize("value,problem", [
    (D("9999999999.9999"), None), (D("10000000000"), "The quantity may be at most 9,999,999,999.9999."),
    (D("999999999999"), "The quantity may be at most 9,999,999,999.9999."),
    (D("1.00001"), "The quantity may have at most four decimals."), (D("0.00001"), "The quantity may have at most four decimals."),
    (D("0.0001"), None), (D("-5"), None), (D("1E+2"), None),
])
def test_quantity_fits_numeric_14_4(value, problem):
    assert numbers.column_problem(value, numbers.QUANTITY) == problem


def test_rates_and_amounts_fit_their_columns():
    assert numbers.column_problem(D("0.12345"), numbers.RATE) == "The rate may have at most four decimals."
    assert numbers.column_problem(D("1.005"), numbers.AMOUNT) == "The amount may have at most two decimals."
    assert numbers.column_problem(D("1000000000000"), numbers.AMOUNT) == "The amount may be at most 999,999,999,999.99."
    assert numbers.column_problem(D("999999999999.99"), numbers.AMOUNT) is None
    assert numbers.column_problem(D("1000"), numbers.PERCENT) == "The percentage may be at most 999.99."


@given(st.decimals(min_value=D("-99999999999"), max_value=D("99999999999"), places=6, allow_nan=False))
def test_column_problem_is_exactly_what_postgresql_would_refuse_or_round(value):
    fits = abs(value) <= D("9999999999.9999") and value == value.quantize(D("0.0001"))
    assert (numbers.column_problem(value, numbers.QUANTITY) is None) == fits


@pytest.mark.parametrize("quantity,rate,amount", [
    (D("1"), D("0.005"), D("0.01")), (D("3"), D("33.3333"), D("100.00")), (D("-1"), D("0.005"), D("-0.01")),
    (D("9999999999.9999"), D("0"), D("0.00")),
])
def test_line_amount_is_half_up_to_cents(quantity, rate, amount):
    assert numbers.line_amount(quantity, rate) == amount


def test_a_line_amount_beyond_numeric_14_2_is_refused():
    with pytest.raises(numbers.OutOfRange, match="larger than 999,999,999,999.99"):
        numbers.line_amount(D("9999999999"), D("9999"))


def test_a_po_tolerance_finer_than_its_column_is_refused_not_rounded():
    from datetime import date

    from portal.domain.purchase_orders import POInput, validate

    data = POInput(number="4500", kind="single_line", effective=date(2026, 1, 1), expiration=date(2026, 12, 31),
                   amount=D("1000"), tolerance_pct=D("90.555"))
    assert validate(data, known_type_ids=set(), known_group_ids=set()) == {
        "tolerance_pct": ["The tolerance may have at most two decimals."]}


def test_alert_thresholds_read_through_the_same_parser():
    from portal.services.maintenance import parse_thresholds

    assert parse_thresholds("75, 90%, 100") == ([D("75"), D("90"), D("100")], [])
    assert parse_thresholds("1e2")[1] == ["“1e2” is not a number."]
