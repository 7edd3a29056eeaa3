"""Read-only figures: a PO's documents (seed 001's Fetch, seed 004's details), spend by bill code,
and spend by PO number (seed 003's reporting and invoice grouping, on-the-fly numbers included).

Each reads a summary kept in the posting transaction (portal/models/summaries.py) and pages, so
its work does not grow with the ledger. Spend by PO number has no branch: users limited to branches
do not get it (check_spend_report)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import (ARRAY, Integer, String, bindparam, distinct, exists, func, literal_column, or_, select, true,
                        tuple_)
from sqlalchemy.orm import Session

from portal.models import (BillCode, Document, DocumentLine, DocumentType, JobOrder, POBillCodeTotal,
                           PODocumentTotal, PONumberSpend, PONumberSpendTotal, PurchaseOrder,
                           SpendDocument)
from portal.services import documents, search, statement_constants as constant
from portal.services.errors import Forbidden
from portal.services.job_visibility import branch_limit, visible


@dataclass(frozen=True)
class PODocumentRow:
    document_id: int
    doc_date: date
    number: str
    type_name: str
    jobs: str
    bill_to: date | None
    total: Decimal | None  # None on a row the user may not open: the document's total is other branches' figures
    applied: Decimal
    remaining: Decimal
    shown: bool = True  # False: a document wholly on other branches' jobs (its page answers 404 to this user)
    hidden_lines: int = 0  # its lines on other branches' jobs: not 0, `total` is the total of the other lines

    @property
    def cursor(self) -> str:
        """Where the next page starts: the document's date and id."""
        return f"{self.doc_date.isoformat()}_{self.document_id}"


@dataclass(frozen=True)
class PODocumentsPage:
    rows: list[PODocumentRow]
    next_cursor: str | None  # where "load more" goes on; None on the last page
    totals_of_lines_shown: bool = False  # the user is limited to branches: a row's total may leave lines out


PO_DOCUMENTS_PAGE = 50


def parse_cursor(raw: str | None) -> tuple[date, int] | None:
    """A keyset position "YYYY-MM-DD_id"; anything else is the first page."""
    day, _, ident = (raw or "").partition("_")
    try:
        value = date.fromisoformat(day), int(ident)
    except ValueError:
        return None
    return value if 0 < value[1] < 2**31 else None


def po_documents(session: Session, user, po: PurchaseOrder, before: str | None = None,
                 per_page: int | None = None) -> PODocumentsPage:
    """The documents drawing on the PO, newest first, one keyset page at a time, each with the amount
    applied and the PO's remaining balance after it (credit memos negative), naming only the
    jobs the user may see. A document the user may not open (wholly on other branches' jobs) keeps its row and the
    PO's own figures, without its total or a link: `shown` False, from the same query; one partly on them shows the
    total of the lines the user sees (`hidden_lines` says how many are left out). Reads the per-document
    totals kept with the ledger: two queries for the first page whatever the PO's size (a later page
    also sums what the pages before it showed)."""
    t, per_page = PODocumentTotal, per_page or PO_DOCUMENTS_PAGE
    cursor = parse_cursor(before)
    # everything drawn: the balance row (equal to the ledger, as `flask integrity check` proves)
    drawn = po.balance.used + po.balance.commitments + po.balance.estimates if po.balance else Decimal("0")
    after_cursor = Decimal("0")  # drawn by the documents shown already: the cursor's and every newer one
    if cursor:
        after_cursor = session.scalar(select(func.coalesce(func.sum(t.applied), 0)).where(
            t.po_id == po.id, tuple_(t.doc_date, t.document_id) >= tuple_(*cursor)))
    # a document whose lines all moved to another PO (reassignment) keeps a 0.00 total here: not listed; one
    # that still names the PO is, at 0.00 too (a void, an order invoiced in full)
    names_po = exists().where(DocumentLine.document_id == t.document_id, DocumentLine.po_id == t.po_id)
    page = [t.po_id == po.id, or_(t.applied != 0, names_po)] + (
        [tuple_(t.doc_date, t.document_id) < tuple_(*cursor)] if cursor else [])
    seen = documents.seen_by(user)  # None: not limited to branches, every document theirs
    # for a user limited to branches, how many lines are hidden from them and the total of the others
    hidden_lines, shown_total = documents.totals_shown_sql(user) or (None, None)
    partial = [] if seen is None else [hidden_lines, shown_total * DocumentType.sign]
    rows = session.execute(
        select(t.document_id, t.doc_date, Document.number, DocumentType.name, Document.bill_to,
               Document.total * DocumentType.sign, t.applied, true() if seen is None else seen, *partial)
        .join(Document, Document.id == t.document_id)
        .join(DocumentType, DocumentType.id == Document.document_type_id)
        .where(*page).order_by(t.doc_date.desc(), t.document_id.desc()).limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    jobs = _jobs_named(session, user, po.id, [r[0] for r in rows]) if rows else {}
    # remaining after a document = amount − everything drawn up to and including it
    remaining = po.amount - (drawn - after_cursor)
    out = []
    for doc_id, day, number, type_name, bill_to, total, applied, shown, *limited in rows:
        hidden, lines_total = limited or (0, None)
        out.append(PODocumentRow(doc_id, day, number, type_name, jobs.get(doc_id, "") if shown else "", bill_to,
                                 (lines_total if hidden else total) if shown else None, applied, remaining, shown,
                                 hidden if shown else 0))
        remaining += applied
    return PODocumentsPage(out, out[-1].cursor if more else None, documents.totals_leave_lines_out(user))


def _jobs_named(session: Session, user, po_id: int, document_ids: list[int]) -> dict[int, str]:
    """Each document's jobs on the PO that the user may see, by number ("J1, J2"). Each document's jobs once,
    from the line key's index alone (it carries the PO and the job); the PO as `po_id + 0`, which no index
    answers: a plan kept for any PO read the biggest PO's 250,000 lines by a po_id index (150 ms instead of
    0.3). Then each job's row once for the page: a PO's documents draw on few jobs (the big PO's 50 a page
    on 12), and joined per (document, job) pair its 600 look-ups were 1.4 ms of the tab's SQL."""
    per_document = session.execute(
        select(DocumentLine.document_id, func.array_agg(distinct(DocumentLine.job_id)))
        .where(search.unindexed(DocumentLine.po_id) == po_id, DocumentLine.document_id.in_(document_ids),
               DocumentLine.job_id.is_not(None))
        .group_by(DocumentLine.document_id)).all()
    wanted = sorted({job for _, jobs in per_document for job in jobs})
    # in the database's order of numbers (its collation, as the list would sort them), the user's jobs only
    numbers = dict(session.execute(visible(select(JobOrder.id, JobOrder.number).where(JobOrder.id.in_(wanted)), user)
                                   .order_by(JobOrder.number, JobOrder.id)).all()) if wanted else {}
    rank = {job: n for n, job in enumerate(numbers)}
    return {doc: ", ".join(numbers[j] for j in sorted((j for j in jobs if j in rank), key=rank.__getitem__))
            for doc, jobs in per_document if any(j in rank for j in jobs)}


def spend_by_bill_code(session: Session, po_id: int) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    """Seed 003's multi-line PO: one budget, spend tracked per bill code (ordinary vs overtime), from
    the per-bill-code totals kept with the ledger."""
    t = POBillCodeTotal
    rows = session.execute(
        select(BillCode.code, BillCode.description, t.used, t.commitments, t.estimates)
        .join(t, t.bill_code_id == BillCode.id).where(t.po_id == po_id).order_by(BillCode.code)).all()
    return [tuple(r) for r in rows]


REPORT_DOCUMENTS_PER_NUMBER = 5
REPORT_PAGE = 25
SPEND_REPORT_REFUSED = "The spend report covers every branch's jobs; it is not shown to users limited to branches."


def may_see_spend_report(user) -> bool:
    """Whether the user gets spend by PO number (page, exports, API). Its summaries (po_number_spend,
    spend_documents) have no branch, so it covers every branch's jobs, on-the-fly PO numbers (a job's own
    po_reference) included: a user limited to branches (job security, seed 004) does not get it."""
    return branch_limit(user) is None


def check_spend_report(user) -> None:
    """Forbidden, saying why, unless the user may see spend by PO number (`may_see_spend_report`)."""
    if not may_see_spend_report(user):
        raise Forbidden(SPEND_REPORT_REFUSED)


@dataclass(frozen=True)
class SpendRow:
    debtor_id: int
    po_number: str
    used: Decimal
    commitment: Decimal
    estimate: Decimal
    documents: int
    budgeted_documents: int  # of `documents`, those drawing on a PO of the number (the others carry it typed)
    items: list["ReportDocument"]

    def __getitem__(self, key: str):  # the template and the CSV read it like the old dict
        return getattr(self, key)

    @property
    def budgeted(self) -> bool:
        """Whether a PO of the number funds any of its documents (the number is then a PO's: the page links it)."""
        return self.budgeted_documents > 0

    @property
    def budget(self) -> str:
        """What funds the number's money, in words (page, exports, API): a PO's budget, a number typed on the fly
        (no budget), or both, saying how many documents are on the budget, never the whole row as budgeted."""
        if not self.budgeted:
            return "on the fly"
        if self.budgeted_documents >= self.documents:
            return "PO budget"
        return (f"PO budget and on the fly ({self.budgeted_documents:,} of {self.documents:,} documents on the "
                "budget)")

    @property
    def earlier_documents(self) -> int:
        """How many of the number's documents the report leaves out (it lists the latest few)."""
        return max(0, self.documents - len(self.items))

    @property
    def cursor(self) -> str:
        """Where the next page starts: the debtor and the PO number."""
        return f"{self.debtor_id}_{self.po_number}"


@dataclass(frozen=True)
class SpendPage:
    rows: list[SpendRow]
    total_numbers: int
    totals: tuple[Decimal, Decimal, Decimal, int]  # used, commitments, estimates, documents: summed by the database
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the PO numbers fill (at least one)."""
        return max(1, -(-self.total_numbers // self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.page < self.pages

    @property
    def total(self) -> int:
        """How many PO numbers the report lists."""
        return self.total_numbers

    more = False  # every number is counted (the summary has one row per number)


def _spend_rows(session: Session, debtor_id: int | None):
    """Spend by PO number, only numbers with at least one document, for one debtor or all."""
    s = PONumberSpend
    stmt = select(s).where(s.documents > constant.number(0))
    return stmt.where(s.debtor_id == debtor_id) if debtor_id else stmt


# the footer's sums from the per-debtor totals (po_number_spend_totals, kept at commit): one row for a debtor,
# one per debtor for all, where summing the numbers' rows read all 10,000 of them
_t = PONumberSpendTotal
_TOTALS = select(func.coalesce(func.sum(_t.numbers), 0), func.coalesce(func.sum(_t.used), 0),
                 func.coalesce(func.sum(_t.commitments), 0), func.coalesce(func.sum(_t.estimates), 0),
                 func.coalesce(func.sum(_t.documents), 0))
_TOTALS_OF_ONE = _TOTALS.where(_t.debtor_id == bindparam("debtor_id"))


def spend_by_po_number(session: Session, debtor_id: int | None = None, page: int = 1,
                       per_page: int | None = None) -> SpendPage:
    """Posted documents grouped by the PO number their lines carry (budgeted or typed on the fly), one
    page of numbers at a time, from the summary kept in the posting transaction; each number with its
    latest REPORT_DOCUMENTS_PER_NUMBER documents; the totals from the per-debtor sums kept with it. Three
    queries whatever the ledger's size or the number of PO numbers."""
    s, per_page = PONumberSpend, per_page or REPORT_PAGE
    page = max(1, min(page, 1_000_000))
    count, used, commitments, estimates, documents = session.execute(
        _TOTALS_OF_ONE if debtor_id else _TOTALS, {"debtor_id": debtor_id}).one()
    numbers = session.scalars(_spend_rows(session, debtor_id).order_by(s.po_number, s.debtor_id)
                              .limit(constant.number(per_page)).offset(constant.number((page - 1) * per_page))).all()
    items: dict[tuple[int, str], list[ReportDocument]] = {}
    if numbers:
        keys = [(n.debtor_id, n.po_number) for n in numbers]
        sd = SpendDocument
        latest = (select(sd.document_id).where(sd.debtor_id == literal_column("k.debtor_id"),
                                              sd.po_number == literal_column("k.po_number"))
                  .order_by(sd.doc_date.desc(), sd.document_id.desc()).limit(REPORT_DOCUMENTS_PER_NUMBER)
                  .lateral("latest"))
        # the page's keys as two arrays (one statement text whatever the page: kept prepared; a VALUES
        # list was compiled again on every request)
        k = func.unnest(bindparam("debtor_ids", [d for d, _ in keys], ARRAY(Integer)),
                        bindparam("po_numbers", [n for _, n in keys], ARRAY(String))
                        ).table_valued("debtor_id", "po_number").render_derived(name="k")
        stmt = (select(k.c.debtor_id, k.c.po_number, Document.id, Document.number, Document.doc_date,
                       DocumentType.name, sd.used + sd.commitments + sd.estimates)
                .select_from(k).join(latest, true())
                .join(sd, (sd.document_id == latest.c.document_id) & (sd.po_number == k.c.po_number))
                .join(Document, Document.id == sd.document_id)
                .join(DocumentType, DocumentType.id == Document.document_type_id)
                .order_by(Document.doc_date.desc(), Document.id.desc()))
        for debtor, number, doc_id, doc_number, doc_date, type_name, amount in session.execute(stmt):
            items.setdefault((debtor, number), []).append(ReportDocument(doc_id, doc_number, doc_date, type_name, amount))
    rows = [SpendRow(n.debtor_id, n.po_number, n.used, n.commitments, n.estimates, n.documents,
                     n.budgeted_documents, items.get((n.debtor_id, n.po_number), [])) for n in numbers]
    return SpendPage(rows, count, (used, commitments, estimates, documents), page, per_page)


def spend_by_po_number_all(session: Session, debtor_id: int | None = None, chunk: int = 2000):
    """Every (debtor, number) row for the export, read in keyset chunks so memory stays flat."""
    s = PONumberSpend
    after: tuple[str, int] | None = None
    while True:
        stmt = _spend_rows(session, debtor_id)
        if after:
            stmt = stmt.where(tuple_(s.po_number, s.debtor_id) > tuple_(*after))
        batch = session.scalars(stmt.order_by(s.po_number, s.debtor_id).limit(chunk)).all()
        for n in batch:
            yield SpendRow(n.debtor_id, n.po_number, n.used, n.commitments, n.estimates, n.documents,
                           n.budgeted_documents, [])
        if len(batch) < chunk:
            return
        after = (batch[-1].po_number, batch[-1].debtor_id)


@dataclass(frozen=True)
class ReportDocument:
    document_id: int
    number: str
    doc_date: date
    type_name: str
    amount: Decimal
