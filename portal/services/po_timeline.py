"""A debtor's POs over time as the assignment rules read them: periods, groups and their members,
and a job's assignment rows as domain values. Imports only models and the pure domain."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, lazyload

from portal.domain.assignment import Assignment, GroupInfo, POPeriod, Target
from portal.models import JobPOAssignment, POGroup, PurchaseOrder


def to_value(row) -> Assignment:
    """An assignment (a row or its columns) as the domain's value."""
    target = Target("group", row.group_id) if row.group_id else Target("po", row.po_id)
    return Assignment(row.id, row.job_id, target, row.start_date, row.manual_end, row.source, row.end_cause)


def po_period(po: PurchaseOrder) -> POPeriod:
    """A PO's validity period (and group) as the domain's value."""
    return POPeriod(po.id, po.number, po.effective, po.expiration, po.group_id, po.description or "")


# the POs a split PO's twins are found through; made once (building an alias of the mapper each call
# cost a posting ~1.5 ms)
_SAME_NUMBER = aliased(PurchaseOrder, name="same_number")


@dataclass(frozen=True)
class DebtorPOs:
    """A debtor's POs and groups as the timeline rules need them (two queries)."""

    pos: dict[int, POPeriod]
    groups: dict[int, GroupInfo]
    rows: dict[int, PurchaseOrder]


def debtor_pos(session: Session, debtor_id: int | None, *, po_ids: set[int] | None = None,
               group_ids: set[int] | None = None, same_numbers: bool = False,
               valid_on: date | None = None, values_only: bool = False) -> DebtorPOs:
    """Every PO and PO group of a debtor, each group with its members in date order; with
    `po_ids`/`group_ids`, only those POs, those groups and their member POs (a page of the grid
    needs no more; `debtor_id` None then reads them whatever their debtors) and, with
    `same_numbers`, the POs sharing their numbers (a split PO's twins, which funding chooses
    between by document type); with `valid_on`, only the POs valid that day and the grouped ones.
    `values_only`: the POs' periods without their rows (`rows` empty): a debtor's 1,000 PO rows took
    7 ms to build where only their numbers and dates were wanted."""
    po_stmt, group_stmt = select(PurchaseOrder), select(POGroup)
    if debtor_id is not None or (po_ids is None and group_ids is None):
        po_stmt = po_stmt.where(PurchaseOrder.debtor_id == debtor_id)
        group_stmt = group_stmt.where(POGroup.debtor_id == debtor_id)
    if po_ids is not None or group_ids is not None:
        po_ids, group_ids = po_ids or set(), group_ids or set()
        wanted = [PurchaseOrder.id.in_(po_ids)] + ([PurchaseOrder.group_id.in_(group_ids)] if group_ids else [])
        if same_numbers:
            named = _SAME_NUMBER
            wanted.append(PurchaseOrder.number_key.in_(
                select(named.number_key).where(named.debtor_id == debtor_id, or_(
                    named.id.in_(po_ids), named.group_id.in_(group_ids)))))
        po_stmt = po_stmt.where(or_(*wanted))
        group_stmt = group_stmt.where(POGroup.id.in_(group_ids))
    if valid_on is not None:  # the POs valid that day, and every grouped PO (a group's members make its timeline)
        po_stmt = po_stmt.where(or_(and_(PurchaseOrder.effective <= valid_on, PurchaseOrder.expiration >= valid_on),
                                    PurchaseOrder.group_id.is_not(None)))
    # the timeline needs the PO rows, not their lines, eligible types, balances or forecasts (loaded when asked)
    po_stmt = po_stmt.options(lazyload(PurchaseOrder.lines), lazyload(PurchaseOrder.eligible),
                              lazyload(PurchaseOrder.balance), lazyload(PurchaseOrder.forecast))
    if values_only:
        P = PurchaseOrder
        rows = {}
        pos = {r.id: POPeriod(*r) for r in session.execute(
            po_stmt.with_only_columns(P.id, P.number, P.effective, P.expiration, P.group_id,
                                      func.coalesce(P.description, "")))}
    else:
        rows = {p.id: p for p in session.scalars(po_stmt)}
        pos = {i: po_period(p) for i, p in rows.items()}
    groups = {}
    asked_for_none = po_ids is not None and group_ids is not None and not group_ids  # no group to read
    for g in [] if asked_for_none else session.scalars(group_stmt):
        members = tuple(sorted((p for p in pos.values() if p.group_id == g.id), key=lambda p: p.effective))
        groups[g.id] = GroupInfo(g.id, g.description, g.active, members)
    return DebtorPOs(pos, groups, rows)


# a timeline row's PO as its history shows it (number): not the PO's lines and eligible types (two more
# statements each time), nor its balance, forecast, debtor and group (joined); read if asked
_ROW_PO = joinedload(JobPOAssignment.purchase_order).options(
    lazyload(PurchaseOrder.lines), lazyload(PurchaseOrder.eligible), lazyload(PurchaseOrder.balance),
    lazyload(PurchaseOrder.forecast), lazyload(PurchaseOrder.debtor), lazyload(PurchaseOrder.group))


def timeline_of(session: Session, job_id: int) -> tuple[list[JobPOAssignment], list[Assignment]]:
    """A job's assignment rows (every debtor's), by start date, and their domain values."""
    rows = list(session.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id == job_id)
                                .options(_ROW_PO).order_by(JobPOAssignment.start_date)))
    return rows, [to_value(r) for r in rows]
