"""Editing a PO that jobs are assigned to: seed 004's numbered steps 1–4, literally. Pure.

`po_override_validations` skips exactly these steps; it never skips the group overlap rule or
the refusal to delete an invoiced or assigned PO (those live elsewhere).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portal.domain.assignment import Assignment, Delete, Operation, SetEnd


@dataclass(frozen=True)
class POState:
    effective: date
    expiration: date
    group_id: int | None


@dataclass(frozen=True)
class EditPlan:
    errors: dict[str, list[str]] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    confirmations: list[str] = field(default_factory=list)  # the user must confirm before saving
    notices: list[str] = field(default_factory=list)


def plan_po_edit(before: POState, after: POState, assignments: list[Assignment], bill_dates: list[date], *,
                 group_size_before: int, can_override: bool, confirmed: bool) -> EditPlan:
    """What saving `after` over `before` must check and change.

    `assignments` are the job assignments made to this PO itself (not to its group); `bill_dates`
    are the Bill To period dates of the posted invoices drawing on it; `group_size_before` is how
    many POs the old group holds (this one included).
    """
    if can_override:
        return EditPlan()
    errors: dict[str, list[str]] = {}
    ops: list[Operation] = []
    confirmations: list[str] = []
    notices: list[str] = []
    # Step 1: a PO already on an invoice keeps the invoices' Bill To dates inside its range
    if bill_dates:
        first, last = min(bill_dates), max(bill_dates)
        if after.effective > first:
            errors.setdefault("effective", []).append(
                f"The PO is on invoices billed from {first.isoformat()}: the effective date must be on or before it.")
        if after.expiration < last:
            errors.setdefault("expiration", []).append(
                f"The PO is on invoices billed to {last.isoformat()}: the expiration date must be on or after it.")
        if before.group_id is not None and after.group_id != before.group_id:
            errors.setdefault("group_id", []).append(
                "The PO is on an invoice: its PO group cannot be changed (a group may only be added).")
    # Step 4 (checked before anything changes): removing the group from its only PO is refused
    if before.group_id is not None and after.group_id != before.group_id and group_size_before <= 1:
        errors.setdefault("group_id", []).append(
            "This is the only PO in its group: the group cannot be removed from it.")
    if errors:
        return EditPlan(errors=errors)
    # Step 2: assignments before a later effective date are left alone (the PO just is not valid then)
    if after.effective > before.effective and any(a.start < after.effective for a in assignments):
        notices.append("Assignments starting before the new effective date are kept; the PO is not used for "
                       "days before it.")
    # Step 3: an earlier expiration ends assignments at it, and removes those starting after it
    if after.expiration < before.expiration:
        for a in assignments:
            if a.id is None:
                continue
            if a.start > after.expiration:
                ops.append(Delete(a.id))
            elif a.manual_end is not None and a.manual_end > after.expiration:
                ops.append(SetEnd(a.id, after.expiration))
    # Step 4: adding (or changing) a group does not move existing manual assignments
    if after.group_id is not None and after.group_id != before.group_id and assignments and not confirmed:
        confirmations.append("Manual assignments to this PO exist and will not be updated to the group "
                             "automatically. Continue?")
    return EditPlan(errors={}, operations=ops, confirmations=confirmations, notices=notices)


@dataclass(frozen=True)
class BulkJob:
    job_id: int
    start: date
    discontinued: date | None
    timeline: list[Assignment]


def classify_for_bulk(job: BulkJob, day: date, target_problem: str | None) -> str | None:
    """Why bulk assignment skips a job on `day` (None: it will be assigned). The same rules as
    assigning one job, minus the prompts: nothing is cleared or removed in bulk."""
    from portal.domain.assignment import current_on, future_after, job_active_on

    if target_problem:
        return "PO not valid on the date"
    if not job_active_on(job.start, job.discontinued, day):
        return "not active on the date" if job.start > day else "discontinued before the date"
    if current_on(job.timeline, day) is not None:
        return "already assigned on the date"
    if future_after(job.timeline, day):
        return "has future assignments"
    return None
