"""Exports: every list as CSV and XLSX with the page's filters, sort and visibility; typed XLSX cells;
formula-like text neutralised; permissions as for the page."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest

from portal.services import documents, posting
from portal.services.exports import DATE_FORMAT, MONEY_FORMAT
from tests import factories


def _xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    return book.worksheets[0]


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _rows(sheet):
    """Data rows (below the title and header rows) as lists of values."""
    return [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]


@pytest.fixture
def books(db_session):
    """Two branches, a debtor with a PO drawn on by a posted invoice on each branch's job, a credit memo."""
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    admin = factories.user(db_session, role_name="Administrator")
    debtor = factories.debtor(db_session, "ACME", name="=HYPERLINK(\"http://x\")")
    other = factories.debtor(db_session, "ZED")
    po = factories.po(db_session, debtor, "4500123", amount="10000.00", effective=date(2026, 1, 1),
                      expiration=date(2027, 12, 31))
    factories.po(db_session, other, "ZED-1", amount="500.00", effective=date(2026, 1, 1), expiration=date(2027, 12, 31))
    mine = factories.job(db_session, debtor, north, title="North welder", start=date(2026, 1, 1))
    hidden = factories.job(db_session, debtor, south, title="South secret", start=date(2026, 1, 1))
    for job in (mine, hidden):
        factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    code = factories.bill_code_group(db_session, "Export codes", ["ORD"]).bill_codes[0]
    types = factories.document_types(db_session)

    def doc(type_name, job, qty, rate):
        line = documents.LineInput(job.id, code.id, Decimal(qty), Decimal(rate), date(2026, 3, 1))
        saved = documents.save_draft(db_session, admin, None, documents.DocumentInput(
            debtor.id, types[type_name].id, "", date(2026, 3, 1), lines=(line,)))
        posting.post(db_session, admin, saved.id, confirmed=True, override=True)
        return saved

    north_invoice = doc("Sales Invoice", mine, "10", "100")
    south_invoice = doc("Sales Invoice", hidden, "5", "100")
    return {"north": north, "south": south, "debtor": debtor, "other": other, "po": po, "mine": mine,
            "hidden": hidden, "north_invoice": north_invoice, "south_invoice": south_invoice}


def test_po_list_xlsx_has_typed_cells_money_format_frozen_header_widths_and_a_title(db_session, login_as, books):
    browser, _ = login_as("Billing Admin")
    sheet = _xlsx(browser.get(f"/purchase-orders/?debtor_id={books['debtor'].id}&expired=1&sort=number&format=xlsx"))
    assert sheet["A1"].value.startswith("Purchase orders — debtor: ACME; expired included; sort: PO number")
    header = [c.value for c in sheet[2]]
    assert header[:2] == ["PO number", "Debtor"] and "Net remaining" in header
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["A"].width > 10 and sheet.column_dimensions["E"].width > 20
    rows = _rows(sheet)
    assert [r[0] for r in rows] == ["4500123"]  # the debtor filter: ZED's PO is left out
    row = dict(zip(header, rows[0]))
    assert row["Amount"] == 10000 and row["Used"] == 1500 and row["Net remaining"] == 8500 and row["Net unused"] == 8500
    amount = sheet.cell(row=3, column=header.index("Amount") + 1)
    assert amount.data_type == "n" and amount.number_format == MONEY_FORMAT
    effective = sheet.cell(row=3, column=header.index("Effective") + 1)
    assert effective.is_date and effective.value == datetime(2026, 1, 1) and effective.number_format == DATE_FORMAT
    # CSV: the same rows, money to the cent
    lines = _csv(browser.get(f"/purchase-orders/?debtor_id={books['debtor'].id}&expired=1&format=csv"))
    assert lines[0] == header and dict(zip(header, lines[1]))["Used"] == "1500.00"


def test_list_sort_is_the_pages(db_session, login_as, books):
    for n in ("A-2", "A-1", "A-3"):
        factories.po(db_session, books["other"], n, effective=date(2026, 1, 1), expiration=date(2027, 12, 31))
    browser, _ = login_as("Billing Admin")
    rows = _csv(browser.get(f"/purchase-orders/?debtor_id={books['other'].id}&sort=number&format=csv"))[1:]
    assert [r[0] for r in rows] == ["A-1", "A-2", "A-3", "ZED-1"]


def test_formula_like_text_is_neutralised_in_csv_and_xlsx(db_session, login_as, books):
    for text in ("+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR"):
        factories.debtor(db_session, f"F{len(text)}{ord(text[0])}", name=text)
    browser, _ = login_as("Billing Admin")
    names = {r[0]: r[1] for r in _csv(browser.get("/debtors/?format=csv"))[1:]}
    assert names["ACME"] == "'=HYPERLINK(\"http://x\")"
    assert {n for n in names.values() if n.startswith("'")} == {"'=HYPERLINK(\"http://x\")", "'+1+1", "'-2",
                                                               "'@SUM(A1)", "'\tTAB", "'\rCR"}
    sheet = _xlsx(browser.get("/debtors/?q=ACME&format=xlsx"))
    assert sheet["A1"].value == "Debtors — search: ACME"
    cell = sheet["B3"]
    assert cell.data_type == "s" and cell.value == "'=HYPERLINK(\"http://x\")"


def test_branch_limited_user_exports_only_their_branchs_jobs(db_session, login_as, books):
    """consultant.north: NTH only. Job list, grid, documents on a PO and the PO list name no STH job."""
    browser, _ = login_as("Consultant", branches=[books["north"]])
    hidden = books["hidden"]
    jobs = _xlsx(browser.get("/job-orders/?all=1&format=xlsx"))
    header = [c.value for c in jobs[2]]
    rows = [dict(zip(header, r)) for r in _rows(jobs)]
    assert [r["Number"] for r in rows] == [books["mine"].number]
    assert rows[0]["Current PO"] == "4500123" and rows[0]["Assigned from"] == datetime(2026, 1, 1)
    grid = _xlsx(browser.get(f"/assignments/?debtor_id={books['debtor'].id}&as_of=2026-03-01&format=xlsx"))
    assert [r[0] for r in _rows(grid)] == [books["mine"].number]
    assert "as of: 2026-03-01" in grid["A1"].value
    docs = _xlsx(browser.get(f"/purchase-orders/{books['po'].id}?tab=documents&format=xlsx"))
    texts = " ".join(str(v) for r in _rows(docs) for v in r)
    assert books["mine"].number in texts and hidden.number not in texts and hidden.title not in texts
    for url in ("/job-orders/?all=1&format=csv", f"/assignments/?debtor_id={books['debtor'].id}&all=1&format=csv",
                f"/purchase-orders/{books['po'].id}?tab=documents&format=csv"):
        body = browser.get(url).get_data(as_text=True)
        assert hidden.number not in body and "South secret" not in body, url
    # a user on every branch sees both
    admin, _ = login_as("Billing Admin")
    assert hidden.number in admin.get("/job-orders/?all=1&format=csv").get_data(as_text=True)


def test_po_documents_export_has_the_running_balance(db_session, login_as, books):
    browser, _ = login_as("Billing Admin")
    sheet = _xlsx(browser.get(f"/purchase-orders/{books['po'].id}?tab=documents&format=xlsx"))
    header = [c.value for c in sheet[2]]
    rows = [dict(zip(header, r)) for r in _rows(sheet)]
    assert [r["Document"] for r in rows] == [books["south_invoice"].number, books["north_invoice"].number]
    assert [r["PO remaining"] for r in rows] == [8500, 9000] and [r["Applied to PO"] for r in rows] == [500, 1000]


def test_documents_notifications_spend_and_grid_export(db_session, login_as, books):
    browser, user = login_as("Billing Admin")
    docs = _csv(browser.get("/documents/?status=posted&format=csv"))
    assert docs[0][:3] == ["Date", "Number", "Type"] and len(docs) == 3
    spend = _xlsx(browser.get(f"/documents/report?debtor_id={books['debtor'].id}&format=xlsx"))
    row = _rows(spend)[0]
    assert row[:4] == ["ACME", "4500123", "PO budget", 2] and row[4] == 1500
    assert spend.cell(row=3, column=5).number_format == MONEY_FORMAT
    grid = _csv(browser.get(f"/assignments/?debtor_id={books['debtor'].id}&as_of=2026-03-01&format=csv"))
    assert sorted(r[0] for r in grid[1:]) == sorted([books["mine"].number, books["hidden"].number])
    assert browser.get("/assignments/?format=csv").status_code == 404  # no debtor chosen: nothing to export
    from portal.models import Notification

    other = factories.user(db_session, role_name="Auditor")
    db_session.add_all([Notification(user_id=user.id, subject="Mine =1", body="b"),
                        Notification(user_id=other.id, subject="Not mine", body="b")])
    db_session.commit()
    notes = _csv(browser.get("/notifications/?format=csv"))
    assert [r[1] for r in notes[1:]] == ["Mine =1"]
    sheet = _xlsx(browser.get("/notifications/?format=xlsx"))
    assert [r[1] for r in _rows(sheet)] == ["Mine =1"] and sheet["A3"].is_date and sheet["D3"].value is None
    docs = _xlsx(browser.get("/documents/?status=posted&format=xlsx"))
    header = [c.value for c in docs[2]]
    assert "status: posted" in docs["A1"].value and docs.freeze_panes == "A3"
    total = docs.cell(row=3, column=header.index("Total") + 1)
    assert total.data_type == "n" and total.number_format == MONEY_FORMAT and total.value in (1000, 500)
    assert docs["A3"].is_date and docs["A3"].value == datetime(2026, 3, 1)


def test_export_needs_the_pages_permission_and_a_known_format(db_session, login_as, books, browser):
    clerk, _ = login_as("Billing Clerk")  # no opportunities item
    assert clerk.get("/opportunities/?format=xlsx").status_code == 403
    assert clerk.get("/debtors/?format=pdf").status_code == 404
    assert browser.get("/debtors/?format=csv").status_code in (302, 401)  # signed out
    lead, _ = login_as("Relationship Lead")
    sheet = _xlsx(lead.get("/opportunities/?status=all&format=xlsx"))
    assert sheet["A1"].value.startswith("Opportunities and contracts — ") and sheet.freeze_panes == "A3"


def test_export_links_carry_the_current_query_string(db_session, login_as, books):
    browser, _ = login_as("Billing Admin")
    html = browser.get("/purchase-orders/?q=4500&sort=number&expired=1&page=1").get_data(as_text=True)
    assert 'href="/purchase-orders/?q=4500&amp;sort=number&amp;expired=1&amp;format=xlsx"' in html
    fragment = browser.get("/job-orders/?q=J&all=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'href="/job-orders/?q=J&amp;all=1&amp;format=csv"' in fragment
    tab = browser.get(f"/purchase-orders/{books['po'].id}?tab=documents").get_data(as_text=True)
    assert f'href="/purchase-orders/{books["po"].id}?tab=documents&amp;format=csv"' in tab
    for url in ("/debtors/", "/documents/", "/documents/report", "/notifications/",
                f"/assignments/?debtor_id={books['debtor'].id}"):
        assert "format=xlsx" in browser.get(url).get_data(as_text=True), url


def test_an_exports_statements_do_not_grow_with_its_rows(db_session, count_queries, books):
    """Job orders (current PO from the grid's rules), POs and documents: the same statements for a few
    rows as for many, across many debtors."""
    from portal.services import export_lists, exports
    from portal.services.job_orders import JobFilter
    from portal.services.purchase_orders import POFilter

    admin = factories.user(db_session, role_name="Billing Admin")
    today = date(2026, 3, 1)

    def statements():
        builds = [export_lists.job_orders_export(db_session, admin, JobFilter(active_only=False), today=today),
                  export_lists.purchase_orders_export(db_session, POFilter(include_expired=True), today=today),
                  export_lists.documents_export(db_session, SimpleNamespace(branch_ids=()))]
        with count_queries() as seen:
            lines = sum(1 for build in builds for _ in exports.csv_lines(build))
        return len(seen), lines

    few, few_lines = statements()
    for n in range(6):
        debtor = factories.debtor(db_session, f"MANY{n}")
        po = factories.po(db_session, debtor, f"M-{n}", effective=date(2026, 1, 1), expiration=date(2027, 12, 31))
        for _ in range(3):
            job = factories.job(db_session, debtor, books["north"], start=date(2026, 1, 1))
            factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    many, many_lines = statements()
    assert many_lines == few_lines + 6 * 3 + 6 and many == few
