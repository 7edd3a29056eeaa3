from __future__ import annotations

from datetime import date

from flask import Request
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.blueprints.forms import SelectField, VersionedForm, int_or_none
from portal.services.documents import DocumentInput, LineInput, parse_decimal


class DocumentForm(VersionedForm):
    debtor_id = SelectField("Debtor", coerce=int_or_none, validate_choice=False)
    document_type_id = SelectField("Document type", coerce=int_or_none, validate_choice=False)
    number = StringField("Number (blank: the next one)", validators=[Length(max=30)])
    doc_date = DateField("Document date", validators=[InputRequired("Enter the document date (YYYY-MM-DD).")])
    bill_from = DateField("Bill period from", validators=[Optional()])
    bill_to = DateField("Bill period to", validators=[Optional()])
    po_number = StringField("PO number typed on the document (debtors without POs)", validators=[Length(max=50)])
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return date.min  # refused below as a malformed date


COLUMNS = ("line_job", "line_code", "line_date", "line_description", "line_quantity", "line_rate", "line_po")


def lines_from(request: Request, keys: list[str] | None = None) -> tuple[tuple[LineInput, ...], list[str]]:
    """The line editor's rows (parallel lists); blank rows are skipped; malformed dates reported.
    `keys`, when given, receives each kept row's editor key (so funding cells find their row)."""
    f = request.form
    cols = {k: f.getlist(k) for k in COLUMNS}
    row_keys = f.getlist("line_key")
    sources = f.getlist("line_source")  # a derived draft's rows keep the line they were made from
    count = max((len(v) for v in cols.values()), default=0)
    lines, problems = [], []
    for i in range(count):
        get = lambda k: cols[k][i] if i < len(cols[k]) else ""  # noqa: E731
        if not any(get(k).strip() for k in cols):
            continue
        if keys is not None:
            keys.append(row_keys[i] if i < len(row_keys) else "")
        day = _day(get("line_date"))
        if day == date.min:
            problems.append(f"Line {len(lines) + 1}: the service date must be YYYY-MM-DD.")
            day = None
        lines.append(LineInput(job_id=int_or_none(get("line_job")), bill_code_id=int_or_none(get("line_code")),
                               quantity=parse_decimal(get("line_quantity")), rate=parse_decimal(get("line_rate")),
                               service_date=day, description=get("line_description")[:400],
                               explicit_po_id=int_or_none(get("line_po")),
                               source_line_id=int_or_none(sources[i]) if i < len(sources) else None))
    return tuple(lines), problems


def document_input(form: DocumentForm, lines) -> DocumentInput:
    return DocumentInput(debtor_id=form.debtor_id.data, document_type_id=form.document_type_id.data,
                         number=form.number.data or "", doc_date=form.doc_date.data, bill_from=form.bill_from.data,
                         bill_to=form.bill_to.data, po_number=form.po_number.data or "", notes=form.notes.data or "",
                         lines=lines)
