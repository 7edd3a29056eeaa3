"""Which PO (and master line) funds a document line (DESIGN.md "Resolution").

The job's assignment on the service date → the PO (via the group when assigned to a group) →
the PO of that number eligible for the line's document type (seed 001's split PO) → the master
line whose bill code group holds the line's bill code. A line may name a PO explicitly, limited to
the debtor's POs eligible for its type. A job with an on-the-fly number carries it and draws on
no budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import assignment as assignment_rules
from portal.domain import budget
from portal.domain import funding as rules
from portal.models import JobOrder, JobPOAssignment, POEligibleType, POLine, PurchaseOrder, po_line_bill_codes
from portal.services.po_timeline import DebtorPOs, debtor_pos, to_value


@dataclass(frozen=True)
class Funding:
    po: PurchaseOrder | None
    po_line_id: int | None
    po_number: str | None
    note: str
    eligible: bool = True
    covered: bool = True
    line: POLine | None = None  # a master PO's line it draws on

    @property
    def po_id(self) -> int | None:
        """The id of the PO the line draws on (None: no budget found)."""
        return self.po.id if self.po else None

    @property
    def remaining(self) -> Decimal | None:
        """The funding PO's Net Remaining now (seed 001), for the line editor; a master PO's line's own (the
        PO's was shown beside the line: 1,500.00 where the line had 500.00)."""
        if self.line is not None:
            return budget.Balance.of(self.line.budget, self.line.balance).net_remaining
        return budget.Balance.of(self.po.amount, self.po.balance).net_remaining if self.po else None


# an assignment's columns `to_value` reads (rows, not tracked objects: the resolver only reads them)
_ASSIGNMENT = (JobPOAssignment.id, JobPOAssignment.job_id, JobPOAssignment.po_id, JobPOAssignment.group_id,
               JobPOAssignment.start_date, JobPOAssignment.manual_end, JobPOAssignment.source,
               JobPOAssignment.end_cause)


class Resolver:
    """Resolves many lines of one debtor with a handful of queries, however many lines and jobs."""

    def __init__(self, session: Session, debtor_id: int, *, job_ids: set[int] | None = None,
                 explicit_po_ids: set[int] = frozenset()):
        """Without `job_ids`, loads every PO of the debtor. With the lines' jobs (and the POs lines
        name), loads only what those lines can resolve to: the jobs' assignments (one query), the POs
        and groups these and the lines name, and the POs sharing their numbers (split POs)."""
        self.session = session
        self.debtor_id = debtor_id
        self.timelines: dict[int, list[assignment_rules.Assignment]] = {}
        self.line_codes: dict[int, dict[int, frozenset[int]]] = {}
        self._candidates: list[rules.Candidate] | None = None
        if job_ids is None:
            self.data: DebtorPOs = debtor_pos(session, debtor_id)
        else:
            self.timelines = {job_id: [] for job_id in job_ids}
            if job_ids:
                for row in session.execute(select(*_ASSIGNMENT).where(
                        JobPOAssignment.job_id.in_(job_ids), JobPOAssignment.debtor_id == debtor_id)):
                    self.timelines[row.job_id].append(to_value(row))
            targets = [a.target for t in self.timelines.values() for a in t]
            self.data = debtor_pos(session, debtor_id,
                                   po_ids={t.id for t in targets if not t.is_group} | set(explicit_po_ids),
                                   group_ids={t.id for t in targets if t.is_group}, same_numbers=True)
        self.eligible: dict[int, set[int]] = {}
        eligible = select(POEligibleType.po_id, POEligibleType.document_type_id).where(
            POEligibleType.debtor_id == debtor_id)
        if job_ids is not None:
            eligible = eligible.where(POEligibleType.po_id.in_(list(self.data.rows)))
        for po_id, type_id in session.execute(eligible):
            self.eligible.setdefault(po_id, set()).add(type_id)

    def timeline(self, job_id: int) -> list[assignment_rules.Assignment]:
        """A job's assignments on this debtor, loaded once per resolver."""
        if job_id not in self.timelines:
            rows = self.session.execute(select(*_ASSIGNMENT).where(
                JobPOAssignment.job_id == job_id, JobPOAssignment.debtor_id == self.debtor_id))
            self.timelines[job_id] = [to_value(r) for r in rows]
        return self.timelines[job_id]

    def _line_codes(self, po_id: int) -> dict[int, frozenset[int]]:
        """A master PO's lines and the bill codes each covers (one query per PO, then cached)."""
        if po_id not in self.line_codes:
            codes: dict[int, set[int]] = {}
            for line_id, code_id in self.session.execute(
                    select(po_line_bill_codes.c.po_line_id, po_line_bill_codes.c.bill_code_id)
                    .where(po_line_bill_codes.c.po_id == po_id)):
                codes.setdefault(line_id, set()).add(code_id)
            self.line_codes[po_id] = {k: frozenset(v) for k, v in codes.items()}
        return self.line_codes[po_id]

    def _candidate(self, po: PurchaseOrder) -> rules.Candidate:
        return rules.Candidate(po.id, po.number_key, frozenset(self.eligible.get(po.id, set())))

    def _eligible_twin(self, po: PurchaseOrder, type_id: int) -> tuple[PurchaseOrder, bool]:
        """The PO of the same number eligible for the document type (a split PO), else this one, not eligible."""
        if self._candidates is None:  # the same POs for every line: built once
            self._candidates = [self._candidate(p) for p in self.data.rows.values()]
        chosen, eligible = rules.eligible_po(self._candidate(po), self._candidates, type_id)
        return self.data.rows[chosen.po_id], eligible

    def _with_line(self, po: PurchaseOrder, bill_code_id: int, eligible: bool, note: str) -> Funding:
        """A master PO pays from its line holding the bill code; with no such line the draw is not covered."""
        if po.kind != "multi_line_master":
            return Funding(po, None, po.number, note, eligible)
        line_id = rules.master_line(bill_code_id, self._line_codes(po.id))
        if line_id is None:
            return Funding(po, None, po.number, note + "; its bill code is on no master line", eligible, False)
        line = next(l for l in po.lines if l.id == line_id)
        return Funding(po, line_id, po.number, note + f" / line {line.line_no} ({line.secondary_po_number})", eligible,
                       line=line)

    def resolve(self, *, type_id: int, bill_code_id: int, day: date, job: JobOrder | None,
                explicit_po_id: int | None = None) -> Funding:
        """Which PO pays for a line: the PO named on it, else the job's (or its group's) PO on the day, else none."""
        if explicit_po_id is not None:
            po = self.data.rows.get(explicit_po_id)
            if po is None:
                return Funding(None, None, None, "that PO is not one of this debtor's")
            eligible = type_id in self.eligible.get(po.id, set())
            return self._with_line(po, bill_code_id, eligible, f"PO {po.number} (named on the line)")
        if job is None:
            return Funding(None, None, None, "no job order and no PO on the line")
        current = assignment_rules.current_on(self.timeline(job.id), day, self.data.pos, self.data.groups)
        if current is None:
            if job.po_reference:
                return Funding(None, None, job.po_reference, f"on-the-fly PO number {job.po_reference} (no budget)")
            return Funding(None, None, None, f"job {job.number} has no PO assigned on {day.isoformat()}")
        period = assignment_rules.po_shown(current, day, self.data.pos, self.data.groups)
        if period is None and current.target.is_group:
            return Funding(None, None, None, f"job {job.number}'s PO group has no PO valid on {day.isoformat()}")
        if period is None:
            # assigned before the PO's effective date (seed 004 step 2 keeps such an assignment): the PO is not
            # used for those days, as the grid shows none on them
            return Funding(None, None, None, f"job {job.number}'s PO {self.data.rows[current.target.id].number} is "
                                             f"not valid on {day.isoformat()}")
        po = self.data.rows[period.po_id if period else current.target.id]
        po, eligible = self._eligible_twin(po, type_id)
        via = " via its group" if current.target.is_group else ""
        return self._with_line(po, bill_code_id, eligible, f"PO {po.number}{via}")
