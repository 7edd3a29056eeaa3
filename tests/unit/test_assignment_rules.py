"""Seed 004's assignment and validation rules, one by one."""
from datetime import date

import pytest

from portal.domain import assignment as assignment_rules, po_edit
from portal.domain.assignment import Assignment, GroupInfo, NeedsConfirmation, POPeriod, Target
from portal.domain.po_edit import CutEnd, POState, plan_po_edit

D = date
PO1 = POPeriod(1, "P-1", D(2026, 1, 1), D(2026, 6, 30), group_id=None)
PO2 = POPeriod(2, "P-2", D(2026, 1, 1), D(2026, 12, 31), group_id=None)
H1 = POPeriod(11, "H-1", D(2026, 1, 1), D(2026, 3, 31), group_id=5)
H2 = POPeriod(12, "H-2", D(2026, 5, 1), D(2026, 12, 31), group_id=5)
GROUP = GroupInfo(5, "Cleaning", True, (H1, H2))
POS = {p.po_id: p for p in (PO1, PO2, H1, H2)}
GROUPS = {5: GROUP}
PO, GRP = Target("po", 1), Target("group", 5)


def a(id, start, end=None, target=PO):
    return Assignment(id, 7, target, start, end)


def test_assigning_starts_on_the_as_of_date():
    [op] = assignment_rules.assign([], 7, PO, D(2026, 2, 1), po=PO1).operations
    assert op.assignment.start == D(2026, 2, 1) and op.assignment.manual_end is None


def test_assigning_requires_the_current_assignment_cleared_first():
    with pytest.raises(assignment_rules.AssignmentError, match="clear that assignment first"):
        assignment_rules.assign([a(1, D(2026, 1, 1))], 7, Target("po", 2), D(2026, 2, 1), po=PO2)


def test_clearing_ends_the_assignment_the_day_before_the_as_of_date():
    assert assignment_rules.clear([a(1, D(2026, 1, 1))], D(2026, 2, 1)).operations == [
        assignment_rules.SetEnd(1, D(2026, 1, 31))]


def test_clearing_on_the_start_day_deletes_the_assignment():
    assert assignment_rules.clear([a(1, D(2026, 1, 1))], D(2026, 1, 1)).operations == [assignment_rules.Delete(1)]


def test_clearing_with_nothing_assigned_is_refused():
    with pytest.raises(assignment_rules.AssignmentError, match="no assignment"):
        assignment_rules.clear([a(1, D(2026, 1, 1), D(2026, 1, 31))], D(2026, 2, 1))


def test_one_po_or_group_per_job_per_day():
    timeline = [a(1, D(2026, 1, 1), D(2026, 1, 31))]
    with pytest.raises(assignment_rules.AssignmentError):
        assignment_rules.assign(timeline, 7, GRP, D(2026, 1, 31), group=GROUP)
    result = assignment_rules.assign(timeline, 7, GRP, D(2026, 2, 1), group=GROUP)
    after = assignment_rules.apply(timeline, result)
    assert [x.start for x in after] == [D(2026, 1, 1), D(2026, 2, 1)]


def test_a_group_can_be_assigned_cleared_and_reassigned_many_times():
    timeline: list[Assignment] = []
    for month in (1, 5, 9):
        timeline = assignment_rules.apply(timeline, assignment_rules.assign(timeline, 7, GRP, D(2026, month, 1), group=GROUP),
                                          next_id=month)
        timeline = assignment_rules.apply(timeline, assignment_rules.clear(timeline, D(2026, month + 1, 1)))
    assert [(x.start, x.manual_end) for x in timeline] == [
        (D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 5, 1), D(2026, 5, 31)), (D(2026, 9, 1), D(2026, 9, 30))]


def test_start_date_prompt_offers_effective_or_as_of_and_refuses_outside_the_po():
    assert assignment_rules.start_date_options(PO1, D(2026, 3, 15)) == {"effective": D(2026, 1, 1), "as_of": D(2026, 3, 15)}
    assert assignment_rules.start_date_options(PO1, D(2026, 8, 1)) == {"effective": D(2026, 1, 1)}
    [op] = assignment_rules.assign([], 7, PO, D(2026, 3, 15), start=D(2026, 2, 10), po=PO1).operations
    assert op.assignment.start == D(2026, 2, 10)
    with pytest.raises(assignment_rules.AssignmentError, match="valid from 2026-01-01 to 2026-06-30"):
        assignment_rules.assign([], 7, PO, D(2026, 3, 15), start=D(2026, 7, 1), po=PO1)


def test_changing_with_future_assignments_needs_confirmation_listing_them():
    timeline = [a(1, D(2026, 1, 1), D(2026, 1, 31)), a(2, D(2026, 6, 1))]
    with pytest.raises(NeedsConfirmation) as info:
        assignment_rules.assign(timeline, 7, Target("po", 2), D(2026, 2, 1), po=PO2)
    assert [f.id for f in info.value.future] == [2]
    ops = assignment_rules.assign(timeline, 7, Target("po", 2), D(2026, 2, 1), po=PO2, remove_future=True).operations
    assert ops[0] == assignment_rules.Delete(2) and isinstance(ops[1], assignment_rules.Insert)


def test_a_confirmation_removes_only_the_future_assignments_it_listed():
    timeline = [a(1, D(2026, 1, 1), D(2026, 1, 31)), a(2, D(2026, 6, 1), D(2026, 8, 31)), a(3, D(2026, 9, 1))]
    with pytest.raises(NeedsConfirmation) as info:
        assignment_rules.assign(timeline[:2], 7, Target("po", 2), D(2026, 2, 1), po=PO2)
    token = assignment_rules.removal_token(info.value.future)
    assert token == "remove:2" and assignment_rules.confirmed_removal(token) == frozenset({2})
    with pytest.raises(NeedsConfirmation, match="changed since the confirmation") as again:  # row 3 made since
        assignment_rules.assign(timeline, 7, Target("po", 2), D(2026, 2, 1), po=PO2, remove_future=frozenset({2}))
    assert assignment_rules.removal_token(again.value.future) == "remove:2,3"
    ops = assignment_rules.assign(timeline, 7, Target("po", 2), D(2026, 2, 1), po=PO2,
                                  remove_future=frozenset({2, 3})).operations
    assert ops[:2] == [assignment_rules.Delete(2), assignment_rules.Delete(3)]
    for raw in (None, "", "1", "remove:", "remove:2,x", "remove:2;3", "remove:" + "9" * 12, 7):
        assert assignment_rules.confirmed_removal(raw) is None


def test_a_po_in_a_group_suggests_the_group():
    result = assignment_rules.assign([], 7, Target("po", 11), D(2026, 2, 1), po=H1)
    assert "belongs to a PO group" in result.notices[0]


def test_only_active_groups_with_pos_are_offered():
    groups = [GROUP, GroupInfo(6, "Empty", True, ()), GroupInfo(7, "Off", False, (H1,))]
    assert [g.id for g in assignment_rules.offerable_groups(groups)] == [5]


def test_choosing_a_group_shows_the_po_valid_on_the_as_of_date():
    assert GROUP.po_on(D(2026, 3, 31)).number == "H-1"
    assert GROUP.po_on(D(2026, 4, 15)) is None
    assert GROUP.po_on(D(2026, 5, 1)).number == "H-2"


@pytest.mark.parametrize("timeline,as_of,expected", [
    ([a(1, D(2026, 1, 1), D(2026, 2, 28))], D(2026, 2, 1), (D(2026, 2, 28), "Manual assignment")),
    ([a(1, D(2026, 1, 1)), a(2, D(2026, 4, 1), target=GRP)], D(2026, 2, 1), (D(2026, 3, 31), "Next assignment 2026-04-01")),
    ([a(1, D(2026, 1, 1))], D(2026, 2, 1), (D(2026, 6, 30), "PO expires")),
    ([a(1, D(2026, 1, 1), target=GRP)], D(2026, 2, 1), (D(2026, 3, 31), "PO expires")),
    ([a(1, D(2026, 1, 1), target=GRP)], D(2026, 4, 10), (None, "Next PO starts 2026-05-01")),
    ([a(1, D(2026, 1, 1), target=GRP)], D(2026, 6, 1), (D(2026, 12, 31), "PO expires")),
])
def test_end_reason_precedence(timeline, as_of, expected):
    assert assignment_rules.end_of(timeline[0], timeline, POS, GROUPS, as_of) == expected


def test_extending_a_po_extends_the_displayed_end():
    timeline = [a(1, D(2026, 1, 1))]
    longer = {**POS, 1: POPeriod(1, "P-1", D(2026, 1, 1), D(2026, 9, 30))}
    assert assignment_rules.end_of(timeline[0], timeline, longer, GROUPS, D(2026, 2, 1))[0] == D(2026, 9, 30)


def test_jump_to_next_date():
    timeline = [a(1, D(2026, 1, 1), D(2026, 1, 31)), a(2, D(2026, 3, 1))]
    # the next day on which anything changes: the day after an end, never the end itself
    assert assignment_rules.next_date(timeline, POS, GROUPS, D(2026, 1, 10)) == D(2026, 2, 1)
    assert assignment_rules.next_date(timeline, POS, GROUPS, D(2026, 1, 31)) == D(2026, 2, 1)
    assert assignment_rules.next_date(timeline, POS, GROUPS, D(2026, 2, 10)) == D(2026, 3, 1)
    assert assignment_rules.next_date(timeline, POS, GROUPS, D(2026, 3, 10)) == D(2026, 7, 1)
    assert assignment_rules.next_date(timeline, POS, GROUPS, D(2026, 6, 30)) == D(2026, 7, 1)
    assert assignment_rules.next_date(timeline, POS, GROUPS, D(2026, 7, 1)) is None
    assert assignment_rules.next_date([], POS, GROUPS, D(2026, 1, 1)) is None


def test_active_on_uses_start_and_discontinued_dates():
    assert assignment_rules.job_active_on(D(2026, 1, 1), None, D(2030, 1, 1))
    assert assignment_rules.job_active_on(D(2026, 1, 1), D(2026, 3, 31), D(2026, 3, 31))
    assert not assignment_rules.job_active_on(D(2026, 1, 1), D(2026, 3, 31), D(2026, 4, 1))
    assert not assignment_rules.job_active_on(D(2026, 1, 2), None, D(2026, 1, 1))


# --- PO edit steps 1–4 -------------------------------------------------------------------------

BEFORE = POState(D(2026, 1, 1), D(2026, 12, 31), None)


def test_step_1_invoice_bill_dates_bound_the_dates():
    plan = plan_po_edit(BEFORE, POState(D(2026, 3, 1), D(2026, 4, 30), None), [], [D(2026, 2, 1), D(2026, 5, 31)],
                        group_size_before=0, can_override=False, confirmed=False)
    assert "on or before it" in plan.errors["effective"][0] and "on or after it" in plan.errors["expiration"][0]


def test_step_1_group_cannot_change_once_invoiced_but_may_be_added():
    grouped = POState(D(2026, 1, 1), D(2026, 12, 31), 5)
    changed = plan_po_edit(grouped, POState(D(2026, 1, 1), D(2026, 12, 31), 6), [], [D(2026, 2, 1)],
                           group_size_before=2, can_override=False, confirmed=True)
    assert "cannot be changed" in changed.errors["group_id"][0]
    added = plan_po_edit(BEFORE, grouped, [], [D(2026, 2, 1)], group_size_before=0, can_override=False, confirmed=True)
    assert added.errors == {}


def test_step_2_early_assignments_are_left_alone():
    plan = plan_po_edit(BEFORE, POState(D(2026, 3, 1), D(2026, 12, 31), None), [a(1, D(2026, 1, 15))], [],
                        group_size_before=0, can_override=False, confirmed=False)
    assert plan.operations == [] and plan.notices


def test_step_3_earlier_expiration_ends_or_removes_assignments():
    timeline = [a(1, D(2026, 1, 1), D(2026, 8, 31)), a(2, D(2026, 9, 1), D(2026, 9, 30)), a(3, D(2026, 10, 1))]
    plan = plan_po_edit(BEFORE, POState(D(2026, 1, 1), D(2026, 6, 30), None), timeline, [],
                        group_size_before=0, can_override=False, confirmed=False)
    assert plan.operations == [CutEnd(1, D(2026, 6, 30), "expiry", D(2026, 8, 31)), assignment_rules.Delete(2),
                               assignment_rules.Delete(3)]


def test_step_4_adding_a_group_needs_confirmation_and_the_only_po_keeps_its_group():
    add = plan_po_edit(BEFORE, POState(D(2026, 1, 1), D(2026, 12, 31), 5), [a(1, D(2026, 1, 1))], [],
                       group_size_before=0, can_override=False, confirmed=False)
    assert add.confirmations
    ok = plan_po_edit(BEFORE, POState(D(2026, 1, 1), D(2026, 12, 31), 5), [a(1, D(2026, 1, 1))], [],
                      group_size_before=0, can_override=False, confirmed=True)
    assert ok.confirmations == [] and ok.errors == {}
    only = plan_po_edit(POState(D(2026, 1, 1), D(2026, 12, 31), 5), BEFORE, [], [], group_size_before=1,
                        can_override=False, confirmed=True)
    assert "only PO in its group" in only.errors["group_id"][0]
    two = plan_po_edit(POState(D(2026, 1, 1), D(2026, 12, 31), 5), BEFORE, [], [], group_size_before=2,
                       can_override=False, confirmed=True)
    assert two.errors == {}


def test_override_skips_exactly_steps_1_to_4():
    plan = plan_po_edit(POState(D(2026, 1, 1), D(2026, 12, 31), 5), POState(D(2026, 3, 1), D(2026, 4, 30), None),
                        [a(1, D(2026, 5, 1))], [D(2026, 2, 1)], group_size_before=1, can_override=True, confirmed=False)
    assert plan == plan.__class__()


def test_an_expired_po_no_longer_holds_the_job():
    timeline = [a(1, D(2026, 1, 1))]  # PO-1 expires 2026-06-30
    assert assignment_rules.current_on(timeline, D(2026, 7, 1), POS, GROUPS) is None
    result = assignment_rules.assign(timeline, 7, Target("po", 2), D(2026, 7, 1), po=PO2, pos=POS, groups=GROUPS)
    assert result.operations[0] == assignment_rules.SetEnd(1, D(2026, 6, 30), "expiry")  # closed at the expiry
    after = assignment_rules.apply(timeline, result)
    assert [(x.start, x.manual_end) for x in after] == [(D(2026, 1, 1), D(2026, 6, 30)), (D(2026, 7, 1), None)]
    with pytest.raises(assignment_rules.AssignmentError, match="no assignment"):
        assignment_rules.clear(timeline, D(2026, 7, 1), POS, GROUPS)


def test_a_row_closed_at_its_expired_po_follows_the_po_when_it_is_extended():
    """Assigning after PO-1 expired closes its row at the expiration; it read "Manual assignment", and extending
    PO-1 afterwards funded nothing up to the new assignment (DESIGN: extending a PO extends the assignment)."""
    timeline = [a(1, D(2026, 1, 1))]  # PO-1 expires 2026-06-30
    result = assignment_rules.assign(timeline, 7, Target("po", 2), D(2026, 9, 1), po=PO2, pos=POS, groups=GROUPS)
    after = assignment_rules.apply(timeline, result)
    assert after[0].manual_end == D(2026, 6, 30)
    assert assignment_rules.end_of(after[0], after, POS, GROUPS, D(2026, 6, 1)) == (D(2026, 6, 30), "PO expires")
    old, longer = POState(D(2026, 1, 1), D(2026, 6, 30), None), POState(D(2026, 1, 1), D(2026, 12, 31), None)
    ops = po_edit.follow_extension(old, longer, after[:1], {after[0].id: D(2026, 9, 1)})
    assert ops == [assignment_rules.SetEnd(1, D(2026, 8, 31), "next")]  # ended by the next assignment
    to_july = POState(D(2026, 1, 1), D(2026, 7, 31), None)
    assert po_edit.follow_extension(old, to_july, after[:1], {after[0].id: D(2026, 9, 1)}) == [
        assignment_rules.SetEnd(1, D(2026, 7, 31), "expiry")]
    assert po_edit.follow_extension(longer, old, after[:1], {after[0].id: D(2026, 9, 1)}) == []  # shortened
    assert po_edit.follow_extension(old, longer, after[:1], {}) == []  # nothing after it: a clipped clearing stays
    cleared = [a(1, D(2026, 1, 1), D(2026, 2, 28)), a(2, D(2026, 3, 1))]  # a clearing, then the next assignment
    assert assignment_rules.end_of(cleared[0], cleared, POS, GROUPS, D(2026, 2, 1))[1] == "Manual assignment"
    assert po_edit.follow_extension(old, longer, cleared[:1], {1: D(2026, 3, 1)}) == []
    assert assignment_rules.end_of(cleared[0], cleared, POS, GROUPS, D(2026, 2, 1), moved=True) == (
        D(2026, 2, 28), "Job moved to another debtor")


def test_jump_walks_a_group_through_its_gap_to_the_next_po():
    """H-1 ends 03-31, H-2 starts 05-01: the grid changes on 04-01 (gap) and again on 05-01 (next PO)."""
    timeline = [a(1, D(2026, 1, 1), target=GRP)]
    assert assignment_rules.next_date(timeline, POS, GROUPS, D(2026, 3, 10)) == D(2026, 4, 1)
    assert assignment_rules.next_date(timeline, POS, GROUPS, D(2026, 4, 10)) == D(2026, 5, 1)
    assert assignment_rules.end_of(timeline[0], timeline, POS, GROUPS, D(2026, 4, 10))[1] == "Next PO starts 2026-05-01"


def test_a_typed_po_number_or_group_name_picks_exactly_one_offer():
    spring = POPeriod(1, "P-1", date(2026, 1, 1), date(2026, 6, 30))
    north = GroupInfo(7, "North  sites", True, (spring,))
    pos = [(1, "SP0012"), (2, "SP00123"), (3, "4500 77"), (4, "TWIN"), (5, "twin")]
    assert assignment_rules.named_target("SP0012", pos, [north]) == Target("po", 1)
    assert assignment_rules.named_target("  po   sp00123 ", pos, [north]) == Target("po", 2)
    assert assignment_rules.named_target("4500   77", pos, [north]) == Target("po", 3)
    assert assignment_rules.named_target("PO 4500 77", pos, [north]) == Target("po", 3)
    assert assignment_rules.named_target("group north sites", pos, [north]) == Target("group", 7)
    for nothing in ("", "   ", "SP001", "SP0012%", "po:1", "1", "North sites", "Group", "PO", "twin"):
        assert assignment_rules.named_target(nothing, pos, [north]) is None, nothing  # "twin": two POs share the name


def test_typed_search_drops_the_po_the_list_puts_before_a_number():
    assert assignment_rules.typed_search("  PO   sp00123 ") == "sp00123"
    assert assignment_rules.typed_search("po") == "po" and assignment_rules.typed_search("po ") == "po"
    assert assignment_rules.typed_search("Group North  sites") == "Group North sites"
    assert assignment_rules.typed_search("POX-1") == "POX-1" and assignment_rules.typed_search("") == ""


def test_the_seal_names_the_jobs_target_and_day():
    jobs_digest, preview_seal = assignment_rules.jobs_digest, assignment_rules.preview_seal
    base = preview_seal(jobs_digest([3, 1, 2]), Target("po", 7), D(2026, 3, 1))
    assert base == preview_seal(jobs_digest([1, 2, 3]), Target("po", 7), D(2026, 3, 1))  # order does not matter
    assert jobs_digest([]) == "d41d8cd98f00b204e9800998ecf8427e"  # md5 of nothing, as PostgreSQL's md5('')
    for other in (preview_seal(jobs_digest([1, 2]), Target("po", 7), D(2026, 3, 1)),
                  preview_seal(jobs_digest([1, 2, 3]), Target("group", 7), D(2026, 3, 1)),
                  preview_seal(jobs_digest([1, 2, 3]), Target("po", 8), D(2026, 3, 1)),
                  preview_seal(jobs_digest([1, 2, 3]), Target("po", 7), D(2026, 3, 2)),
                  preview_seal(jobs_digest([12, 3]), Target("po", 7), D(2026, 3, 1))):
        assert other != base


def test_a_start_after_the_as_of_date_is_only_the_pos_own_first_day():
    """Defect: a start after the as-of date (not the PO's effective date) was taken, leaving the job unassigned on
    the as-of date; seed 004's prompt offers the effective date, the as-of date or a day between."""
    po = POPeriod(1, "P", D(2026, 1, 1), D(2026, 12, 31))
    later = POPeriod(2, "L", D(2026, 12, 1), D(2027, 6, 30))
    as_of = D(2026, 11, 28)
    for start in (D(2026, 1, 1), D(2026, 6, 1), as_of):
        assert assignment_rules.start_after_as_of(start, as_of, po, None) is None
    assert "cannot start on 2026-12-15, after the as-of date 2026-11-28" in \
        assignment_rules.start_after_as_of(D(2026, 12, 15), as_of, po, None)
    assert assignment_rules.start_after_as_of(D(2026, 12, 1), as_of, later, None) is None  # its effective date
    group = GroupInfo(7, "G", True, (po, later))
    assert assignment_rules.start_after_as_of(D(2026, 12, 1), as_of, None, group) is None
    assert assignment_rules.start_after_as_of(D(2026, 12, 2), as_of, None, group) is not None
    with pytest.raises(assignment_rules.AssignmentError, match="after the as-of date"):
        assignment_rules.assign([], 1, Target("po", 1), as_of, start=D(2026, 12, 15), po=po)


def test_a_group_row_closed_at_its_last_pos_expiration_follows_that_pos_extension():
    """A group row closed by assigning after H-2 (the group's last PO) expired follows H-2's extension, as a
    PO's own row does; not when H-2 leaves the group, nor when another member ends later (the row may then
    have been cleared on H-2's expiration), nor for a shortening."""
    row = Assignment(3, 7, GRP, D(2026, 5, 1), D(2026, 12, 31))
    nxt = {3: D(2027, 3, 1)}
    old, longer = POState(D(2026, 5, 1), D(2026, 12, 31), 5), POState(D(2026, 5, 1), D(2027, 1, 31), 5)
    assert po_edit.group_follows_extension(old, longer, [row], nxt, [H1.expiration]) == [
        assignment_rules.SetEnd(3, D(2027, 1, 31), "expiry")]
    assert po_edit.group_follows_extension(old, POState(D(2026, 5, 1), D(2027, 6, 30), 5), [row], nxt,
                                           [H1.expiration]) == [assignment_rules.SetEnd(3, D(2027, 2, 28), "next")]
    assert po_edit.group_follows_extension(old, POState(D(2026, 5, 1), D(2027, 1, 31), None), [row], nxt, []) == []
    assert po_edit.group_follows_extension(old, longer, [row], nxt, [D(2027, 12, 31)]) == []
    assert po_edit.group_follows_extension(longer, old, [row], nxt, [H1.expiration]) == []
    assert po_edit.group_follows_extension(POState(D(2026, 5, 1), D(2026, 12, 31), None), longer, [row], nxt,
                                           []) == []
