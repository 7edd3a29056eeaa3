"""The administrator's audit log: every change of every record, filtered, paged and exported.

Deleted records stay findable here: their last values are in the `delete` entry's changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, Select, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from portal.domain.usernames import is_reserved
from portal.models import AuditEntry, Contract, DocumentLine, JobOrder, ServiceDeskItem, User
from portal.services.exports import Column as C, Export, flatten, stream
from portal.services.paging import Page, paginate

ACTIONS = ("create", "update", "delete")


@dataclass(frozen=True)
class AuditFilter:
    """What the list is narrowed to; every field optional."""
    username: str = ""
    entity_type: str = ""
    entity_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    # job security (seed 004): a branch-limited reader sees no change to another branch's job
    branch_ids: frozenset[int] | None = None


def record_types(session: Session) -> list[str]:
    """The audited tables, for the record-type filter (from the model metadata: no query)."""
    from portal.extensions import db

    return sorted(t.name for t in db.metadata.sorted_tables if t.name != "audit_entries")


def _statement(session: Session, f: AuditFilter) -> Select:
    """The history entries matching the filter; a branch-limited user sees none about another branch's jobs."""
    stmt = select(AuditEntry).options(joinedload(AuditEntry.actor))
    if f.branch_ids is not None:
        stmt = stmt.where(*_branch_limited(f.branch_ids))
    if f.username:
        if is_reserved(f.username):  # "system" or "-": no user; nobody may have those usernames
            stmt = stmt.where(AuditEntry.actor_id.is_(None))
        else:
            stmt = stmt.where(AuditEntry.actor_id.in_(
                select(User.id).where(func.lower(User.username) == f.username.strip().lower())))
    if f.entity_type:
        stmt = stmt.where(AuditEntry.entity_type == f.entity_type)
    if f.entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == f.entity_id)
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.date_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(f.date_from, time.min, timezone.utc))
    if f.date_to and f.date_to < date.max:  # to the calendar's last day: no end (its next day cannot be written)
        stmt = stmt.where(AuditEntry.at < datetime.combine(f.date_to + timedelta(days=1), time.min, timezone.utc))
    if f.text:
        pattern = "%" + f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(AuditEntry.summary.ilike(pattern, escape="\\"))
    return stmt.order_by(AuditEntry.id.desc())


def _branch_limited(branch_ids: frozenset[int]) -> list:
    """Job security on the log (seed 004), for a reader limited to `branch_ids`: no entry about a record
    their pages answer 404 for — another branch's job, a document wholly on other branches' jobs
    (`documents.seen_by`'s rule), a line on such a job, a service desk item or contract on one — nor
    any entry scoped to such a record (a document's lines, an item's charges, a contract's deliveries),
    nor a change naming such a job (old or new value). Each test is an EXISTS on the entry's record by
    its key, so the log's size, not the documents', sets the cost."""
    visible_jobs = select(JobOrder.id).where(JobOrder.branch_id.in_(branch_ids))
    hidden_jobs = select(JobOrder.id).where(JobOrder.branch_id.not_in(branch_ids))

    def on_hidden_job(model, key, record_id):
        return exists().where(key == record_id, JobOrder.id == model.job_id, JobOrder.branch_id.not_in(branch_ids))

    def document_hidden(record_id):
        on_their_job = exists().where(DocumentLine.document_id == record_id, JobOrder.id == DocumentLine.job_id,
                                      JobOrder.branch_id.in_(branch_ids))
        return and_(on_hidden_job(DocumentLine, DocumentLine.document_id, record_id), ~on_their_job)

    hidden = {
        "documents": document_hidden,
        "document_lines": lambda record_id: on_hidden_job(DocumentLine, DocumentLine.id, record_id),
        "service_desk_items": lambda record_id: on_hidden_job(ServiceDeskItem, ServiceDeskItem.id, record_id),
        "contracts": lambda record_id: on_hidden_job(Contract, Contract.id, record_id),
    }
    names_hidden = [func.coalesce(cast(AuditEntry.changes["job_id"][i].astext, Integer).in_(hidden_jobs), False)
                    for i in (0, 1)]
    # a job: only one of their branches' (a deleted job's entries are no longer theirs to read)
    return [or_(AuditEntry.entity_type != "job_orders", AuditEntry.entity_id.in_(visible_jobs)),
            or_(AuditEntry.scope_type.is_(None), AuditEntry.scope_type != "job_orders",
                AuditEntry.scope_id.in_(visible_jobs)),
            *(~and_(AuditEntry.entity_type == kind, test(AuditEntry.entity_id)) for kind, test in hidden.items()),
            *(~and_(func.coalesce(AuditEntry.scope_type == kind, False), test(AuditEntry.scope_id))
              for kind, test in hidden.items()),
            ~or_(*names_hidden)]


def search(session: Session, f: AuditFilter, page: int, per_page: int) -> Page[AuditEntry]:
    """One page of matching entries, newest first (two queries whatever the page)."""
    return paginate(session, _statement(session, f), page, per_page)


def changes_text(changes: dict) -> str:
    """`field: old → new; …` for the CSV (lists and values as shown on the page)."""
    parts = []
    for field, pair in (changes or {}).items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        parts.append(f"{field}: {_value(old)} → {_value(new)}")
    return "; ".join(parts)


def _value(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


AUDIT_COLUMNS = (
    C("id", lambda e: e.id), C("at_utc", lambda e: e.at.astimezone(timezone.utc).isoformat(timespec="seconds")),
    C("user", lambda e: e.actor.username if e.actor else "system"), C("action", lambda e: e.action),
    C("record_type", lambda e: e.entity_type), C("record_id", lambda e: e.entity_id),
    C("record", lambda e: e.summary or ""), C("changes", lambda e: changes_text(e.changes)),
    C("reason", lambda e: e.reason or ""),
)


def export(session: Session, f: AuditFilter) -> Export:
    """Every matching entry, newest first, as the one CSV writer streams it (read a chunk at a time over a
    server-side cursor: no cap on the rows, none held in memory)."""
    return Export("audit-log", "Audit log", AUDIT_COLUMNS, flatten(stream(session, _statement(session, f))))
