"""What a username may be. Pure: no Flask, no SQLAlchemy.

The audit history shows a change no user made (a scheduled run, a sign-on's sync, the demo data) as made by
"system", and the audit log's user filter reads "system" and "-" as "no user": a person with one of those
usernames would read as automated and could not be found by name. So they are nobody's username.
"""
from __future__ import annotations

from portal.domain.text import identifier_problem

MAX_LENGTH = 80
NO_ACTOR_NAMES = ("system", "-")  # what stands for "no user" in the audit history and its filter
RESERVED_MESSAGE = "“{name}” stands for changes no user made in the audit history: choose another username."


def is_reserved(username: str) -> bool:
    """Whether `username` (trimmed, any case) is a word the audit history uses for "no user"."""
    return username.strip().casefold() in NO_ACTOR_NAMES


def username_problem(username: str) -> str | None:
    """Why `username` cannot be given to a user, or None: empty, longer than MAX_LENGTH, reserved (`is_reserved`)
    or not a plain identifier (`identifier_problem`: invisible, control or look-alike characters)."""
    name = username.strip()
    if not name:
        return "Enter a username."
    if len(username) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if is_reserved(name):
        return RESERVED_MESSAGE.format(name=name)
    return identifier_problem(name)
