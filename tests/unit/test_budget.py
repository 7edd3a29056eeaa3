"""Seed 001's columns, DESIGN.md's measures and posting rules, without a database."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from portal.domain import budget
from portal.domain.budget import Balance, Entry, LineCheck

D = Decimal
ZERO = Decimal("0")


def test_seed_001_columns_on_a_worked_example():
    b = Balance(D("10000"))
    b = b.plus("used", D("3000"))            # a posted invoice
    b = b.plus("used", D("-500"))            # a credit memo against it
    b = b.plus("commitment", D("4000"))      # an open sales order
    b = b.plus("used", D("1500")).plus("commitment", -budget.release(D("4000"), D("1500")))  # invoiced in part
    b = b.plus("estimate", D("2000"))        # an estimate, converted to an order: still counted
    assert (b.used, b.commitments, b.estimates) == (D("4000"), D("2500"), D("2000"))
    assert b.subtotal == D("8500") and b.net_remaining == D("1500") and b.net_unused == D("6000")
    b = b.plus("estimate", D("-2000"))       # voided: only now it stops counting
    assert b.subtotal == D("6500") and b.net_remaining == D("3500")


@pytest.mark.parametrize("qty,rate,amount", [("1", "0.005", "0.01"), ("-1", "0.005", "-0.01"), ("3", "33.333", "100.00"),
                                             ("2.5", "10.01", "25.03"), ("1", "0.004", "0.00")])
def test_line_amount_rounds_half_up_to_cents(qty, rate, amount):
    assert budget.line_amount(D(qty), D(rate)) == D(amount)


@pytest.mark.parametrize("qty, rate", [("1e30", "1"), ("1e26", "1e4"), ("-1e40", "3"), ("1", "999999999999.994")])
def test_line_amount_refuses_a_product_past_numeric_14_2_however_large(qty, rate):
    """A product past the decimal context's 28 digits is refused with the message, not an InvalidOperation."""
    if qty == "1":
        assert budget.line_amount(D(qty), D(rate)) == D("999999999999.99")  # rounds into range: kept
        return
    with pytest.raises(budget.BudgetError, match="larger than"):
        budget.line_amount(D(qty), D(rate))


def test_line_amount_must_fit_numeric_14_2():
    assert budget.line_amount(D("1"), D("999999999999.99")) == D("999999999999.99")
    with pytest.raises(budget.BudgetError):
        budget.line_amount(D("10"), D("999999999999.99"))


def test_release_never_below_zero():
    assert budget.release(D("100"), D("150")) == D("100")
    assert budget.release(D("100"), D("40")) == D("40")
    assert budget.release(D("0"), D("40")) == D("0")


def test_the_invoice_completing_an_ordered_quantity_releases_all_that_is_left():
    assert budget.release(D("0.34"), D("0.33"), completes=True) == D("0.34")
    assert budget.release(D("0.34"), D("0.33")) == D("0.33")
    assert budget.release(D("-1"), D("0.33"), completes=True) == D("0")


@pytest.mark.parametrize("left, rate, most, expected", [
    (D("740.74"), D("123.4567"), D("10"), D("6")),  # 6 × 123.4567 = 740.7402 → 740.74 (not 5.9999 → 740.73)
    (D("185.18"), D("123.4567"), D("4"), D("1.4999")),  # 1.5 would be 185.19, more than is left
    (D("0.015"), D("0.01"), D("5"), D("1.4999")),  # 1.5 × 0.01 = 0.015 rounds half-up to 0.02
    (D("100"), D("10"), D("3"), D("3")),  # never more than the line's quantity
    (D("0"), D("10"), D("3"), D("0")), (D("5"), D("0"), D("3"), D("0")), (D("-5"), D("10"), D("3"), D("0")),
])
def test_quantity_within_is_the_most_whose_amount_is_no_more_than_left(left, rate, most, expected):
    quantity = budget.quantity_within(left, rate, most)
    assert quantity == expected
    if quantity:
        assert budget.line_amount(quantity, rate) <= left
        assert quantity == most or budget.line_amount(quantity + D("0.0001"), rate) > left


def test_reversal_takes_back_exactly_what_was_drawn():
    entries = [Entry(1, 7, None, "commitment", D("100")), Entry(1, 7, None, "commitment", D("-40")),
               Entry(2, 7, 3, "commitment", D("50"))]
    assert budget.reversal(entries) == [Entry(1, 7, None, "commitment", D("-60")), Entry(2, 7, 3, "commitment", D("-50"))]


def _check(amount, bucket="used", sign=1, policy="warn", balance=Balance(D("10000"), D("9000")), **kw):
    line = LineCheck(1, "4500", None, D(amount), date(2026, 3, 1), date(2026, 1, 1), date(2026, 12, 31), **kw)
    return budget.evaluate([line], {1: balance}, {}, bucket=bucket, sign=sign, policy=policy, enforce_pos=False,
                           tolerances={1: D("90")})


def test_over_the_po_warns_under_warn_and_blocks_under_block():
    warn = _check("1500")
    assert [w.code for w in warn.warnings] == ["over_po"] and not warn.blocked
    assert "over its amount by 500.00" in warn.warnings[0].message
    assert _check("1500", policy="block").blocked
    assert not _check("1000", policy="block").blocked  # exactly the amount: allowed


def test_estimates_warn_but_never_block():
    result = _check("5000", bucket="estimate", policy="block")
    assert "over_po" in [w.code for w in result.warnings] and not result.blocked


def test_tolerance_warns_when_crossed():
    result = _check("100", balance=Balance(D("10000"), D("8950")))
    assert [w.code for w in result.warnings] == ["tolerance"]


def test_outside_dates_and_not_eligible():
    line = LineCheck(1, "4500", None, D("10"), date(2027, 1, 1), date(2026, 1, 1), date(2026, 12, 31), eligible=False)
    codes = [w.code for w in budget.evaluate([line], {1: Balance(D("100"))}, {}, bucket="used", sign=1, policy="warn",
                                             enforce_pos=False, tolerances={}).warnings]
    assert codes == ["not_eligible", "outside_dates"]


def test_not_covered_warns_under_warn_and_refuses_under_block():
    assert not _check("10", covered=False, bill_code="OT").blocked
    assert _check("10", covered=False, bill_code="OT", policy="block").blocked


def test_a_line_dated_after_its_jobs_discontinued_date_warns_and_never_blocks():
    """The job's assignment still funds the line; the check shows it first (a wrong date or job, usually)."""
    past = _check("10", policy="block", job_number="J10001", discontinued=date(2026, 2, 28))
    assert [(w.code, w.message, w.blocks) for w in past.warnings] == [(
        "job_discontinued", "Line 1: job J10001 was discontinued on 2026-02-28, before the service date 2026-03-01; "
        "the line still draws on PO 4500.", False)]
    assert _check("10", job_number="J10001", discontinued=date(2026, 3, 1)).warnings == []  # its last day
    assert _check("10").warnings == []  # a job still on, or no job
    assert _check("10", sign=-1, job_number="J10001", discontinued=date(2026, 2, 28)).warnings == []  # a credit


def test_no_po_for_an_enforcing_debtor():
    line = LineCheck(None, None, None, D("10"), date(2026, 3, 1))
    result = budget.evaluate([line], {}, {}, bucket="used", sign=1, policy="block", enforce_pos=True, tolerances={})
    assert result.warnings[0].code == "no_po" and result.blocked


def test_credit_memo_skips_checks_but_not_the_floor():
    ok = _check("500", sign=-1, policy="block", eligible=False)
    assert ok.warnings == []
    floor = _check("9500", sign=-1, policy="block")
    assert floor.blocked and floor.warnings[0].code == "credit_floor"


def test_invoice_from_order_nets_its_release_for_the_block():
    line = LineCheck(1, "4500", None, D("1000"), date(2026, 3, 1), date(2026, 1, 1), date(2026, 12, 31))
    balance = Balance(D("10000"), D("5000"), D("5000"))
    result = budget.evaluate([line], {1: balance}, {}, bucket="used", sign=1, policy="block", enforce_pos=False,
                             tolerances={}, releases={1: D("1000")})
    assert not result.blocked


def test_master_line_over_its_budget():
    line = LineCheck(1, "M1", 5, D("300"), date(2026, 3, 1), date(2026, 1, 1), date(2026, 12, 31))
    result = budget.evaluate([line], {1: Balance(D("1000"))}, {5: Balance(D("200"))}, bucket="used", sign=1,
                             policy="block", enforce_pos=False, tolerances={})
    assert [w.code for w in result.warnings] == ["over_line"] and result.blocked


def test_colour():
    assert budget.colour(Balance(D("100"), D("90")), D("90")) == "yellow"
    assert budget.colour(Balance(D("100"), D("100.01")), D("90")) == "red"
    assert budget.colour(Balance(D("100"), D("99")), None) is None


def test_thresholds_fire_once_and_rearm():
    t = [D("75"), D("90"), D("100")]
    assert budget.crossed_thresholds(D("0"), D("8000"), D("10000"), t, set()) == ([D("75")], [])
    assert budget.crossed_thresholds(D("8000"), D("9500"), D("10000"), t, {D("75")}) == ([D("90")], [])
    assert budget.crossed_thresholds(D("9500"), D("9600"), D("10000"), t, {D("75"), D("90")}) == ([], [])
    assert budget.crossed_thresholds(D("9600"), D("7000"), D("10000"), t, {D("75"), D("90")}) == ([], [D("75"), D("90")])


def test_expiring():
    assert budget.expiring(date(2026, 12, 31), date(2026, 12, 1), 30)
    assert not budget.expiring(date(2026, 12, 31), date(2026, 11, 30), 30)
    assert not budget.expiring(date(2026, 12, 31), date(2027, 1, 1), 30)
    assert not budget.expiring(date(2026, 12, 31), date(2026, 12, 1), None)



def test_invoice_from_order_nets_its_release_on_the_master_line_too():
    """Invoicing an order that filled a master line moves commitment to used on that line: not over it."""
    line = LineCheck(1, "M1", 5, D("200"), date(2026, 3, 1), date(2026, 1, 1), date(2026, 12, 31))
    po, master_line = Balance(D("1000"), ZERO, D("200")), Balance(D("200"), ZERO, D("200"))
    result = budget.evaluate([line], {1: po}, {5: master_line}, bucket="used", sign=1, policy="block",
                             enforce_pos=False, tolerances={}, releases={1: D("200")}, line_releases={5: D("200")})
    assert result.warnings == [] and not result.blocked


def test_block_counts_used_and_commitments_not_estimates():
    """Block: Used + Commitments + this document > Amount; estimates warn (over the PO) but never block."""
    balance = Balance(D("1000"), D("400"), D("300"), D("250"))
    assert not _check("300", policy="block", balance=balance).blocked       # 1000 of 1000 (+250 estimates)
    assert _check("300.01", policy="block", balance=balance).blocked
    over = _check("300", policy="block", balance=balance)
    assert [w.code for w in over.warnings] == ["over_po"]  # Subtotal 1250 > 1000: warned, not blocked


def test_master_line_block_boundary():
    line = LineCheck(1, "M1", 5, D("100"), date(2026, 3, 1), date(2026, 1, 1), date(2026, 12, 31))
    at = budget.evaluate([line], {1: Balance(D("1000"))}, {5: Balance(D("200"), D("100"))}, bucket="used", sign=1,
                         policy="block", enforce_pos=False, tolerances={})
    assert not at.blocked and at.warnings == []
    line = LineCheck(1, "M1", 5, D("100.01"), date(2026, 3, 1), date(2026, 1, 1), date(2026, 12, 31))
    past = budget.evaluate([line], {1: Balance(D("1000"))}, {5: Balance(D("200"), D("100"))}, bucket="used", sign=1,
                           policy="block", enforce_pos=False, tolerances={})
    assert past.blocked and "over its budget by 0.01" in past.warnings[0].message


@given(left=st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2),
       rate=st.decimals(min_value=D("0.0001"), max_value=D("99999.9999"), places=4),
       most=st.decimals(min_value=D("0.0001"), max_value=D("99999.9999"), places=4))
def test_quantity_within_for_any_cents_left_rate_and_quantity(left, rate, most):
    quantity = budget.quantity_within(left, rate, most)
    assert D("0") <= quantity <= most and quantity == quantity.quantize(D("0.0001"))
    assert budget.line_amount(quantity, rate) <= left
    assert quantity == most or budget.line_amount(quantity + D("0.0001"), rate) > left
