from __future__ import annotations

from dataclasses import dataclass

from flask import Request
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.blueprints.forms import DateField, DebtorField, SelectField, VersionedForm, int_or_none
from portal.domain import formatting, line_problems as lp
from portal.domain.line_problems import LineProblem
from portal.services.documents import DocumentInput, LineInput, parse_decimal


class DocumentForm(VersionedForm):
    debtor_id = DebtorField("Debtor")
    document_type_id = SelectField("Document type", coerce=int_or_none, validate_choice=False)
    number = StringField("Number (blank: the next one)", validators=[Length(max=30)])
    doc_date = DateField("Document date", validators=[InputRequired("Enter the document date (YYYY-MM-DD).")])
    bill_from = DateField("Bill period from", validators=[Optional()])
    bill_to = DateField("Bill period to", validators=[Optional()])
    po_number = StringField("PO number typed on the document (debtors without POs)", validators=[Length(max=50)])
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])


@dataclass(frozen=True)
class EditorLine(LineInput):
    """A line as the editor posted it: the values parsed for the service, and each box's text as typed, which
    the row shows again (a refused "2026-11-31" or "1e10" comes back as typed, never blank, so the form
    posted back unchanged is refused again). None: not from a form (a saved line, shown formatted)."""
    typed_date: str | None = None
    typed_quantity: str | None = None
    typed_rate: str | None = None
    typed_description: str | None = None
    typed_job: str | None = None  # a typed job box's text that names no job (its id blank), else None
    typed_po: str | None = None


COLUMNS = ("line_job", "line_code", "line_date", "line_description", "line_quantity", "line_rate", "line_po")
SEARCH_COLUMNS = ("job_search", "po_search")  # a debtor with many jobs (POs): each row's typed box


def lines_from(request: Request, keys: list[str] | None = None) -> tuple[tuple[EditorLine, ...], list[LineProblem]]:
    """The line editor's rows (parallel lists); blank rows are skipped; the text typed in each box is kept.
    Problems the service cannot see are reported: a malformed service date, and a typed job or PO box naming
    none (its id blank: the line would otherwise be saved without it). The view asks no further (the service
    is not called), so when there are any, every line's quantity and rate that is not a number is reported
    with them: the user hears them at once, not on the next save.
    `keys`, when given, receives each kept row's editor key (so funding cells find their row)."""
    f = request.form
    cols = {k: f.getlist(k) for k in COLUMNS + SEARCH_COLUMNS}
    row_keys = f.getlist("line_key")
    sources = f.getlist("line_source")  # a derived draft's rows keep the line they were made from
    count = max((len(v) for v in cols.values()), default=0)
    lines, refused, unparsed = [], [], []
    for i in range(count):
        get = lambda k: cols[k][i] if i < len(cols[k]) else ""  # noqa: E731
        if not any(get(k).strip() for k in cols):
            continue
        if keys is not None:
            keys.append(row_keys[i] if i < len(row_keys) else "")
        n, own = len(lines) + 1, []
        # YYYY-MM-DD (formatting.typed_day) or blank; a real day out of range (0001-01-01) is the service's to refuse
        day = formatting.typed_day(get("line_date"))
        if day is None and get("line_date").strip():
            own.append(LineProblem(n, (lp.SERVICE_DATE,), "the service date must be YYYY-MM-DD."))
        job_id, po_id = int_or_none(get("line_job")), int_or_none(get("line_po"))
        typed_job = get("job_search") if job_id is None and get("job_search").strip() else None
        typed_po = get("po_search") if po_id is None and get("po_search").strip() else None
        if typed_job is not None:
            own.append(LineProblem(n, (lp.JOB,), f"no job order is named “{typed_job.strip()[:100]}”: choose one of "
                                                 "the suggestions."))
        if typed_po is not None:
            own.append(LineProblem(n, (lp.PO,), f"no PO is named “{typed_po.strip()[:100]}”: choose one of the "
                                                "suggestions."))
        quantity, rate = parse_decimal(get("line_quantity")), parse_decimal(get("line_rate"))
        refused.append(own)
        unparsed.append([] if quantity is not None and rate is not None else  # the service's words
                        [LineProblem(n, lp.amount_fields(quantity, rate), "enter the quantity and rate as numbers.")])
        lines.append(EditorLine(job_id=job_id, bill_code_id=int_or_none(get("line_code")), quantity=quantity, rate=rate,
                                service_date=day, description=get("line_description")[:400], explicit_po_id=po_id,
                                source_line_id=int_or_none(sources[i]) if i < len(sources) else None,
                                typed_date=get("line_date"), typed_quantity=get("line_quantity"),
                                typed_rate=get("line_rate"), typed_description=get("line_description"),
                                typed_job=typed_job, typed_po=typed_po))
    if not any(refused):
        return tuple(lines), []
    return tuple(lines), [p for own, numbers in zip(refused, unparsed) for p in own + numbers]


@dataclass(frozen=True)
class RowProblems:
    """One editor row's problems as its cells show them: each under the cell of its first field, and every box it
    is about marked invalid and described by it (aria-invalid, aria-describedby)."""
    key: str
    problems: tuple[LineProblem, ...] = ()

    def _id(self, i: int) -> str:
        return f"line-{self.key}-problem-{i}"

    def attrs(self, name: str) -> dict[str, str]:
        """The attributes of the box of the line's field `name`."""
        ids = [self._id(i) for i, p in enumerate(self.problems) if name in p.fields]
        return {"aria-invalid": "true", "aria-describedby": " ".join(ids)} if ids else {}

    def notes(self, name: str) -> list[tuple[str, str]]:
        """(id, words) of each problem shown under the cell of the line's field `name`."""
        return [(self._id(i), p.beside) for i, p in enumerate(self.problems) if p.fields[:1] == (name,)]


def row_problems(keys: list[str], problems) -> dict[str, RowProblems]:
    """The problems of each editor row by its key (the rows are the lines, in order, blank ones left out)."""
    lines = lp.by_line(problems)
    return {key: RowProblems(key, lines[n]) for n, key in enumerate(keys, start=1) if n in lines}


def document_input(form: DocumentForm, lines) -> DocumentInput:
    return DocumentInput(debtor_id=form.debtor_id.data, document_type_id=form.document_type_id.data,
                         number=form.number.data or "", doc_date=form.doc_date.data, bill_from=form.bill_from.data,
                         bill_to=form.bill_to.data, po_number=form.po_number.data or "", notes=form.notes.data or "",
                         lines=lines)
