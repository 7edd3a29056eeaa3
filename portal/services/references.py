"""What still refers to a record, so it is never deleted while referenced.

Each area registers, for the model it points at, a function naming what refers to an instance
("3 purchase orders"); `references_of` asks every one. Later areas add their own checks here
instead of editing the delete services.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable

from sqlalchemy.orm import Session

Check = Callable[[Session, object], Iterable[str]]
_checks: dict[type, list[Check]] = defaultdict(list)


def reference_check(model: type) -> Callable[[Check], Check]:
    """Register a function listing what refers to an instance of `model`."""

    def register(fn: Check) -> Check:
        _checks[model].append(fn)
        return fn

    return register


def references_of(session: Session, obj) -> list[str]:
    """Human-readable list of what refers to `obj` (empty: safe to delete)."""
    found: list[str] = []
    for model, checks in _checks.items():
        if isinstance(obj, model):
            for check in checks:
                found.extend(check(session, obj))
    return found


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def delete_unreferenced(session: Session, model: type, pk, *, actor, label=str, guard=None) -> None:
    """Delete a record under a row lock if nothing refers to it; NotFound or Conflict otherwise.

    `guard(obj)` may raise first (an ownership rule); `label(obj)` names it in the message.
    """
    from portal.services import audit
    from portal.services.errors import Conflict, NotFound
    from portal.services.locks import locked

    audit.acting(session, actor)
    obj = locked(session, model, pk)
    if obj is None:
        raise NotFound("No such record.")
    if guard is not None:
        guard(obj)
    refs = references_of(session, obj)
    if refs:
        session.rollback()
        raise Conflict(f"{label(obj)} cannot be deleted: {', '.join(refs)} refer to it.")
    session.delete(obj)
    session.commit()
