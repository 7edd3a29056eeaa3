"""Portal-wide settings kept in the `settings` table."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import Setting
from portal.services import audit
from portal.services.errors import Conflict, ValidationFailed

ASSIGNMENT_PROMPT = "assignment_prompt_message"
# seed 004: the highlighted part of the assignment prompts (its ARPO | InvoiceGenerationMessage setting)
DEFAULT_ASSIGNMENT_PROMPT = ("Invoices are generated from the PO assigned on each service date: check the start "
                             "date before you confirm.")


def get_setting(session: Session, key: str, default: dict | None = None) -> dict:
    """A stored setting's value, or a copy of `default` when it was never set."""
    row = session.get(Setting, key)
    return dict(row.value) if row else dict(default or {})


NEVER_SET = 0  # the row version a settings form carries for a setting never saved (a saved row starts at 1)


def setting_version(session: Session, key: str) -> int:
    """The row version of a setting, for its form to carry back (NEVER_SET while it has no row)."""
    row = session.get(Setting, key)
    return row.row_version if row else NEVER_SET


def locked_setting(session: Session, key: str, expected_version: int | None, *, label: str) -> Setting:
    """The setting's row, locked for a change, or a new one not yet added (NEVER_SET) when it was never saved.
    A form opened on another version (someone saved the setting since; a form posted without its version) is
    refused as any stale edit form is (audit.check_version), and nothing is written."""
    row = session.get(Setting, key, with_for_update=True)
    try:
        audit.check_version(row or Setting(key=key, value={}, row_version=NEVER_SET), expected_version, label=label)
    except Conflict:
        session.rollback()
        raise
    return row or Setting(key=key, value={})


def commit_setting(session: Session, row: Setting, *, label: str) -> None:
    """Commit a setting's change; a first save that another one beat to the new row is refused as stale."""
    if row not in session:
        session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        audit.check_version(row, -1, label=label)


def assignment_prompt(session: Session) -> str:
    """The message shown in assignment prompts (the default until an admin sets one)."""
    return get_setting(session, ASSIGNMENT_PROMPT, {"text": DEFAULT_ASSIGNMENT_PROMPT}).get("text") or DEFAULT_ASSIGNMENT_PROMPT


ASSIGNMENT_PROMPT_LABEL = "The assignment prompt message"


def set_assignment_prompt(session: Session, text: str, *, actor, expected_version: int | None = None) -> str:
    """Change the assignment prompt's message: required, at most 1,000 characters; the message now shown.
    `expected_version`: the setting's row version the form was opened on (`setting_version`); a stale form is
    refused (Conflict), so one administrator's older form never puts back what another just saved."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed({"text": ["Enter the message shown in assignment prompts."]})
    if len(text) > 1000:
        raise ValidationFailed({"text": ["Use at most 1,000 characters."]})
    row = locked_setting(session, ASSIGNMENT_PROMPT, expected_version, label=ASSIGNMENT_PROMPT_LABEL)
    if text == assignment_prompt(session):  # saved unchanged (the default too): nothing written
        session.rollback()
        return text
    audit.acting(session, actor)
    row.value = {"text": text}
    commit_setting(session, row, label=ASSIGNMENT_PROMPT_LABEL)
    return text
