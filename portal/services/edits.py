"""Adding or changing a maintained record (maintenance lists, equipment pricing): the record to edit and
the commit that turns a unique-index clash into a message beside the field."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.services import audit
from portal.services.errors import NotFound, ValidationFailed
from portal.services.locks import locked


def record_to_edit(session: Session, model, record_id: int | None, expected_version: int | None):
    """A new record, or the existing one locked; an edit made on an older version is refused."""
    if record_id is None:
        obj = model()
        session.add(obj)
        return obj
    obj = locked(session, model, record_id)
    if obj is None:
        raise NotFound("No such record.")
    audit.check_version(obj, expected_version)
    return obj


def commit_unique(session: Session, field: str, message: str) -> None:
    """Commit; a unique index refusing the row rolls back and becomes `message` on `field`."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({field: [message]})
