"""One column spec per list: what each list and report exports (portal/services/exports.py writes them).

Every builder takes the filter the page parsed and reads the page's own statement without its
LIMIT (the services' *_query functions), so the rows, their order and job security are the page's.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal.models import Debtor, DocumentType, POGroup
from portal.services import (assignments, debtors, documents, job_orders, notifications, opportunities,
                             purchase_orders, reports)
from portal.services.exports import CHUNK, Column, Export, describe, flatten, stream

C = Column


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _debtor_label(session: Session, debtor_id: int | None) -> str | None:
    debtor = session.get(Debtor, debtor_id) if debtor_id else None
    return debtor.code if debtor else None


DEBTOR_COLUMNS = (
    C("Code", lambda d: d.code, width=12), C("Name", lambda d: d.name, width=36),
    C("Enforces POs", lambda d: _yes(d.enforce_purchase_orders), width=12),
    C("Over budget", lambda d: d.over_budget_policy, width=12), C("Active", lambda d: _yes(d.active), width=8),
)


def debtors_export(session: Session, *, q: str = "") -> Export:
    """The debtor list as exported, filtered by the same search as the page."""
    return Export("debtors", describe("Debtors", [("search", q)]), DEBTOR_COLUMNS,
                  flatten(stream(session, debtors.debtors_query(q=q))))


def _po_row(po):
    return po, purchase_orders.row_figures(po)


def _status(f) -> str:
    """The row's colour in words, and a master PO's lines over their budget."""
    said = {"yellow": "at or past tolerance", "red": "over the amount"}.get(f.colour, "")
    over = f"{f.lines_over} line{'s' if f.lines_over != 1 else ''} over budget" if f.lines_over else ""
    return "; ".join(part for part in (said, over) if part)


PO_COLUMNS = (
    C("PO number", lambda r: r[0].number, width=16), C("Debtor", lambda r: r[0].debtor.code, width=10),
    C("Kind", lambda r: r[0].kind.replace("_", " "), width=16),
    C("PO group", lambda r: r[0].group.description if r[0].group else "", width=18),
    C("Description", lambda r: r[0].description, width=30),
    C("Effective", lambda r: r[0].effective, "date", 11), C("Expires", lambda r: r[0].expiration, "date", 11),
    C("Tolerance %", lambda r: r[0].tolerance_pct, "pct", 10),
    C("Amount", lambda r: r[0].amount, "money"), C("Used", lambda r: r[1].used, "money"),
    C("Commitments", lambda r: r[1].commitments, "money"), C("Estimates", lambda r: r[1].estimates, "money"),
    C("Subtotal", lambda r: r[1].subtotal, "money"), C("Net remaining", lambda r: r[1].net_remaining, "money"),
    C("Net unused", lambda r: r[1].net_unused, "money"),
    C("Status", lambda r: _status(r[1]), width=18),
    C("Forecast runs out", lambda r: r[0].forecast.runs_out_on if r[0].forecast else None, "date", 12),
)

PO_SORTS = {"expiration": "expiring first", "-expiration": "expiring last", "number": "PO number",
            "remaining": "least remaining", "runs_out": "runs out first"}


def purchase_orders_export(session: Session, flt, *, today: date) -> Export:
    """The PO list as exported, with the page's filters and sort spelled out in the title."""
    group = session.get(POGroup, flt.group_id) if flt.group_id else None
    title = describe("Purchase orders", [("debtor", _debtor_label(session, flt.debtor_id)),
                                         ("PO group", group.description if group else None), ("search", flt.q),
                                         ("expired included", flt.include_expired),
                                         ("needs attention", flt.attention),
                                         ("runs out within (days)", flt.runs_out_within),
                                         ("sort", PO_SORTS.get(flt.sort, flt.sort))])
    rows = (_po_row(po) for po in flatten(stream(session, purchase_orders.po_query(flt, today=today))))
    return Export("purchase-orders", title, PO_COLUMNS, rows)


# for a user limited to branches, a total column covers the lines they see: with lines on other branches' jobs
# left out, the document's own total less the lines shown would be what another branch billed
TOTAL_OF_LINES_SHOWN = "Total of the lines shown"
LINES_NOT_SHOWN = "Lines not shown (other branches' jobs)"
PO_DOCUMENT_COLUMNS = (
    C("Date", lambda r: r.doc_date, "date", 11),
    C("Document", lambda r: r.number if r.shown else f"{r.number} (on other branches' jobs)", width=14),
    C("Type", lambda r: r.type_name, width=16), C("Jobs", lambda r: r.jobs, width=20),
    C("Billing period to", lambda r: r.bill_to, "date", 12), C("Document total", lambda r: r.total, "money"),
    C("Applied to PO", lambda r: r.applied, "money"), C("PO remaining", lambda r: r.remaining, "money"),
)
LIMITED_PO_DOCUMENT_COLUMNS = PO_DOCUMENT_COLUMNS[:5] + (
    C(TOTAL_OF_LINES_SHOWN, lambda r: r.total, "money", 16),
    C(LINES_NOT_SHOWN, lambda r: r.hidden_lines or None, "int", 14)) + PO_DOCUMENT_COLUMNS[6:]


def po_documents_rows(session: Session, user, po):
    """Every document drawing on the PO, newest first, with the running balance: the page's keyset
    pages read one after another."""
    before = None
    while True:
        page = reports.po_documents(session, user, po, before, per_page=CHUNK)
        yield from page.rows
        if page.next_cursor is None:
            return
        before = page.next_cursor


def po_documents_export(session: Session, user, po) -> Export:
    """The documents drawing on one PO, newest first, as exported from the PO page."""
    title = f"Documents drawing on PO {po.number} ({po.debtor.code}), newest first — amount {po.amount:,.2f}"
    columns = LIMITED_PO_DOCUMENT_COLUMNS if documents.totals_leave_lines_out(user) else PO_DOCUMENT_COLUMNS
    return Export(f"po-{po.number}-documents", title, columns, po_documents_rows(session, user, po))


JOB_COLUMNS = (
    C("Number", lambda r: r[0].number, width=12), C("Title", lambda r: r[0].title, width=30),
    C("Debtor", lambda r: r[0].debtor.code, width=10), C("Branch", lambda r: r[0].branch.code, width=8),
    C("Site", lambda r: r[0].site, width=14), C("Start", lambda r: r[0].start_date, "date", 11),
    C("Discontinued", lambda r: r[0].discontinued_date, "date", 12),
    C("Current PO", lambda r: r[1].po.number if r[1] and r[1].po else "", width=16),
    C("PO group", lambda r: r[1].assignment.group.description if r[1] and r[1].assignment and r[1].assignment.group
      else "", width=16),
    C("Assigned from", lambda r: r[1].start if r[1] else None, "date", 12),
    C("Assignment ends", lambda r: r[1].end if r[1] else None, "date", 12),
    C("End reason", lambda r: r[1].reason if r[1] else "", width=22),
    C("On-the-fly PO", lambda r: r[0].po_reference, width=14),
)


def _with_current(session: Session, chunks, as_of: date):
    """Each job with its grid row (current PO, end and reason) on the as-of date under its own
    debtor: three queries a chunk, whatever the number of debtors in it."""
    for jobs in chunks:
        yield from ((row.job, row) for row in assignments.grid_rows(session, list(jobs), None, as_of))


def job_orders_export(session: Session, user, flt, *, today: date) -> Export:
    """The job list as exported, each job with its PO on the day the list is as of."""
    as_of = flt.as_of or today
    title = describe("Job orders", [("debtor", _debtor_label(session, flt.debtor_id)), ("search", flt.q),
                                    ("active on", as_of if flt.active_only else None),
                                    ("unassigned", flt.unassigned), ("current PO on", as_of)])
    chunks = stream(session, job_orders.jobs_query(flt, user, today))
    return Export("job-orders", title, JOB_COLUMNS, _with_current(session, chunks, as_of))


GRID_COLUMNS = (
    C("Job number", lambda r: r.job.number, width=12), C("Job description", lambda r: r.job.title, width=30),
    C("PO group", lambda r: r.assignment.group.description if r.assignment and r.assignment.group else "", width=16),
    C("PO number", lambda r: r.po.number if r.po else "", width=16),
    C("Assignment start", lambda r: r.start, "date", 12), C("Job PO end date", lambda r: r.end, "date", 12),
    C("End date reason", lambda r: r.reason, width=24),
    C("Now under", lambda r: r.job.debtor.code if r.read_only else "", width=10),
)


def grid_export(session: Session, user, debtor, as_of: date, *, active_only: bool) -> Export:
    """A debtor's job PO assignment grid as of a day, as exported."""
    title = describe("Job PO assignments", [("debtor", debtor.code), ("as of", as_of), ("active jobs only", active_only)])
    chunks = stream(session, assignments.grid_query(user, debtor.id, as_of, active_only=active_only))
    rows = (row for jobs in chunks for row in assignments.grid_rows(session, list(jobs), debtor.id, as_of))
    return Export(f"assignments-{debtor.code}-{as_of.isoformat()}", title, GRID_COLUMNS, rows)


DOCUMENT_COLUMNS = (
    C("Date", lambda d: d.doc_date, "date", 11), C("Number", lambda d: d.number, width=14),
    C("Type", lambda d: d.document_type.name, width=16), C("Debtor", lambda d: d.debtor.code, width=10),
    C("PO number typed on it", lambda d: d.po_number, width=14),  # the lines' POs: the PO pages and the report
    C("Bill from", lambda d: d.bill_from, "date", 11), C("Bill to", lambda d: d.bill_to, "date", 11),
    C("Status", lambda d: d.status, width=8), C("Total", lambda d: d.total * d.document_type.sign, "money"),
)
LIMITED_DOCUMENT_COLUMNS = DOCUMENT_COLUMNS[:-1] + (
    C(TOTAL_OF_LINES_SHOWN, lambda d: d.total_shown * d.document_type.sign, "money", 16),
    C(LINES_NOT_SHOWN, lambda d: d.lines_hidden or None, "int", 14))


def documents_export(session: Session, user, *, debtor_id: int | None = None, q: str = "", status: str = "",
                     type_id: int | None = None, po: str = "", date_from: date | None = None,
                     date_to: date | None = None) -> Export:
    """The document list as exported, with the page's filters spelled out in the title."""
    doc_type = session.get(DocumentType, type_id) if type_id else None
    title = describe("Documents", [("debtor", _debtor_label(session, debtor_id)), ("search", q), ("status", status),
                                   ("type", doc_type.name if doc_type else None), ("PO number", po),
                                   ("from", date_from), ("to", date_to)])
    stmt = documents.documents_query(session, user, debtor_id=debtor_id, q=q, status=status, type_id=type_id, po=po,
                                     date_from=date_from, date_to=date_to)
    columns = LIMITED_DOCUMENT_COLUMNS if documents.totals_leave_lines_out(user) else DOCUMENT_COLUMNS
    return Export("documents", title, columns, flatten(stream(session, stmt)))


NOTIFICATION_COLUMNS = (
    C("When", lambda n: n.created_at, "date", 17), C("Subject", lambda n: n.subject, width=40),
    C("Message", lambda n: n.body, width=60), C("Read", lambda n: n.read_at, "date", 17),
)


def notifications_export(session: Session, user, *, unread_only: bool) -> Export:
    """The user's own notifications as exported (unread only if asked)."""
    title = describe(f"Notifications of {user.full_name}", [("unread only", unread_only)])
    stmt = notifications.notifications_query(user.id, unread_only=unread_only)
    return Export("notifications", title, NOTIFICATION_COLUMNS, flatten(stream(session, stmt)))


SPEND_COLUMNS = (
    C("Debtor", lambda r: r[1], width=10), C("PO number", lambda r: r[0].po_number, width=16),
    C("Budget", lambda r: r[0].budget, width=20),
    C("Documents", lambda r: r[0].documents, "int", 10), C("Invoiced (net)", lambda r: r[0].used, "money"),
    C("Orders", lambda r: r[0].commitment, "money"), C("Estimates", lambda r: r[0].estimate, "money"),
)


def spend_export(session: Session, user, debtor_codes: dict[int, str], debtor_id: int | None) -> Export:
    """Spend by PO number, for one debtor or all, as exported; Forbidden to a user limited to branches."""
    reports.check_spend_report(user)
    title = describe("Spend by PO number", [("debtor", debtor_codes.get(debtor_id))])
    rows = ((r, debtor_codes.get(r.debtor_id, "")) for r in reports.spend_by_po_number_all(session, debtor_id, CHUNK))
    return Export("spend-by-po-number", title, SPEND_COLUMNS, rows)


OPPORTUNITY_COLUMNS = (
    C("Owner", lambda r: r[4].full_name, width=20), C("PO number", lambda r: r[2].number, width=16),
    C("Debtor", lambda r: r[3].code, width=10), C("Contract", lambda r: r[5].number, width=10),
    C("Contract title", lambda r: r[5].title, width=30), C("PO amount", lambda r: r[2].amount, "money"),
    C("Unscheduled", lambda r: r[1], "money"), C("PO expires", lambda r: r[2].expiration, "date", 11),
    C("Opened", lambda r: r[0].created_at, "date", 17),
    C("Last scheduled", lambda r: r[5].last_scheduled_on, "date", 12), C("Status", lambda r: r[0].status, width=8),
    C("Lost reason", lambda r: r[0].lost_reason, width=24),
)


def opportunities_export(session: Session, user, flt) -> Export:
    """The opportunities and contracts list as exported, with the page's filters in the title."""
    owner = None
    if flt.owner_id:
        owner = next((u.full_name for u in opportunities.owners(session) if u.id == flt.owner_id), None)
    title = describe("Opportunities and contracts", [
        ("owner", "mine" if flt.mine else owner), ("debtor", _debtor_label(session, flt.debtor_id)),
        ("search", flt.q), ("status", flt.status), ("sort", flt.sort)])
    stmt = opportunities.pipeline_query(user, flt)
    return Export("opportunities", title, OPPORTUNITY_COLUMNS, flatten(stream(session, stmt, scalars=False)))

