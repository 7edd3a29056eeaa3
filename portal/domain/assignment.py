"""Date-effective job → PO / PO group assignments (seed 004 as DESIGN.md reads it). Pure: no I/O.

A job's timeline is its assignments. Services load rows into these value objects, call these
functions, and apply the operations they return (Insert / SetEnd / Delete) in one transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.domain.formatting import plural, verb

ONE_DAY = timedelta(days=1)

# What ended a row (stored beside its end, `job_po_assignments.end_cause`): a manual clearing, its PO's expiry
# (the job assigned again after it, or a shortened PO), the job's next assignment (a PO's extension moved the end
# up to the day before it) or the job's move to another debtor. None: a row ended before the cause was kept.
END_MANUAL, END_EXPIRY, END_NEXT, END_MOVE = "manual", "expiry", "next", "move"
END_CAUSES = (END_MANUAL, END_EXPIRY, END_NEXT, END_MOVE)


class AssignmentError(Exception):
    """A rule refuses the change; the message says what to do instead."""


class NeedsConfirmation(AssignmentError):
    """The change would remove future assignments: the user must confirm, seeing them listed."""

    def __init__(self, message: str, future: list["Assignment"]):
        super().__init__(message)
        self.future = future


@dataclass(frozen=True)
class Target:
    kind: str  # "po" or "group"
    id: int

    @property
    def is_group(self) -> bool:
        """Whether the job is assigned to a PO group (its PO follows the group by date) rather than one PO."""
        return self.kind == "group"


@dataclass(frozen=True)
class Assignment:
    id: int | None
    job_id: int
    target: Target
    start: date
    manual_end: date | None = None
    source: str = "manual"
    end_cause: str | None = None  # what set `manual_end` (END_CAUSES; None: not known)

    def covers(self, day: date) -> bool:
        """Whether the assignment holds on `day`: from its start through its manual end, open-ended without one."""
        return self.start <= day and (self.manual_end is None or day <= self.manual_end)


@dataclass(frozen=True)
class POPeriod:
    po_id: int
    number: str
    effective: date
    expiration: date
    group_id: int | None = None
    description: str = ""  # what tells a split PO's twins apart in a picker (same number, other types)

    def valid_on(self, day: date) -> bool:
        """Whether the PO is valid on `day`: effective through expiration, both days included."""
        return self.effective <= day <= self.expiration


@dataclass(frozen=True)
class GroupInfo:
    id: int
    description: str
    active: bool
    pos: tuple[POPeriod, ...] = field(default_factory=tuple)

    def po_on(self, day: date) -> POPeriod | None:
        """Seed 004: the group's PO valid on a day (members never overlap, so at most one)."""
        return next((p for p in self.pos if p.valid_on(day)), None)

    def next_po_after(self, day: date) -> POPeriod | None:
        """The group's PO that becomes effective first after `day` (None: no later PO in the group)."""
        later = [p for p in self.pos if p.effective > day]
        return min(later, key=lambda p: p.effective) if later else None


@dataclass(frozen=True)
class Insert:
    assignment: Assignment


@dataclass(frozen=True)
class SetEnd:
    assignment_id: int
    manual_end: date
    cause: str = END_MANUAL  # what ends the row there (END_CAUSES)


@dataclass(frozen=True)
class Delete:
    assignment_id: int


Operation = Insert | SetEnd | Delete


@dataclass(frozen=True)
class Result:
    operations: list[Operation]
    notices: list[str] = field(default_factory=list)


def job_active_on(start: date, discontinued: date | None, day: date) -> bool:
    """Seed 004: a job is active on a day between its start date and its discontinued date."""
    return start <= day and (discontinued is None or day <= discontinued)


def must_keep_po(enforcing: bool, start: date, discontinued: date | None, day: date) -> bool:
    """Seed 003: every job order of a debtor that enforces POs must stay assigned to one of its POs,
    from `day` on, while it is (or will be) active then."""
    return enforcing and (discontinued is None or discontinued >= max(day, start))


def enforcement_refusal(debtor_code: str) -> str:
    """Seed 003's rule, as every refusal that would leave a job of an enforcing debtor with no PO names it."""
    return (f"{debtor_code} enforces purchase orders: every job order of it must be assigned to one of its POs "
            "or PO groups; choose the one that follows.")


def lasting_end(a: Assignment, pos: dict[int, POPeriod] | None, groups: dict[int, GroupInfo] | None) -> date | None:
    """The last day an assignment can fund: its manual end, else its PO's expiration (for a group,
    its last PO's). An open-ended row whose PO has expired no longer holds the job."""
    if a.manual_end is not None or pos is None:
        return a.manual_end
    if a.target.is_group:
        group = (groups or {}).get(a.target.id)
        return max((p.expiration for p in group.pos), default=None) if group else None
    po = pos.get(a.target.id)
    return po.expiration if po else None


def current_on(timeline: list[Assignment], day: date, pos: dict[int, POPeriod] | None = None,
               groups: dict[int, GroupInfo] | None = None) -> Assignment | None:
    """The job's assignment on `day` (one at most: assignments never overlap). With the POs
    given, an assignment whose PO has expired before `day` is no longer current."""
    for a in timeline:
        end = lasting_end(a, pos, groups)
        if a.start <= day and (end is None or day <= end):
            return a
    return None


def future_after(timeline: list[Assignment], day: date) -> list[Assignment]:
    """Assignments starting after `day`, earliest first."""
    return sorted((a for a in timeline if a.start > day), key=lambda a: a.start)


def offerable_groups(groups: list[GroupInfo]) -> list[GroupInfo]:
    """Only active groups with at least one PO are offered for assignment (seed 004)."""
    return [g for g in groups if g.active and g.pos]


def twin_numbers(pos) -> frozenset[str]:
    """The numbers that more than one of these POs carry (a split PO's twins, seed 001), whose options then
    say which is which (`po_option`)."""
    seen, twins = set(), set()
    for p in pos:
        (twins if p.number in seen else seen).add(p.number)
    return frozenset(twins)


def po_option(po, twins: frozenset[str]) -> str:
    """A PO as a picker names it: "PO 4500", and its description when a twin of the same number is offered
    beside it ("PO ACM-SPLIT — Service work"): the two looked the same."""
    return f"PO {po.number}" + (f" — {po.description}" if po.number in twins and po.description else "")


def typed_name(kind: str, name: str) -> str:
    """How the grid's typed picker names a PO ("PO SP0012") or a group ("Group North sites")."""
    return f"{'Group' if kind == 'group' else 'PO'} {name}"


def typed_search(typed: str) -> str:
    """What a typed picker's text looks for among PO numbers: the text without the "PO " the list puts before
    each number (`typed_name`); spaces collapsed, case left to the search."""
    text = " ".join(typed.split())
    return text[3:] if text[:3].casefold() == "po " else text


def named_target(typed: str, pos: list[tuple[int, str]], groups: list[GroupInfo]) -> Target | None:
    """The PO or group a user typed into the grid's picker (drawn when the debtor has too many to list):
    a PO by its number, with or without "PO " before it, a group as "Group " and its description; case
    and surrounding spaces do not matter. `pos` are the offered POs' (id, number). None unless exactly
    one offered PO or group has that name."""
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    key = norm(typed)
    matches = [Target("po", i) for i, number in pos if key in (norm(number), norm(typed_name("po", number)))]
    matches += [Target("group", g.id) for g in groups if key == norm(typed_name("group", g.description))]
    return matches[0] if len(matches) == 1 else None


def start_date_options(po: POPeriod, as_of: date) -> dict[str, date]:
    """Seed 004's prompt when the as-of date is not the PO's effective date: start on the PO's
    effective date, on the as-of date, or any day between (when the as-of date is within the PO)."""
    options = {"effective": po.effective}
    if po.valid_on(as_of):
        options["as_of"] = as_of
    return options


def jobs_digest(job_ids) -> str:
    """The md5 of the job ids in ascending order, comma-separated (as the preview's SQL works it out)."""
    return hashlib.md5(",".join(str(i) for i in sorted(job_ids)).encode()).hexdigest()


def preview_seal(jobs_md5: str, target: Target, day: date) -> str:
    """What a bulk preview promised: the jobs it would assign (their ids' digest), to which PO or group, from
    which day. Applying with a preview's seal assigns only when its own selection still seals the same."""
    return hashlib.sha256(f"{target.kind}:{target.id}:{day.isoformat()}:{jobs_md5}".encode()).hexdigest()[:32]


def target_valid_on(target: Target, day: date, po: POPeriod | None, group: GroupInfo | None) -> str | None:
    """Why `target` cannot start on `day` (None: it can)."""
    if target.is_group:
        if group is None or not group.active:
            return "The PO group is not active."
        if not group.pos:
            return "The PO group has no purchase orders."
        if group.po_on(day) is None:
            return f"No PO of group {group.description} is valid on {day.isoformat()}."
        return None
    if po is None:
        return "Unknown purchase order."
    if not po.valid_on(day):
        return (f"PO {po.number} is valid from {po.effective.isoformat()} to {po.expiration.isoformat()}, "
                f"not on {day.isoformat()}.")
    return None


def start_after_as_of(start: date, as_of: date, po: POPeriod | None, group: GroupInfo | None) -> str | None:
    """Why a chosen start later than the as-of date cannot be taken (None: it can). Seed 004's prompt offers
    the PO's effective date, the as-of date or a day between; a PO (or a group's PO) starting after the as-of
    date starts on its effective date. Any other later day would leave the job unassigned on the as-of date
    while the assignment said it was made then."""
    if start <= as_of:
        return None
    firsts = {po.effective} if po is not None else {p.effective for p in group.pos} if group is not None else set()
    if start in firsts:
        return None
    return (f"The assignment cannot start on {start.isoformat()}, after the as-of date {as_of.isoformat()}: choose "
            "the PO's effective date, the as-of date or a day between (or move the as-of date).")


REMOVAL = "remove:"  # a confirmation's token: the ids of the future assignments it listed (removal_token)


def removal_token(future: list[Assignment]) -> str:
    """What a confirmation to remove future assignments carries back: the ids of the rows it listed."""
    return REMOVAL + ",".join(str(a.id) for a in sorted(future, key=lambda a: a.id or 0))


def confirmed_removal(raw) -> frozenset[int] | None:
    """The future assignments a posted confirmation listed (`removal_token`); None for anything else (blank,
    malformed, or a bare "1" from a form of before the token): the change is then asked about again."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text.startswith(REMOVAL) or len(text) > 10_000:
        return None
    parts = text[len(REMOVAL):].split(",")
    return frozenset(int(p) for p in parts) if all(p.isdigit() and len(p) < 10 for p in parts) else None


def assign(timeline: list[Assignment], job_id: int, target: Target, as_of: date, *, start: date | None = None,
           remove_future: bool | frozenset[int] = False, po: POPeriod | None = None, group: GroupInfo | None = None,
           source: str = "manual", pos: dict[int, POPeriod] | None = None,
           groups: dict[int, GroupInfo] | None = None) -> Result:
    """Assign on the as-of date (or a chosen start): the current assignment must be cleared first,
    and future assignments are removed only after confirmation (seed 004's assignment rules). A user's
    confirmation (`remove_future` the ids its list showed: `confirmed_removal`) removes exactly those: with
    another future assignment made since, or one of them gone, it is asked again, listing them as they are now
    (DESIGN.md: removed "after a confirmation that lists them"). True removes whatever is there."""
    start = start or as_of
    if problem := target_valid_on(target, start, po, group) or start_after_as_of(start, as_of, po, group):
        raise AssignmentError(problem)
    current = current_on(timeline, start, pos, groups)
    if current is not None:
        raise AssignmentError(f"The job is already assigned on {start.isoformat()} (since "
                              f"{current.start.isoformat()}): clear that assignment first.")
    future = future_after(timeline, start)
    listed = frozenset(a.id for a in future)
    if future and (remove_future is False or isinstance(remove_future, frozenset) and remove_future != listed):
        changed = ("The future assignments changed since the confirmation you answered: "
                   if isinstance(remove_future, frozenset) else "")
        raise NeedsConfirmation(f"{changed}The job has {plural(len(future), 'future assignment')}; "
                                f"{verb(len(future), 'it', 'they')} must be removed to change its assignment. Confirm "
                                "to remove them.", future)
    ops: list[Operation] = [Delete(a.id) for a in future if a.id is not None]
    for a in timeline:  # an open-ended row whose PO expired earlier is closed at its PO's expiration
        end = lasting_end(a, pos, groups)
        if a.id is not None and a.manual_end is None and end is not None and a.start <= end < start:
            ops.append(SetEnd(a.id, end, END_EXPIRY))
    ops.append(Insert(Assignment(None, job_id, target, start, None, source)))
    notices = []
    if not target.is_group and po is not None and po.group_id is not None:
        notices.append(f"PO {po.number} belongs to a PO group: assigning the group instead lets the job follow "
                       "the group's next PO automatically.")
    return Result(ops, notices)


def clear(timeline: list[Assignment], as_of: date, pos: dict[int, POPeriod] | None = None,
          groups: dict[int, GroupInfo] | None = None) -> Result:
    """Clearing ends the current assignment the day before the as-of date, or deletes it when
    cleared on its own start day (seed 004)."""
    current = current_on(timeline, as_of, pos, groups)
    if current is None or current.id is None:
        raise AssignmentError(f"The job has no assignment on {as_of.isoformat()} to clear.")
    if current.start == as_of:
        return Result([Delete(current.id)])
    return Result([SetEnd(current.id, as_of - ONE_DAY)])


def apply(timeline: list[Assignment], result: Result, next_id: int = 10**9) -> list[Assignment]:
    """The timeline after `result`'s operations (new rows get ids from `next_id`); for tests and previews."""
    rows = {a.id: a for a in timeline}
    for op in result.operations:
        if isinstance(op, Delete):
            rows.pop(op.assignment_id, None)
        elif isinstance(op, SetEnd):
            a = rows[op.assignment_id]
            rows[a.id] = Assignment(a.id, a.job_id, a.target, a.start, op.manual_end, a.source, op.cause)
        else:
            a = op.assignment
            rows[next_id] = Assignment(next_id, a.job_id, a.target, a.start, a.manual_end, a.source)
            next_id += 1
    return sorted(rows.values(), key=lambda a: a.start)


def po_shown(assignment: Assignment, day: date, pos: dict[int, POPeriod], groups: dict[int, GroupInfo]) -> POPeriod | None:
    """The PO an assignment stands for on `day`: the PO itself if valid, or the group's PO valid that day."""
    if assignment.target.is_group:
        group = groups.get(assignment.target.id)
        return group.po_on(day) if group else None
    po = pos.get(assignment.target.id)
    return po if po and po.valid_on(day) else None


def _stored_end_reason(assignment: Assignment, later: list[Assignment], pos: dict[int, POPeriod],
                       groups: dict[int, GroupInfo], moved: bool) -> str:
    """Why a row with a stored end ends there, from what set the end (`end_cause`)."""
    cause, end = assignment.end_cause, assignment.manual_end
    # a row of the job's previous debtor was ended by the move unless what ended it is known to be something else
    # (cleared by hand, or its PO's expiry, before the job moved)
    if cause == END_MOVE or (moved and cause is None):
        return "Job moved to another debtor"
    if cause == END_NEXT and later and later[0].start == end + ONE_DAY:
        return f"Next assignment {later[0].start.isoformat()}"
    if cause == END_EXPIRY:
        return "PO expires"
    if cause == END_MANUAL:
        return "Manual assignment"
    # not known (a row ended before the cause was kept, or a next assignment since removed): stored on its PO's
    # expiration it was closed there by the expiry (no clearing can end a row on a day it no longer held)
    expired = lasting_end(Assignment(None, assignment.job_id, assignment.target, assignment.start, None), pos, groups)
    return "PO expires" if end == expired else "Manual assignment"


def end_of(assignment: Assignment, timeline: list[Assignment], pos: dict[int, POPeriod],
           groups: dict[int, GroupInfo], as_of: date, *, moved: bool = False) -> tuple[date | None, str]:
    """The displayed end date and reason, in DESIGN.md's precedence: Manual assignment (a manual clearing) → Next
    assignment [date] → PO expires (the PO's current expiration; for a group, its PO valid on the as-of date) →
    Next PO starts [date] (a group in a gap before its next PO). A stored end reads as what set it
    (`end_cause`): a PO's extension that ended the row the day before the job's next assignment reads "Next
    assignment", an expiry "PO expires". `moved`: a row of the job's previous debtor, ended by the job's move
    (not a manual clearing)."""
    later = future_after(timeline, assignment.start)
    if assignment.manual_end is not None:
        return assignment.manual_end, _stored_end_reason(assignment, later, pos, groups, moved)
    if later:
        return later[0].start - ONE_DAY, f"Next assignment {later[0].start.isoformat()}"
    day = max(as_of, assignment.start)
    if not assignment.target.is_group:
        po = pos.get(assignment.target.id)
        return (po.expiration, "PO expires") if po else (None, "")
    group = groups.get(assignment.target.id)
    if group is None or not group.pos:
        return None, ""
    po = group.po_on(day)
    if po is not None:
        return po.expiration, "PO expires"
    upcoming = group.next_po_after(day)
    if upcoming is not None:
        return None, f"Next PO starts {upcoming.effective.isoformat()}"
    last = max(group.pos, key=lambda p: p.expiration)
    return last.expiration, "PO expires"


def next_date(timeline: list[Assignment], pos: dict[int, POPeriod], groups: dict[int, GroupInfo],
              as_of: date) -> date | None:
    """'Jump to the next change': the first day after the as-of date on which the grid shows this job
    differently. The day after the current assignment ends (the next assignment, the group's next PO or
    nothing begins then); for a group between two POs, the day its next PO starts; with nothing current,
    the next assignment's start. None when nothing changes any more."""
    current = current_on(timeline, as_of, pos, groups)
    if current is not None:
        end, _ = end_of(current, timeline, pos, groups, as_of)
        if end is not None:
            return end + ONE_DAY if end < date.max else None
        group = groups.get(current.target.id) if current.target.is_group else None
        upcoming = group.next_po_after(max(as_of, current.start)) if group is not None and group.pos else None
        if upcoming is not None and upcoming.effective > as_of:
            return upcoming.effective
    future = future_after(timeline, as_of)
    return future[0].start if future else None
