"""Portal-wide settings kept in the `settings` table."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal.models import Setting
from portal.services import audit
from portal.services.errors import ValidationFailed

ASSIGNMENT_PROMPT = "assignment_prompt_message"
# seed 004: the highlighted part of the assignment prompts (its ARPO | InvoiceGenerationMessage setting)
DEFAULT_ASSIGNMENT_PROMPT = ("Invoices are generated from the PO assigned on each service date: check the start "
                             "date before you confirm.")


def get_setting(session: Session, key: str, default: dict | None = None) -> dict:
    """A stored setting's value, or a copy of `default` when it was never set."""
    row = session.get(Setting, key)
    return dict(row.value) if row else dict(default or {})


def assignment_prompt(session: Session) -> str:
    """The message shown in assignment prompts (the default until an admin sets one)."""
    return get_setting(session, ASSIGNMENT_PROMPT, {"text": DEFAULT_ASSIGNMENT_PROMPT}).get("text") or DEFAULT_ASSIGNMENT_PROMPT


def set_assignment_prompt(session: Session, text: str, *, actor) -> None:
    """Change the assignment prompt's message: required, at most 1,000 characters."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed({"text": ["Enter the message shown in assignment prompts."]})
    if len(text) > 1000:
        raise ValidationFailed({"text": ["Use at most 1,000 characters."]})
    if text == assignment_prompt(session):  # saved unchanged (the default too): nothing written
        return
    audit.acting(session, actor)
    row = session.get(Setting, ASSIGNMENT_PROMPT)
    if row is None:
        row = Setting(key=ASSIGNMENT_PROMPT, value={})
        session.add(row)
    row.value = {"text": text}
    session.commit()
