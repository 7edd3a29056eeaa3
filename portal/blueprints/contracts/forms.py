"""Contract forms: the delivery rows of the editor (parallel lists, like the document line editor)."""
from __future__ import annotations

from datetime import date

from flask import Request
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from portal.blueprints.forms import SelectField, VersionedForm, int_or_none
from portal.domain import formatting
from portal.domain.contracts import Delivery
from portal.services.documents import parse_decimal

COLUMNS = ("delivery_code", "delivery_date", "delivery_description", "delivery_quantity", "delivery_rate")
BLANK_ROWS = 3


class ScheduleForm(VersionedForm):
    """Schedule more (and, with the fields below, enter the contract). Schedule more carries the contract's row
    version: the same form sent twice (a double click, a second tab) schedules once."""

    confirmed = HiddenField()
    override = BooleanField("Post past the blocked PO budget (audited)")


class ContractForm(ScheduleForm):
    title = StringField("Contract", validators=[Length(max=200)])
    owner_id = SelectField("Relationship lead who owns the opportunity", coerce=int_or_none, validate_choice=False)
    job_id = SelectField("Job order (optional)", coerce=int_or_none, validate_choice=False)


class NoteForm(FlaskForm):
    text = TextAreaField("Add a note", validators=[Length(max=2000)])
    seen_last = HiddenField()  # the newest note's id when the form was drawn: the same note sent twice is one

    def last_seen(self) -> int | None:
        """The newest note the form was drawn under (0: none); None when not sent by the page (added as sent)."""
        raw = (self.seen_last.data or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _day(raw: str) -> date | None:
    return formatting.typed_day(raw)  # blank or malformed: None ("enter the date (YYYY-MM-DD)")


def deliveries_from(request: Request) -> tuple[tuple[Delivery, ...], list[dict]]:
    """The editor's rows as deliveries (blank rows skipped), and the rows as typed (to show them
    again after a message). A malformed date reads as missing and is refused by the rules."""
    cols = {k: request.form.getlist(k) for k in COLUMNS}
    count = min(max((len(v) for v in cols.values()), default=0), 1000)
    out, typed = [], []
    for i in range(count):
        row = {k: (cols[k][i] if i < len(cols[k]) else "")[:400] for k in COLUMNS}
        if not any(v.strip() for v in row.values()):
            continue
        typed.append(row)
        out.append(Delivery(bill_code_id=int_or_none(row["delivery_code"]), delivery_date=_day(row["delivery_date"]),
                            description=row["delivery_description"],
                            quantity=parse_decimal(row["delivery_quantity"]), rate=parse_decimal(row["delivery_rate"])))
    return tuple(out), typed
