"""Errors services raise; views map them to responses (form messages, 403, 404, 409)."""
from __future__ import annotations

from collections.abc import Sequence


class ServiceError(Exception):
    """Base for errors a user can act on."""


class NotFound(ServiceError):
    """The record does not exist, or the user may not know that it does (another branch's job)."""


class Forbidden(ServiceError):
    """The user lacks the grant or the ownership the action needs."""


class Conflict(ServiceError):
    """The record changed or is referenced, so the action cannot go ahead."""


class ValidationFailed(ServiceError):
    """Input breaks a rule; `errors` maps field name (or "" for the form) to messages. `line_problems`: the
    problems of a document's lines (portal.domain.line_problems), each also in `errors["lines"]` as a message,
    with the fields it is about, for the editor to show by its line's boxes."""

    def __init__(self, errors: dict[str, list[str]] | str, line_problems: Sequence = ()):
        if isinstance(errors, str):
            errors = {"": [errors]}
        self.errors = errors
        self.line_problems = tuple(line_problems)
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))

