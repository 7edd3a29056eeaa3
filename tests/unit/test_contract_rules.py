"""Seed 000's rules on its own example, without a database."""
from datetime import date
from decimal import Decimal as D

import pytest

from portal.domain import contracts as rules
from portal.domain.contracts import Delivery, POFigures


def test_seed_000_dell_story():
    po = POFigures(D("150000.00"))
    po = po.scheduling(D("18000.00"))
    assert (po.commitments, po.unscheduled) == (D("18000.00"), D("132000.00"))
    assert rules.opening_note("4500123", po, D("18000.00")) == \
        "PO 4500123: PO amount 150,000.00; scheduled 18,000.00; balance 132,000.00"

    po = po.scheduling(D("12000.00"))
    assert (po.commitments, po.unscheduled) == (D("30000.00"), D("120000.00"))
    assert rules.scheduled_note(date(2026, 3, 2), D("12000.00"), po) == \
        "2026-03-02: classes added 12,000.00; PO balance remaining 120,000.00"

    po = po.scheduling(D("-2000.00"))
    assert (po.commitments, po.unscheduled) == (D("28000.00"), D("122000.00"))
    assert rules.cancelled_note(date(2026, 3, 5), D("2000.00"), po) == \
        "2026-03-05: classes cancelled 2,000.00; PO balance remaining 122,000.00"
    assert rules.automatic_status(rules.OPEN, po.unscheduled, True) == rules.OPEN

    po = po.scheduling(D("122000.00"))
    assert po.unscheduled == 0
    assert rules.automatic_status(rules.OPEN, po.unscheduled, True) == rules.WON


def test_invoicing_leaves_the_balance_alone():
    po = POFigures(D("150000"), commitments=D("18000"))
    assert po.invoicing(D("5000")).unscheduled == po.unscheduled == D("132000")


def test_po_amount_change_note():
    po = POFigures(D("160000.00"), commitments=D("18000.00"))
    assert rules.amount_changed_note(D("150000"), D("160000"), po) == \
        "PO amount changed 150,000.00 → 160,000.00; balance 142,000.00"


@pytest.mark.parametrize("status,balance,current,expected", [
    ("open", D("1"), True, "open"),
    ("open", D("0"), True, "won"),
    ("open", D("-5"), True, "won"),          # over the PO under the warn policy: nothing left
    ("open", D("100"), False, "expired"),
    ("won", D("100"), True, "open"),        # value came back (a cancellation, a larger PO)
    ("won", D("100"), False, "won"),
    ("expired", D("100"), True, "open"),    # the PO was extended
    ("expired", D("0"), True, "expired"),
    ("lost", D("100"), True, "lost"),       # a person's decision stays
])
def test_automatic_transitions(status, balance, current, expected):
    assert rules.automatic_status(status, balance, current) == expected


def test_lost_needs_an_open_opportunity_and_a_reason():
    assert rules.check_lose("open", "  budget cut  ") == "budget cut"
    with pytest.raises(rules.ContractRuleError, match="why"):
        rules.check_lose("open", "   ")
    with pytest.raises(rules.ContractRuleError, match="Only an open"):
        rules.check_lose("won", "x")
    with pytest.raises(rules.ContractRuleError):
        rules.check_lose("open", "x" * 501)


def test_reopen_needs_a_current_po_with_a_balance():
    rules.check_reopen("lost", D("10"), True)
    rules.check_reopen("won", D("0.01"), True)  # a cent left is a balance to reopen
    with pytest.raises(rules.ContractRuleError, match="already open"):
        rules.check_reopen("open", D("10"), True)
    with pytest.raises(rules.ContractRuleError, match="extend it"):
        rules.check_reopen("lost", D("10"), False)
    with pytest.raises(rules.ContractRuleError, match="nothing to reopen"):
        rules.check_reopen("lost", D("0"), True)
    for status, balance, current in (("open", D("10"), True), ("lost", D("10"), False), ("lost", D("0"), True)):
        with pytest.raises(rules.ContractRuleError):
            rules.check_reopen(status, balance, current)


def _d(qty="1", rate="100", code=1, day=date(2026, 3, 2), text="Class"):
    return Delivery(code, day, text, None if qty is None else D(qty), None if rate is None else D(rate))


def test_delivery_amounts_round_half_up():
    amounts, errors = rules.delivery_amounts([_d("3", "33.335"), _d("2", "6000")])
    assert errors == [] and amounts == [D("100.01"), D("12000.00")]


@pytest.mark.parametrize("delivery,message", [
    (_d("0"), "more than zero"), (_d("-1"), "more than zero"), (_d(rate="0"), "more than zero"),
    (_d(rate="-5"), "more than zero"), (_d(qty=None), "as numbers"), (_d(code=None), "product"),
    (_d(day=None), "date"), (_d(text="  "), "describe"), (_d("0.0001", "0.01"), "rounds to zero"),
    (_d("999999999", "999999999"), "larger than"),
])
def test_bad_deliveries_are_refused(delivery, message):
    amounts, errors = rules.delivery_amounts([delivery])
    assert any(message in e for e in errors), errors


def test_nothing_to_schedule_is_refused():
    assert rules.delivery_amounts([])[1] == ["Add at least one delivery (date, description, quantity and rate)."]


def test_the_edges_of_a_schedule():
    """What is allowed right at each limit, and every problem of every delivery said, numbered from 1."""
    assert rules.delivery_amounts([_d("1", "0.50")]) == ([D("0.50")], [])  # below one, above zero: scheduled
    assert rules.delivery_amounts([_d("1", "0.01")] * rules.MAX_DELIVERIES)[1] == []
    assert rules.delivery_amounts([_d()] * (rules.MAX_DELIVERIES + 1))[1] == [
        f"Schedule at most {rules.MAX_DELIVERIES} deliveries at once."]
    assert rules.delivery_amounts([_d(text="x" * 300)])[1] == []
    assert rules.delivery_amounts([_d(text="x" * 301)])[1] == [
        "Delivery 1: the description may have at most 300 characters."]
    _, errors = rules.delivery_amounts([_d("0"), _d(qty=None), _d("0.0001", "0.01"), _d("1", "1", code=None)])
    assert errors == ["Delivery 1: the quantity and rate must be more than zero.",
                      "Delivery 2: enter the quantity and rate as numbers.",
                      "Delivery 3: the amount rounds to zero; schedule at least 0.01.",
                      "Delivery 4: choose the product (bill code)."]
    huge = D("999999999999.99")
    assert rules.delivery_amounts([_d("1", str(huge))]) == ([huge], [])  # exactly the largest total: allowed
    assert rules.delivery_amounts([_d("1", str(huge)), _d("1", "0.01")])[1] == [
        "The deliveries add up to more than 999,999,999,999.99."]


def test_notes_are_checked():
    assert rules.check_note("  met the client  ") == "met the client"
    with pytest.raises(rules.ContractRuleError):
        rules.check_note(" ")
    with pytest.raises(rules.ContractRuleError):
        rules.check_note("x" * 2001)


def test_a_credit_gives_value_back_and_a_credited_delivery_cancels_for_nothing():
    po = POFigures(D("150000.00"), used=D("2000.00"), commitments=D("6000.00"))
    assert rules.credited_note(date(2026, 4, 1), D("5000.00"), po) == \
        "2026-04-01: invoiced classes credited 5,000.00; PO balance remaining 142,000.00"
    assert rules.cancelled_note(date(2026, 4, 2), D("0"), po, D("5000.00")) == \
        "2026-04-02: classes cancelled 0.00 (invoiced and credited before: 5,000.00); PO balance remaining 142,000.00"


def _invoiced(**kw):
    values = dict(invoice="SI-7", order="SO-3", order_line_no=1, po_id=1, po_number="4500", order_po_id=1,
                  ordered=D("3"), taken=D("3"), ordered_rate=D("0.335"), rate=D("0.335"),
                  amount=D("0.34"), released=D("0.33"))
    return rules.InvoicedLine(**(values | kw))


def test_an_invoice_line_says_why_it_moved_the_contracts_po_balance():
    figs = rules.POFigures(D("100"), D("10"))
    assert rules.invoiced_note(date(2026, 4, 1), 1, [_invoiced(amount=D("0.33"))], figs) is None
    assert rules.invoiced_note(date(2026, 4, 1), 1, [_invoiced()], figs) == (
        "2026-04-01: invoiced classes drew 0.01 more than was scheduled (SI-7 billed 0.34 and released 0.33 of SO-3 "
        "line 1); PO balance remaining 90.00")
    elsewhere = _invoiced(po_id=2, po_number="4600", amount=D("1.01"), released=D("1.01"))
    assert rules.invoiced_note(date(2026, 4, 1), 1, [elsewhere], figs) == (
        "2026-04-01: invoiced classes drew 1.01 less than was scheduled (SI-7 drew on PO 4600 where SO-3 line 1 was "
        "ordered); PO balance remaining 90.00")
    assert elsewhere.moves(2) == D("1.01") and _invoiced(po_id=None).why().startswith("SI-7 drew on no PO")
