"""CSV import of documents from a billing system's export: preview with per-row errors, then post
the whole valid file in one transaction, or nothing.

Columns (header row, any order): document_type, number, date, bill_from, bill_to, debtor, job,
bill_code, service_date, description, quantity, rate, po_number (optional: a PO named on the line).
Rows with the same document type and number form one document.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from portal.models import BillCode, Debtor, Document, DocumentType, JobOrder, POEligibleType, PurchaseOrder
from portal.domain import formatting
from portal.domain.formatting import plural
from portal.domain.text import CONTROL_MESSAGE, first_control_line
from portal.services import documents, posting
from portal.services.job_visibility import may_see
from portal.services.documents import DocumentInput, LineInput, parse_decimal
from portal.services.errors import ValidationFailed
from portal.services.funding import Resolver

REQUIRED = ("document_type", "number", "date", "debtor", "bill_code", "quantity", "rate")
OPTIONAL = ("bill_from", "bill_to", "job", "service_date", "description", "po_number")
MAX_ROWS = 5000
# A file's documents are drafted and posted one by one in one transaction (the import is all or nothing, and
# the preview posts them to show their warnings, then rolls back), holding its POs' locks from the first
# posting to the end. 500 one-line documents, or 500 of ten lines (5,000 rows), preview in about 10 to 20 s
# on a busy 2-core machine, well inside the workers' 60 s timeout (gunicorn.conf.py); larger files are split.
MAX_DOCUMENTS = 500


@dataclass
class Preview:
    documents: list[DocumentInput] = field(default_factory=list)
    row_errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)
    rows: int = 0
    existing: list[str] = field(default_factory=list)  # numbers of the file's documents imported already
    ignored: list[str] = field(default_factory=list)  # the header's columns the import does not read
    unnumbered: int = 0  # documents with no number: numbered anew (and so posted again) at every import

    @property
    def valid(self) -> bool:
        """Whether the import may go ahead: no row has an error and there is a document to create."""
        return not self.row_errors and bool(self.documents)


def _day(raw: str) -> date | None:
    """A CSV cell's date, typed YYYY-MM-DD (formatting.typed_day); a blank cell is no date; ValueError else."""
    if not raw or not raw.strip():
        return None
    if (day := formatting.typed_day(raw)) is None:
        raise ValueError(raw)
    return day


def _unreadable(exc: csv.Error) -> str:
    reason = str(exc)
    if "end of data" in reason or "expected after" in reason:
        return (f"Not a readable CSV file ({reason}): a quoted value must end with a closing quote (\") before "
                "the next comma or line, and a quote inside a value is written twice (\"\").")
    return f"Not a readable CSV file ({reason})."


def parse(session: Session, user, text: str) -> Preview:
    """Read the file and check every row; nothing is written."""
    preview = Preview()
    if (line := first_control_line(text)) is not None:
        preview.row_errors.append((line, CONTROL_MESSAGE))
        return preview
    # strict: a quote opened and never closed is an error, not the rest of the file read as one value
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        preview.row_errors.append((reader.line_num or 1, _unreadable(exc)))
        return preview
    if twice := sorted({h for h in header if h and header.count(h) > 1}):
        # read as a dict, the last of the two would win and the first be dropped without a word
        preview.row_errors.append((1, f"The header names {plural(len(twice), 'column', number=False)} "
                                      f"{', '.join(twice)} twice: keep one of each."))
        return preview
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        preview.row_errors.append((1, f"Missing {plural(len(missing), 'column', number=False)}: {', '.join(missing)}."))
        return preview
    types = {t.name.upper(): t for t in session.scalars(select(DocumentType))} | \
            {t.code.upper(): t for t in session.scalars(select(DocumentType))}
    debtors = {d.code.upper(): d for d in session.scalars(select(Debtor))}
    codes = {c.code.upper(): c for c in session.scalars(select(BillCode))}
    jobs = {j.number.upper(): j for j in session.scalars(select(JobOrder))}
    grouped: dict[tuple, dict] = {}
    rows: list[dict] = []
    try:
        for raw in reader:
            rows.append(raw)
    except csv.Error as exc:  # the row after the last one read is the one that cannot be read
        preview.row_errors.append((len(rows) + 2, _unreadable(exc)))
        return preview
    if not rows:
        preview.row_errors.append((1, "The file has no rows: add the documents' lines under the header row."))
        return preview
    if len(rows) > MAX_ROWS:
        preview.row_errors.append((1, f"At most {MAX_ROWS:,} rows per file."))
        return preview
    preview.rows = len(rows)
    preview.ignored = [h or "(no name)" for h in header if h not in REQUIRED + OPTIONAL]
    for n, raw in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        problems = []
        if any((v or "").strip() for v in raw.get(None) or ()):  # values past the header's columns (not blanks)
            problems.append(f"{len(raw[None]) + len(header)} values, but the header names {len(header)} columns: "
                            "which column the others belong to is unknown")
        if len(row.get("description", "")) > documents.MAX_DESCRIPTION:
            problems.append(f"the description has {len(row['description']):,} characters; "
                            f"at most {documents.MAX_DESCRIPTION}")
        doc_type, debtor = types.get(row.get("document_type", "").upper()), debtors.get(row.get("debtor", "").upper())
        code, job = codes.get(row.get("bill_code", "").upper()), jobs.get(row.get("job", "").upper())
        if doc_type is None:
            problems.append(f"unknown document type “{row.get('document_type', '')[:40]}”")
        if debtor is None:
            problems.append(f"unknown debtor “{row.get('debtor', '')[:40]}”")
        if code is None:
            problems.append(f"unknown bill code “{row.get('bill_code', '')[:40]}”")
        if row.get("job") and (job is None or (debtor and job.debtor_id != debtor.id)
                               or not may_see(user, job)):
            problems.append(f"unknown job “{row.get('job', '')[:40]}” for this debtor")
        try:
            doc_date, bill_from, bill_to, service = (_day(row.get(k, "")) for k in ("date", "bill_from", "bill_to", "service_date"))
        except ValueError:
            problems.append("dates must be YYYY-MM-DD")
            doc_date = bill_from = bill_to = service = None
        if doc_date is None and not any("dates" in p for p in problems):
            problems.append("the date is missing")
        quantity, rate = parse_decimal(row.get("quantity")), parse_decimal(row.get("rate"))
        if quantity is None or rate is None:
            problems.append("quantity and rate must be numbers")
        po_id = None
        if row.get("po_number") and debtor:
            po_id = _named_po(session, debtor.id, row["po_number"], doc_type.id if doc_type else None)
            if po_id is None:
                problems.append(f"{debtor.code} has no PO {row['po_number'][:40]}")
        if problems:
            preview.row_errors.append((n, "; ".join(problems)))
            continue
        key = (doc_type.id, row["number"].upper())
        doc = grouped.setdefault(key, {"debtor_id": debtor.id, "document_type_id": doc_type.id, "number": row["number"],
                                       "doc_date": doc_date, "bill_from": bill_from, "bill_to": bill_to, "lines": [],
                                       "row": n})
        named = f"document {row['number']}" if row["number"] else f"the {doc_type.name} with no number"
        if doc["debtor_id"] != debtor.id:
            preview.row_errors.append((n, f"{named} has rows for two debtors"))
            continue
        if (doc["doc_date"], doc["bill_from"], doc["bill_to"]) != (doc_date, bill_from, bill_to):
            # one document has one date and bill period: a later row's would be dropped without a word
            preview.row_errors.append((n, f"{named} has another date, bill_from or bill_to on row {doc['row']}: "
                                          "a document's rows share them (a line's own day goes in service_date)"))
            continue
        doc["lines"].append(LineInput(job_id=job.id if job else None, bill_code_id=code.id, quantity=quantity,
                                      rate=rate, service_date=service, description=row.get("description", ""),
                                      explicit_po_id=po_id))
    if len(grouped) > MAX_DOCUMENTS:
        preview.row_errors[:] = [(1, f"The file holds {len(grouped):,} documents; at most {MAX_DOCUMENTS:,} are "
                                     "imported at once. Split it into files of at most "
                                     f"{MAX_DOCUMENTS:,} documents each (a document's rows in one file) and "
                                     "import them one after the other.")]
        return preview
    preview.unnumbered = sum(1 for key in grouped if not key[1])
    existing = _existing(session, [key for key in grouped if key[1]])
    for key, doc in grouped.items():
        first_row = doc.pop("row")
        doc["lines"] = tuple(doc["lines"])
        data = DocumentInput(**doc)
        if key in existing:  # posting it would break the unique number (a file imported twice, a refresh)
            preview.row_errors.append((first_row, f"{data.number} already exists"))
            preview.existing.append(data.number)
        errors, _ = documents._validate(session, user, data)
        for messages in errors.values():
            for message in messages:
                preview.row_errors.append((first_row, f"document {data.number}: {message}"))
        preview.documents.append(data)
    preview.row_errors.sort()
    return preview


def _existing(session: Session, keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of the file's documents, as (document type id, upper(number)), a document of the portal has."""
    found: set[tuple[int, str]] = set()
    for start in range(0, len(keys), 1000):
        found.update(tuple(row) for row in session.execute(
            select(Document.document_type_id, func.upper(Document.number))
            .where(tuple_(Document.document_type_id, func.upper(Document.number)).in_(keys[start:start + 1000]))))
    return found


def _named_po(session: Session, debtor_id: int, number: str, type_id: int | None) -> int | None:
    """The debtor's PO a row names by number: of a split PO (one number, several POs), the one eligible for
    the row's document type, as posting resolves a job's PO (DESIGN.md "Resolution"); else the first."""
    rows = session.execute(select(PurchaseOrder.id, POEligibleType.document_type_id)
                           .outerjoin(POEligibleType, POEligibleType.po_id == PurchaseOrder.id)
                           .where(PurchaseOrder.debtor_id == debtor_id, PurchaseOrder.number_key == number.upper())
                           .order_by(PurchaseOrder.id)).all()
    return next((po_id for po_id, eligible in rows if eligible == type_id), rows[0][0] if rows else None)


def _resolvers(session: Session, docs: list[DocumentInput]) -> dict[int, Resolver]:
    """One funding resolver per debtor of the file, loaded with every job and named PO of its documents' lines:
    posting each document then reads the debtor's POs, assignments and eligible types once, not once a document."""
    jobs: dict[int, set[int]] = {}
    named: dict[int, set[int]] = {}
    for data in docs:
        jobs.setdefault(data.debtor_id, set()).update(l.job_id for l in data.lines if l.job_id)
        named.setdefault(data.debtor_id, set()).update(l.explicit_po_id for l in data.lines if l.explicit_po_id)
    return {debtor_id: Resolver(session, debtor_id, job_ids=job_ids, explicit_po_ids=named[debtor_id])
            for debtor_id, job_ids in jobs.items()}


POSTED_NAMED = 20  # a posted file's answer names this many documents (it travels in the session cookie)


def posted_message(numbers: list[str]) -> str:
    """What posting a file did, for the page the import redirects to: how many documents posted, the first
    numbers and how many more."""
    more = f" and {len(numbers) - POSTED_NAMED:,} more" if len(numbers) > POSTED_NAMED else ""
    return f"{plural(len(numbers), 'document')} posted: {', '.join(numbers[:POSTED_NAMED])}{more}."


@dataclass(frozen=True)
class ImportResult:
    """What posting the file did, or would do: the documents posted, a refusal, or the warnings to confirm
    first (each document's number with its warnings) with their digest (`seen`)."""

    posted: list[str]
    refused: str | None = None
    warnings: list[tuple[str, list[str]]] = field(default_factory=list)
    seen: str = ""
    needs_confirmation: bool = False


def preview_or_post(session: Session, user, text: str, *, post: bool, seen: str | None,
                    today: date | None = None) -> tuple[Preview | None, ImportResult | None, str | None]:
    """The import page's step: the file's preview with its row errors and (a valid file) the posting's
    warnings, or (`post`) the file posted with the warnings confirmed as read (`seen`); what to show: the
    preview (none once posted), the outcome, and why the file cannot be posted."""
    preview = parse(session, user, text)
    if not preview.valid:
        return preview, None, ("; ".join(f"Row {n}: {m}" for n, m in preview.row_errors) or "The file has no rows."
                               ) if post else None
    outcome = post_all(session, user, text, today=today, seen=seen if post else None, dry_run=not post,
                       preview=preview)
    return (None if outcome.posted else preview), outcome, None


def post_all(session: Session, user, text: str, *, today: date | None = None, seen: str | None = None,
             dry_run: bool = False, preview: Preview | None = None) -> ImportResult:
    """Create and post every document of a valid file in one transaction; any refusal, error or warning
    not confirmed writes nothing. The warnings (a PO not eligible, dates, over a PO or its tolerance) are
    the posting's own, document by document as the file posts; they post only with the `seen` of the
    warnings the user read (the preview's), so a file whose POs changed since is asked about again.
    `dry_run`: the warnings, nothing written (the preview); `preview`: the file as `parse` read it already."""
    preview = preview or parse(session, user, text)
    if not preview.valid:
        raise ValidationFailed({"file": [f"Row {n}: {m}" for n, m in preview.row_errors] or ["The file has no rows."]})
    # the reference rows every document's checks look up by key, held here: the session keeps only the rows
    # something refers to, and read once a document they were three statements of a one-line document's 20
    held = (session.scalars(select(DocumentType)).all(), session.scalars(  # noqa: F841
        select(Debtor).where(Debtor.id.in_({data.debtor_id for data in preview.documents}))).all())
    drafts = []
    for data in preview.documents:  # every draft first: no PO is locked while they are written
        try:
            drafts.append(documents.save_draft(session, user, None, data, commit=False))
        except ValidationFailed as exc:  # e.g. the number taken since the preview (save_draft rolled back)
            session.rollback()
            return ImportResult([], f"Document {data.number} cannot be imported ({exc}); nothing was imported.")
    resolvers = _resolvers(session, preview.documents)
    follow_ups = posting.FollowUps()
    numbers, warned, digests = [], [], []
    for data, draft in zip(preview.documents, drafts):
        result = posting.post(session, user, draft.id, confirmed=True, today=today, commit=False,
                              resolver=resolvers[data.debtor_id], follow_ups=follow_ups)
        if not result.posted:
            session.rollback()
            reasons = "; ".join(w.message for w in result.check.warnings if w.blocks) or "refused"
            return ImportResult([], f"Document {data.number} cannot be posted ({reasons}); nothing was imported.")
        numbers.append(result.number)
        if result.check.warnings:
            warned.append((result.number, [w.message for w in result.check.warnings]))
            digests.append(result.check.seen(result.number))
    digest = hashlib.sha256("|".join(digests).encode()).hexdigest()[:20] if warned else ""
    if dry_run or warned and seen != digest:  # the forecasts, alerts and opportunities of a file not posted: none
        session.rollback()
        return ImportResult([], warnings=warned, seen=digest, needs_confirmation=bool(warned))
    posting.finish(session, user, follow_ups, today=today)
    session.commit()
    return ImportResult(numbers, warnings=warned)


