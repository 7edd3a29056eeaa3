"""Errors services raise; views map them to responses (form messages, 403, 404, 409)."""
from __future__ import annotations


class ServiceError(Exception):
    """Base for errors a user can act on."""


class NotFound(ServiceError):
    """The record does not exist, or the user may not know that it does (another branch's job)."""


class Forbidden(ServiceError):
    """The user lacks the grant or the ownership the action needs."""


class Conflict(ServiceError):
    """The record changed or is referenced, so the action cannot go ahead."""


class ValidationFailed(ServiceError):
    """Input breaks a rule; `errors` maps field name (or "" for the form) to messages."""

    def __init__(self, errors: dict[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {"": [errors]}
        self.errors = errors
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))

