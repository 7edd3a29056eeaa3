"""Defect 4's rule (pure): which group assignments a PO edit or delete leaves with no PO."""
from __future__ import annotations

from datetime import date

from portal.domain.assignment import Assignment, Target
from portal.domain.po_edit import JobSpan, POState, days_no_longer_funded, group_jobs_left_without_po, plan_po_edit

D = date
BEFORE = POState(D(2026, 1, 1), D(2026, 12, 31), 7)


def row(i, start, end=None):
    return Assignment(i, i, Target("group", 7), start, end)


def test_days_no_longer_funded():
    assert days_no_longer_funded(BEFORE, None) == [(D(2026, 1, 1), D(2026, 12, 31))]
    assert days_no_longer_funded(BEFORE, POState(D(2026, 1, 1), D(2026, 12, 31), None)) == [
        (D(2026, 1, 1), D(2026, 12, 31))]
    assert days_no_longer_funded(BEFORE, POState(D(2026, 3, 1), D(2026, 9, 30), 7)) == [
        (D(2026, 1, 1), D(2026, 2, 28)), (D(2026, 10, 1), D(2026, 12, 31))]
    assert days_no_longer_funded(BEFORE, POState(D(2025, 1, 1), D(2027, 1, 1), 7)) == []
    assert days_no_longer_funded(POState(D(2026, 1, 1), D(2026, 12, 31), None), None) == []


def test_group_jobs_left_without_po_needs_the_job_active_then():
    after = POState(D(2026, 1, 1), D(2026, 9, 30), 7)
    rows = [row(1, D(2026, 10, 5)), row(2, D(2026, 2, 1), D(2026, 9, 30)), row(3, D(2026, 11, 1)), row(4, D(2026, 1, 1))]
    jobs = {1: JobSpan(D(2026, 1, 1)), 2: JobSpan(D(2026, 1, 1)), 3: JobSpan(D(2026, 1, 1), D(2026, 10, 31)),
            4: JobSpan(D(2026, 1, 1), D(2026, 9, 30))}
    assert [a.id for a in group_jobs_left_without_po(BEFORE, after, rows, jobs)] == [1]


def test_plan_asks_or_refuses_for_an_enforcing_debtor_even_with_override():
    after = POState(D(2026, 1, 1), D(2026, 9, 30), 7)
    rows, jobs = [row(1, D(2026, 10, 5))], {1: JobSpan(D(2026, 1, 1))}
    asked = plan_po_edit(BEFORE, after, [], [], group_size_before=2, can_override=True, confirmed=False,
                         group_assignments=rows, jobs=jobs, group_name="G")
    assert asked.confirmations and not asked.errors
    assert not plan_po_edit(BEFORE, after, [], [], group_size_before=2, can_override=True, confirmed=True,
                            group_assignments=rows, jobs=jobs, group_name="G").confirmations
    refused = plan_po_edit(BEFORE, after, [], [], group_size_before=2, can_override=True, confirmed=True,
                           group_assignments=rows, jobs=jobs, group_name="G", enforcing_debtor="ACME")
    assert "ACME enforces purchase orders" in refused.errors["expiration"][0]
