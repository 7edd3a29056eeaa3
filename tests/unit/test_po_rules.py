"""Purchase order rules (seeds 001, 003, 004), without a database."""
from datetime import date
from decimal import Decimal

import pytest

from portal.domain import budget
from portal.domain import purchase_orders as rules
from portal.domain.purchase_orders import LineInput, Period, POInput

D = Decimal


def _po(**kw):
    base = dict(number="4500", kind="single_line", effective=date(2026, 1, 1), expiration=date(2026, 12, 31),
                amount=D("10000.00"))
    base.update(kw)
    return POInput(**base)


def _errors(data, groups=frozenset({1, 2})):
    return rules.validate(data, known_type_ids={1, 2, 3}, known_group_ids=set(groups))


@pytest.mark.parametrize("amount,message", [
    (None, "Enter the amount"), (D("0"), "more than zero"), (D("-5"), "more than zero"),
    (D("1000000000000.00"), "at most 999,999,999,999.99"), (D("10.005"), "two decimals"),
])
def test_amount_must_be_positive_money_that_fits(amount, message):
    assert message in " ".join(_errors(_po(amount=amount))["amount"])


def test_largest_amount_is_accepted():
    assert _errors(_po(amount=D("999999999999.99"))) == {}


def test_expiration_may_equal_but_not_precede_effective():
    assert _errors(_po(expiration=date(2026, 1, 1))) == {}
    assert "on or after" in _errors(_po(expiration=date(2025, 12, 31)))["expiration"][0]


@pytest.mark.parametrize("tolerance,ok", [(None, True), (D("0"), True), (D("100"), True), (D("90.5"), True),
                                          (D("-1"), False), (D("100.01"), False)])
def test_tolerance_is_optional_and_between_0_and_100(tolerance, ok):
    assert ("tolerance_pct" not in _errors(_po(tolerance_pct=tolerance))) is ok


def test_unknown_document_type_is_refused():
    assert "document_type_ids" in _errors(_po(document_type_ids=(1, 99)))


@pytest.mark.parametrize("a_end,b_start,shared", [
    (date(2026, 1, 10), date(2026, 1, 10), 1),   # ending on the 10th, next starting on the 10th: overlap
    (date(2026, 1, 10), date(2026, 1, 11), 0),   # next starting on the 11th: no overlap
    (date(2026, 1, 31), date(2026, 1, 1), 31),
])
def test_group_po_edge_days(a_end, b_start, shared):
    assert rules.days_in_common(date(2026, 1, 1), a_end, b_start, date(2026, 3, 31)) == shared


def test_group_overlap_names_the_po_and_the_days_in_common():
    other = Period(7, "CC-H1", date(2026, 1, 1), date(2026, 6, 30))
    [message] = rules.group_overlaps(date(2026, 6, 29), date(2026, 12, 31), [other])
    assert "PO CC-H1" in message and "2 days" in message and "2026-06-29 to 2026-06-30" in message
    assert rules.group_overlaps(date(2026, 7, 1), date(2026, 12, 31), [other]) == []


def test_same_number_only_for_disjoint_document_types():
    existing = [Period(1, "ACM-SPLIT", date(2026, 1, 1), date(2026, 12, 31), frozenset({1, 2}))]
    names = {1: "Sales Order", 2: "Sales Invoice", 3: "Service Invoice"}
    assert rules.number_clashes(frozenset({3}), existing, names) == []
    [message] = rules.number_clashes(frozenset({2, 3}), existing, names)
    assert "Sales Invoice" in message and "Service Invoice" not in message


def test_master_amount_is_the_sum_of_the_lines():
    lines = (LineInput(D("80000.00"), 1, "A"), LineInput(D("20000.50"), 2, "B"))
    assert rules.master_amount(lines) == D("100000.50")
    assert _errors(_po(kind="multi_line_master", amount=None, lines=lines)) == {}


def test_master_lines_need_budget_group_once_and_secondary_number():
    lines = (LineInput(D("0"), 1, "A"), LineInput(D("10"), 1, ""), LineInput(D("10"), 9, "C"))
    messages = " ".join(_errors(_po(kind="multi_line_master", lines=lines))["lines"])
    assert "Line 1: The budget must be more than zero" in messages
    assert "Line 2: that bill code group is already on another line" in messages
    assert "Line 2: enter the secondary PO number" in messages
    assert "Line 3: choose a bill code group" in messages
    assert "at least one line" in _errors(_po(kind="multi_line_master", lines=()))["lines"][0]


def test_two_master_lines_may_not_share_a_secondary_po_number():
    lines = (LineInput(D("10"), 1, "X-1"), LineInput(D("10"), 2, " x-1 "), LineInput(D("10"), 3, "X-2"))
    assert _errors(_po(kind="multi_line_master", lines=lines), groups={1, 2, 3})["lines"] == [
        "Line 2: secondary PO number x-1 is already line 1's: each line is its own secondary PO."]


def test_no_bill_code_in_two_lines():
    assert rules.bill_code_clashes([(1, {"ORD", "OT"}), (2, {"EXP"})]) == []
    assert rules.bill_code_clashes([(1, {"ORD", "OT"}), (2, {"OT", "EXP"})]) == ["Bill code OT would be in lines 1 and 2."]


@pytest.mark.parametrize("subtotal,tolerance,colour", [
    (D("8999.99"), D("90"), None), (D("9000"), D("90"), "yellow"), (D("10000"), D("90"), "yellow"),
    (D("10000.01"), D("90"), "red"), (D("9999"), None, None), (D("10000.01"), None, "red"),
])
def test_seed_001_colouring(subtotal, tolerance, colour):
    assert budget.colour(budget.Balance(D("10000"), used=subtotal), tolerance) == colour


@pytest.mark.parametrize("text,value", [("1,234.50", D("1234.50")), (" 7 ", D("7")), ("abc", None), ("", None),
                                        ("NaN", None), ("Infinity", None), ("1e3", None), ("1,2,3", None), ("10,00", None)])
def test_parse_money(text, value):
    assert rules.parse_money(text) == value


def test_block_refuses_cutting_the_amount_below_what_is_drawn():
    from decimal import Decimal as D

    from portal.domain.purchase_orders import cut_below_drawn

    assert cut_below_drawn(D("1000"), D("700"), D("500"), D("200"), "block") is None      # exactly drawn
    assert "700.00" in cut_below_drawn(D("1000"), D("699.99"), D("500"), D("200"), "block")
    assert cut_below_drawn(D("1000"), D("100"), D("500"), D("200"), "warn") is None
    assert cut_below_drawn(D("500"), D("600"), D("500"), D("200"), "block") is None       # raising is fine


# ---- survivors of `make mutation` (portal/domain/purchase_orders.py): each field's message under its own name

def test_every_field_error_is_under_its_field_and_says_what_to_do():
    data = POInput(number=" ", kind="double", effective=None, expiration=None, amount=None, description="d" * 201,
                   notes="n" * 10_001, tolerance_pct=D("101"), document_type_ids=(1, 99))
    assert _errors(data) == {
        "number": ["Enter the PO number."],
        "kind": ["Choose single line, multi-line or multi-line master."],
        "effective": ["Enter the effective date (YYYY-MM-DD)."],
        "expiration": ["Enter the expiration date (YYYY-MM-DD)."],
        "tolerance_pct": ["The tolerance must be between 0 and 100 percent (or blank for no warning)."],
        "description": ["Use at most 200 characters."],
        "notes": ["Use at most 10,000 characters."],
        "document_type_ids": ["Choose document types from the list."],
        "amount": ["Enter the amount as a number, e.g. 10000.00."],
    }
    assert _errors(_po(effective=date(2026, 2, 1), expiration=date(2026, 1, 31))) == {
        "expiration": ["The expiration date must be on or after the effective date."]}


def test_text_lengths_at_and_past_their_limits():
    at = _po(number="N" * 50, description="d" * 200, notes="n" * 10_000)
    assert _errors(at) == {}
    assert _errors(_po(number="N" * 51)) == {"number": ["Use at most 50 characters."]}
    line = LineInput(D("10"), 1, "S" * 50)
    assert _errors(_po(kind="multi_line_master", amount=None, lines=(line,))) == {}
    long = LineInput(D("10"), 1, "S" * 51)
    assert _errors(_po(kind="multi_line_master", amount=None, lines=(long,))) == {
        "lines": ["Line 1: the secondary PO number may have at most 50 characters."]}


def test_a_master_po_needs_lines_and_its_total_must_fit():
    assert _errors(_po(kind="multi_line_master", amount=None)) == {
        "lines": ["Add at least one line: a master PO's amount is the sum of its lines."]}
    huge = (LineInput(D("600000000000"), 1, "A"), LineInput(D("600000000000"), 2, "B"))
    assert _errors(_po(kind="multi_line_master", amount=None, lines=huge)) == {
        "lines": ["The total of the line budgets may be at most 999,999,999,999.99."]}
    bad = (LineInput(D("0"), 1, "A"),)  # a line's own error, not also a total error
    assert _errors(_po(kind="multi_line_master", amount=None, lines=bad)) == {
        "lines": ["Line 1: The budget must be more than zero."]}


def test_money_errors_edges():
    assert rules.money_errors(None, required=False) == []
    assert rules.money_errors(D("0.50")) == []
    assert rules.money_errors(D("1.005"), "budget") == ["The budget may have at most two decimals."]


def test_ranges_apart_share_no_day_and_are_no_overlap():
    assert rules.days_in_common(date(2026, 1, 1), date(2026, 1, 10), date(2026, 1, 20), date(2026, 1, 30)) == 0
    assert rules.group_overlaps(date(2026, 1, 1), date(2026, 1, 10),
                                [Period(2, "B", date(2026, 1, 20), date(2026, 1, 30))]) == []


def test_group_overlaps_are_listed_by_date_and_a_single_day_reads_as_one():
    others = [Period(3, "C", date(2026, 6, 1), date(2026, 12, 31)), Period(2, "B", date(2025, 1, 1), date(2026, 1, 1))]
    assert rules.group_overlaps(date(2026, 1, 1), date(2026, 6, 2), others) == [
        "Overlaps PO B (2025-01-01 to 2026-01-01) on 1 day: 2026-01-01.",
        "Overlaps PO C (2026-06-01 to 2026-12-31) on 2 days: 2026-06-01 to 2026-06-02."]


def test_a_number_clash_names_every_shared_type():
    other = Period(2, "4500", date(2026, 1, 1), date(2026, 12, 31), frozenset({1, 2, 7}))
    assert rules.number_clashes(frozenset({1, 2, 7}), [other], {1: "Sales Invoice", 2: "Estimate"}) == [
        "PO number 4500 is already used for 7, Estimate, Sales Invoice: the same number may repeat only for other "
        "document types."]


def test_master_amount_counts_a_blank_budget_as_nothing():
    assert rules.master_amount([LineInput(None, 1, "A"), LineInput(D("5"), 2, "B")]) == D("5")


def test_a_po_expiring_today_is_current():
    assert rules.is_current_or_future(date(2026, 3, 1), date(2026, 3, 1))
    assert not rules.is_current_or_future(date(2026, 2, 28), date(2026, 3, 1))


def test_saving_an_unchanged_amount_is_not_a_cut_even_past_an_overridden_draw():
    assert rules.cut_below_drawn(D("100"), D("100"), D("150"), D("0"), "block") is None


def test_types_still_used_names_each_type_left_out_with_its_documents():
    names = {1: "Sales Invoice", 2: "Estimate", 3: "Service Invoice"}
    assert rules.types_still_used(frozenset({1, 2}), {1: 2, 2: 1}, names) == []
    assert rules.types_still_used(frozenset({3}), {1: 2, 2: 1}, names) == [
        "Documents on this PO use Estimate (1 document), Sales Invoice (2 documents): keep these types eligible "
        "while they are on it."]
    assert rules.types_still_used(frozenset({2}), {1: 1, 2: 4, 3: 0}, names) == [
        "Documents on this PO use Sales Invoice (1 document): keep that type eligible while they are on it."]
