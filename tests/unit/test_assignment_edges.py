"""Assignment rules at their edges (seeds 003 and 004): the survivors of `make mutation` on
portal/domain/assignment.py, each a change a user would see in the grid, a prompt or a refusal."""
from __future__ import annotations

from datetime import date

import pytest

from portal.domain import assignment as assignment_rules
from portal.domain.assignment import (Assignment, AssignmentError, Delete, GroupInfo, Insert, NeedsConfirmation,
                                      POPeriod, Result, SetEnd, Target)

D = date
PO = Target("po", 1)
GROUP = Target("group", 7)
P1 = POPeriod(1, "4500", D(2026, 1, 1), D(2026, 6, 30), None)
G_H1 = POPeriod(2, "G-1", D(2026, 1, 1), D(2026, 3, 31), 7)
G_H2 = POPeriod(3, "G-2", D(2026, 5, 1), D(2026, 8, 31), 7)
G = GroupInfo(7, "North", True, (G_H2, G_H1))
POS = {1: P1, 2: G_H1, 3: G_H2}
GROUPS = {7: G}


def a(id, start, end=None, target=PO, source="manual"):
    return Assignment(id, 10, target, start, end, source)


def test_an_assignment_covers_its_first_and_last_day():
    row = a(1, D(2026, 2, 1), D(2026, 2, 28))
    assert row.covers(D(2026, 2, 1)) and row.covers(D(2026, 2, 28))
    assert not row.covers(D(2026, 1, 31)) and not row.covers(D(2026, 3, 1))


def test_a_job_is_active_on_its_start_day():
    assert assignment_rules.job_active_on(D(2026, 1, 1), None, D(2026, 1, 1))


def test_the_next_po_of_a_group_is_the_earliest_starting_after_the_day():
    assert G.next_po_after(D(2026, 4, 15)) == G_H2
    assert G.next_po_after(D(2025, 12, 1)) == G_H1
    assert G.next_po_after(D(2026, 5, 1)) is None  # starting on the day is not "after" it
    assert GroupInfo(8, "Empty", True).next_po_after(D(2026, 1, 1)) is None


@pytest.mark.parametrize("enforcing,start,discontinued,day,keep", [
    (True, D(2026, 1, 1), None, D(2026, 3, 1), True),
    (False, D(2026, 1, 1), None, D(2026, 3, 1), False),
    (True, D(2026, 1, 1), D(2026, 3, 1), D(2026, 3, 1), True),    # discontinued on the day: still active then
    (True, D(2026, 1, 1), D(2026, 2, 28), D(2026, 3, 1), False),  # ended before the day
    (True, D(2026, 5, 1), D(2026, 5, 1), D(2026, 3, 1), True),    # starts later, active on its one day
    (True, D(2026, 5, 2), D(2026, 5, 1), D(2026, 3, 1), False),   # (a job ending before it starts is never active)
])
def test_must_keep_po(enforcing, start, discontinued, day, keep):
    assert assignment_rules.must_keep_po(enforcing, start, discontinued, day) is keep


def test_the_enforcement_refusal_names_the_rule():
    assert assignment_rules.enforcement_refusal("ACME") == (
        "ACME enforces purchase orders: every job order of it must be assigned to one of its POs or PO groups; "
        "choose the one that follows.")


def test_a_group_assignment_lasts_to_its_last_pos_expiration():
    row = a(1, D(2026, 1, 1), target=GROUP)
    assert assignment_rules.lasting_end(row, POS, GROUPS) == D(2026, 8, 31)
    assert assignment_rules.lasting_end(row, POS, {}) is None and assignment_rules.lasting_end(row, POS, None) is None
    assert assignment_rules.lasting_end(a(1, D(2026, 1, 1), target=Target("po", 99)), POS, GROUPS) is None
    assert assignment_rules.lasting_end(row, POS, {7: GroupInfo(7, "Empty", True)}) is None
    assert assignment_rules.current_on([row], D(2026, 8, 31), POS, GROUPS) == row
    assert assignment_rules.current_on([row], D(2026, 9, 1), POS, GROUPS) is None


def test_target_messages():
    assert assignment_rules.target_valid_on(GROUP, D(2026, 2, 1), None, GroupInfo(7, "North", False, (G_H1,))) == \
        "The PO group is not active."
    assert assignment_rules.target_valid_on(GROUP, D(2026, 2, 1), None, None) == "The PO group is not active."
    assert assignment_rules.target_valid_on(GROUP, D(2026, 2, 1), None, GroupInfo(7, "North", True)) == \
        "The PO group has no purchase orders."
    assert assignment_rules.target_valid_on(PO, D(2026, 2, 1), None, None) == "Unknown purchase order."


def test_assign_inserts_the_job_target_and_source_and_suggests_the_group():
    result = assignment_rules.assign([], 10, Target("po", 2), D(2026, 2, 1), po=G_H1, source="bulk")
    assert result.operations == [Insert(Assignment(None, 10, Target("po", 2), D(2026, 2, 1), None, "bulk"))]
    assert result.notices == ["PO G-1 belongs to a PO group: assigning the group instead lets the job follow the "
                              "group's next PO automatically."]
    default = assignment_rules.assign([], 10, PO, D(2026, 2, 1), po=P1)
    assert default.operations[0].assignment.source == "manual" and default.notices == []
    group = assignment_rules.assign([], 10, GROUP, D(2026, 2, 1), group=G, po=G_H1)
    assert group.notices == []


def test_assign_sees_a_group_assignment_still_current_and_says_what_to_confirm():
    row = a(1, D(2026, 1, 1), target=GROUP)
    with pytest.raises(AssignmentError, match="already assigned on 2026-06-01"):
        assignment_rules.assign([row], 10, PO, D(2026, 6, 1), po=P1, pos=POS, groups=GROUPS)
    with pytest.raises(NeedsConfirmation) as asked:
        assignment_rules.assign([a(1, D(2026, 5, 1))], 10, PO, D(2026, 2, 1), po=P1)
    assert str(asked.value) == ("The job has 1 future assignment; it must be removed to change its assignment. "
                                "Confirm to remove them.")


def test_assign_closes_an_expired_open_row_at_its_expiration_but_not_one_ending_the_day_before_it_starts():
    expired = a(1, D(2026, 1, 1))  # P1 expires 2026-06-30
    ops = assignment_rules.assign([expired], 10, PO, D(2026, 7, 1), po=POPeriod(1, "4500", D(2026, 1, 1), D(2026, 12, 31)),
                                  pos=POS).operations
    assert SetEnd(1, D(2026, 6, 30), "expiry") in ops
    one_day = a(2, D(2026, 6, 30))  # starts on its PO's last day
    ops = assignment_rules.assign([one_day], 10, PO, D(2026, 7, 1), po=POPeriod(1, "4500", D(2026, 1, 1), D(2026, 12, 31)),
                                  pos=POS).operations
    assert SetEnd(2, D(2026, 6, 30), "expiry") in ops
    group_row = a(3, D(2026, 1, 1), target=GROUP)
    ops = assignment_rules.assign([group_row], 10, PO, D(2026, 9, 1), po=POPeriod(1, "4500", D(2026, 1, 1), D(2026, 12, 31)),
                                  pos=POS, groups=GROUPS).operations
    assert SetEnd(3, D(2026, 8, 31), "expiry") in ops


def test_clear_finds_a_group_assignment_current_through_its_pos():
    row = a(1, D(2026, 1, 1), target=GROUP)
    assert assignment_rules.clear([row], D(2026, 6, 1), POS, GROUPS).operations == [SetEnd(1, D(2026, 5, 31))]


def test_apply_keeps_every_field_and_numbers_new_rows_in_turn():
    timeline = [a(1, D(2026, 1, 1), source="bulk"), a(2, D(2026, 3, 1))]
    result = Result([SetEnd(1, D(2026, 1, 31)), Delete(2), Delete(99),
                     Insert(Assignment(None, 10, GROUP, D(2026, 4, 1), D(2026, 4, 30), "bulk")),
                     Insert(Assignment(None, 10, PO, D(2026, 5, 1), None, "manual"))])
    assert assignment_rules.apply(timeline, result, next_id=50) == [
        Assignment(1, 10, PO, D(2026, 1, 1), D(2026, 1, 31), "bulk", "manual"),  # the end's cause kept
        Assignment(50, 10, GROUP, D(2026, 4, 1), D(2026, 4, 30), "bulk"),
        Assignment(51, 10, PO, D(2026, 5, 1), None, "manual")]


def test_po_shown_is_the_po_valid_that_day_or_the_groups():
    assert assignment_rules.po_shown(a(1, D(2026, 1, 1)), D(2026, 6, 30), POS, GROUPS) == P1
    assert assignment_rules.po_shown(a(1, D(2026, 1, 1)), D(2026, 7, 1), POS, GROUPS) is None
    assert assignment_rules.po_shown(a(1, D(2026, 1, 1), target=Target("po", 99)), D(2026, 2, 1), POS, GROUPS) is None
    group_row = a(1, D(2026, 1, 1), target=GROUP)
    assert assignment_rules.po_shown(group_row, D(2026, 2, 1), POS, GROUPS) == G_H1
    assert assignment_rules.po_shown(group_row, D(2026, 5, 1), POS, GROUPS) == G_H2
    assert assignment_rules.po_shown(group_row, D(2026, 4, 15), POS, GROUPS) is None
    assert assignment_rules.po_shown(group_row, D(2026, 2, 1), POS, {}) is None


def test_end_of_for_unknown_targets_and_a_group_past_its_pos():
    assert assignment_rules.end_of(a(1, D(2026, 1, 1), target=Target("po", 99)), [], POS, GROUPS, D(2026, 2, 1)) == (None, "")
    group_row = a(1, D(2026, 1, 1), target=GROUP)
    assert assignment_rules.end_of(group_row, [], POS, {}, D(2026, 2, 1)) == (None, "")
    assert assignment_rules.end_of(group_row, [], POS, {7: GroupInfo(7, "Empty", True)}, D(2026, 2, 1)) == (None, "")
    assert assignment_rules.end_of(group_row, [], POS, GROUPS, D(2026, 10, 1)) == (D(2026, 8, 31), "PO expires")
    mixed = GroupInfo(7, "North", True, (G_H2, POPeriod(4, "G-0", D(2025, 1, 1), D(2025, 6, 30), 7), G_H1))
    assert assignment_rules.end_of(group_row, [], POS, {7: mixed}, D(2026, 10, 1)) == (D(2026, 8, 31), "PO expires")


def test_next_date_follows_a_group_assignment():
    group_row = a(1, D(2026, 1, 1), target=GROUP)
    assert assignment_rules.next_date([group_row], POS, GROUPS, D(2026, 2, 1)) == D(2026, 4, 1)
    assert assignment_rules.next_date([group_row], POS, GROUPS, D(2026, 4, 15)) == D(2026, 5, 1)
    assert assignment_rules.next_date([group_row], POS, GROUPS, D(2026, 8, 31)) == D(2026, 9, 1)


def test_a_group_assignment_past_its_last_po_is_not_current_to_clear_or_jump_from():
    group_row = a(1, D(2026, 1, 1), target=GROUP)
    with pytest.raises(AssignmentError, match="no assignment on 2026-09-15"):
        assignment_rules.clear([group_row], D(2026, 9, 15), POS, GROUPS)
    assert assignment_rules.next_date([group_row], POS, GROUPS, D(2026, 9, 15)) is None


def test_jump_from_an_assignment_to_an_unknown_group_or_a_po_without_end():
    assert assignment_rules.next_date([a(1, D(2026, 1, 1), target=Target("group", 99))], POS, GROUPS, D(2026, 2, 1)) is None
    assert assignment_rules.next_date([a(1, D(2026, 1, 1), target=GROUP)], POS, {7: GroupInfo(7, "Empty", True)},
                                      D(2026, 2, 1)) is None
    forever = {1: POPeriod(1, "4500", D(2026, 1, 1), date.max)}
    assert assignment_rules.next_date([a(1, D(2026, 1, 1))], forever, {}, D(2026, 2, 1)) is None


def test_a_stored_end_reads_as_what_ended_it():
    """DESIGN's reasons for a stored end: only a manual clearing reads "Manual assignment"; a PO's extension that
    ended the row the day before the job's next assignment reads "Next assignment" (it read "Manual assignment")."""
    def reason(row, *later):
        return assignment_rules.end_of(row, [row, *later], POS, GROUPS, D(2026, 2, 1))

    nxt = a(2, D(2026, 5, 1))
    by_next = Assignment(1, 10, PO, D(2026, 1, 1), D(2026, 4, 30), "manual", "next")
    assert reason(by_next, nxt) == (D(2026, 4, 30), "Next assignment 2026-05-01")
    assert reason(by_next, a(2, D(2026, 6, 1)))[1] == "Manual assignment"  # that next row is gone: read as before

    def ended_by(cause):
        return Assignment(1, 10, PO, D(2026, 1, 1), D(2026, 4, 30), "manual", cause)

    assert reason(ended_by("manual"), nxt)[1] == "Manual assignment"
    assert reason(ended_by("expiry"), nxt)[1] == "PO expires"
    assert reason(ended_by("move"))[1] == "Job moved to another debtor"

    def moved(row):  # a row of the job's previous debtor
        return assignment_rules.end_of(row, [row], POS, GROUPS, D(2026, 2, 1), moved=True)[1]

    # cleared by hand (or ended by its PO's expiry) before the job moved: not the move's doing
    assert moved(ended_by("manual")) == "Manual assignment"
    assert moved(ended_by("expiry")) == "PO expires"
    assert moved(ended_by("move")) == "Job moved to another debtor"
    assert moved(a(1, D(2026, 1, 1), D(2026, 4, 30))) == "Job moved to another debtor"  # no cause kept: as before
    assert reason(a(1, D(2026, 1, 1), D(2026, 6, 30)), nxt)[1] == "PO expires"  # no cause kept: on the expiration
    assert reason(a(1, D(2026, 1, 1), D(2026, 4, 30)), nxt)[1] == "Manual assignment"


def test_an_extension_leaves_a_row_known_to_be_cleared_by_hand():
    from portal.domain.po_edit import POState, follow_extension

    old, longer = POState(D(2026, 1, 1), D(2026, 6, 30), None), POState(D(2026, 1, 1), D(2026, 12, 31), None)
    cleared = Assignment(1, 10, PO, D(2026, 1, 1), D(2026, 6, 30), "manual", "manual")
    assert follow_extension(old, longer, [cleared], {1: D(2026, 9, 1)}) == []
    closed = Assignment(1, 10, PO, D(2026, 1, 1), D(2026, 6, 30), "manual", "expiry")
    assert follow_extension(old, longer, [closed], {1: D(2026, 9, 1)}) == [SetEnd(1, D(2026, 8, 31), "next")]
