"""Job security on whole documents: for a user limited to branches, a document whose job lines are all on
other branches' jobs is not theirs (its total is those branches' figures, as the spend report's are): left
out of the documents list, its search, its export, the start page's drafts and the API's list, and its
page, history, actions and API detail answer 404, as another branch's job does. A document with a line on
one of their jobs is shown (the other lines hidden, as before); one with no line on a job is shown too."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models import Document
from portal.services import documents
from tests import factories
from tests.api.conftest import ApiClient, make_token

D = date


@pytest.fixture
def docs(db_session):
    """Four drafts of one debtor: OTHERDOC1 wholly on the south branch's jobs (35,850.00), MIXEDDOC1 on a
    north and a south job, NOJOBDOC1 with no job; and OTHERJOB1, a job-less line beside a south job."""
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    admin = factories.user(db_session, role_name="Administrator")
    debtor = factories.debtor(db_session, "SPLIT")
    north_job = factories.job(db_session, debtor, north, title="North welder")
    south_jobs = [factories.job(db_session, debtor, south, title=f"South driver {n}") for n in range(2)]
    code = factories.bill_code_group(db_session, "Split codes", ["SPL"]).bill_codes[0]
    invoice = factories.document_types(db_session)["Sales Invoice"]

    def draft(number, jobs, rate):
        lines = tuple(documents.LineInput(j.id if j else None, code.id, Decimal("1"), Decimal(rate), D(2026, 3, 1))
                      for j in jobs)
        return documents.save_draft(db_session, admin, None, documents.DocumentInput(
            debtor.id, invoice.id, number, D(2026, 3, 1), lines=lines)).id

    return {"north": north, "north_job": north_job, "south_jobs": south_jobs,
            "other": draft("OTHERDOC1", south_jobs, "17925"),
            "mixed": draft("MIXEDDOC1", [north_job, south_jobs[0]], "7"), "nojob": draft("NOJOBDOC1", [None], "9"),
            "other_with_nojob": draft("OTHERJOB1", [None, south_jobs[1]], "3")}


def _numbers(text: str) -> set[str]:
    return {n for n in ("OTHERDOC1", "MIXEDDOC1", "NOJOBDOC1", "OTHERJOB1") if n in text}


SHOWN = {"MIXEDDOC1", "NOJOBDOC1"}
EVERY = SHOWN | {"OTHERDOC1", "OTHERJOB1"}


LIMITED_LISTS = {  # each place that lists documents, as (path, query string)
    "list": ("/documents/", {}), "search": ("/documents/", {"q": "inv"}),
    "drafts filter": ("/documents/", {"status": "draft"}),
    "csv export": ("/documents/", {"format": "csv"}), "start page": ("/", {}),
}


@pytest.mark.parametrize("where", LIMITED_LISTS)
def test_another_branchs_document_is_left_out_of_every_list(docs, login_as, where):
    browser, _ = login_as("Administrator", branches=[docs["north"]])
    path, query = LIMITED_LISTS[where]
    text = browser.get(path, query_string=query).get_data(as_text=True)
    assert _numbers(text) == SHOWN and "35,850.00" not in text and "35850.00" not in text


def test_the_counts_leave_it_out_too(docs, login_as):
    browser, _ = login_as("Administrator", branches=[docs["north"]])
    assert 'id="tile-drafts-count">2<' in browser.get("/").get_data(as_text=True).replace("\n", "")
    assert not _numbers(browser.get("/documents/", query_string={"q": "OTHER"}).get_data(as_text=True))


def _routes(doc_id: int):
    gets = [f"/documents/{doc_id}", f"/documents/{doc_id}?tab=history", f"/documents/{doc_id}/edit",
            f"/documents/{doc_id}/post", f"/documents/{doc_id}/derive-number",
            f"/documents/{doc_id}/reassign?target=1:&line_id=1&reason=x", f"/documents/{doc_id}/reassign-form"]
    posts = [(f"/documents/{doc_id}/post", {"confirmed": "1"}), (f"/documents/{doc_id}/void", {}),
             (f"/documents/{doc_id}/derive", {"type_id": "1"}),
             (f"/documents/{doc_id}/reassign", {"target": "1:", "line_id": "1", "reason": "x"})]
    return [("GET", url, None) for url in gets] + [("POST", url, form) for url, form in posts]


@pytest.mark.parametrize("key", ["other", "other_with_nojob"])
@pytest.mark.parametrize("n", range(11))
def test_another_branchs_document_answers_404_on_its_page_history_and_actions(docs, login_as, db_session, key, n):
    browser, _ = login_as("Administrator", branches=[docs["north"]])
    method, url, form = _routes(docs[key])[n]
    headers = {"HX-Request": "true"}
    response = browser.get(url, headers=headers) if method == "GET" else browser.post(url, form, headers=headers)
    assert response.status_code == 404, (method, url)
    db_session.expire_all()
    assert db_session.get(Document, docs[key]).status == "draft"


def test_a_mixed_document_and_one_without_jobs_stay_visible(docs, login_as, db_session):
    browser, _ = login_as("Administrator", branches=[docs["north"]])
    mixed = browser.get(f"/documents/{docs['mixed']}")
    page = mixed.get_data(as_text=True)
    assert mixed.status_code == 200 and "1 line on job orders outside your branches is not shown" in page
    assert docs["north_job"].number in page and docs["south_jobs"][0].number not in page
    assert browser.get(f"/documents/{docs['mixed']}?tab=history").status_code == 200
    assert browser.get(f"/documents/{docs['nojob']}").status_code == 200


def test_a_user_not_limited_to_branches_sees_every_document(docs, login_as):
    browser, _ = login_as("Administrator")
    listed = browser.get("/documents/").get_data(as_text=True)
    assert _numbers(listed) == EVERY and "35,850.00" in listed
    rows = browser.get("/documents/", query_string={"format": "csv"}).get_data(as_text=True)
    assert _numbers(rows) == EVERY and _numbers(browser.get("/").get_data(as_text=True)) == EVERY
    for key in ("other", "mixed", "nojob", "other_with_nojob"):
        assert browser.get(f"/documents/{docs[key]}").status_code == 200


def _api_clients(app, db_session, docs):
    limited = factories.user(db_session, role_name="Billing Admin", branches=[docs["north"]])
    everyone = factories.user(db_session, role_name="Consultant")
    return [ApiClient(app, db_session, make_token(db_session, user)[1]) for user in (limited, everyone)]


def test_the_api_lists_only_the_documents_the_user_may_see(docs, app, db_session):
    limited, everyone = _api_clients(app, db_session, docs)
    listed = limited.get("/api/v1/documents").get_json()
    assert {d["number"] for d in listed["items"]} == SHOWN and listed["page"]["total"] == 2
    assert {d["number"] for d in everyone.get("/api/v1/documents").get_json()["items"]} == EVERY


def test_the_api_answers_404_for_another_branchs_document(docs, app, db_session):
    limited, everyone = _api_clients(app, db_session, docs)
    assert limited.get(f"/api/v1/documents/{docs['other']}").status_code == 404
    assert limited.post(f"/api/v1/documents/{docs['other']}/post", json={"confirm": True}).status_code == 404
    mixed = limited.get(f"/api/v1/documents/{docs['mixed']}").get_json()
    assert mixed["hidden_lines"] == 1 and [l["job_id"] for l in mixed["lines"]] == [docs["north_job"].id]
    assert limited.get(f"/api/v1/documents/{docs['nojob']}").status_code == 200
    assert everyone.get(f"/api/v1/documents/{docs['other']}").get_json()["total"] == "35850.00"


@pytest.fixture
def po_docs(docs, db_session):
    """The debtor's PO with OTHERDOC1-like and MIXEDDOC1-like invoices posted on it: SOUTHINV1 wholly on a south
    job (1,234.00), MIXEDINV1 on a north and a south job."""
    from portal.models import BillCode, JobOrder
    from portal.services import posting

    admin = factories.user(db_session, role_name="Administrator")
    south_job = db_session.get(JobOrder, docs["south_jobs"][0].id)
    po = factories.po(db_session, south_job.debtor, "SPLITPO", amount="50000.00", effective=D(2026, 1, 1),
                      expiration=D(2026, 12, 31))
    code = db_session.scalar(select(BillCode).where(BillCode.code == "SPL"))
    invoice = factories.document_types(db_session)["Sales Invoice"]

    def post(number, jobs, rate):
        lines = tuple(documents.LineInput(j.id, code.id, Decimal("1"), Decimal(rate), D(2026, 3, 1),
                                          explicit_po_id=po.id) for j in jobs)
        draft = documents.save_draft(db_session, admin, None, documents.DocumentInput(
            south_job.debtor_id, invoice.id, number, D(2026, 3, 1), lines=lines))
        assert posting.post(db_session, admin, draft.id, confirmed=True, today=D(2026, 3, 1)).posted
        return draft.id

    return {"po": po, "south": post("SOUTHINV1", [south_job], "1234"),
            "mixed": post("MIXEDINV1", [docs["north_job"], south_job], "5")}


def test_a_pos_documents_tab_names_without_a_link_a_document_the_user_may_not_open(po_docs, docs, login_as):
    """Found from outside: the PO's documents tab (and its export) linked every document drawing on the PO, one
    wholly on other branches' jobs too, whose page answers 404 to a user limited to branches. The row stays (the
    PO's own figures and running balance need it), its number plain, with a note, and no other branch's job or
    document total on it; a user not limited to branches still gets the link."""
    browser, _ = login_as("Administrator", branches=[docs["north"]])
    url = f"/purchase-orders/{po_docs['po'].id}?tab=documents"
    page = browser.get(url).get_data(as_text=True)
    south_job = docs["south_jobs"][0].number
    assert f'href="/documents/{po_docs["mixed"]}"' in page and f'href="/documents/{po_docs["south"]}"' not in page
    row = next(r for r in page.split("<tr>") if "SOUTHINV1" in r).split("</tr>")[0]
    assert "SOUTHINV1 <small class=\"muted\">on other branches' jobs</small>" in row and "<a" not in row
    assert "1,234.00" in row and "48,766.00" in row  # applied and the PO remaining after it: the PO's figures
    assert south_job not in page and row.count("1,234.00") == 1  # no job of theirs, no document total
    exported = list(csv.reader(io.StringIO(browser.get(url + "&format=csv").get_data(as_text=True))))
    south = next(r for r in exported if r and r[1].startswith("SOUTHINV1"))
    assert south[1] == "SOUTHINV1 (on other branches' jobs)" and south[3] == "" and south[5] == ""
    assert not any(south_job in cell for r in exported for cell in r)
    everyone, _ = login_as("Administrator")
    assert f'href="/documents/{po_docs["south"]}"' in everyone.get(url).get_data(as_text=True)


def test_posting_another_branchs_posted_document_answers_404_without_its_number(po_docs, docs, login_as, db_session):
    """"Post" on a posted document wholly on other branches' jobs flashed "SOUTHINV1 is already posted.":
    walking ids named every posted or voided document. It answers 404 as the document's page does."""
    browser, _ = login_as("Administrator", branches=[docs["north"]])
    response = browser.post(f"/documents/{po_docs['south']}/post", {"confirmed": "1"})
    assert response.status_code == 404
    assert "SOUTHINV1" not in browser.get("/").get_data(as_text=True)
    mixed = browser.post(f"/documents/{po_docs['mixed']}/post", {"confirmed": "1"})  # theirs to see: it says so
    assert mixed.status_code == 302 and "MIXEDINV1 is already posted" in browser.get(mixed.location).get_data(as_text=True)


# ----- the total of a document partly on other branches' jobs -----

FULL, SHOWN_TOTAL, HIDDEN_LINE = "9,111.10", "1,333.33", "7,777.77"  # MIXTOTAL1's total, its lines a north user sees


@pytest.fixture
def mixed(docs, db_session):
    """MIXTOTAL1, a posted invoice: a north job's line (1,111.11) and a line with no job (222.22) drawing on MIXPO,
    and a south job's line (7,777.77) drawing on SOUTHPO: 9,111.10 in all, 1,333.33 on the lines a north user sees.
    Found from outside: its total was shown whole to a user limited to the north branch, so the total less the
    lines shown gave the south job's 7,777.77 on the page, in the lists, their exports and the API."""
    from portal.models import BillCode
    from portal.services import posting

    admin = factories.user(db_session, role_name="Administrator")
    debtor = docs["north_job"].debtor
    mine = factories.po(db_session, debtor, "MIXPO", amount="50000.00", effective=D(2026, 1, 1),
                        expiration=D(2026, 12, 31))
    south = factories.po(db_session, debtor, "SOUTHPO", amount="50000.00", effective=D(2026, 1, 1),
                         expiration=D(2026, 12, 31))
    code = db_session.scalar(select(BillCode).where(BillCode.code == "SPL"))
    lines = tuple(documents.LineInput(job.id if job else None, code.id, Decimal("1"), Decimal(rate), D(2026, 3, 2),
                                      explicit_po_id=po.id)
                  for job, rate, po in ((docs["north_job"], "1111.11", mine), (None, "222.22", mine),
                                        (docs["south_jobs"][0], "7777.77", south)))
    draft = documents.save_draft(db_session, admin, None, documents.DocumentInput(
        debtor.id, factories.document_types(db_session)["Sales Invoice"].id, "MIXTOTAL1", D(2026, 3, 2), lines=lines))
    assert posting.post(db_session, admin, draft.id, confirmed=True, today=D(2026, 3, 2)).posted
    return {"id": draft.id, "po": mine, "admin": admin}


def _north(login_as, docs):
    return login_as("Administrator", branches=[docs["north"]])[0]


def test_a_mixed_documents_page_shows_the_total_of_the_lines_shown(mixed, docs, login_as):
    page = _north(login_as, docs).get(f"/documents/{mixed['id']}").get_data(as_text=True)
    assert FULL not in page and HIDDEN_LINE not in page and "<dt>Total</dt>" not in page
    assert f'<dt>Total of the lines shown</dt><dd id="document-total">{SHOWN_TOTAL}</dd>' in page
    assert "1 line on job orders outside your branches is not shown, nor counted in the total above." in page


MIXED_LISTS = {"list": {}, "search": {"q": "MIXTOTAL"}, "PO filter": {"po": "MIXPO"}, "posted": {"status": "posted"}}


@pytest.mark.parametrize("where", MIXED_LISTS)
def test_the_documents_list_shows_the_total_of_the_lines_shown_marked(mixed, docs, login_as, where):
    page = _north(login_as, docs).get("/documents/", query_string=MIXED_LISTS[where]).get_data(as_text=True)
    assert FULL not in page and HIDDEN_LINE not in page
    row = next(r for r in page.split("<tr>") if "MIXTOTAL1" in r).split("</tr>")[0]
    assert f'{SHOWN_TOTAL}<sup class="lines-shown-mark"' in row
    assert "1 line on job orders outside your branches" in row and "† Total of the lines shown to you" in page


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _xlsx_rows(response) -> list[list]:
    import openpyxl

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    return [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]  # the header, then the rows


def _row_of(rows: list[list], number: str) -> dict:
    """The row naming `number`, keyed by the header's column names."""
    return dict(zip(rows[0], next(r for r in rows if any(str(c or "").startswith(number) for c in r))))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_documents_lists_export_says_its_total_covers_the_lines_shown(mixed, docs, login_as, fmt):
    response = _north(login_as, docs).get("/documents/", query_string={"format": fmt})
    rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
    assert not {str(c) for r in rows for c in r if c is not None} & {"9111.10", "9111.1", "7777.77"}
    row = _row_of(rows, "MIXTOTAL1")
    assert "Total" not in row and Decimal(str(row["Total of the lines shown"])) == Decimal("1333.33")
    assert int(row["Lines not shown (other branches' jobs)"]) == 1
    assert _row_of(rows, "NOJOBDOC1")["Lines not shown (other branches' jobs)"] in ("", None)  # none hidden


def test_a_pos_documents_tab_shows_the_total_of_the_lines_shown_marked(mixed, docs, login_as):
    page = _north(login_as, docs).get(f"/purchase-orders/{mixed['po'].id}?tab=documents").get_data(as_text=True)
    assert FULL not in page and HIDDEN_LINE not in page
    row = next(r for r in page.split("<tr>") if "MIXTOTAL1" in r).split("</tr>")[0]
    assert f"{SHOWN_TOTAL}<sup class=\"lines-shown-mark\"" in row and "† Total of the lines shown to you" in page
    assert row.count(SHOWN_TOTAL) == 2  # its total of the lines shown, and what it applied to MIXPO (the PO's figure)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_pos_documents_export_says_its_total_covers_the_lines_shown(mixed, docs, login_as, fmt):
    url = f"/purchase-orders/{mixed['po'].id}?tab=documents&format={fmt}"
    response = _north(login_as, docs).get(url)
    rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
    assert not {str(c) for r in rows for c in r if c is not None} & {"9111.10", "9111.1", "7777.77"}
    row = _row_of(rows, "MIXTOTAL1")
    assert "Document total" not in row and Decimal(str(row["Total of the lines shown"])) == Decimal("1333.33")
    assert int(row["Lines not shown (other branches' jobs)"]) == 1


def test_a_credit_memo_of_it_shows_the_credit_of_the_lines_shown(mixed, docs, login_as, db_session):
    """The memo keeps the invoice lines' jobs: its page, list and export show what it credits on the lines shown.
    The invoice's page, fully credited, shows no "left to credit" nor "fully credited" figure of any line (its
    credit panel is not drawn while lines are hidden)."""
    from portal.services import posting

    memo = documents.derive(db_session, mixed["admin"], mixed["id"],
                            factories.document_types(db_session)["Credit Memo"].id, number="MIXCREDIT1")
    assert posting.post(db_session, mixed["admin"], memo.id, confirmed=True, today=D(2026, 3, 2)).posted
    browser = _north(login_as, docs)
    invoice = browser.get(f"/documents/{mixed['id']}").get_data(as_text=True)
    assert HIDDEN_LINE not in invoice and FULL not in invoice
    assert "fully credited" not in invoice and "Left to credit" not in invoice and 'id="left-' not in invoice
    page = browser.get(f"/documents/{memo.id}").get_data(as_text=True)
    assert FULL not in page and f'<dd id="document-total">({SHOWN_TOTAL})</dd>' in page
    listed = browser.get("/documents/", query_string={"q": "MIXCREDIT"}).get_data(as_text=True)
    assert FULL not in listed and f"({SHOWN_TOTAL})<sup" in listed
    exported = _csv_rows(browser.get("/documents/", query_string={"q": "MIXCREDIT", "format": "csv"}))
    assert _row_of(exported, "MIXCREDIT1")["Total of the lines shown"] == "-1333.33"


def test_a_user_not_limited_to_branches_still_sees_the_documents_total(mixed, docs, login_as):
    browser, _ = login_as("Administrator")
    page = browser.get(f"/documents/{mixed['id']}").get_data(as_text=True)
    assert re.search(rf"<dt>Total</dt><dd[^>]*>\s*{FULL}</dd>", page) and "Total of the lines shown" not in page
    listed = browser.get("/documents/", query_string={"q": "MIXTOTAL"}).get_data(as_text=True)
    assert f"{FULL}</td>" in listed and "lines-shown" not in listed
    row = _row_of(_csv_rows(browser.get("/documents/", query_string={"format": "csv"})), "MIXTOTAL1")
    assert row["Total"] == "9111.10" and "Lines not shown (other branches' jobs)" not in row
    sheet = _xlsx_rows(browser.get("/documents/", query_string={"format": "xlsx"}))
    assert _row_of(sheet, "MIXTOTAL1")["Total"] == 9111.1
    url = f"/purchase-orders/{mixed['po'].id}?tab=documents"
    tab = browser.get(url).get_data(as_text=True)
    assert f"{FULL}</td>" in tab and "lines-shown" not in tab
    row = _row_of(_csv_rows(browser.get(url + "&format=csv")), "MIXTOTAL1")
    assert row["Document total"] == "9111.10" and "Total of the lines shown" not in row


def test_the_api_gives_a_limited_user_the_total_of_the_lines_it_returns(mixed, docs, app, db_session):
    limited, everyone = _api_clients(app, db_session, docs)
    detail = limited.get(f"/api/v1/documents/{mixed['id']}")
    listed = limited.get("/api/v1/documents", query_string={"q": "MIXTOTAL"})
    for response in (detail, listed, limited.get("/api/v1/documents")):
        assert "9111.10" not in response.get_data(as_text=True) and "7777.77" not in response.get_data(as_text=True)
    body = detail.get_json()
    assert body["total"] == "1333.33" and body["hidden_lines"] == 1
    assert sum(Decimal(l["amount"]) for l in body["lines"]) == Decimal(body["total"])
    assert [(d["total"], d["hidden_lines"]) for d in listed.get_json()["items"]] == [("1333.33", 1)]
    assert {d["number"]: d["hidden_lines"] for d in limited.get("/api/v1/documents").get_json()["items"]} == {
        "MIXTOTAL1": 1, "MIXEDDOC1": 1, "NOJOBDOC1": 0}
    whole = everyone.get(f"/api/v1/documents/{mixed['id']}").get_json()
    assert whole["total"] == "9111.10" and whole["hidden_lines"] == 0 and len(whole["lines"]) == 3
    assert [(d["total"], d["hidden_lines"]) for d in everyone.get(
        "/api/v1/documents", query_string={"q": "MIXTOTAL"}).get_json()["items"]] == [("9111.10", 0)]


def _grow_mixed(db_session, docs, po, n):
    from portal.models import BillCode
    from portal.services import posting

    admin = factories.user(db_session, role_name="Administrator")
    code = db_session.scalar(select(BillCode).where(BillCode.code == "SPL"))
    for _ in range(n):
        lines = tuple(documents.LineInput(job.id, code.id, Decimal("1"), Decimal("3"), D(2026, 3, 3),
                                          explicit_po_id=po.id) for job in (docs["north_job"], docs["south_jobs"][0]))
        draft = documents.save_draft(db_session, admin, None, documents.DocumentInput(
            po.debtor_id, factories.document_types(db_session)["Sales Invoice"].id, "", D(2026, 3, 3), lines=lines))
        assert posting.post(db_session, admin, draft.id, confirmed=True, today=D(2026, 3, 3)).posted


@pytest.mark.parametrize("url", ["/documents/", "/documents/?q=SI", "/purchase-orders/{po}?tab=documents"])
def test_a_limited_users_totals_cost_no_query_per_row(mixed, docs, login_as, db_session, count_queries, url):
    browser = _north(login_as, docs)
    url = url.format(po=mixed["po"].id)

    def queries() -> tuple[int, int]:
        browser.get(url)
        with count_queries() as statements:
            text = browser.get(url).get_data(as_text=True)
        return len(statements), text.count("lines-shown-mark")

    _grow_mixed(db_session, docs, mixed["po"], 2)
    small, small_marks = queries()
    _grow_mixed(db_session, docs, mixed["po"], 15)
    large, large_marks = queries()
    assert large_marks > small_marks and large == small


def test_a_mixed_documents_history_does_not_show_its_total(mixed, docs, login_as, db_session):
    """Found from outside: the History tab's "Created document" entry named the whole total (9,111.10) beside the
    lines shown. For a user limited to branches its total is "not shown", and a row says why; a user not limited
    to branches still reads it."""
    url = f"/documents/{mixed['id']}?tab=history"
    page = _north(login_as, docs).get(url).get_data(as_text=True)
    assert FULL not in page and HIDDEN_LINE not in page
    assert "<dt>Total</dt><dd>not shown</dd>" in page
    assert "The document&#39;s total is not shown: it counts lines on job orders outside your branches." in page
    assert "1,111.11" in page  # the line they see, as before
    everyone, _ = login_as("Administrator")
    whole = everyone.get(url).get_data(as_text=True)
    assert f"<dt>Total</dt><dd>{FULL}</dd>" in whole and "not shown" not in whole


def test_a_drafts_history_does_not_show_a_total_that_counted_a_line_since_removed(docs, login_as, db_session):
    """A draft's line on a south job, removed since: the draft now shows its whole total (nothing is hidden), but
    its history's totals before the edit counted that line, so they are not shown either."""
    from portal.models import BillCode

    admin = factories.user(db_session, role_name="Administrator")
    code = db_session.scalar(select(BillCode).where(BillCode.code == "SPL"))
    invoice = factories.document_types(db_session)["Sales Invoice"]

    def line(job, rate):
        return documents.LineInput(job.id, code.id, Decimal("1"), Decimal(rate), D(2026, 3, 1))

    north = line(docs["north_job"], "1111.11")
    draft = documents.save_draft(db_session, admin, None, documents.DocumentInput(
        docs["north_job"].debtor_id, invoice.id, "EDITED1", D(2026, 3, 1),
        lines=(north, line(docs["south_jobs"][0], "7777.77"))))
    documents.save_draft(db_session, admin, draft.id, documents.DocumentInput(
        docs["north_job"].debtor_id, invoice.id, "EDITED1", D(2026, 3, 1), lines=(north,)))
    browser = _north(login_as, docs)
    assert "1,111.11</dd>" in browser.get(f"/documents/{draft.id}").get_data(as_text=True)
    history = browser.get(f"/documents/{draft.id}?tab=history").get_data(as_text=True)
    assert "8,888.88" not in history and "7,777.77" not in history and "<dt>Total</dt><dd>not shown</dd>" in history
