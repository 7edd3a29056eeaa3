"""PO edit (seed 004's steps 1-4, defect 4's group days, seed 003's enforcing debtor) at its edges: the
survivors of `make mutation` on portal/domain/po_edit.py, each a change a user would see."""
from __future__ import annotations

from datetime import date

from portal.domain.assignment import Assignment, Delete, SetEnd, Target, enforcement_refusal
from portal.domain.po_edit import (CutEnd, JobSpan, POState, days_no_longer_funded, group_jobs_left_without_po,
                                   plan_po_edit)

D = date
PO = Target("po", 1)
YEAR = POState(D(2026, 1, 1), D(2026, 12, 31), None)
GROUPED = POState(D(2026, 1, 1), D(2026, 12, 31), 7)
JUNE = POState(D(2026, 1, 1), D(2026, 6, 30), None)


def a(id, job, start, end=None, target=PO):
    return Assignment(id, job, target, start, end)


def plan(before, after, assignments=(), bill_dates=(), **kw):
    kw.setdefault("group_size_before", 2)
    kw.setdefault("can_override", False)
    kw.setdefault("confirmed", False)
    return plan_po_edit(before, after, list(assignments), list(bill_dates), **kw)


def test_step_3_for_an_enforcing_debtor_refuses_to_remove_an_active_jobs_assignment():
    rows = [a(1, 10, D(2026, 10, 1))]
    refused = plan(YEAR, JUNE, rows, jobs={10: JobSpan(D(2026, 1, 1))}, enforcing_debtor="ACME")
    assert refused.errors == {"expiration": [
        "1 job assignment starts after the new expiration and would be removed. " + enforcement_refusal("ACME")]}
    assert refused.operations == []
    unknown_job = plan(YEAR, JUNE, rows, enforcing_debtor="ACME")  # a job we know nothing of counts as active
    assert unknown_job.errors


def test_step_3_for_an_enforcing_debtor_removes_an_assignment_whose_job_has_ended():
    rows = [a(1, 10, D(2026, 10, 1)), a(2, 11, D(2026, 1, 1), D(2026, 8, 31))]
    jobs = {10: JobSpan(D(2026, 1, 1), D(2026, 9, 30)), 11: JobSpan(D(2026, 1, 1))}
    ok = plan(YEAR, JUNE, rows, jobs=jobs, enforcing_debtor="ACME")
    assert ok.errors == {} and ok.operations == [Delete(1), CutEnd(2, D(2026, 6, 30), "expiry", D(2026, 8, 31))]
    later = plan(YEAR, JUNE, rows, jobs={10: JobSpan(D(2026, 11, 1)), 11: JobSpan(D(2026, 1, 1))},
                 enforcing_debtor="ACME")
    assert later.errors  # the job starts after the assignment does: still active on its days


def test_step_3_edges():
    rows = [a(None, 10, D(2026, 9, 1)), a(2, 10, D(2026, 9, 1)), a(3, 11, D(2026, 6, 30)),
            a(4, 12, D(2026, 1, 1), D(2026, 6, 30))]
    assert plan(YEAR, JUNE, rows).operations == [Delete(2)]  # an unsaved row is skipped, not the end of the list
    assert plan(YEAR, YEAR, rows).operations == []


def test_step_2_notice_only_for_assignments_before_a_later_effective_date():
    later = POState(D(2026, 3, 1), D(2026, 12, 31), None)
    notice = ("Assignments starting before the new effective date are kept; the PO is not used for days before it.")
    assert plan(YEAR, later, [a(1, 10, D(2026, 2, 28))]).notices == [notice]
    assert plan(YEAR, later, [a(1, 10, D(2026, 3, 1))]).notices == []
    assert plan(later, later, [a(1, 10, D(2026, 1, 1))]).notices == []


def test_step_1_exact_messages_and_edges():
    bills = [D(2026, 2, 1), D(2026, 5, 31)]
    on_edges = plan(YEAR, POState(D(2026, 2, 1), D(2026, 5, 31), None), bill_dates=bills)
    assert on_edges.errors == {}
    past = plan(GROUPED, POState(D(2026, 2, 2), D(2026, 5, 30), 8), bill_dates=bills)
    assert past.errors == {
        "effective": ["The PO is on invoices billed from 2026-02-01: the effective date must be on or before it."],
        "expiration": ["The PO is on invoices billed to 2026-05-31: the expiration date must be on or after it."],
        "group_id": ["The PO is on an invoice: its PO group cannot be changed (a group may only be added)."]}


def test_step_4_exact_messages():
    assert plan(GROUPED, YEAR, group_size_before=1).errors == {
        "group_id": ["This is the only PO in its group: the group cannot be removed from it."]}
    assert plan(YEAR, GROUPED, [a(1, 10, D(2026, 1, 1))]).confirmations == [
        "Manual assignments to this PO exist and will not be updated to the group automatically. Continue?"]
    assert plan(GROUPED, GROUPED, [a(1, 10, D(2026, 1, 1))]).confirmations == []
    assert plan(YEAR, GROUPED, []).confirmations == []


def test_group_jobs_without_po_are_asked_about_by_name_and_refused_under_the_right_field():
    row = a(1, 10, D(2026, 10, 5), target=Target("group", 7))
    jobs = {10: JobSpan(D(2026, 1, 1))}
    shortened = POState(D(2026, 1, 1), D(2026, 9, 30), 7)
    asked = plan(GROUPED, shortened, group_assignments=[row], jobs=jobs, group_name="North")
    assert asked.confirmations == [
        "1 job assignment through group North would have no PO on days this PO no longer covers. Continue?"]
    refused = plan(GROUPED, shortened, group_assignments=[row], jobs=jobs, group_name="North", enforcing_debtor="ACME")
    assert refused.errors == {"expiration": [
        "1 job assignment through group North would have no PO on days this PO no longer covers. "
        + enforcement_refusal("ACME")]}
    left = plan(GROUPED, YEAR, group_assignments=[row], jobs=jobs, group_name="North", enforcing_debtor="ACME")
    assert list(left.errors) == ["group_id"]


def test_a_one_day_cut_is_a_day_no_longer_funded():
    assert days_no_longer_funded(GROUPED, POState(D(2026, 1, 2), D(2026, 12, 31), 7)) == [(D(2026, 1, 1), D(2026, 1, 1))]
    assert days_no_longer_funded(GROUPED, POState(D(2026, 1, 1), D(2026, 12, 30), 7)) == [
        (D(2026, 12, 31), D(2026, 12, 31))]


def test_group_assignment_edges_on_the_first_and_last_day_cut():
    after = POState(D(2026, 1, 1), D(2026, 9, 30), 7)
    group = Target("group", 7)
    rows = [a(1, 1, D(2026, 1, 1), D(2026, 10, 1), group),   # its last day is the first day cut
            a(2, 2, D(2026, 1, 1), D(2026, 9, 30), group),   # ends on the new expiration: untouched
            a(3, 3, D(2026, 12, 31), None, group),           # starts on the last day cut
            a(4, 4, D(2026, 10, 1), None, group)]            # its job ended the day before the cut
    jobs = {1: JobSpan(D(2026, 10, 1)), 2: JobSpan(D(2026, 1, 1)), 3: JobSpan(D(2026, 1, 1), D(2026, 12, 31)),
            4: JobSpan(D(2026, 1, 1), D(2026, 9, 30))}
    assert [r.id for r in group_jobs_left_without_po(GROUPED, after, rows, jobs)] == [1, 3]
    assert [r.id for r in group_jobs_left_without_po(GROUPED, after, rows[2:3], {})] == [3]  # unknown job: active


def test_a_group_assignment_counts_only_if_it_and_its_job_meet_the_days_cut():
    group = Target("group", 7)
    later_start = POState(D(2026, 3, 1), D(2026, 12, 31), 7)  # cuts 2026-01-01 to 2026-02-28
    rows = [a(1, 1, D(2026, 6, 1), None, group),                  # starts after the days cut
            a(2, 2, D(2026, 1, 1), None, group)]                  # its job starts after them
    jobs = {1: JobSpan(D(2026, 1, 1)), 2: JobSpan(D(2026, 6, 1))}
    assert group_jobs_left_without_po(GROUPED, later_start, rows, jobs) == []
    ended = [a(3, 3, D(2026, 1, 1), D(2026, 1, 31), group)]      # ended before its job began
    assert group_jobs_left_without_po(GROUPED, None, ended, {3: JobSpan(D(2026, 2, 15))}) == []


def test_shortening_asks_only_about_the_days_it_cuts():
    row = a(1, 10, D(2026, 2, 1), D(2026, 2, 28), Target("group", 7))
    shortened = POState(D(2026, 1, 1), D(2026, 9, 30), 7)
    assert plan(GROUPED, shortened, group_assignments=[row], jobs={10: JobSpan(D(2026, 1, 1))}).confirmations == []


def test_an_edit_that_keeps_the_expiration_touches_no_assignment():
    assert plan(YEAR, YEAR, [a(1, 10, D(2027, 1, 5))]).operations == []


def test_shortening_back_an_extension_does_not_count_the_days_only_the_extension_funded():
    group = Target("group", 7)
    extended, back = POState(D(2026, 1, 1), D(2026, 6, 30), 7), POState(D(2026, 1, 1), D(2026, 3, 31), 7)
    held = a(1, 10, D(2026, 1, 1), target=group)         # held the job before the extension
    late = a(2, 11, D(2026, 4, 15), target=group)        # began on the extension's days
    jobs = {10: JobSpan(D(2026, 1, 1)), 11: JobSpan(D(2026, 1, 1))}
    assert group_jobs_left_without_po(extended, back, [held, late], jobs) == [held, late]  # no history: as before
    assert group_jobs_left_without_po(extended, back, [held, late], jobs, extended_from=D(2026, 3, 31)) == [late]
    assert group_jobs_left_without_po(extended, back, [held], jobs, extended_from=D(2026, 3, 31),
                                      drawn=frozenset({10})) == [held]  # a document drew on the PO for the job
    earlier = POState(D(2026, 1, 1), D(2026, 2, 28), 7)   # cuts days the PO funded before the extension too
    assert group_jobs_left_without_po(extended, earlier, [held], jobs, extended_from=D(2026, 3, 31)) == [held]
    refused = plan(extended, back, group_assignments=[held], jobs=jobs, group_name="North", enforcing_debtor="ACME",
                   extended_from=D(2026, 3, 31))
    assert refused.errors == {} and refused.confirmations == []
