"""The audit history, written for every flush of any audited record.

Services say who is acting with `acting(session, user)`; the listener below stamps
created/changed by and at, and writes one `audit_entries` row per created, changed or deleted
record with old and new values, in the same transaction as the change. Set-based writes that
bypass the ORM (bulk assignment) insert their audit rows themselves with `insert_rows`.
"""
from __future__ import annotations

import enum
import json
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import ColumnProperty, RelationshipProperty, Session

from portal.models.audit import AuditEntry
from portal.models.base import Tracked

REDACTED = {"password_hash"}
SKIPPED = {"created_at", "created_by_id", "changed_at", "changed_by_id", "row_version", "failed_logins",
           "locked_until", "last_login_at",
           "title_words", "description_words"}  # search columns the database derives from the text
ACTOR_KEY = "actor_id"
REASON_KEY = "audit_reason"
NOTES_KEY = "audit_notes"
DELETED_KEY = "audit_deleted"


def acting(session: Session, actor, reason: str | None = None) -> None:
    """Record `actor` (a User or None for the system) as the author of this session's changes."""
    session.info[ACTOR_KEY] = getattr(actor, "id", actor)
    session.info[REASON_KEY] = reason


def actor_id(session: Session) -> int | None:
    """The user the session's history entries are recorded against (None: no one is acting)."""
    return session.info.get(ACTOR_KEY)


def note(session: Session, obj, field: str, old, new) -> None:
    """Add a change the listener cannot read from `obj`'s columns (e.g. a collection of child rows kept
    out of the history, by name) to the entry `obj`'s next flush writes, which is written for it even
    when nothing else of `obj` changed."""
    notes = session.info.setdefault(NOTES_KEY, {})
    notes.setdefault(id(obj), (obj, {}))[1][field] = [to_json(old), to_json(new)]


def _noted(session: Session, obj) -> dict:
    """The changes `note` added for `obj`, taken (each is written once)."""
    notes = session.info.get(NOTES_KEY)
    entry = notes.pop(id(obj), None) if notes else None
    return entry[1] if entry is not None and entry[0] is obj else {}


@event.listens_for(Session, "after_transaction_end")
def _forget_notes(session: Session, transaction) -> None:
    """Notes last one transaction: one rolled back leaves nothing to record."""
    if transaction.parent is None:
        session.info.pop(NOTES_KEY, None)
        session.info.pop(DELETED_KEY, None)


def to_json(value):
    """A value as it is shown in the History tab (exact for money: Decimal as text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    return str(value)


def _audited(obj) -> bool:
    """Whether a record's changes go into the history (a model opts out with `__audit__ = False`)."""
    return getattr(type(obj), "__audit__", True)


def _scope(obj) -> tuple[str | None, int | None]:
    """The record whose history also lists this one's entries (a PO group under its debtor); none by default."""
    scope = getattr(obj, "audit_scope", None)
    return scope() if callable(scope) else (None, None)


def _label(obj) -> str:
    try:
        return str(obj)[:300]
    except Exception:  # a lazy="raise" relationship in __str__ must not break a flush
        return f"{type(obj).__name__} {getattr(obj, 'id', '')}"


def _entity_id(obj) -> int:
    """The record's id (the first integer of a composite key, e.g. a role grant's role)."""
    for value in inspect(obj).mapper.primary_key_from_instance(obj):
        if isinstance(value, int):
            return value
    return 0


def _changes(obj, *, created: bool = False, deleted: bool = False) -> dict:
    state = inspect(obj)
    out: dict[str, list] = {}
    for prop in state.mapper.iterate_properties:
        key = prop.key
        if key in SKIPPED:
            continue
        if isinstance(prop, ColumnProperty):
            if deleted:  # the values it had loaded (its row is gone: an expired one could not be read)
                if key not in state.dict:
                    continue
                old, new = state.dict[key], None
            else:
                hist = state.attrs[key].history
                if not hist.has_changes() and not created:
                    continue
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else (hist.unchanged[0] if hist.unchanged else None)
                if created and new is None:
                    continue
                if not created and old == new:
                    continue
            if key in REDACTED:
                old, new = ("•••" if old else None), ("•••" if new else None)
            if key in getattr(type(obj), "__audit_expand__", ()) and isinstance(new or {}, dict):
                out.update(_each_key(old or {}, new or {}))  # a setting's JSON: its fields' changes, not two reprs
                continue
            out[key] = [to_json(old), to_json(new)]
        elif isinstance(prop, RelationshipProperty) and prop.secondary is not None and not deleted:
            hist = state.attrs[key].history
            if hist.added or hist.deleted:
                out[key] = [[_label(o) for o in hist.deleted], [_label(o) for o in hist.added]]
    return out


def _each_key(old: dict, new: dict) -> dict:
    """A JSON object's changed fields, each as its own change (`markup_percent: 20 → 12.5`)."""
    return {k: [to_json(old.get(k)), to_json(new.get(k))] for k in sorted(old.keys() | new.keys())
            if old.get(k) != new.get(k)}


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, flush_context, instances) -> None:
    """Every flush stamps who created or last changed a tracked record, and when."""
    who = actor_id(session)
    now = datetime.now(timezone.utc)
    for obj in session.new:
        if isinstance(obj, Tracked):
            obj.created_by_id = obj.created_by_id or who
            obj.changed_by_id = obj.changed_by_id or who
            obj.created_at = obj.created_at or now
            obj.changed_at = obj.changed_at or now
    for obj in session.dirty:
        if isinstance(obj, Tracked) and _changed_for_version(session, obj):
            obj.changed_by_id = who
            obj.changed_at = now
            obj.row_version = (obj.row_version or 0) + 1


def _changed_for_version(session: Session, obj) -> bool:
    """Whether a change moves the record's row version on (its edit forms opened before it are then stale): any
    change of its own, or of a list its form edits (a role's grants, a draft's lines). A model names the lists its
    form does not edit in `__version_ignores__` (a service desk item's equipment and charges, which have
    versions and forms of their own): adding equipment to an item made its open edit form stale."""
    ignored = getattr(type(obj), "__version_ignores__", ())
    if not ignored:
        return session.is_modified(obj, include_collections=True)
    return any(attr.history.has_changes() for attr in inspect(obj).attrs if attr.key not in ignored)


def _row(session: Session, action: str, obj, changes: dict) -> dict:
    scope_type, scope_id = _scope(obj)
    return {"actor_id": actor_id(session), "entity_type": obj.__tablename__, "entity_id": _entity_id(obj),
            "scope_type": scope_type, "scope_id": scope_id, "action": action, "summary": _label(obj),
            "changes": changes, "reason": session.info.get(REASON_KEY)}


@event.listens_for(Session, "after_flush")
def _write_history(session: Session, flush_context) -> None:
    """Every flush writes a history entry per record created or changed, with the fields that changed (the
    deleted ones' entries follow, `_write_deletions`)."""
    rows = []
    for action, objs in (("create", session.new), ("update", session.dirty)):
        for obj in objs:
            if not _audited(obj) or isinstance(obj, AuditEntry):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=True):
                continue
            changes = _changes(obj, created=action == "create") | _noted(session, obj)
            if action == "update" and not changes:
                continue
            rows.append(_row(session, action, obj, changes))
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


@event.listens_for(Session, "persistent_to_deleted")
def _deleted(session: Session, obj) -> None:
    """A record the flush deleted: asked for (`session.delete`) or an orphan its parent let go (a draft's line
    removed, a master PO's line), which `session.deleted` never lists; its entry is written after the flush.
    (A record found gone when it is read again goes the same way outside a flush: not a change made here.)"""
    deleted = session.info.get(DELETED_KEY)
    if deleted is not None and _audited(obj) and not isinstance(obj, AuditEntry):
        deleted.append(obj)


@event.listens_for(Session, "after_flush")
def _collect_deletions(session: Session, flush_context) -> None:
    """From here to `_write_deletions`, the flush marks what it deleted (`_deleted` collects them)."""
    session.info[DELETED_KEY] = []


@event.listens_for(Session, "after_flush_postexec")
def _write_deletions(session: Session, flush_context) -> None:
    """The history entries of the records the flush deleted, with the values they had."""
    deleted = session.info.pop(DELETED_KEY, None)
    if deleted:
        session.connection().execute(insert(AuditEntry), [
            _row(session, "delete", obj, _changes(obj, deleted=True) | _noted(session, obj)) for obj in deleted])


# every row in one statement text whatever their number (compiled once, kept prepared by the connection):
# a posting's twenty line rows cost a third of what the ORM's bulk insert spent building them
_INSERT_ROWS = text("""
    INSERT INTO audit_entries (actor_id, entity_type, entity_id, scope_type, scope_id, action, summary, changes, reason)
    SELECT * FROM unnest(CAST(:actor_id AS integer[]), CAST(:entity_type AS varchar[]), CAST(:entity_id AS bigint[]),
                         CAST(:scope_type AS varchar[]), CAST(:scope_id AS bigint[]), CAST(:action AS varchar[]),
                         CAST(:summary AS varchar[]), CAST(:changes AS jsonb[]), CAST(:reason AS text[]))""")


def insert_rows(session: Session, rows: list[dict]) -> None:
    """Audit rows for changes made without the ORM (each dict as an AuditEntry's columns; `summary`,
    `changes` and `reason` may be left out: empty, none, none)."""
    if rows:
        session.execute(_INSERT_ROWS, {
            "actor_id": [r["actor_id"] for r in rows], "entity_type": [r["entity_type"] for r in rows],
            "entity_id": [r["entity_id"] for r in rows], "scope_type": [r.get("scope_type") for r in rows],
            "scope_id": [r.get("scope_id") for r in rows], "action": [r["action"] for r in rows],
            "summary": [r.get("summary", "") for r in rows],
            "changes": [json.dumps(r.get("changes") or {}) for r in rows], "reason": [r.get("reason") for r in rows]})


def history_of(session: Session, entity_type: str, entity_id: int, limit: int = 200) -> list[AuditEntry]:
    """A record's history, newest first, including rows scoped to it (its lines, its groups)."""
    from sqlalchemy import or_
    from sqlalchemy.orm import joinedload

    stmt = (
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor).lazyload("*"))  # the actor's name, not their roles and grants
        .where(or_(
            (AuditEntry.entity_type == entity_type) & (AuditEntry.entity_id == entity_id),
            (AuditEntry.scope_type == entity_type) & (AuditEntry.scope_id == entity_id),
        ))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def values_had(session: Session, entity_type: str, entity_id: int, field: str) -> list:
    """Every value a record's `field` has had by its history (as `to_json` wrote them: old and new of each change,
    the first one's old being None), in no order."""
    value = AuditEntry.changes[field]
    rows = session.execute(select(value[0], value[1]).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id, AuditEntry.changes.has_key(field)))
    return [v for pair in rows for v in pair]


def set_changed(obj, **values) -> None:
    """Set the attributes whose value differs: one left as it was is not touched, so an unchanged save writes
    nothing into the history."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def check_version(obj, expected: int | None, *, label: str | None = None) -> None:
    """Refuse a change made from a form opened before someone else's change (a stale form). `label`: how the
    message names the record (its own name by default)."""
    from portal.services.errors import Conflict

    if expected is not None and obj.row_version != expected:
        raise Conflict(
            f"{label or _label(obj)} was changed by someone else since you opened it; reload and apply your change "
            "again."
        )
