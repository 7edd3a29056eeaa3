"""Documents (estimates, orders, invoices, credit memos): drafts, their lines and derived documents."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NoReturn

from sqlalchemy import Select, any_, bindparam, exists, func, or_, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, lazyload, selectinload, with_expression

from portal.domain import budget, formatting
from portal.domain import funding as funding_rules, line_problems as lp
from portal.domain.funding import typed_po_refusal
from portal.domain.numbers import QUANTITY, RATE, column_problem, parse_number
from portal.domain.text import INVISIBLE_MESSAGE, has_invisible_characters
from portal.models import (BillCode, Debtor, Document, DocumentLine, DocumentType, JobOrder, LedgerEntry,
                           POEligibleType, PurchaseOrder)
from portal.services import audit, search, statement_constants as constant, typed_numbers
from portal.services.job_visibility import branch_limit, may_see, visible
from portal.services.debtors import inactive_problem
from portal.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal.services.funding import Funding, Resolver
from portal.services.locks import locked
from portal.services.paging import Page, paginate

MAX_LINES = 500
MAX_DESCRIPTION = 300  # a line's description (document_lines.description is VARCHAR(300))


@dataclass(frozen=True)
class LineInput:
    job_id: int | None
    bill_code_id: int | None
    quantity: Decimal | None
    rate: Decimal | None
    service_date: date | None = None
    description: str = ""
    explicit_po_id: int | None = None
    source_line_id: int | None = None


@dataclass(frozen=True)
class DocumentInput:
    debtor_id: int | None
    document_type_id: int | None
    number: str
    doc_date: date | None
    bill_from: date | None = None
    bill_to: date | None = None
    po_number: str = ""
    notes: str = ""
    lines: tuple[LineInput, ...] = field(default_factory=tuple)


def parse_decimal(text) -> Decimal | None:
    """A quantity or rate as typed; None when blank or not a number (whether it fits its column is
    `_validate`'s question, so the user hears which limit it broke)."""
    return parse_number(text)


def list_documents(session: Session, user, *, debtor_id: int | None = None, q: str = "", status: str = "",
                   type_id: int | None = None, po: str = "", date_from: date | None = None,
                   date_to: date | None = None, page: int = 1, per_page: int = 25,
                   types: Sequence[DocumentType] | None = None) -> Page[Document]:
    """The documents list. `q` finds a number or typed PO number by its start, or a type by its name
    or code ("inv" finds every invoice type); `po` the documents with a line on that PO number.
    `types`: every document type, when the caller has read them already (the list's filter shows them)."""
    stmt = documents_query(session, user, debtor_id=debtor_id, q=q, status=status, type_id=type_id, po=po,
                           date_from=date_from, date_to=date_to, types=types)
    # a search's matches are sorted on their key and date alone, and only the page's rows are read with their
    # debtor and type (SP0012: 875 documents joined, then sorted, were 5 of the list's 9 ms of SQL)
    return paginate(session, stmt, page, per_page, key=Document.id if (po.strip() or q.strip()) else None)


def documents_query(session: Session, user, *, debtor_id: int | None = None, q: str = "", status: str = "",
                    type_id: int | None = None, po: str = "", date_from: date | None = None,
                    date_to: date | None = None, types: Sequence[DocumentType] | None = None):
    """The document list's statement (page and export), newest first; a list row shows the document's
    own total, so its lines are not read (20 per invoice: 500 rows a page). A number typed on the fly
    belongs to its line's job: for a user limited to branches, `po` matches it only on lines whose job
    they may see (job security), so another branch's numbers cannot be found by their start; a document wholly
    on other branches' jobs is not listed at all (`visible_documents`), and one partly on them shows the total of
    the lines the user sees, summed in SQL for the rows listed (`with_totals_shown`)."""
    stmt = with_totals_shown(visible_documents(select(Document).options(lazyload(Document.lines)), user), user)
    if debtor_id:
        stmt = stmt.where(Document.debtor_id == constant.key(debtor_id))
    if status in ("draft", "posted", "void"):
        # a constant in the statement, not a parameter: a plan kept for any status cannot use the drafts'
        # partial index and walked every document for the start page's five drafts (46 ms, not 0.4)
        stmt = stmt.where(Document.status == constant.word(status))
    if type_id:
        stmt = stmt.where(Document.document_type_id == type_id)
    if date_from:
        stmt = stmt.where(Document.doc_date >= date_from)
    if date_to:
        stmt = stmt.where(Document.doc_date <= date_to)
    if po.strip():
        # the documents carrying the number, each source found by its own index: typed on the document, a
        # line drawing a PO of that number, a line with the number typed on the fly (no PO). Tested row by
        # row instead, the list walked every document (SP0012: 600 ms). A line drawing on a PO is found by the
        # PO's number (a renumbered PO's lines carry its new one: purchase_orders._renumber_lines). The ids are
        # gathered first (an array), then read by key: joined, a misjudged count of lines (10,000 for 875
        # documents) made the plan scan every document to hash them. A CTE: the page and its count read it once.
        po_ids = select(PurchaseOrder.id).where(PurchaseOrder.number_key.like(search.typed(search.prefix_pattern(po))))
        carrying = union(
            select(Document.id).where(search.starts_with(Document.po_number, po)),
            select(DocumentLine.document_id).where(DocumentLine.po_id.in_(po_ids)),
            _own_lines(select(DocumentLine.document_id).where(
                DocumentLine.po_id.is_(None), DocumentLine.po_number.is_not(None),
                search.starts_with(DocumentLine.po_number, po)), user)).cte("carrying")
        stmt = stmt.where(Document.id == any_(func.array(select(carrying.c.id).scalar_subquery())))
    day = Document.doc_date
    if q.strip():
        needle = q.strip().lower()
        type_ids = [t.id for t in (session.scalars(select(DocumentType)) if types is None else types)
                    if needle in t.name.lower() or t.code.lower().startswith(needle)]
        stmt = stmt.where(or_(search.starts_with(Document.number, q), search.starts_with(Document.po_number, q),
                              Document.document_type_id.in_(type_ids)))
        if not type_ids and _few_numbers(session, q):
            # a number's start matching few documents, often old ones: found by the numbers' indexes, then
            # sorted. Walked in date order, the list read 72,000 newer documents for SD00123's hundred
            # (50 ms) whenever the statistics put it at a thousand (search.unindexed). Many matches (a
            # type's name, "SD0") are met soon in date order: sorting all of them was 85 ms.
            day = search.unindexed(Document.doc_date)
    return stmt.order_by(day.desc(), Document.id.desc())


def visible_documents(stmt: Select, user) -> Select:
    """Job security on a statement over Document, in SQL (`may_see_document`): for a user limited to branches,
    the documents with no line on a job or a line on a job of their branches; every other user's statement
    is returned as it was. Each test probes the document's lines by document_id (their unique index on
    (document_id, line_no) carries job_id), so no index is added for it."""
    seen = seen_by(user)
    return stmt if seen is None else stmt.where(seen)


def seen_by(user):
    """The SQL test `visible_documents` applies, a boolean over Document (for a column, as the PO's documents tab
    marks the rows it may not link); None for a user not limited to branches, who sees every document."""
    if branch_limit(user) is None:
        return None
    on_a_job = exists().where(DocumentLine.document_id == Document.id, DocumentLine.job_id.is_not(None))
    on_their_job = visible(exists().where(DocumentLine.document_id == Document.id,
                                          JobOrder.id == DocumentLine.job_id), user)
    return or_(~on_a_job, on_their_job)


def _own_lines(stmt, user):
    """Lines with no job or a job the user may see (every line when the user is not limited to branches)."""
    if branch_limit(user) is None:
        return stmt
    return stmt.where(_own_line(user))


def _own_line(user):
    """SQL over DocumentLine, for a user limited to branches: the line has no job, or a job the user may see. The
    line's job is probed by its key (`job_id IN (their jobs)` hashed every job of their branches first: 16,671 at
    the scale data set's size, 5 ms a statement, for a page's 200 lines)."""
    return or_(DocumentLine.job_id.is_(None),
               visible(select(JobOrder.id).where(JobOrder.id == DocumentLine.job_id), user).exists())


def totals_leave_lines_out(user) -> bool:
    """Whether a document total shown to the user may leave lines out: for a user limited to branches, a document
    with lines on other branches' jobs shows the total of the other lines (`with_totals_shown`, `lines_shown`)."""
    return branch_limit(user) is not None


def with_totals_shown(stmt: Select, user) -> Select:
    """Job security on the totals a list shows: for a user limited to branches, each document `stmt` reads
    carries `lines_hidden` and `lines_shown_total` (`totals_shown_sql`), so `Document.total_shown` is the total of
    the lines they see when some are hidden from them; the document's own total, less the lines shown, would
    give away what was billed on another branch's job. Every other user's statement is returned as it was."""
    columns = totals_shown_sql(user)
    if columns is None:
        return stmt
    hidden, shown_total = columns
    return stmt.options(with_expression(Document.lines_hidden, hidden),
                        with_expression(Document.lines_shown_total, shown_total))


def totals_shown_sql(user):
    """Two SQL values correlated to Document, for a user limited to branches: how many of its lines are on jobs of
    other branches (hidden from the user), and the total of its other lines (no job, or a job of their branches);
    None for a user not limited to branches. Each probes the document's lines by document_id, for the rows listed."""
    if not totals_leave_lines_out(user):
        return None
    own = _own_line(user)
    lines = select(DocumentLine.id).where(DocumentLine.document_id == Document.id)
    return (lines.with_only_columns(func.count()).where(~own).scalar_subquery(),
            lines.with_only_columns(func.coalesce(func.sum(DocumentLine.amount), 0)).where(own).scalar_subquery())


def with_lines_hidden_from(session: Session, user, document_ids) -> set[int]:
    """Of these documents, those with a line on a job of another branch than the user's (empty for a user not
    limited to branches): the totals they may not see (`lines_shown`). One query whatever their number."""
    if not totals_leave_lines_out(user) or not document_ids:
        return set()
    return set(session.scalars(select(DocumentLine.document_id).distinct().where(
        DocumentLine.document_id.in_(sorted(document_ids)), ~_own_line(user))))


SORTED_SEARCH_MAX = 1000  # a number search matching fewer documents sorts them (documents_query)


def _few_numbers(session: Session, q: str) -> bool:
    """Whether fewer than SORTED_SEARCH_MAX documents' numbers or typed PO numbers start with `q`
    (counted on their indexes, at most that many)."""
    matches = select(Document.id).where(or_(search.starts_with(Document.number, q),
                                            search.starts_with(Document.po_number, q))).limit(
        constant.number(SORTED_SEARCH_MAX))
    return session.scalar(select(func.count()).select_from(matches.subquery())) < SORTED_SEARCH_MAX


# what a document's page shows of each line: its job, PO and master PO line, a query each for all the lines
# (read one line at a time they were 40 statements for 20 lines); the PO's number, not its balance, forecast,
# lines or types
_LINE_REFS = selectinload(Document.lines).options(
    selectinload(DocumentLine.job).options(lazyload(JobOrder.debtor)),
    selectinload(DocumentLine.purchase_order).options(
        lazyload(PurchaseOrder.lines), lazyload(PurchaseOrder.eligible), lazyload(PurchaseOrder.balance),
        lazyload(PurchaseOrder.forecast), lazyload(PurchaseOrder.debtor), lazyload(PurchaseOrder.group)),
    selectinload(DocumentLine.po_line))
# built once: session.get(..., options=…) built the statement and its cache key (the options' whole tree)
# on every page
_BY_ID = select(Document).where(Document.id == bindparam("doc_id"))
_BY_ID_WITH_REFS = _BY_ID.options(_LINE_REFS)


def get_document(session: Session, user, doc_id: int, *, with_line_refs: bool = False) -> Document:
    """The document by id; NotFound when there is none or it is not the user's to see (`may_see_document`:
    as another branch's job). `with_line_refs`: its lines' jobs, POs and master PO lines read with it (a
    page showing them)."""
    doc = session.execute(_BY_ID_WITH_REFS if with_line_refs else _BY_ID, {"doc_id": doc_id}).scalar_one_or_none()
    if doc is None or not may_see_document(user, doc):
        raise NotFound("No such document.")
    return doc


def may_see_document(user, doc: Document) -> bool:
    """Job security on a whole document: a user limited to branches sees a document with no line on a job,
    or with a line on a job of their branches (its other branches' lines hidden: `lines_shown`); one wholly
    on other branches' jobs is not theirs (its total is those branches' figures). Every other user sees all."""
    return branch_limit(user) is None or _lines_seen(user, doc.lines)


def _lines_seen(user, lines) -> bool:
    """Whether lines of one document make it the user's to see (see may_see_document)."""
    jobs = [line.job for line in lines if line.job_id is not None]
    return not jobs or any(may_see(user, job) for job in jobs)


def visible_lines(user, doc: Document) -> list[DocumentLine]:
    """Job security on a document: the lines naming a job the user may see, or no job."""
    return [line for line in doc.lines if may_see(user, line.job)]


def lines_shown(user, doc: Document) -> dict:
    """What a document page lists: the visible lines, how many others it leaves out, and the total it shows
    (`total_shown`, unsigned): the document's own, or, with lines left out, the total of the lines shown (as
    the lists show it: `with_totals_shown`)."""
    lines = visible_lines(user, doc)
    hidden = len(doc.lines) - len(lines)
    total = sum((line.amount for line in lines), Decimal("0")) if hidden else doc.total
    return {"lines": lines, "hidden_lines": hidden, "total_shown": total}


def check_lines_visible(user, lines) -> None:
    """A user limited to branches may not change lines on other branches' jobs (nor a document
    holding them: the change would show or rewrite what they may not see). `lines`: all of one document's;
    NotFound when they make it not the user's to see at all (may_see_document), as its page answers."""
    if not _lines_seen(user, lines):
        raise NotFound("No such document.")
    if any(not may_see(user, line.job) for line in lines):
        raise Forbidden("This document has lines on job orders outside your branches; someone who sees "
                        "those branches must change it.")


def _validate(session: Session, user, data: DocumentInput, kept_debtor_id: int | None = None,
              problems: list[lp.LineProblem] | None = None, kept_po_number: str | None = None,
              ) -> tuple[dict[str, list[str]], list[tuple[LineInput, Decimal]]]:
    """Every problem with a document at once, and each valid line with its amount (quantity × rate, never rounded).
    `kept_debtor_id`: the draft's own debtor, which an edit may keep though it was made inactive since.
    `problems`, when given, receives each line's problems with the fields they are about (the editor's rows).
    A PO number typed on the document that is the number of one of the debtor's POs is refused (it would draw on
    no budget: the PO is chosen on the lines), unless it is `kept_po_number`: the draft's own, under its own
    debtor, or the one of the document it is made from (typed before that PO existed: posting warns)."""
    errors: dict[str, list[str]] = {}
    add = lambda f, m: errors.setdefault(f, []).append(m)  # noqa: E731
    on_line = lambda n, fields, text: _line_problem(errors, problems, lp.LineProblem(n, fields, text))  # noqa: E731
    debtor = session.get(Debtor, data.debtor_id) if data.debtor_id else None
    doc_type = session.get(DocumentType, data.document_type_id) if data.document_type_id else None
    if debtor is None:
        add("debtor_id", "Choose the debtor.")
    elif problem := inactive_problem(debtor, kept_debtor_id):
        add("debtor_id", problem)
    if doc_type is None or not doc_type.active:
        add("document_type_id", "Choose a document type.")
    if data.doc_date is None:
        add("doc_date", "Enter the document date (YYYY-MM-DD).")
    for name, value, what in (("doc_date", data.doc_date, "The document date"),
                              ("bill_from", data.bill_from, "Bill From"), ("bill_to", data.bill_to, "Bill To")):
        if problem := formatting.day_out_of_range(value, what):
            add(name, problem)
    if data.bill_from and data.bill_to and data.bill_to < data.bill_from:
        add("bill_to", "The bill period must end on or after it starts.")
    if len(data.number) > 30:
        add("number", "Use at most 30 characters.")
    if len(data.po_number) > 50:
        add("po_number", "Use at most 50 characters.")
    for name in ("number", "po_number"):
        if has_invisible_characters(getattr(data, name)):
            add(name, INVISIBLE_MESSAGE)
    typed = data.po_number.strip()
    if debtor is not None and typed and typed != kept_po_number and not errors.get("po_number") and \
            typed_numbers.po_named(session, debtor.id, typed) is not None:
        add("po_number", typed_po_refusal(typed, debtor.code, "leave it blank and choose the PO on the lines"))
    if len(data.lines) > MAX_LINES:
        add("lines", f"A document may have at most {MAX_LINES} lines.")
    if not data.lines:
        add("lines", "Add at least one line.")
    priced: list[tuple[LineInput, Decimal]] = []
    if errors.get("debtor_id") or errors.get("lines"):
        return errors, priced
    job_ids = {l.job_id for l in data.lines if l.job_id}
    jobs = {j.id: j for j in session.scalars(select(JobOrder).where(JobOrder.id.in_(job_ids)))} if job_ids else {}
    codes = {c.id: c for c in session.scalars(select(BillCode))}
    po_ids = {l.explicit_po_id for l in data.lines if l.explicit_po_id}
    pos = {p.id: p for p in session.scalars(select(PurchaseOrder).where(PurchaseOrder.id.in_(po_ids)))} if po_ids else {}
    credit = doc_type is not None and doc_type.is_credit_memo
    eligible = _eligible_pos(session, po_ids, doc_type)
    for n, line in enumerate(data.lines, start=1):
        job = jobs.get(line.job_id) if line.job_id else None
        if line.job_id and (job is None or job.debtor_id != debtor.id or
                            not may_see(user, job)):
            on_line(n, (lp.JOB,), f"choose one of {debtor.code}'s job orders.")
        if line.bill_code_id not in codes or not codes[line.bill_code_id].active:
            on_line(n, (lp.BILL_CODE,), "choose an active bill code.")
        if line.explicit_po_id and (line.explicit_po_id not in pos or pos[line.explicit_po_id].debtor_id != debtor.id):
            on_line(n, (lp.PO,), f"choose one of {debtor.code}'s purchase orders.")
        elif line.explicit_po_id and line.explicit_po_id not in eligible:
            on_line(n, (lp.PO,), f"PO {pos[line.explicit_po_id].number} is not eligible for {doc_type.name}: "
                                 "choose a PO eligible for this document type.")
        if line.quantity is None or line.rate is None:
            on_line(n, lp.amount_fields(line.quantity, line.rate), "enter the quantity and rate as numbers.")
            continue
        beyond = [(f, p) for f, p in ((lp.QUANTITY, column_problem(line.quantity, QUANTITY)),
                                      (lp.RATE, column_problem(line.rate, RATE))) if p]
        for name, problem in beyond:  # refused, never rounded: amount = quantity × rate as typed
            on_line(n, (name,), problem)
        if beyond:
            continue
        if line.quantity <= 0 or line.rate < 0:
            on_line(n, ((lp.QUANTITY,) if line.quantity <= 0 else ()) + ((lp.RATE,) if line.rate < 0 else ()),
                    "the quantity must be more than zero and the rate not negative "
                    + ("(a credit memo line says how much of the invoice line it takes back)." if credit else
                       "(credit a posted invoice with a credit memo instead)."))
            continue
        if len(line.description) > MAX_DESCRIPTION:
            on_line(n, (lp.DESCRIPTION,), f"the description may have at most {MAX_DESCRIPTION} characters.")
        if problem := formatting.day_out_of_range(line.service_date, "the service date"):
            on_line(n, (lp.SERVICE_DATE,), problem)
        try:
            priced.append((line, budget.line_amount(line.quantity, line.rate)))
        except budget.BudgetError as exc:
            on_line(n, (lp.QUANTITY, lp.RATE), str(exc))
    if not errors:
        total = sum((a for _, a in priced), Decimal("0"))
        if total > budget.MAX_AMOUNT:
            add("lines", "The document total is larger than 999,999,999,999.99.")
    return errors, priced


def _line_problem(errors: dict[str, list[str]], problems: list[lp.LineProblem] | None,
                  problem: lp.LineProblem) -> None:
    """A line's problem in the summary ("Line 2: …" under `lines`) and, when asked for, with its fields."""
    errors.setdefault("lines", []).append(problem.message)
    if problems is not None:
        problems.append(problem)


def _eligible_pos(session: Session, po_ids: set[int], doc_type: DocumentType | None) -> set[int]:
    """Which of the POs named on lines may be named on this type's lines: those eligible for it (DESIGN:
    "limited to the debtor's POs eligible for its type"). A credit memo's lines keep their invoice lines'
    POs whatever their types (and with no type yet, the type's own error is the one to show)."""
    if not po_ids or doc_type is None or doc_type.is_credit_memo:
        return set(po_ids)
    return set(session.scalars(select(POEligibleType.po_id).where(
        POEligibleType.po_id.in_(po_ids), POEligibleType.document_type_id == doc_type.id)))


def _check_sources(session: Session, data: DocumentInput, source_document_id: int | None,
                   errors: dict[str, list[str]], own_doc_id: int | None = None,
                   problems: list[lp.LineProblem] | None = None) -> None:
    """A derived draft's lines keep their source lines (so posting releases the order's commitment or
    reverses against the invoice line's PO): each must be a line of the draft's source document, which
    stays the same debtor's and a type this one may be made from."""
    wanted = {l.source_line_id for l in data.lines if l.source_line_id}
    target = session.get(DocumentType, data.document_type_id)
    if target.is_credit_memo and (source_document_id is None or len(wanted) < len(data.lines)):
        errors.setdefault("lines", []).append(
            "A credit memo takes back lines of a posted invoice: open the invoice and make the credit memo from it "
            "(each line credits one of the invoice's lines).")
        return
    if not wanted and source_document_id is None:
        return
    source = session.get(Document, source_document_id) if source_document_id else None
    if source is None:
        errors.setdefault("lines", []).append("Those lines were not made from another document: remove them and add new ones.")
        return
    if data.debtor_id != source.debtor_id or not may_derive(source.document_type, target):
        errors.setdefault("document_type_id", []).append(
            f"This draft was made from {source.document_type.name} {source.number}: keep its debtor and a type "
            "that can be made from it.")
    if wanted - {line.id for line in source.lines}:
        errors.setdefault("lines", []).append(
            f"Some lines are not lines of {source.document_type.name} {source.number}.")
    elif target.is_credit_memo:
        _check_credit_size(session, data, source, errors, own_doc_id)
        _check_credit_lines(data, source, errors, problems)


def _check_credit_lines(data: DocumentInput, source: Document, errors: dict[str, list[str]],
                        problems: list[lp.LineProblem] | None = None) -> None:
    """A credit memo line takes back part of one invoice line: it keeps that line's job and bill code, so the
    reversal lands where the invoice drew (the PO's spend by bill code, the job's figures)."""
    lines = {line.id: line for line in source.lines}
    for n, line in enumerate(data.lines, start=1):
        src = lines[line.source_line_id]
        if (line.job_id, line.bill_code_id) != (src.job_id, src.bill_code_id):
            _line_problem(errors, problems, lp.LineProblem(
                n, (lp.JOB, lp.BILL_CODE), f"a credit memo line keeps the job and bill code of {source.number} line "
                                           f"{src.line_no} ({src.bill_code.code}), the line it takes back."))


_CREDIT_LINE = aliased(DocumentLine, name="credit_line")  # made once: an alias built per call costs ~1.5 ms
_INVOICE_LINE = aliased(DocumentLine, name="invoice_line")


def credit_left(session: Session, source_line_ids, *, except_doc_id: int | None = None) -> dict[int, Decimal]:
    """What each invoice line still holds: its amount less the posted credit memo lines against it."""
    ids = list(source_line_ids)
    if not ids:
        return {}
    credit = _CREDIT_LINE
    credited = (select(func.coalesce(func.sum(credit.amount), 0)).join(Document, Document.id == credit.document_id)
                .where(credit.source_line_id == DocumentLine.id, Document.status == "posted",
                       Document.id != (except_doc_id or 0)).scalar_subquery())
    return {i: amount - used for i, amount, used in session.execute(
        select(DocumentLine.id, DocumentLine.amount, credited).where(DocumentLine.id.in_(ids)))}


def credit_standing(session: Session, doc: Document) -> dict[int, Decimal]:
    """What is left on each line of a posted invoice after the credit memos posted against it (one query for
    all its lines): what a credit memo may still take back, and what moving the line moves. {} for any other
    document (nothing is credited against it)."""
    if doc.status != "posted" or not doc.document_type.is_invoice:
        return {}
    return credit_left(session, [l.id for l in doc.lines])


def _check_credit_size(session: Session, data: DocumentInput, source: Document, errors: dict[str, list[str]],
                       own_doc_id: int | None) -> None:
    """A credit memo only reduces what its invoice lines drew: each line positive, and together no more
    than what is left on the invoice line after the credit memos already posted against it."""
    left = credit_left(session, {l.source_line_id for l in data.lines}, except_doc_id=own_doc_id)
    asked: dict[int, Decimal] = {}
    for line in data.lines:
        asked[line.source_line_id] = asked.get(line.source_line_id, Decimal("0")) + budget.line_amount(line.quantity, line.rate)
    numbers = {l.id: l.line_no for l in source.lines}
    for src_id, amount in asked.items():
        if amount > left.get(src_id, Decimal("0")):
            errors.setdefault("lines", []).append(
                f"The credit of {formatting.money(amount)} is more than the {formatting.money(left.get(src_id, Decimal('0')))} left on "
                f"{source.number} line {numbers.get(src_id)}: a credit memo may only take back what the invoice drew.")


def _next_number(session: Session, doc_type: DocumentType) -> str:
    """The type's next free number. The counter row stays locked until the draft commits, so two
    drafts saved at once never get the same number; numbers typed by hand are skipped."""
    while True:
        n = session.scalar(update(DocumentType).where(DocumentType.id == doc_type.id)
                           .values(last_number=DocumentType.last_number + 1).returning(DocumentType.last_number))
        number = f"{doc_type.code}-{n:05d}"
        taken = session.scalar(select(Document.id).where(Document.document_type_id == doc_type.id,
                                                         func.upper(Document.number) == number.upper()).limit(1))
        if taken is None:
            return number


def save_draft(session: Session, user, doc_id: int | None, data: DocumentInput, *,
               expected_version: int | None = None, source_document_id: int | None = None,
               commit: bool = True) -> Document:
    """Create or replace a draft and its lines; posted and void documents are never edited."""
    kept = session.execute(select(Document.debtor_id, Document.source_document_id, Document.po_number)
                           .where(Document.id == doc_id)).first() if doc_id is not None else None
    problems: list[lp.LineProblem] = []
    errors, priced = _validate(session, user, data, kept.debtor_id if kept else None, problems,
                               kept_po_number=_kept_po_number(session, data, kept, source_document_id))
    if not errors:
        if doc_id is not None:
            source_document_id = kept.source_document_id if kept else None
        _check_sources(session, data, source_document_id, errors, doc_id, problems)
    if errors:
        raise ValidationFailed(errors, line_problems=problems)
    audit.acting(session, user)
    doc_type = session.get(DocumentType, data.document_type_id)
    if doc_id is None:
        number = data.number.strip() or _next_number(session, doc_type)
        doc = Document(debtor_id=data.debtor_id, document_type_id=data.document_type_id, status="draft",
                       source_document_id=source_document_id, number=number, doc_date=data.doc_date)
        session.add(doc)
    else:
        doc = locked(session, Document, doc_id)
        if doc is None:
            raise NotFound("No such document.")
        if doc.status != "draft":
            session.rollback()
            raise Conflict(f"{doc.number} is {doc.status}: only drafts can be edited.")
        if not all(may_see(user, line.job) for line in doc.lines):
            session.rollback()
            check_lines_visible(user, doc.lines)
        audit.check_version(doc, expected_version)
        doc.document_type_id = data.document_type_id
    doc.number = data.number.strip() or doc.number
    doc.doc_date, doc.bill_from, doc.bill_to = data.doc_date, data.bill_from, data.bill_to
    doc.po_number, doc.notes = data.po_number.strip() or None, data.notes.strip()
    kept = sorted(doc.lines, key=lambda l: l.line_no) if doc_id is not None else []  # a new one has none to read
    for gone in kept[len(priced):]:
        doc.lines.remove(gone)  # deleted with its history entry
    if doc_id is not None:  # the lines it drops go before any takes their numbers; a new draft is written once
        try:
            session.flush()
        except IntegrityError as exc:  # a number typed by hand that another document of the type has
            _refuse_clash(session, exc)
    # line n stays line n, changed where the form changed it: the history lists what changed, and a save that
    # changed nothing writes nothing (replacing every line listed them all as created again on every save)
    for n, (line, amount) in enumerate(priced, start=1):
        values = dict(job_id=line.job_id, bill_code_id=line.bill_code_id, service_date=line.service_date,
                      description=line.description.strip(), quantity=line.quantity, rate=line.rate, amount=amount,
                      po_id=line.explicit_po_id, explicit_po=bool(line.explicit_po_id),
                      source_line_id=line.source_line_id)
        if n > len(kept):
            doc.lines.append(DocumentLine(line_no=n, **values))
        else:
            audit.set_changed(kept[n - 1], **values)
    doc.total = sum((a for _, a in priced), Decimal("0"))
    try:
        session.commit() if commit else session.flush()
    except IntegrityError as exc:
        _refuse_clash(session, exc)
    return doc


def _kept_po_number(session: Session, data: DocumentInput, kept, source_document_id: int | None) -> str | None:
    """The PO number typed on the document that saving it may keep, whatever it names: the draft's own under the
    same debtor (`kept`: its row), or, for a new draft made from another document, that document's."""
    if kept is not None:
        return kept.po_number if kept.debtor_id == data.debtor_id else None
    if source_document_id is not None:
        return session.scalar(select(Document.po_number).where(Document.id == source_document_id,
                                                               Document.debtor_id == data.debtor_id))
    return None


def _refuse_clash(session: Session, exc: IntegrityError) -> NoReturn:
    """A save the database refused: a number another document of the type has, or (a PO, job or bill code a line
    names deleted while the draft was saved) a record gone; never the number's message for what is not."""
    session.rollback()
    if "uq_documents_type_number" in str(exc.orig):
        raise ValidationFailed({"number": ["A document of this type with that number exists."]})
    raise ValidationFailed({"lines": ["A PO, job order or bill code a line names was deleted meanwhile: choose "
                                      "again."]}) from None


def describe_funding(session: Session, user, data: DocumentInput) -> list[Funding | str]:
    """For the line editor: each line's funding as it would resolve now, or why none does."""
    debtor = session.get(Debtor, data.debtor_id) if data.debtor_id else None
    doc_type = session.get(DocumentType, data.document_type_id) if data.document_type_id else None
    if debtor is None or doc_type is None:
        missing = " and ".join(n for n, v in (("the debtor", debtor), ("the document type", doc_type)) if v is None)
        return [f"choose {missing}" for _ in data.lines]
    job_ids = {l.job_id for l in data.lines if l.job_id}
    jobs = {j.id: j for j in session.scalars(visible(select(JobOrder), user).where(
        JobOrder.id.in_(job_ids), JobOrder.debtor_id == debtor.id))} if job_ids else {}
    resolver = Resolver(session, debtor.id, job_ids=set(jobs),
                        explicit_po_ids={l.explicit_po_id for l in data.lines if l.explicit_po_id})
    sources = {}
    if doc_type.is_credit_memo and any(l.source_line_id for l in data.lines):
        sources = {l.id: l for l in session.scalars(select(DocumentLine).join(Document).where(
            DocumentLine.id.in_([l.source_line_id for l in data.lines if l.source_line_id]),
            DocumentLine.po_id.is_not(None), Document.debtor_id == debtor.id)) if may_see(user, l.job)}  # job security
    out: list[Funding | str] = []
    for line in data.lines:
        if (src := sources.get(line.source_line_id)) is not None:  # as posting will: against the invoice line
            line_no = f" / line {src.po_line.line_no}" if src.po_line else ""
            out.append(Funding(src.purchase_order, src.po_line_id, src.po_number,
                               f"PO {src.po_number}{line_no}, reversing {src.document.number} line {src.line_no}"))
            continue
        if not line.bill_code_id:
            out.append("choose a bill code")
            continue
        out.append(resolver.resolve(type_id=doc_type.id, bill_code_id=line.bill_code_id,
                                    day=line.service_date or data.doc_date or date.today(),
                                    job=jobs.get(line.job_id), explicit_po_id=line.explicit_po_id))
    return out


def draft_funding(session: Session, user, doc: Document, lines: list[DocumentLine]) -> dict[int, Funding | str]:
    """A saved draft's funding per line, worked out exactly as the editor shows it (posting decides)."""
    if doc.status != "draft" or not lines:
        return {}
    data = DocumentInput(debtor_id=doc.debtor_id, document_type_id=doc.document_type_id, number=doc.number,
                         doc_date=doc.doc_date, bill_from=doc.bill_from, bill_to=doc.bill_to,
                         po_number=doc.po_number or "", lines=tuple(
                             LineInput(l.job_id, l.bill_code_id, l.quantity, l.rate, l.service_date, l.description,
                                       l.po_id if l.explicit_po else None, l.source_line_id) for l in lines))
    return dict(zip([l.id for l in lines], describe_funding(session, user, data)))


def drawn_by_line(session: Session, line_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """What each document line still draws, per bucket (from the ledger)."""
    out: dict[int, dict[str, Decimal]] = {}
    if not line_ids:
        return out
    for line_id, bucket, total in session.execute(
            select(LedgerEntry.document_line_id, LedgerEntry.bucket, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.document_line_id.in_(line_ids)).group_by(LedgerEntry.document_line_id, LedgerEntry.bucket)):
        out.setdefault(line_id, {})[bucket] = total
    return out


def may_derive(source: DocumentType, target: DocumentType) -> bool:
    """Orders and invoices come from estimates, invoices from orders, credit memos from invoices."""
    return ((source.is_estimate and (target.is_order or target.is_invoice))
            or (source.is_order and target.is_invoice)
            or (source.is_invoice and target.is_credit_memo))


def carried_po(session: Session, debtor_id: int, po_ids: list[int], target: DocumentType) -> dict[int, int]:
    """The PO a derived line keeps from its source line: the same PO, or (seed 001's split PO) the PO of
    the same number eligible for the new type; none when neither is (a line names only an eligible PO: the
    draft's line then finds its PO by its job, and the user may name one). A credit memo keeps the invoice
    line's PO as it is."""
    if not po_ids:
        return {}
    if target.is_credit_memo:
        return {i: i for i in po_ids}
    keys = select(PurchaseOrder.number_key).where(PurchaseOrder.id.in_(po_ids))
    candidates: dict[int, tuple[str, set[int]]] = {}
    for po_id, key, type_id in session.execute(
            select(PurchaseOrder.id, PurchaseOrder.number_key, POEligibleType.document_type_id)
            .outerjoin(POEligibleType, POEligibleType.po_id == PurchaseOrder.id)
            .where(PurchaseOrder.debtor_id == debtor_id, PurchaseOrder.number_key.in_(keys))):
        candidates.setdefault(po_id, (key, set()))[1].add(type_id)
    values = [funding_rules.Candidate(i, key, frozenset(types)) for i, (key, types) in candidates.items()]
    by_id = {c.po_id: c for c in values}
    chosen = {i: funding_rules.eligible_po(by_id[i], values, target.id) for i in set(po_ids) if i in by_id}
    return {i: po.po_id for i, (po, eligible) in chosen.items() if eligible}


def may_void(doc: Document) -> bool:
    """Open (posted) estimates and orders can be voided; invoices and credit memos are credited instead."""
    return doc.status == "posted" and doc.document_type.bucket != "used"


def void_blocker(session: Session, doc: Document) -> str | None:
    """Why an open order may not be voided here (None: nothing stops it): a contract's order is
    cancelled delivery by delivery on its contract, so the schedule and the opportunity follow; a service
    desk item's Repair Order is what the item is invoiced from (voided, the item could never be billed)."""
    from portal.models import Contract, Delivery, ServiceDeskItem

    contract = session.scalar(select(Contract).join(Delivery, Delivery.contract_id == Contract.id)
                              .join(DocumentLine, DocumentLine.id == Delivery.document_line_id)
                              .where(DocumentLine.document_id == doc.id).limit(1))
    if contract is not None:
        return (f"{doc.number} holds the deliveries of contract {contract.number}: cancel its deliveries on the "
                "contract, so its schedule and opportunity follow.")
    item = session.scalar(select(ServiceDeskItem.number).where(ServiceDeskItem.repair_order_id == doc.id).limit(1))
    if item is not None:
        return (f"{doc.number} is service desk item {item}'s Repair Order: the item is invoiced from it, so it "
                "stays (invoice the item; credit the invoice if the work is not billed).")
    return None


def derivable_types(session: Session, doc: Document) -> list[DocumentType]:
    """The active types a draft can be made as from this document (none unless it is posted)."""
    if doc.status != "posted":
        return []
    return [t for t in session.scalars(select(DocumentType).where(DocumentType.active.is_(True))
                                       .order_by(DocumentType.sort_order)) if may_derive(doc.document_type, t)]


def suggested_number(session: Session, doc_type: DocumentType) -> str:
    """The number the type's counter would give next (not taken), to pre-fill a form; nothing is reserved.
    Kept as typed, it is skipped by the counter later like any number typed by hand."""
    n = doc_type.last_number or 0
    while True:
        n += 1
        number = f"{doc_type.code}-{n:05d}"
        if session.scalar(select(Document.id).where(Document.document_type_id == doc_type.id,
                                                    func.upper(Document.number) == number.upper()).limit(1)) is None:
            return number


def open_quantities(session: Session, order: Document, *,
                    left: dict[int, Decimal] | None = None) -> dict[int, Decimal]:
    """What is still open on each order line, as a quantity: the quantity not yet invoiced (none once its
    commitment is released or cancelled); on an invoice's line, the most whose amount is no more than what
    is not yet credited. A draft made from the document carries that much by default (a second credit
    memo, the rest, not the whole). Quantities, not amount ÷ rate: 740.74 left at 123.4567 read 5.9999,
    740.73, and the cent stayed committed. `left`: the invoice's `credit_standing`, when the caller has it."""
    if order.document_type.is_invoice:
        left = credit_left(session, [l.id for l in order.lines]) if left is None else left
        return {line.id: budget.quantity_within(left[line.id], line.rate, line.quantity)
                for line in order.lines if line.rate and line.id in left}
    ids = [l.id for l in order.lines]
    drawn, taken = drawn_by_line(session, ids), invoiced_quantities(session, ids)
    out = {}
    for line in order.lines:
        if line.po_id and drawn.get(line.id, {}).get("commitment", Decimal("0")) <= 0:
            out[line.id] = Decimal("0")  # released in full, or cancelled (a contract's delivery)
        else:  # the quantity not yet invoiced (the invoice taking it releases what is left: posting)
            out[line.id] = max(Decimal("0"), line.quantity - taken.get(line.id, Decimal("0")))
    return out


def invoiced_quantities(session: Session, order_line_ids) -> dict[int, Decimal]:
    """How much of each order line the posted invoices made from it took, as a quantity (credit memos do not
    give quantity back: a credit may be a price, not units; `invoiced_amounts` has what they took back)."""
    ids = list(order_line_ids)
    if not ids:
        return {}
    line = _INVOICE_LINE
    return dict(session.execute(
        select(line.source_line_id, func.sum(line.quantity)).join(Document, Document.id == line.document_id)
        .join(DocumentType, DocumentType.id == Document.document_type_id)
        .where(line.source_line_id.in_(ids), Document.status == "posted", DocumentType.bucket == "used",
               DocumentType.sign > 0)
        .group_by(line.source_line_id)).all())


def invoiced_amounts(session: Session, order_line_ids) -> dict[int, tuple[Decimal, Decimal]]:
    """For each order line that posted invoices were made from: what they invoiced from it, and what posted
    credit memos took back from those invoice lines (order line id -> (invoiced, credited))."""
    ids = list(order_line_ids)
    if not ids:
        return {}
    line, credit = _INVOICE_LINE, _CREDIT_LINE
    credited = (select(func.coalesce(func.sum(credit.amount), 0)).join(Document, Document.id == credit.document_id)
                .where(credit.source_line_id == line.id, Document.status == "posted").scalar_subquery())
    return {i: (invoiced, taken_back) for i, invoiced, taken_back in session.execute(
        select(line.source_line_id, func.sum(line.amount), func.sum(credited))
        .join(Document, Document.id == line.document_id)
        .join(DocumentType, DocumentType.id == Document.document_type_id)
        .where(line.source_line_id.in_(ids), Document.status == "posted", DocumentType.bucket == "used",
               DocumentType.sign > 0)
        .group_by(line.source_line_id))}


def derive(session: Session, user, source_id: int, target_type_id: int, *, quantities: dict[int, Decimal] | None = None,
           doc_date: date | None = None, number: str = "") -> Document:
    """A draft made from a posted document: an order or invoice from an estimate or order (in full
    or in part), or a credit memo from an invoice. Each line keeps its source line, so posting
    releases the order's commitment or reverses against the invoice line's PO, and its funding: the
    source line's PO is named on the new line (the user may change it in the draft)."""
    source = get_document(session, user, source_id)
    target = session.get(DocumentType, target_type_id)
    if target is None:
        raise ValidationFailed({"document_type_id": ["Choose a document type."]})
    if source.status != "posted" or not may_derive(source.document_type, target):
        raise ValidationFailed({"document_type_id": [
            f"A {target.name} cannot be made from {source.document_type.name} {source.number} ({source.status})."]})
    carried = carried_po(session, source.debtor_id, [l.po_id for l in source.lines if l.po_id], target)
    lines = []
    # by default what is still open: an order's quantity not yet invoiced, an invoice's not yet credited
    left = open_quantities(session, source) if (target.is_invoice and source.document_type.is_order) or (
        target.is_credit_memo and source.document_type.is_invoice) else {}
    for line in source.lines:
        qty = (quantities or {}).get(line.id, left.get(line.id, line.quantity))
        if qty is None or qty < 0 or qty > line.quantity:
            raise ValidationFailed({"lines": [f"Line {line.line_no}: enter a quantity from 0 to {line.quantity.normalize():f}."]})
        if qty is None or qty == 0:
            continue
        lines.append(LineInput(job_id=line.job_id, bill_code_id=line.bill_code_id, quantity=qty, rate=line.rate,
                               service_date=line.service_date or source.doc_date, description=line.description,
                               explicit_po_id=carried.get(line.po_id), source_line_id=line.id))
    data = DocumentInput(debtor_id=source.debtor_id, document_type_id=target.id, number=number.strip()[:30],
                         doc_date=doc_date or date.today(), bill_from=source.bill_from, bill_to=source.bill_to,
                         po_number=source.po_number or "", lines=tuple(lines))
    return save_draft(session, user, None, data, source_document_id=source.id)
