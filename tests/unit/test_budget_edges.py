"""Budget rules at their edges: each test kills a mutant that changed behaviour someone would notice
(a boundary moved, a bucket swapped, a warning lost, a sum over the wrong key)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portal.domain import budget
from portal.domain.budget import Balance, LineCheck

D = Decimal
ZERO = Decimal("0")
JAN, MAR, DEC = date(2026, 1, 1), date(2026, 3, 1), date(2026, 12, 31)


def _line(amount, po=1, po_line=None, day=MAR, **kw):
    return LineCheck(po, "4500", po_line, D(amount), day, JAN, DEC, **kw)


def _evaluate(lines, balance=Balance(D("1000")), *, policy="block", bucket="used", sign=1, line_balances=None, **kw):
    kw.setdefault("tolerances", {})
    return budget.evaluate(lines, {1: balance, 2: Balance(D("1000"))}, line_balances or {}, bucket=bucket, sign=sign,
                           policy=policy, enforce_pos=kw.pop("enforce_pos", False), **kw)


def _codes(check):
    return [w.code for w in check.warnings]


def test_exactly_the_amount_is_neither_over_nor_blocked():
    assert _evaluate([_line("1000")]).warnings == []
    over = _evaluate([_line("1000.01")])
    assert _codes(over) == ["over_po"] and over.blocked
    assert over.warnings[0].message == (
        "PO 4500 would be over its amount by 0.01 (Subtotal 1,000.01 of 1,000.00). Blocked: Used + Commitments "
        "with this document come to 1,000.01 of 1,000.00 (over by 0.01); estimates do not count toward the block.")


def test_a_small_draw_past_the_amount_still_warns():
    """Not only draws of more than a dollar: 50 cents over is over."""
    check = _evaluate([_line("0.50")], Balance(D("1000"), D("1000")), policy="warn")
    assert _codes(check) == ["over_po"] and not check.blocked


def test_lines_on_one_po_are_summed_before_the_check():
    assert not _evaluate([_line("600"), _line("400")]).blocked
    assert _evaluate([_line("600"), _line("400.01")]).blocked
    assert not _evaluate([_line("600"), _line("600", po=2)]).blocked  # two POs, each within


def test_a_line_without_a_po_does_not_stop_the_next_line_being_checked():
    check = _evaluate([LineCheck(None, None, None, D("5"), MAR), _line("1500")])
    assert _codes(check) == ["over_po"]


def test_no_po_warns_only_for_an_enforcing_debtor_and_names_the_line():
    assert _evaluate([_line("1"), LineCheck(None, None, None, D("5"), MAR)]).warnings == []
    check = _evaluate([_line("1"), LineCheck(None, None, None, D("5"), MAR)], enforce_pos=True)
    assert check.warnings[0].message == "Line 2: no PO funds it, and the debtor enforces purchase orders."
    assert check.blocked
    assert _evaluate([LineCheck(None, None, None, D("5"), MAR)], sign=-1, enforce_pos=True).warnings == []


def test_service_dates_on_the_first_and_last_day_are_inside():
    assert _evaluate([_line("1", day=JAN), _line("1", day=DEC)]).warnings == []
    outside = _evaluate([_line("1", day=date(2027, 1, 1))])
    assert outside.warnings[0].message == ("Line 1: service date 2027-01-01 is outside PO 4500's dates "
                                           "(2026-01-01 to 2026-12-31).")
    assert _codes(_evaluate([_line("1", day=date(2025, 12, 31))])) == ["outside_dates"]


def test_warning_texts_name_the_line_and_the_po():
    check = _evaluate([_line("1", eligible=False), _line("1", covered=False, bill_code="OT")], policy="warn")
    assert [(w.code, w.message) for w in check.warnings] == [
        ("not_eligible", "Line 1: PO 4500 is not eligible for this document type."),
        ("not_covered", "Line 2: bill code OT is on no line of master PO 4500, so it draws on the PO's \"not on any line\"."),
    ]


def test_tolerance_reached_exactly_warns_once():
    at = _evaluate([_line("100")], Balance(D("1000"), D("800")), policy="warn", tolerances={1: D("90")})
    assert [(w.code, w.message) for w in at.warnings] == [
        ("tolerance", "PO 4500 reaches its 90% tolerance (Subtotal 900.00 of 1,000.00).")]
    below = _evaluate([_line("99.99")], Balance(D("1000"), D("800")), policy="warn", tolerances={1: D("90")})
    assert below.warnings == []
    small = _evaluate([_line("0.50")], Balance(D("1000"), D("899.60")), policy="warn", tolerances={1: D("90")})
    assert _codes(small) == ["tolerance"]


def test_release_moves_commitment_not_estimates():
    """An invoice from an order: the release leaves Used + Commitments where they were."""
    balance = Balance(D("1000"), D("500"), D("500"), D("200"))
    check = _evaluate([_line("300")], balance, releases={1: D("300")})
    assert _codes(check) == ["over_po"] and not check.blocked  # Subtotal 1,200: over, within the block
    assert check.warnings[0].message.endswith("(Subtotal 1,200.00 of 1,000.00).")


def test_moving_within_one_po_adds_nothing_to_it():
    full = Balance(D("1000"), D("1000"))
    assert _evaluate([_line("300")], full, moved_out={1: D("300")}).warnings == []
    assert _evaluate([_line("300")], full, moved_out={1: D("299.99")}).blocked
    line = {5: Balance(D("300"), D("300"))}
    assert _evaluate([_line("300", po_line=5)], full, line_balances=line, moved_out={1: D("300")},
                     line_moved_out={5: D("300")}).warnings == []


def test_credit_to_exactly_zero_is_allowed_and_below_is_forbidden():
    assert _evaluate([_line("100")], Balance(D("1000"), D("100")), sign=-1).warnings == []
    below = _evaluate([_line("100.01")], Balance(D("1000"), D("100")), sign=-1)
    assert below.forbidden and below.blocked
    assert below.warnings[0].message == "PO 4500: the credit would take Used below zero."


def test_master_line_block_counts_commitments_and_only_under_block():
    lines = {5: Balance(D("200"), D("100"), D("50"))}
    warn = _evaluate([_line("60", po_line=5)], line_balances=lines, policy="warn")
    assert _codes(warn) == ["over_line"] and not warn.blocked
    assert _evaluate([_line("50", po_line=5)], line_balances=lines).warnings == []
    assert _evaluate([_line("50.01", po_line=5)], line_balances=lines).blocked
    estimates = {5: Balance(D("200"), D("100"), ZERO, D("90"))}
    check = _evaluate([_line("60", po_line=5)], line_balances=estimates)
    assert _codes(check) == ["over_line"] and not check.blocked  # estimates warn, never block


def test_estimates_in_the_po_block_sum_do_not_block():
    check = _evaluate([_line("100")], Balance(D("1000"), D("400"), D("400"), D("300")))
    assert _codes(check) == ["over_po"] and not check.blocked


def test_posting_entries_and_unknown_buckets():
    entries = budget.posting_entries([(1, 7, None, D("10.005")), (2, None, None, D("5")), (3, 8, 4, D("2"))], "used", -1)
    assert entries == [budget.Entry(1, 7, None, "used", D("-10.01")), budget.Entry(3, 8, 4, "used", D("-2.00"))]
    with pytest.raises(ValueError):
        Balance(D("1")).plus("usedd", D("1"))


def test_balance_of_a_stored_row():
    row = SimpleNamespace(used=D("1"), commitments=D("2"), estimates=D("3"))
    assert Balance.of(D("10"), row) == Balance(D("10"), D("1"), D("2"), D("3"))
    assert Balance.of(D("10"), None) == Balance(D("10"))


def test_not_on_any_line_is_the_po_less_its_lines():
    po = Balance(D("300"), D("175"), D("40"), D("7"))
    lines = [Balance(D("200"), D("150"), D("30"), D("5")), Balance(D("100"), ZERO, D("10"), D("2"))]
    assert budget.not_on_any_line(po, lines) == Balance(ZERO, D("25"), ZERO, ZERO)
    assert budget.not_on_any_line(po, []) == po


def test_line_amount_limit_is_inclusive():
    assert budget.line_amount(D("1"), budget.MAX_AMOUNT) == budget.MAX_AMOUNT
    assert budget.line_amount(D("-1"), budget.MAX_AMOUNT) == -budget.MAX_AMOUNT
    with pytest.raises(budget.BudgetError, match="larger than 999,999,999,999.99"):
        budget.line_amount(D("1"), budget.MAX_AMOUNT + D("0.01"))


def test_thresholds_fire_at_exactly_their_level_and_rearm_below():
    assert budget.crossed_thresholds(D("0"), D("750"), D("1000"), [D("75"), D("90")], set()) == ([D("75")], [])
    assert budget.crossed_thresholds(D("800"), D("749.99"), D("1000"), [D("75")], {D("75")}) == ([], [D("75")])
    assert budget.crossed_thresholds(D("800"), D("750"), D("1000"), [D("75")], {D("75")}) == ([], [])


def test_expiring_on_the_last_day_and_n_days_before():
    assert budget.expiring(DEC, DEC, 0) and budget.expiring(DEC, date(2026, 12, 1), 30)
    assert not budget.expiring(DEC, date(2026, 11, 30), 30) and not budget.expiring(DEC, date(2027, 1, 1), 30)
    assert not budget.expiring(DEC, DEC, None)


def test_a_block_quotes_the_figure_that_decides_not_the_subtotal_with_estimates():
    """Amount 10,000; Used 8,000 and estimates 2,300 already: an invoice of 1,000 takes the Subtotal
    1,300 over, but the block decides on Used + Commitments + this document = 9,000 + ... (here 9,000)."""
    held = Balance(D("10000"), used=D("8000"), estimates=D("2300"))
    fine = _evaluate([_line("1000")], held)
    assert not fine.blocked and "over by" not in fine.warnings[0].message.split("Blocked")[0][-20:]
    assert "would be over its amount by 1,300.00" in fine.warnings[0].message and "Blocked" not in fine.warnings[0].message
    refused = _evaluate([_line("2500")], held)
    assert refused.blocked
    assert "Used + Commitments with this document come to 10,500.00 of 10,000.00 (over by 500.00)" in refused.warnings[0].message


# ---- survivors of `make mutation` (portal/domain/budget.py), each a behaviour a user would notice

def test_an_estimate_past_the_amount_warns_but_never_blocks():
    """DESIGN.md: the block policy counts Used + Commitments; estimates warn, never block."""
    check = _evaluate([_line("1500")], bucket="estimate")
    assert _codes(check) == ["over_po"] and not check.blocked


def test_a_line_without_a_po_does_not_end_the_check_of_the_lines_after_it():
    check = _evaluate([_line("10", po=None), _line("1500")])
    assert _codes(check) == ["over_po"] and check.blocked


def test_a_zero_line_on_a_po_already_over_adds_no_warning():
    over = Balance(D("1000"), used=D("1200"))
    assert _evaluate([_line("0")], over, policy="warn").warnings == []


def test_a_master_line_missing_from_the_balances_does_not_end_the_check_of_the_next_line():
    lines = {8: Balance(D("100"))}
    check = _evaluate([_line("10", po_line=7), _line("150", po_line=8)], line_balances=lines)
    assert _codes(check) == ["over_line"] and check.blocked


def test_a_master_line_warns_on_a_small_draw_and_not_on_nothing():
    full = {7: Balance(D("100"), used=D("100"))}
    assert _codes(_evaluate([_line("0.50", po_line=7)], line_balances=full, policy="warn")) == ["over_line"]
    over = {7: Balance(D("100"), used=D("120"))}
    assert _evaluate([_line("0", po_line=7)], line_balances=over, policy="warn").warnings == []


def test_a_master_lines_message_quotes_the_block_figure_only_when_it_blocks():
    line = {7: Balance(D("100"), used=D("50"), commitments=D("30"), estimates=D("10"))}
    [warned] = _evaluate([_line("15", po_line=7)], line_balances=line, bucket="commitment").warnings
    assert warned.message == "A master line would be over its budget by 5.00 (Subtotal 105.00 of 100.00)."
    assert not warned.blocks
    [blocked] = _evaluate([_line("40", po_line=7)], line_balances=line, bucket="commitment").warnings
    assert blocked.blocks and blocked.message == (
        "A master line would be over its budget by 30.00 (Subtotal 130.00 of 100.00). Blocked: Used + Commitments "
        "with this document come to "
        "120.00 of 100.00 (over by 20.00); estimates do not count toward the block.")


def test_an_estimate_without_a_po_for_an_enforcing_debtor_warns_but_never_blocks():
    check = _evaluate([_line("10", po=None)], bucket="estimate", enforce_pos=True)
    assert _codes(check) == ["no_po"] and not check.blocked
    assert _evaluate([_line("10", po=None)], bucket="commitment", enforce_pos=True).blocked


def test_every_line_of_a_credit_memo_counts_toward_the_floor():
    held = Balance(D("1000"), used=D("100"))
    assert _evaluate([_line("60"), _line("60")], held, sign=-1).forbidden
    assert not _evaluate([_line("60"), _line("40")], held, sign=-1).warnings


def test_a_master_line_at_exactly_its_budget_in_used_and_commitments_is_not_blocked():
    """The block boundary on a master line: Used + Commitments = budget passes (estimates only warn)."""
    line = {7: Balance(D("100"), estimates=D("10"))}
    check = _evaluate([_line("100", po_line=7)], line_balances=line, bucket="commitment")
    assert _codes(check) == ["over_line"] and not check.blocked
    past = _evaluate([_line("100.01", po_line=7)], line_balances=line, bucket="commitment")
    assert past.blocked


def test_an_unknown_bucket_is_named():
    with pytest.raises(ValueError, match="unknown bucket 'paid'"):
        Balance(D("1")).plus("paid", D("1"))
