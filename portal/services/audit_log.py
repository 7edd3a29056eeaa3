"""The administrator's audit log: every change of every record, filtered, paged and exported.

Deleted records stay findable here: their last values are in the `delete` entry's changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, Select, cast, func, or_, select
from sqlalchemy.orm import Session, joinedload

from portal.domain.text import csv_text
from portal.domain.usernames import is_reserved
from portal.models import AuditEntry, DocumentLine, JobOrder, User
from portal.services.paging import Page, paginate

ACTIONS = ("create", "update", "delete")
EXPORT_LIMIT = 100_000


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
        visible_jobs = select(JobOrder.id).where(JobOrder.branch_id.in_(f.branch_ids))
        hidden_jobs = select(JobOrder.id).where(JobOrder.branch_id.not_in(f.branch_ids))
        hidden_lines = select(DocumentLine.id).join(JobOrder, JobOrder.id == DocumentLine.job_id).where(
            JobOrder.branch_id.not_in(f.branch_ids))
        # a change naming another branch's job (a line, an item, a contract: old or new value)
        names_hidden = [func.coalesce(cast(AuditEntry.changes["job_id"][i].astext, Integer).in_(hidden_jobs), False)
                        for i in (0, 1)]
        stmt = stmt.where(
            or_(AuditEntry.entity_type != "job_orders", AuditEntry.entity_id.in_(visible_jobs)),
            or_(AuditEntry.scope_type.is_(None), AuditEntry.scope_type != "job_orders",
                AuditEntry.scope_id.in_(visible_jobs)),
            # a document line on another branch's job: its every change (the document's page hides it)
            or_(AuditEntry.entity_type != "document_lines", AuditEntry.entity_id.not_in(hidden_lines)),
            ~or_(*names_hidden))
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
    if f.date_to:
        stmt = stmt.where(AuditEntry.at < datetime.combine(f.date_to + timedelta(days=1), time.min, timezone.utc))
    if f.text:
        pattern = "%" + f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(AuditEntry.summary.ilike(pattern, escape="\\"))
    return stmt.order_by(AuditEntry.id.desc())


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


def export_csv(session: Session, f: AuditFilter) -> str:
    """The matching entries as CSV, newest first (at most EXPORT_LIMIT rows), through the one CSV writer."""
    stmt = _statement(session, f).limit(EXPORT_LIMIT).execution_options(yield_per=1000)
    rows = ((e.id, e.at.astimezone(timezone.utc).isoformat(timespec="seconds"),
             e.actor.username if e.actor else "system", e.action, e.entity_type, e.entity_id, e.summary or "",
             changes_text(e.changes), e.reason or "") for e in session.scalars(stmt))
    return csv_text(["id", "at_utc", "user", "action", "record_type", "record_id", "record", "changes", "reason"], rows)
