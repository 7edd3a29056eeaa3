"""Lists and forms as a new user meets them: document filters, the job list's PO, New invoice, defaults."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from portal.models import AlertTemplate, BillCode
from portal.services import documents, posting
from tests import factories

EVERY_BRANCH = SimpleNamespace(branch_ids=())  # a user limited to no branch: job security filters nothing


def _doc(db_session, user, debtor, type_name, day, po=None, number=""):
    code = db_session.scalar(select(BillCode).where(BillCode.code == "ORD"))
    if code is None:
        code = BillCode(code="ORD")
        db_session.add(code)
        db_session.commit()
    types = factories.document_types(db_session)
    return documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=types[type_name].id, number=number, doc_date=day,
        lines=(documents.LineInput(None, code.id, Decimal("1"), Decimal("10"), explicit_po_id=po.id if po else None),)))


def test_documents_filter_by_type_status_po_and_date_and_inv_finds_invoices(db_session, login_as):
    browser, user = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "NC-2026-01", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    invoice = _doc(db_session, user, debtor, "Sales Invoice", date(2026, 3, 1), po)
    estimate = _doc(db_session, user, debtor, "Estimate", date(2026, 5, 1))
    types = factories.document_types(db_session)

    def listed(query):
        html = browser.get("/documents/?" + query).get_data(as_text=True)
        return {d.number for d in (invoice, estimate) if f">{d.number}</a>" in html}

    assert listed("q=INV") == {invoice.number}  # numbers start SI-: the type's name finds it
    assert listed(f"type_id={types['Estimate'].id}") == {estimate.number}
    assert listed("po=nc-2026") == {invoice.number}
    assert listed("from=2026-04-01") == {estimate.number}
    assert listed("to=2026-04-01&status=draft") == {invoice.number}
    assert listed("status=posted") == set()
    for bad in ("from=31/12/2026", "to=2026-13-45", "type_id=abc", "po=" + "x" * 500, "q=%25%25"):
        assert browser.get("/documents/?" + bad).status_code == 200, bad
    # the pager keeps the filters
    page = browser.get(f"/documents/?type_id={types['Estimate'].id}&po=X").get_data(as_text=True)
    assert "No documents match" in page


def test_job_list_shows_the_po_of_today_and_a_job_offers_new_invoice(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "P-NOW", effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    job = factories.job(db_session, debtor, title="Picker")
    idle = factories.job(db_session, debtor, title="Idle")
    factories.assignment(db_session, job, po=po, start=date(2020, 1, 1))
    html = browser.get("/job-orders/").get_data(as_text=True)
    row = html.split(f">{job.number}</a>")[1].split("</tr>")[0]
    assert "P-NOW" in row
    assert "P-NOW" not in html.split(f">{idle.number}</a>")[1].split("</tr>")[0]
    page = browser.get(f"/job-orders/{job.id}").get_data(as_text=True)
    assert 'id="new-invoice"' in page
    link = page.split('id="new-invoice" href="')[1].split('"')[0].replace("&amp;", "&")
    editor = browser.get(link).get_data(as_text=True)
    assert f'<option value="{job.id}" selected>' in editor  # a first line for the job
    consultant, _ = login_as("Consultant")  # documents: view only
    assert 'id="new-invoice"' not in consultant.get(f"/job-orders/{job.id}").get_data(as_text=True)


def test_new_po_defaults_to_the_standard_alert_template_and_marks_required_fields(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    db_session.add_all([AlertTemplate(name="Quiet", thresholds=[95], subject="s", message="m"),
                        AlertTemplate(name="Standard", thresholds=[90], subject="s", message="m")])
    db_session.commit()
    standard = db_session.scalar(select(AlertTemplate).where(AlertTemplate.name == "Standard"))
    html = browser.get(f"/purchase-orders/new?debtor_id={debtor.id}").get_data(as_text=True)
    assert f'<option selected value="{standard.id}">' in html or f'<option value="{standard.id}" selected>' in html
    job_form = browser.get("/job-orders/new").get_data(as_text=True)
    assert job_form.split('for="branch_id"')[1].split("</label>")[0].count('class="req"') == 1
    assert 'class="req"' in job_form.split('for="debtor_id"')[1].split("</label>")[0]
    assert "Saved in capitals" in browser.get("/debtors/new").get_data(as_text=True)


def test_choosing_a_debtor_adds_no_blank_line(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    types = factories.document_types(db_session)
    rows = browser.post("/documents/lines", {"debtor_id": str(debtor.id), "document_type_id": str(types["Sales Invoice"].id),
                                             "doc_date": "2026-03-01", "number": ""}).get_data(as_text=True)
    assert "<tr" not in rows


def test_po_groups_are_reachable_from_the_po_list_without_a_debtor(db_session, login_as):
    browser, _ = login_as("Auditor")
    acme, globex = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "GLOBEX")
    factories.po_group(db_session, acme, "Cleaning")
    factories.po_group(db_session, globex, "Security")
    assert 'href="/purchase-orders/groups"' in browser.get("/purchase-orders/").get_data(as_text=True)
    every = browser.get("/purchase-orders/groups").get_data(as_text=True)
    assert "Cleaning" in every and "Security" in every and "New group" not in every
    one = browser.get(f"/purchase-orders/groups?debtor_id={acme.id}").get_data(as_text=True)
    assert "Cleaning" in one and "Security" not in one
    assert browser.get("/purchase-orders/groups?debtor_id=999999").status_code == 404
    assert browser.get("/purchase-orders/groups?debtor_id=abc").status_code == 200


def test_documents_po_filter_finds_each_source_of_a_number_and_nothing_else(db_session, count_queries):
    """The PO filter: a number typed on the document, a line drawing a PO of that number (draft or
    posted), a line whose number was typed on the fly (no PO); by the number's start, any case."""
    from portal.services import posting

    user = factories.user(db_session)
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "NC-2026-01", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    other = factories.po(db_session, debtor, "ZZ-1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    on_po = _doc(db_session, user, debtor, "Sales Invoice", date(2026, 3, 1), po)  # a draft naming the PO
    elsewhere = _doc(db_session, user, debtor, "Sales Invoice", date(2026, 3, 2), other)
    typed = _doc(db_session, user, debtor, "Estimate", date(2026, 3, 3))
    typed.po_number = "nc-2026-typed"  # on the document itself
    job = factories.job(db_session, debtor)
    job.po_reference = "NC-2026-FLY"  # no PO assigned: its lines carry this number, on the fly
    db_session.commit()
    code = db_session.scalar(select(BillCode).where(BillCode.code == "ORD"))
    types = factories.document_types(db_session)
    fly = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=types["Sales Invoice"].id, number="", doc_date=date(2026, 3, 4),
        lines=(documents.LineInput(job.id, code.id, Decimal("1"), Decimal("10")),)))
    assert posting.post(db_session, user, fly.id, confirmed=True, override=True, today=date(2026, 3, 4)).posted
    assert posting.post(db_session, user, on_po.id, confirmed=True, override=True, today=date(2026, 3, 4)).posted
    draft_on_po = _doc(db_session, user, debtor, "Sales Invoice", date(2026, 3, 5), po)

    def found(text):
        return {d.id for d in documents.list_documents(db_session, EVERY_BRANCH, po=text, per_page=50).items}

    assert found("nc-2026") == {on_po.id, typed.id, fly.id, draft_on_po.id}
    assert found("NC-2026-0") == {on_po.id, draft_on_po.id}
    assert found("nc-2026-f") == {fly.id}
    assert found("NC-2026-T") == {typed.id}
    assert found("zz") == {elsewhere.id}
    assert found("NC_") == found("NC%") == found("X") == set()  # % and _ are taken literally
    with count_queries() as statements:
        page = documents.list_documents(db_session, EVERY_BRANCH, po="NC", per_page=2)
    assert len(page.items) == 2 and page.total == 4
    assert [d.id for d in page.items] == [draft_on_po.id, fly.id]  # newest first
    # one statement for the page and its count (no document's lines read), the documents carrying the number
    # gathered once for both
    assert len(statements) == 1 and statements[0].count("UNION") == 2 and "WITH carrying" in statements[0]
    rest = documents.list_documents(db_session, EVERY_BRANCH, po="NC", page=2, per_page=2)
    assert [d.id for d in rest.items] == sorted({on_po.id, typed.id}, key=lambda i: (db_session.get(
        type(on_po), i).doc_date, i), reverse=True) and rest.total == 4


def test_a_number_search_sorts_few_matches_and_walks_the_date_index_for_many(db_session, count_queries, monkeypatch):
    """Either way the list is newest first; few matches are found by the numbers' indexes and sorted
    (walking the date index past every newer document was 50 ms for a hundred old ones)."""
    monkeypatch.setattr(documents, "SORTED_SEARCH_MAX", 3)
    user = factories.user(db_session)
    debtor = factories.debtor(db_session, "ACME")
    made = [_doc(db_session, user, debtor, "Sales Invoice", date(2026, 3, d), number=f"AB-{d}") for d in (5, 1, 9)]
    _doc(db_session, user, debtor, "Sales Invoice", date(2026, 3, 7), number="XY-7")
    newest_first = [made[2].id, made[0].id, made[1].id]
    for text, few in (("ab-", False), ("AB", False), ("ab-9", True), ("AB-1", True)):
        with count_queries() as statements:
            listed = [d.id for d in documents.list_documents(db_session, EVERY_BRANCH, q=text).items]
        assert listed == [i for i in newest_first if i in {d.id for d in made if d.number.upper().startswith(text.upper())}]
        page = [s for s in statements if "LIMIT" in s and "OFFSET" in s][0]
        assert ("doc_date + 0" in page) is few, (text, page)


def test_documents_filters_each_narrow_the_list_on_their_own(db_session):
    """The debtor, each status and both ends of the date range (each day included), one at a time."""
    from portal.services import posting

    user = factories.user(db_session)
    acme, other = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "OTHER")
    po = factories.po(db_session, acme, "P-1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    posted = _doc(db_session, user, acme, "Sales Invoice", date(2026, 3, 1), po)
    voided = _doc(db_session, user, acme, "Estimate", date(2026, 3, 2), po)
    draft = _doc(db_session, user, acme, "Estimate", date(2026, 3, 3))
    theirs = _doc(db_session, user, other, "Estimate", date(2026, 3, 4))
    for doc in (posted, voided):
        assert posting.post(db_session, user, doc.id, confirmed=True, override=True, today=date(2026, 3, 5)).posted
    posting.void(db_session, user, voided.id, today=date(2026, 3, 5))

    def found(**kw):
        return {d.id for d in documents.list_documents(db_session, EVERY_BRANCH, per_page=50, **kw).items}

    assert found(debtor_id=acme.id) == {posted.id, voided.id, draft.id} and found(debtor_id=other.id) == {theirs.id}
    assert found(status="posted") == {posted.id} and found(status="void") == {voided.id}
    assert found(status="draft") == {draft.id, theirs.id} and len(found(status="other")) == 4
    assert found(date_from=date(2026, 3, 3)) == {draft.id, theirs.id}
    assert found(date_to=date(2026, 3, 2)) == {posted.id, voided.id}
    assert found(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)) == {voided.id}


def test_documents_search_finds_a_typed_po_number_and_a_type_by_its_code(db_session):
    user = factories.user(db_session)
    debtor = factories.debtor(db_session, "ACME")
    typed = _doc(db_session, user, debtor, "Estimate", date(2026, 3, 1))
    typed.po_number = "CUST-42"
    db_session.commit()
    repair = _doc(db_session, user, debtor, "Repair Order", date(2026, 3, 2), number="W-77")
    found = {d.id for d in documents.list_documents(db_session, EVERY_BRANCH, q="cust-4").items}
    assert found == {typed.id}
    assert {d.id for d in documents.list_documents(db_session, EVERY_BRANCH, q="ro").items} == {repair.id}  # its type's code, RO


def test_a_po_renumbered_after_posting_is_found_by_its_new_number(db_session):
    """A posted line keeps the number its PO had; the filter finds the document by the PO's number now."""
    from portal.services import posting

    user = factories.user(db_session)
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "OLD-1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    doc = _doc(db_session, user, debtor, "Sales Invoice", date(2026, 3, 1), po)
    assert posting.post(db_session, user, doc.id, confirmed=True, override=True, today=date(2026, 3, 1)).posted
    po.number = "NEW-1"  # number_key follows (generated)
    db_session.commit()
    assert [d.id for d in documents.list_documents(db_session, EVERY_BRANCH, po="new-1").items] == [doc.id]
    assert documents.list_documents(db_session, EVERY_BRANCH, po="old-1").items == []


def test_the_search_counts_typed_po_numbers_when_it_chooses_how_to_sort(db_session, count_queries, monkeypatch):
    monkeypatch.setattr(documents, "SORTED_SEARCH_MAX", 3)
    user = factories.user(db_session)
    debtor = factories.debtor(db_session, "ACME")
    made = []
    for day in (1, 3, 3):
        made.append(_doc(db_session, user, debtor, "Estimate", date(2026, 3, day)))
        made[-1].po_number = f"PX-{len(made)}"
    db_session.commit()
    with count_queries() as statements:
        listed = documents.list_documents(db_session, EVERY_BRANCH, q="px").items
    assert [d.id for d in listed] == [made[2].id, made[1].id, made[0].id]  # newest first, then the later one
    page = [s for s in statements if "LIMIT" in s and "OFFSET" in s][0]
    assert "doc_date + 0" not in page  # three matches: as many as SORTED_SEARCH_MAX, walked in date order


def test_a_date_filter_not_typed_as_a_day_is_kept_and_said_never_dropped_or_read_as_another(db_session, login_as):
    """The documents list's From/To: "2026-02-30" or "20260401" is shown back in its box with a message and the
    list says it is not filtered by it (it was emptied and every document listed without a word)."""
    browser, user = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    early = _doc(db_session, user, debtor, "Estimate", date(2026, 3, 1))
    late = _doc(db_session, user, debtor, "Estimate", date(2026, 5, 1))
    for typed in ("2026-02-30", "20260401", "2026-W14-3"):
        html = browser.get(f"/documents/?from={typed}").get_data(as_text=True)
        assert f'value="{typed}"' in html
        assert "From: enter the date as YYYY-MM-DD; the list is not filtered by it." in html
        assert f">{early.number}</a>" in html and f">{late.number}</a>" in html
    rows = browser.get("/documents/?to=2026-4-1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "To: enter the date as YYYY-MM-DD" in rows  # the rows the filter swaps in say it too
    html = browser.get("/documents/?from=2026-04-01").get_data(as_text=True)
    assert "enter the date" not in html and f">{early.number}</a>" not in html and f">{late.number}</a>" in html


def test_the_job_list_on_another_day_says_which_day_and_its_pages_keep_it(db_session, login_as, app, monkeypatch):
    browser, _ = login_as("Billing Admin")
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)  # the app is shared by the session
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "P-MAY", effective=date(2026, 5, 1), expiration=date(2026, 5, 31))
    jobs = [factories.job(db_session, debtor, start=date(2026, 1, 1)) for _ in range(2)]
    factories.assignment(db_session, jobs[0], po=po, start=date(2026, 5, 1))
    html = browser.get(f"/job-orders/?debtor_id={debtor.id}&as_of=2026-05-10").get_data(as_text=True)
    assert "Unassigned on 2026-05-10" in html and "PO on (2026-05-10)" in html
    assert 'name="as_of" value="2026-05-10"' in html  # the filters' form keeps the day
    assert "as_of=2026-05-10" in html.split('class="pager"', 1)[1]  # and so do the page links
    html = browser.get(f"/job-orders/?debtor_id={debtor.id}&as_of=20260510").get_data(as_text=True)
    assert "As of: enter the date as YYYY-MM-DD; showing today." in html and "Unassigned today" in html


def test_the_audit_log_and_a_statement_refuse_iso_forms_other_than_yyyy_mm_dd(db_session, login_as):
    browser, _ = login_as("Administrator")
    html = browser.get("/audit-log/?from=20260101").get_data(as_text=True)
    assert "&#39;20260101&#39; is not a date (YYYY-MM-DD)." in html
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "P-1", effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    html = browser.get(f"/purchase-orders/{po.id}/statement?date=2026-W01-1").get_data(as_text=True)
    assert "Enter the statement date as YYYY-MM-DD." in html


def test_the_audit_log_takes_the_calendars_first_and_last_days(db_session, login_as):
    """Found from outside: "to" 9999-12-31 answered 500 (its next day, where the filter stops, is past the
    calendar); the log and its export now list every entry from the first day to the last."""
    browser, _ = login_as("Administrator")
    factories.debtor(db_session, "ACME")  # an audited change
    for path in ("/audit-log/", "/audit-log/export.csv"):
        response = browser.get(f"{path}?from=0001-01-01&to=9999-12-31")
        assert response.status_code == 200
        assert "ACME" in response.get_data(as_text=True)


def test_a_number_typed_on_the_fly_is_found_only_on_jobs_the_user_may_see(db_session, login_as):
    """Found from outside: a user limited to branches probed another branch's on-the-fly PO numbers by their start
    (`?po=`). The number is its job's: they find it only on their branches' jobs (the PO list's and the header's
    numbers are no job's, and stay found). The south document's lines are all on a south job: it is not theirs at
    all (documents.may_see_document), so its header's number does not find it for them either."""
    user = factories.user(db_session, role_name="Billing Admin")
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    debtor = factories.debtor(db_session, "ACME")
    code = BillCode(code="ORD")
    db_session.add(code)
    types = factories.document_types(db_session)
    docs = {}
    for branch in (north, south):
        job = factories.job(db_session, debtor, branch)
        job.po_reference = f"FLY-{branch.code}"
        db_session.commit()
        doc = documents.save_draft(db_session, user, None, documents.DocumentInput(
            debtor_id=debtor.id, document_type_id=types["Sales Invoice"].id, number="", doc_date=date(2026, 3, 1),
            po_number=f"HEAD-{branch.code}", lines=(documents.LineInput(job.id, code.id, Decimal("1"), Decimal("10")),)))
        assert posting.post(db_session, user, doc.id, confirmed=True, today=date(2026, 3, 1)).posted
        docs[branch.code] = doc.id
    browser, limited = login_as("Billing Admin", branches=[north])
    for who, expected in ((EVERY_BRANCH, set(docs.values())), (limited, {docs["NTH"]})):
        assert {d.id for d in documents.list_documents(db_session, who, po="fly").items} == expected
        assert {d.id for d in documents.list_documents(db_session, who, po="head").items} == expected
    page = browser.get("/documents/?po=FLY-S").get_data(as_text=True)
    assert "FLY-STH" not in page and "No documents" in page
