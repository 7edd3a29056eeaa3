"""Seed 004 step 3 ends an assignment at the soonest of its own end and a shortened PO's new expiration; DESIGN
reads "PO expires" as the PO's current expiration, so the PO's later extension gives the row back the end the cut
replaced (its clearing by hand, or the day before a next row), as far as the new expiration allows."""
from __future__ import annotations

from datetime import date

from portal.domain import assignment as rules
from portal.domain.assignment import Assignment, SetEnd, Target
from portal.domain.po_edit import CutEnd, POState, follow_extension, plan_po_edit

D = date
PO = Target("po", 1)
YEAR = POState(D(2026, 1, 1), D(2026, 12, 31), None)
JUNE = POState(D(2026, 1, 1), D(2026, 6, 30), None)
JULY = POState(D(2026, 1, 1), D(2026, 7, 31), None)
CLEARED = Assignment(1, 10, PO, D(2026, 2, 1), D(2026, 9, 30), end_cause="manual")


def _cut(rows, kept=None, before=YEAR, after=JUNE):
    return plan_po_edit(before, after, rows, [], group_size_before=0, can_override=False, confirmed=False,
                        kept_ends=kept).operations


def _after(row: Assignment, op) -> Assignment:
    return rules.apply([row], rules.Result([op]))[0]


def _kept(op) -> dict[int, tuple[date, str | None]]:
    return {op.assignment_id: (op.end_before, op.cause_before)} if isinstance(op, CutEnd) else {}


def test_the_cut_keeps_the_end_it_replaces():
    assert _cut([CLEARED]) == [CutEnd(1, D(2026, 6, 30), "expiry", D(2026, 9, 30), "manual")]


def test_extended_past_the_clearing_the_row_ends_on_it_again():
    cut = _cut([CLEARED])[0]
    extended = follow_extension(JUNE, YEAR, [_after(CLEARED, cut)], {}, _kept(cut))
    assert extended == [SetEnd(1, D(2026, 9, 30), "manual")]
    assert type(extended[0]) is SetEnd  # nothing kept any more
    row = _after(_after(CLEARED, cut), extended[0])
    assert rules.end_of(row, [row], {}, {}, D(2026, 5, 15)) == (D(2026, 9, 30), "Manual assignment")


def test_extended_part_way_the_row_ends_on_the_new_expiration_and_keeps_its_clearing():
    cut = _cut([CLEARED])[0]
    part = follow_extension(JUNE, JULY, [_after(CLEARED, cut)], {}, _kept(cut))
    assert part == [CutEnd(1, D(2026, 7, 31), "expiry", D(2026, 9, 30), "manual")]
    rest = follow_extension(JULY, YEAR, [_after(_after(CLEARED, cut), part[0])], {}, _kept(part[0]))
    assert rest == [SetEnd(1, D(2026, 9, 30), "manual")]


def test_cut_twice_the_row_keeps_the_end_before_the_first_cut():
    cut = _cut([CLEARED])[0]
    again = _cut([_after(CLEARED, cut)], _kept(cut), before=JUNE, after=POState(D(2026, 1, 1), D(2026, 5, 31), None))
    assert again == [CutEnd(1, D(2026, 5, 31), "expiry", D(2026, 9, 30), "manual")]


def test_an_open_ended_row_is_not_cut_and_follows_the_expiration_it_reads():
    row = Assignment(1, 10, PO, D(2026, 2, 1))
    assert _cut([row]) == []
    assert follow_extension(JUNE, YEAR, [row], {}) == []
    extended = {1: rules.POPeriod(1, "LP1", D(2026, 1, 1), D(2026, 12, 31))}
    assert rules.end_of(row, [row], extended, {}, D(2026, 5, 15)) == (D(2026, 12, 31), "PO expires")


def test_a_row_with_a_next_assignment_goes_back_no_further_than_the_day_before_it():
    cut = _cut([CLEARED])[0]
    row = _after(CLEARED, cut)
    assert follow_extension(JUNE, YEAR, [row], {1: D(2026, 8, 1)}, _kept(cut)) == [
        SetEnd(1, D(2026, 7, 31), "next")]
    assert follow_extension(JUNE, YEAR, [row], {1: D(2026, 7, 1)}, _kept(cut)) == []  # no day between
    assert follow_extension(JUNE, YEAR, [row], {1: D(2026, 11, 1)}, _kept(cut)) == [
        SetEnd(1, D(2026, 9, 30), "manual")]


def test_a_row_the_next_assignment_ended_follows_the_extension_up_to_it_again():
    ended_by_next = Assignment(1, 10, PO, D(2026, 2, 1), D(2026, 9, 30), end_cause="next")
    cut = _cut([ended_by_next])[0]
    assert cut == CutEnd(1, D(2026, 6, 30), "expiry", D(2026, 9, 30), "next")
    assert follow_extension(JUNE, YEAR, [_after(ended_by_next, cut)], {1: D(2026, 10, 1)}, _kept(cut)) == [
        SetEnd(1, D(2026, 9, 30), "next")]


def test_a_row_cleared_by_hand_after_the_cut_is_not_given_its_old_end_back():
    cut = _cut([CLEARED])[0]
    cleared = rules.clear([_after(CLEARED, cut)], D(2026, 5, 1))
    row = _after(_after(CLEARED, cut), cleared.operations[0])
    assert (row.manual_end, row.end_cause) == (D(2026, 4, 30), "manual")
    assert follow_extension(JUNE, YEAR, [row], {}, {}) == []  # the clearing wrote a plain end: nothing kept
    assert type(cleared.operations[0]) is SetEnd
    # even were something kept, a row no longer ended on the old expiration is left alone
    assert follow_extension(JUNE, YEAR, [row], {}, _kept(cut)) == []
