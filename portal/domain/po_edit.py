"""Editing a PO that jobs are assigned to: seed 004's numbered steps 1–4, literally. Pure.

`po_override_validations` skips exactly these steps; it never skips the group overlap rule or
the refusal to delete an invoiced or assigned PO (those live elsewhere).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.domain import formatting
from portal.domain.assignment import (END_EXPIRY, END_MANUAL, END_MOVE, END_NEXT, Assignment, Delete, Operation,
                                     SetEnd, enforcement_refusal)

ONE_DAY = timedelta(days=1)


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


@dataclass(frozen=True)
class JobSpan:
    """The days a job order is active: its start date to its discontinued date (None: open)."""

    start: date
    end: date | None = None


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Whether two date ranges share a day (a range without an end runs on for ever)."""
    return a_start <= (b_end or date.max) and b_start <= (a_end or date.max)


def days_no_longer_funded(before: POState, after: POState | None) -> list[tuple[date, date]]:
    """The days on which the PO funded its (old) group's jobs and no longer will: all of its period
    when it is deleted or leaves the group, else the days a later effective or earlier expiration cuts off."""
    if before.group_id is None:
        return []
    if after is None or after.group_id != before.group_id:
        return [(before.effective, before.expiration)]
    cut = [(before.effective, min(after.effective - ONE_DAY, before.expiration)),
           (max(after.expiration + ONE_DAY, before.effective), before.expiration)]
    return [(a, b) for a, b in cut if a <= b]


def group_jobs_left_without_po(before: POState, after: POState | None, group_assignments: list[Assignment],
                               jobs: dict[int, JobSpan], *, extended_from: date | None = None,
                               drawn: frozenset[int] = frozenset()) -> list[Assignment]:
    """Defect 4: the group's assignments that hold an active job on a day this PO stops funding
    (the group's members never overlap, so on those days the job would have no PO).

    `extended_from`: the earliest expiration the PO has had (None: never earlier than `before`'s). Days after it
    were funded only by an extension: before it the job had no PO on them either, so shortening back does not
    count them for an assignment that held the job by then (one starting later had the PO only from the
    extension), unless a document drew on the PO for the job on them (`drawn`: those jobs)."""
    removed = days_no_longer_funded(before, after)
    out = []
    for a in group_assignments:
        days = removed
        if extended_from is not None and a.start <= extended_from and a.job_id not in drawn:
            days = [(first, min(last, extended_from)) for first, last in removed if first <= extended_from]
        span = jobs.get(a.job_id, JobSpan(date.min))
        if any(_overlaps(a.start, a.manual_end, first, last) and _overlaps(span.start, span.end, first, last)
               and _overlaps(a.start, a.manual_end, span.start, span.end) for first, last in days):
            out.append(a)
    return out


@dataclass(frozen=True)
class CutEnd(SetEnd):
    """Step 3's cut: the row ends on the PO's new expiration (`manual_end`, END_EXPIRY) and keeps the end it had
    before (`end_before`, `cause_before`) for the PO's later extension to give back (`follow_extension`). Any other
    end written to a row drops what it kept."""

    end_before: date | None = None
    cause_before: str | None = None


def _extended_end(a: Assignment, after: POState, following: date | None,
                  kept: tuple[date, str | None] | None) -> SetEnd | None:
    """Where an extension moves a row stored as ended on the PO's old expiration (None: it stays)."""
    limit = min(after.expiration, following - ONE_DAY) if following is not None else after.expiration
    if kept is not None and kept[0] <= a.manual_end:
        kept = None  # nothing above the row's end to give back
    if kept is None or following is not None and kept[1] not in (END_MANUAL, END_MOVE):
        if following is None or limit <= a.manual_end:
            return None
        return SetEnd(a.id, limit, END_NEXT if limit == following - ONE_DAY else END_EXPIRY)
    end_before, cause_before = kept
    if end_before <= limit:  # back up to the end the cut replaced
        return SetEnd(a.id, end_before, cause_before)
    if following is not None and limit == following - ONE_DAY:
        return SetEnd(a.id, limit, END_NEXT) if limit > a.manual_end else None
    return CutEnd(a.id, limit, END_EXPIRY, end_before, cause_before)  # extended part way: still cut


def follow_extension(before: POState, after: POState, assignments: list[Assignment],
                     next_starts: dict[int, date], kept_ends: dict[int, tuple[date, str | None]] | None = None,
                     ) -> list[SetEnd]:
    """An extended PO extends its assignments (DESIGN: the end is computed from the PO's current expiration).
    One stored as ended on the PO's old expiration was ended by that expiry, not by a clearing (a row is cleared
    only while current, so a clearing ends it the day before a day it still held): assigning the job after
    the PO expired closes it there to make room for the next row (`next_starts`: that row's start, by
    assignment id). It now ends on the new expiration, or the day before that next row when it comes first
    (ended by that next assignment, not by hand: its reason reads "Next assignment"). A row with no next one
    keeps its end (a clearing later than the old expiration, clipped to it), as does one known to have been
    ended by a clearing or the job's move.

    A row a shortening cut (step 3: "the soonest of its own end and the new expiration") gets back the end it had
    before (`kept_ends`: end and cause, by assignment id; `CutEnd`) as far as the new expiration and the day
    before a next row allow: its clearing or move again, or, when that cut end was an expiry or a next row's,
    the new expiration or the day before the next row as above. Extended only part way, it ends on the new
    expiration and keeps the end for a later extension."""
    if after.expiration <= before.expiration:
        return []
    kept_ends = kept_ends or {}
    out = []
    for a in assignments:
        if a.id is None or a.manual_end != before.expiration or a.end_cause in (END_MANUAL, END_MOVE):
            continue
        if (op := _extended_end(a, after, next_starts.get(a.id), kept_ends.get(a.id))) is not None:
            out.append(op)
    return out


def group_follows_extension(before: POState, after: POState, group_assignments: list[Assignment],
                            next_starts: dict[int, date], others_expire: list[date]) -> list[SetEnd]:
    """A group assignment follows the extension of the group's PO that closed it, as a PO's own row does
    (`follow_extension`): assigning the job after the group's last PO expired closes the group's row on that
    PO's expiration (`assignment.assign`). Only while the PO stays in its group and is its last one (no other
    member, `others_expire`, ends later): a group row ended on an earlier member's expiration may have been
    cleared there, since the group still held the job the day after."""
    if before.group_id is None or after.group_id != before.group_id:
        return []
    if any(expiration > before.expiration for expiration in others_expire):
        return []
    return follow_extension(before, after, group_assignments, next_starts)


def plan_po_edit(before: POState, after: POState, assignments: list[Assignment], bill_dates: list[date], *,
                 group_size_before: int, can_override: bool, confirmed: bool,
                 group_assignments: list[Assignment] = (), jobs: dict[int, JobSpan] | None = None,
                 group_name: str = "", enforcing_debtor: str | None = None, extended_from: date | None = None,
                 drawn: frozenset[int] = frozenset(),
                 kept_ends: dict[int, tuple[date, str | None]] | None = None) -> EditPlan:
    """What saving `after` over `before` must check and change.

    `assignments` are the job assignments made to this PO itself; `group_assignments` those made to
    its old group, with `jobs` the active spans of the jobs of both; `bill_dates` are the Bill To
    period dates of the posted invoices drawing on it; `group_size_before` is how many POs the old
    group holds (this one included); `enforcing_debtor` names the debtor when it enforces POs (seed 003);
    `extended_from` and `drawn`: the days only an extension funded, and the jobs documents drew on the PO for on
    them (`group_jobs_left_without_po`); `kept_ends`: the ends rows had before an earlier cut (`CutEnd`).
    Jobs left with no PO through the group are asked about (refused for an enforcing debtor) even
    with po_override_validations, which skips only steps 1-4.
    """
    jobs = jobs or {}
    stranded = group_jobs_left_without_po(before, after, list(group_assignments), jobs, extended_from=extended_from,
                                          drawn=drawn)
    if stranded and enforcing_debtor:
        return EditPlan(errors={"group_id" if after.group_id != before.group_id else "expiration": [
            f"{formatting.plural(len(stranded), 'job assignment')} through group {group_name} would have no PO on days "
            f"this PO no longer covers. " + enforcement_refusal(enforcing_debtor)]})
    asked = [] if confirmed or not stranded else [
        f"{formatting.plural(len(stranded), 'job assignment')} through group {group_name} would have no PO on days "
        "this PO no longer covers. Continue?"]
    if can_override:
        return EditPlan(confirmations=asked)
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
            elif a.manual_end is not None and a.manual_end > after.expiration:  # the end before any earlier cut
                end_before, cause_before = (kept_ends or {}).get(a.id, (a.manual_end, a.end_cause))
                ops.append(CutEnd(a.id, after.expiration, END_EXPIRY, end_before, cause_before))
    # Step 4: adding (or changing) a group does not move existing manual assignments
    if after.group_id is not None and after.group_id != before.group_id and assignments and not confirmed:
        confirmations.append("Manual assignments to this PO exist and will not be updated to the group "
                             "automatically. Continue?")
    if enforcing_debtor:  # seed 003: a removed assignment may not leave an active job with no PO
        removed = [a for a in assignments if a.id is not None and Delete(a.id) in ops]
        if any(_overlaps(a.start, None, jobs.get(a.job_id, JobSpan(date.min)).start,
                         jobs.get(a.job_id, JobSpan(date.min)).end) for a in removed):
            return EditPlan(errors={"expiration": [
                f"{formatting.plural(len(removed), 'job assignment')} {formatting.verb(len(removed), 'starts', 'start')} after the "
                "new expiration and would be removed. "
                + enforcement_refusal(enforcing_debtor)]})
    return EditPlan(errors={}, operations=ops, confirmations=asked + confirmations, notices=notices)
