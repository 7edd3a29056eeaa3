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
