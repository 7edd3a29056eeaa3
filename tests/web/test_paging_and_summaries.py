"""Pages never return more than their page size, their figures equal what the database computes
from the ledger and the lines, and the summaries they read follow posting, voiding and reassigning."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import BillCode, Document, DocumentLine, DocumentType, LedgerEntry
from portal.services import documents, posting, reports
from portal.services.integrity import check
from tests import factories

DAY = date(2026, 3, 1)


@pytest.fixture()
def books(db_session):
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", amount="100000", tolerance=90)
    other = factories.po(db_session, debtor, "4600", amount="50000", tolerance=90)
    job = factories.job(db_session, debtor)
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    user = factories.user(db_session, role_name="Administrator")
    types = factories.document_types(db_session)

    def post(type_name="Sales Invoice", day=DAY, qty="10", rate="95.00", lines=1) -> Document:
        data = documents.DocumentInput(
            debtor_id=debtor.id, document_type_id=types[type_name].id, number="", doc_date=day, bill_from=day,
            bill_to=day, lines=tuple(documents.LineInput(job_id=job.id, bill_code_id=code.id, quantity=Decimal(qty),
                                                         rate=Decimal(rate)) for _ in range(lines)))
        draft = documents.save_draft(db_session, user, None, data)
        result = posting.post(db_session, user, draft.id, confirmed=True, override=True, today=day)
        assert result.posted
        return draft

    return {"debtor": debtor, "po": po, "other": other, "job": job, "user": user, "post": post, "types": types}


def _applied_by_document(session, po_id):
    return dict(session.execute(select(LedgerEntry.document_id, func.sum(LedgerEntry.amount))
                                .where(LedgerEntry.po_id == po_id).group_by(LedgerEntry.document_id)).all())


def test_po_documents_page_by_page_with_the_ledgers_running_remaining(db_session, books):
    posted = [books["post"](day=DAY + timedelta(days=i), qty=str(i + 1)) for i in range(5)]
    po = books["po"]
    seen, cursor, pages = [], None, 0
    while True:
        page = reports.po_documents(db_session, books["user"], po, cursor, per_page=2)
        assert len(page.rows) <= 2
        seen += page.rows
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and [r.document_id for r in seen] == [d.id for d in reversed(posted)]  # newest first
    applied = _applied_by_document(db_session, po.id)
    running = po.amount
    for doc in posted:  # oldest first: what remains after each, from the ledger itself
        running -= applied[doc.id]
        row = next(r for r in seen if r.document_id == doc.id)
        assert (row.applied, row.remaining) == (applied[doc.id], running)


def test_po_documents_name_each_documents_jobs_on_the_po_once_sorted_and_only_those_the_user_may_see(
        db_session, books):
    """The jobs column: the distinct jobs of the document's lines that draw this PO, by number; a line
    on another PO adds none; a branch-limited user sees only their branches' jobs."""
    debtor, po, other = books["debtor"], books["po"], books["other"]
    home, away = factories.branch(db_session), factories.branch(db_session)
    jobs = [factories.job(db_session, debtor, home) for _ in range(3)] + [factories.job(db_session, debtor, away)]
    jobs[2].number = "A-LAST-MADE"  # by number, not by when the job was made
    for j in jobs:
        factories.assignment(db_session, j, po=po, start=date(2026, 1, 1))
    code = db_session.scalars(select(BillCode)).one()
    types = factories.document_types(db_session)
    lines = [(jobs[2], None), (jobs[0], None), (jobs[2], None), (jobs[1], other.id), (jobs[3], None)]
    data = documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=types["Sales Invoice"].id, number="", doc_date=DAY, bill_from=DAY,
        bill_to=DAY, lines=tuple(documents.LineInput(job_id=j.id, bill_code_id=code.id, quantity=Decimal("1"),
                                                     rate=Decimal("5"), explicit_po_id=po_id) for j, po_id in lines))
    draft = documents.save_draft(db_session, books["user"], None, data)
    assert posting.post(db_session, books["user"], draft.id, confirmed=True, override=True, today=DAY).posted
    numbers = sorted(j.number for j in (jobs[0], jobs[2], jobs[3]))
    row = reports.po_documents(db_session, books["user"], po).rows[0]
    assert row.document_id == draft.id and row.jobs == ", ".join(numbers)
    assert reports.po_documents(db_session, books["user"], other).rows[0].jobs == jobs[1].number
    limited = factories.user(db_session, role_name="Billing Admin", branches=[home])
    assert reports.po_documents(db_session, limited, po).rows[0].jobs == ", ".join(
        sorted(j.number for j in (jobs[0], jobs[2])))


def test_po_documents_tab_loads_more_as_a_fragment(db_session, login_as, books, monkeypatch):
    for i in range(3):
        books["post"](day=DAY + timedelta(days=i))
    monkeypatch.setattr(reports, "PO_DOCUMENTS_PAGE", 2)
    browser, _ = login_as("Billing Admin")
    html = browser.get(f"/purchase-orders/{books['po'].id}?tab=documents").get_data(as_text=True)
    assert html.count("/documents/") - html.count('href="/documents/"') >= 2 and "Load older documents" in html
    assert "Newest first" in html
    more = html.split('class="load-more"')[1].split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    fragment = browser.get(more, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and fragment.count("<tr>") == 1 and "Load older" not in fragment


def test_garbage_cursor_is_the_first_page(db_session, books):
    books["post"]()
    for raw in ("", "x", "2026-13-01_1", "2026-01-01_-5", "2026-01-01_99999999999", "\x00"):
        assert len(reports.po_documents(db_session, books["user"], books["po"], raw).rows) == 1


def test_spend_summary_follows_post_void_and_reassign(db_session, books):
    invoice = books["post"](lines=2)
    order = books["post"]("Sales Order", qty="3")
    report = reports.spend_by_po_number(db_session)
    [row] = report.rows
    assert (row.po_number, row.documents, row.used, row.commitment) == ("4500", 2, Decimal("1900.00"), Decimal("285.00"))
    assert report.totals == (Decimal("1900.00"), Decimal("285.00"), Decimal("0"), 2)
    posting.void(db_session, books["user"], order.id, today=DAY)
    assert check(db_session) == []
    [row] = reports.spend_by_po_number(db_session).rows
    assert (row.documents, row.commitment) == (1, Decimal("0"))
    line = db_session.scalars(select(DocumentLine).where(DocumentLine.document_id == invoice.id)
                              .order_by(DocumentLine.line_no)).first()
    posting.reassign(db_session, books["user"], invoice.id, [line.id], books["other"].id, None, reason="wrong PO",
                     today=DAY)
    assert check(db_session) == []
    rows = {r.po_number: r for r in reports.spend_by_po_number(db_session).rows}
    assert (rows["4500"].used, rows["4600"].used) == (Decimal("950.00"), Decimal("950.00"))
    assert rows["4500"].documents == rows["4600"].documents == 1
    assert [i.document_id for i in rows["4600"].items] == [invoice.id]


def test_spend_report_pages_and_its_totals_are_the_databases(db_session, login_as, books, monkeypatch):
    for n in range(5):  # five on-the-fly numbers
        factories_job = factories.job(db_session, books["debtor"], title=f"Typed {n}")
        factories_job.po_reference = f"REF-{n}"
        db_session.commit()
        types = books["types"]
        data = documents.DocumentInput(
            debtor_id=books["debtor"].id, document_type_id=types["Sales Invoice"].id, number="", doc_date=DAY,
            lines=(documents.LineInput(job_id=factories_job.id, bill_code_id=db_session.scalar(select(BillCode.id)),
                                       quantity=Decimal("1"), rate=Decimal(10 + n)),))
        draft = documents.save_draft(db_session, books["user"], None, data)
        posting.post(db_session, books["user"], draft.id, confirmed=True, override=True, today=DAY)
    monkeypatch.setattr(reports, "REPORT_PAGE", 2)
    browser, _ = login_as("Billing Admin")
    first = browser.get("/documents/report").get_data(as_text=True)
    assert first.count("on the fly (no budget)") == 2 and "Page 1 of 3" in first
    last = browser.get("/documents/report?page=3", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in last and last.count("on the fly (no budget)") == 1
    used = db_session.scalar(select(func.sum(DocumentLine.amount * DocumentType.sign))
                             .join(Document, Document.id == DocumentLine.document_id)
                             .join(DocumentType, DocumentType.id == Document.document_type_id)
                             .where(Document.status == "posted"))
    assert reports.spend_by_po_number(db_session).totals[0] == used == Decimal("60.00")
    assert "60.00" in first.split("<tfoot>")[1]
    csv = browser.get("/documents/report?format=csv").get_data(as_text=True).splitlines()
    assert len(csv) == 6 and csv[0].startswith("Debtor,PO number")


def test_assignment_grid_and_a_debtors_pos_are_paged(db_session, login_as, books, monkeypatch, app):
    from portal.services import assignments

    for n in range(4):
        job = factories.job(db_session, books["debtor"], start=date(2026, 1, 1), title=f"Extra {n}")
        factories.assignment(db_session, job, po=books["po"], start=date(2026, 1, 1))
    monkeypatch.setattr(assignments, "GRID_PAGE", 2)
    browser, _ = login_as("Billing Admin")
    seen = set()
    for page in (1, 2, 3):
        html = browser.get(f"/assignments/?debtor_id={books['debtor'].id}&as_of=2026-03-01&page={page}",
                           headers={"HX-Request": "true"}).get_data(as_text=True)
        rows = html.count("data-job-id=")
        assert rows == (2 if page < 3 else 1)
        seen |= {part.split('"')[0] for part in html.split('data-job-id="')[1:]}
    assert len(seen) == 5  # every job once, none twice
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)  # the app is shared by the session
    tab = browser.get(f"/debtors/{books['debtor'].id}?tab=purchase_orders").get_data(as_text=True)
    assert tab.count("data-po-id=") == 1 and "Page 1 of 2" in tab and "tab=purchase_orders" in tab


def test_search_matches_number_prefixes_and_title_words(db_session, login_as, books):
    factories.job(db_session, books["debtor"], title="Forklift driver nights")
    browser, _ = login_as("Billing Admin")
    assert "Forklift driver nights" in browser.get("/job-orders/?q=fork+driv").get_data(as_text=True)
    assert "Forklift driver nights" in browser.get("/job-orders/?q=NIGHT").get_data(as_text=True)
    assert "Forklift driver nights" not in browser.get("/job-orders/?q=ift").get_data(as_text=True)
    pos = browser.get("/purchase-orders/?q=45").get_data(as_text=True)
    assert ">4500<" in pos and ">4600<" not in pos
    books["post"]()
    number = db_session.scalar(select(Document.number))
    assert number in browser.get(f"/documents/?q={number[:3].lower()}").get_data(as_text=True)
    for garbage in ("%", "_", "\\", "'", ":*", "a & b | !c", "x" * 300):
        assert browser.get(f"/job-orders/?q={garbage}").status_code == 200
        assert browser.get(f"/purchase-orders/?q={garbage}").status_code == 200


def test_a_blank_number_never_collides_with_a_typed_one(db_session, books):
    """The next number used to be "count of documents of the type + 1": a typed number (or two
    drafts saved at once) took it, and a draft with a blank number was refused as a duplicate."""
    types, user, debtor = books["types"], books["user"], books["debtor"]

    def draft(number: str):
        return documents.save_draft(db_session, user, None, documents.DocumentInput(
            debtor_id=debtor.id, document_type_id=types["Sales Invoice"].id, number=number, doc_date=DAY,
            lines=(documents.LineInput(job_id=books["job"].id, bill_code_id=db_session.scalar(select(BillCode.id)),
                                       quantity=Decimal("1"), rate=Decimal("10")),)))

    code = types["Sales Invoice"].code
    typed = draft(f"{code}-00002")
    first, second = draft(""), draft("")
    assert len({typed.number, first.number, second.number}) == 3
    assert first.number.startswith(f"{code}-") and second.number.startswith(f"{code}-")
    from portal.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:  # a typed duplicate is a form message, not a 500
        draft(first.number.lower())
    assert "number" in refused.value.errors


def test_a_search_counts_up_to_its_cap_and_pages_in_its_order(db_session):
    """The count stops a few pages on whatever order the rows come in; the page itself keeps the list's order."""
    from portal.services import job_orders
    from portal.services.paging import paginate

    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    admin = factories.user(db_session, role_name="Billing Admin")
    for i in range(9):
        factories.job(db_session, debtor, branch, title=f"Welder {i}")
    factories.job(db_session, debtor, branch, title="Driver")
    db_session.commit()
    stmt = job_orders.filtered(job_orders.JobFilter(q="weld", active_only=False), admin, date.today()) \
        .order_by(None).order_by(job_orders.JobOrder.title.desc())
    first = paginate(db_session, stmt, 1, 2, count_ahead=2)  # counts up to (1 + 2) pages of 2: 6
    assert (first.total, first.more, first.pages) == (6, True, 3)
    assert [j.title for j in first.items] == ["Welder 8", "Welder 7"]
    last = paginate(db_session, stmt, 5, 2, count_ahead=2)
    assert (last.total, last.more) == (9, False) and [j.title for j in last.items] == ["Welder 0"]


def test_a_search_pages_its_matches_in_number_order_within_the_users_branches(db_session):
    """A search finds its page first and joins only that page (a deferred join): every page holds exactly
    the matches the user may see (title word, number or typed PO reference), newest number first, none
    twice, and a job of another branch or no longer active never appears."""
    from portal.services import job_orders

    debtor, north, south = factories.debtor(db_session), factories.branch(db_session), factories.branch(db_session)
    limited = factories.user(db_session, role_name="Billing Admin", branches=[north])
    jobs = [factories.job(db_session, debtor, north, title=f"Welder {i}") for i in range(5)]
    by_reference = factories.job(db_session, debtor, north, title="Driver")
    by_reference.po_reference = "WELD-77"
    factories.job(db_session, debtor, south, title="Welder south")  # another branch
    factories.job(db_session, debtor, north, title="Welder gone", start=date(2020, 1, 1),
                  discontinued=date(2020, 2, 1))  # not active today
    factories.job(db_session, debtor, north, title="Painter")
    db_session.commit()
    expected = [j.number for j in sorted(jobs + [by_reference], key=lambda j: (j.number, j.id), reverse=True)]
    flt = job_orders.JobFilter(q="weld")
    pages = [job_orders.list_jobs(db_session, limited, flt, today=date.today(), page=n, per_page=4) for n in (1, 2, 3)]
    assert [[j.number for j in p.items] for p in pages] == [expected[:4], expected[4:], []]
    assert (pages[0].total, pages[0].pages) == (6, 2)
    assert all(j.debtor.code == debtor.code and j.branch.code == north.code for p in pages for j in p.items)
    by_number = job_orders.list_jobs(db_session, limited, job_orders.JobFilter(q=jobs[2].number.lower()),
                                     today=date.today())
    assert jobs[2].number in [j.number for j in by_number.items]


@pytest.mark.parametrize("sort", ["expiration", "-expiration", "number", "remaining"])
def test_a_po_search_lists_its_matches_in_the_chosen_order(db_session, sort):
    """A search sorts its matches itself (not along the sort's index): the order is the chosen one, by
    date, text or money, whatever the search matched (number prefix or a description word)."""
    from portal.services import purchase_orders

    debtor = factories.debtor(db_session)
    made = [factories.po(db_session, debtor, number, amount=amount, expiration=expiration, description=text_)
            for number, amount, expiration, text_ in [
                ("4510", "900.00", date(2030, 3, 1), "Cleaning"),
                ("4502", "90.00", date(2030, 1, 1), "Cleaning"),
                ("7001", "5000.00", date(2030, 2, 1), "Welding 45 crew"),  # matches by its description's word
                ("4520", "10000.00", date(2030, 2, 1), "Cleaning"),
                ("8800", "1.00", date(2030, 1, 15), "Painting")]]  # no match
    matches = [p for p in made if p.number != "8800"]
    key = {"expiration": lambda p: (p.expiration, p.number, p.id),
           "-expiration": lambda p: (-p.expiration.toordinal(), p.number, p.id),
           "number": lambda p: (p.number, p.id),
           "remaining": lambda p: (p.amount, p.id)}[sort]
    page = purchase_orders.list_purchase_orders(db_session, purchase_orders.POFilter(q="45", sort=sort),
                                                today=date(2026, 6, 1), per_page=3)
    rest = purchase_orders.list_purchase_orders(db_session, purchase_orders.POFilter(q="45", sort=sort),
                                                today=date(2026, 6, 1), page=2, per_page=3)
    assert [p.number for p in page.items + rest.items] == [p.number for p in sorted(matches, key=key)]
    assert page.total == 4


def test_a_page_and_its_count_come_in_one_statement_and_a_page_past_the_end_still_counts(db_session, count_queries):
    """The count rides on the page's statement; a page past the last row has no row to carry it, so it
    asks on its own and still says how many there are (the pager's "page 9 of 3"); an empty list is 0."""
    from portal.services.paging import paginate

    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    for i in range(5):
        factories.job(db_session, debtor, branch, title=f"Row {i}")
    db_session.commit()
    from portal.models import JobOrder

    stmt = select(JobOrder).where(JobOrder.debtor_id == debtor.id).order_by(JobOrder.title)
    with count_queries() as seen:
        first = paginate(db_session, stmt, 1, 2)
    assert len(seen) == 1 and (first.total, first.pages, first.more) == (5, 3, False)
    assert seen[0].count("LIMIT") == 2  # the count stops too: it reads no more rows than it may show
    assert [j.title for j in first.items] == ["Row 0", "Row 1"] and all(isinstance(j, JobOrder) for j in first.items)
    last = paginate(db_session, stmt, 3, 2)
    assert [j.title for j in last.items] == ["Row 4"] and last.total == 5
    with count_queries() as seen:
        beyond = paginate(db_session, stmt, 9, 2)
    assert (beyond.items, beyond.total, beyond.pages, len(seen)) == ([], 5, 3, 2)
    with count_queries() as seen:
        nothing = paginate(db_session, stmt.where(JobOrder.title == "none"), 1, 2)
    assert (nothing.items, nothing.total, nothing.pages, len(seen)) == ([], 0, 1, 1)  # page 1: nothing to ask
    assert paginate(db_session, stmt.where(JobOrder.title == "none"), 3, 2).total == 0
    second = paginate(db_session, stmt.where(JobOrder.title == "Row 0"), 2, 2)  # one row: page 2 is past it
    assert (second.items, second.total) == ([], 1)
    exactly = paginate(db_session, stmt.where(JobOrder.title != "Row 4"), 1, 1, count_ahead=3)  # 4 rows, cap 4
    assert (exactly.total, exactly.more) == (4, False)
    assert paginate(db_session, stmt, 10**9, 2).page == 1_000_000  # a wild page number is clamped
    rows = paginate(db_session, select(JobOrder.title, JobOrder.debtor_id).where(JobOrder.debtor_id == debtor.id)
                    .order_by(JobOrder.title.desc()), 1, 2, scalars=False)
    assert rows.items == [("Row 4", debtor.id), ("Row 3", debtor.id)] and rows.total == 5
