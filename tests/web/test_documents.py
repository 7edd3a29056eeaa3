"""Documents through the web: drafts, bad input, posting with confirmation, double submit, reassignment."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from decimal import Decimal as D

import pytest
from sqlalchemy import func, insert, select, update

from portal.models import BillCode, Document, DocumentLine, LedgerEntry, POBalance
from portal.services import document_choices, documents, posting
from tests import factories
from tests.web.forms_walk import confirm, opened_version, post_forms


@pytest.fixture
def setup(db_session):
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", amount="1000", tolerance=90)
    job = factories.job(db_session, debtor)
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    return {"debtor": debtor, "po": po, "job": job, "code": code,
            "invoice": factories.document_types(db_session)["Sales Invoice"]}


def _form(s, **kw):
    data = {"debtor_id": str(s["debtor"].id), "document_type_id": str(s["invoice"].id), "number": "",
            "doc_date": "2026-03-01", "bill_from": "2026-02-16", "bill_to": "2026-03-01", "po_number": "", "notes": "",
            "line_job": [str(s["job"].id)], "line_code": [str(s["code"].id)], "line_date": [""],
            "line_description": ["hours"], "line_quantity": ["10"], "line_rate": ["95.00"], "line_po": [""],
            "line_key": ["k1"]}
    data.update(kw)
    return data


def _docs(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Document))


def test_draft_post_with_confirmation_and_double_submit(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/documents/new", _form(setup))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    doc = db_session.scalars(select(Document)).one()
    assert doc.total == Decimal("950.00") and doc.number == "SI-00001"
    asked = browser.post(f"/documents/{doc.id}/post")
    # post/redirect/get: the check is a page of its own that a reload (or a bookmark) shows again
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"/documents/{doc.id}/post")
    for _ in range(2):
        check = browser.get(f"/documents/{doc.id}/post").get_data(as_text=True)
        assert "reaches its 90% tolerance" in check and "Post anyway" in check
        assert f'href="/documents/{doc.id}">Cancel</a>' in check
    assert db_session.get(POBalance, setup["po"].id).used == 0
    assert confirm(browser, f"/documents/{doc.id}/post").status_code == 302
    db_session.expire_all()
    assert db_session.get(POBalance, setup["po"].id).used == Decimal("950.00")
    again = browser.post(f"/documents/{doc.id}/post", {"confirmed": "1"}, follow_redirects=True)
    assert "already posted" in again.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(POBalance, setup["po"].id).used == Decimal("950.00")



def test_a_posting_whose_totals_would_pass_what_they_can_hold_is_refused_with_a_message(db_session, login_as, setup):
    """Found from outside: a CSV import of 101 documents of 999,999,000,000.00 on one PO answered 500 (its
    balance passed NUMERIC(16,2) in PostgreSQL). A posting that would carry a PO's totals past them is a 422
    saying so, on the page and the API, with nothing written."""
    browser, _ = login_as("Billing Admin")
    assert browser.post("/documents/new", _form(setup)).status_code == 302
    doc = db_session.scalars(select(Document)).one()
    full = Decimal("99999999999999.00")  # the most a balance column holds, less a little
    db_session.execute(update(POBalance).where(POBalance.po_id == setup["po"].id).values(used=full))
    db_session.commit()
    browser.post(f"/documents/{doc.id}/post")  # the check (over the PO) asks for a confirmation
    refused = confirm(browser, f"/documents/{doc.id}/post")
    assert refused.status_code == 422
    assert "larger than the portal can hold" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Document, doc.id).status == "draft"
    assert db_session.get(POBalance, setup["po"].id).used == full
    assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
BAD = [
    ({"line_quantity": ["-1"]}, "the quantity must be more than zero"),
    ({"line_rate": ["abc"]}, "enter the quantity and rate as numbers"),
    ({"line_rate": ["9999999999"], "line_quantity": ["1000"]}, "larger than 999,999,999,999.99"),
    ({"line_code": ["99999"]}, "choose an active bill code"),
    ({"line_job": ["99999"]}, "choose one of ACME"),
    ({"line_po": ["99999"]}, "choose one of ACME"),
    ({"doc_date": "2026-02-31"}, "Enter the date as YYYY-MM-DD"),
    ({"line_date": ["31/12/2026"]}, "the service date must be YYYY-MM-DD"),
    ({"bill_to": "2026-01-01"}, "bill period must end on or after"),
    ({"line_job": [""], "line_code": [""], "line_description": [""], "line_quantity": [""], "line_rate": [""]}, "Add at least one line"),
    ({"document_type_id": "abc"}, "Choose a document type"),
]


@pytest.mark.parametrize("change,message", BAD)
def test_bad_input_is_refused_and_nothing_written(db_session, login_as, setup, change, message):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/documents/new", _form(setup, **change))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _docs(db_session) == 0


def test_another_debtors_job_is_refused(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    other = factories.debtor(db_session, "OTHER")
    foreign = factories.job(db_session, other)
    response = browser.post("/documents/new", _form(setup, line_job=[str(foreign.id)]))
    assert "choose one of ACME" in response.get_data(as_text=True) and _docs(db_session) == 0


def test_line_editor_shows_the_funding_as_typed(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    html = browser.post("/documents/line-editor", _form(setup), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "PO 4500 — 1,000.00 remaining" in html and "hx-swap-oob" in html and "<html" not in html


def test_stale_draft_is_refused(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    browser.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    response = browser.post(f"/documents/{doc.id}/edit", _form(setup, line_rate=["1"], row_version="0"))
    assert "changed by someone else" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Document, doc.id).total == Decimal("950.00")


def test_view_roles_cannot_post_and_reassign_needs_its_grant(db_session, login_as, setup):
    admin, _ = login_as("Billing Admin")
    admin.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    consultant, _ = login_as("Consultant")
    assert consultant.post(f"/documents/{doc.id}/post", {"confirmed": "1"}).status_code == 403
    confirm(admin, f"/documents/{doc.id}/post")
    other = factories.po(db_session, setup["debtor"], "4600")
    line_id = db_session.scalars(select(DocumentLine.id)).one()
    assert consultant.post(f"/documents/{doc.id}/reassign", {"line_id": [str(line_id)], "target": f"{other.id}:",
                                                             "reason": "x"}).status_code == 403
    response = admin.post(f"/documents/{doc.id}/reassign", {"line_id": [str(line_id)], "target": f"{other.id}:",
                                                            "reason": "Billed to the wrong PO"}, follow_redirects=True)
    assert "1 line moved" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(POBalance, other.id).used == Decimal("950.00")
    assert db_session.get(POBalance, setup["po"].id).used == 0


def test_invoiced_po_cannot_be_deleted_nor_dated_past_its_bill_periods(db_session, login_as, setup):
    browser, lead = login_as("Relationship Lead")
    admin, _ = login_as("Billing Admin")
    admin.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    confirm(admin, f"/documents/{doc.id}/post")
    po = setup["po"]
    deleted = admin.post(f"/purchase-orders/{po.id}/delete", follow_redirects=True)
    assert "cannot be deleted" in deleted.get_data(as_text=True)
    po.created_by_id = lead.id  # the lead's own PO: add_edit may edit it, but not past the invoices (step 1)
    db_session.commit()
    form = {"number": po.number, "kind": po.kind, "effective": "2026-02-20", "expiration": "2027-12-31",
            "amount": "1000.00", "tolerance_pct": "90", "description": "", "notes": "", "row_version": str(po.row_version)}
    response = browser.post(f"/purchase-orders/{po.id}/edit", form)
    assert "billed from 2026-02-16" in response.get_data(as_text=True)


def test_document_list_query_count_is_constant(db_session, login_as, count_queries, setup):
    browser, _ = login_as("Auditor")

    def add(n, start):
        db_session.execute(insert(Document), [
            {"debtor_id": setup["debtor"].id, "document_type_id": setup["invoice"].id, "number": f"Q-{start + i}",
             "doc_date": date(2026, 3, 1), "status": "draft", "total": Decimal("1"), "notes": "", "override_used": False}
            for i in range(n)])
        db_session.commit()

    def queries():
        # the first visit after a change reads the grants (principals) or the debtors again (debtors.all_debtors)
        browser.get("/documents/")
        with count_queries() as statements:
            assert browser.get("/documents/").status_code == 200
        return len(statements)

    add(10, 0)
    small = queries()
    add(1000, 100)
    assert queries() == small


def test_deriving_more_than_the_source_quantity_is_refused(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    browser.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    confirm(browser, f"/documents/{doc.id}/post")
    line_id = db_session.scalars(select(DocumentLine.id)).one()
    credit_type = factories.document_types(db_session)["Credit Memo"]
    for qty in ("99", "-1", "abc"):
        response = browser.post(f"/documents/{doc.id}/derive", {"type_id": str(credit_type.id), f"qty-{line_id}": qty,
                                                                 "number": "CM-TYPED"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "enter a quantity from 0 to 10" in html
        assert f'value="{qty}"' in html and 'value="CM-TYPED"' in html  # as typed, not the panel's defaults again
    assert _docs(db_session) == 1
    made = browser.post(f"/documents/{doc.id}/derive", {"type_id": str(credit_type.id), f"qty-{line_id}": "2"})
    assert made.status_code == 302 and _docs(db_session) == 2
    credit = db_session.scalars(select(Document).order_by(Document.id.desc())).first()
    confirm(browser, f"/documents/{credit.id}/post")
    page = browser.get(f"/documents/{doc.id}").get_data(as_text=True)  # a second credit: the 8 left, not all 10
    assert re.search(rf'name="qty-{line_id}" inputmode="decimal"\s+value="8"', page)


def test_po_documents_tab_spend_tab_and_report(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    setup["po"].kind = "multi_line"
    setup["job"].po_reference = None
    other_job = factories.job(db_session, setup["debtor"], title="Typed")
    other_job.po_reference = "CUST-77"
    db_session.commit()
    browser.post("/documents/new", _form(setup))
    browser.post("/documents/new", _form(setup, line_job=[str(other_job.id)], line_rate=["10"]))
    for doc in db_session.scalars(select(Document).order_by(Document.id)):
        confirm(browser, f"/documents/{doc.id}/post")
    tab = browser.get(f"/purchase-orders/{setup['po'].id}?tab=documents").get_data(as_text=True)
    assert "SI-00001" in tab and "950.00" in tab and "50.00" in tab  # applied, then remaining 1,000 − 950
    spend = browser.get(f"/purchase-orders/{setup['po'].id}?tab=spend").get_data(as_text=True)
    assert "ORD" in spend and "950.00" in spend
    report = browser.get("/documents/report").get_data(as_text=True)
    assert "CUST-77" in report and "on the fly (no budget)" in report and "4500" in report
    first, second = db_session.scalars(select(Document).order_by(Document.id)).all()
    on_the_fly = report.split("CUST-77")[1].split("</tr>")[0]  # the documents grouped under each number
    assert f'/documents/{second.id}">{second.number}' in on_the_fly and first.number not in on_the_fly
    assert f'/documents/{first.id}">{first.number}' in report.split(">4500</a>")[1].split("</tr>")[0]
    download = browser.get(f"/documents/report?format=csv&debtor_id={setup['debtor'].id}")
    assert download.mimetype == "text/csv" and "attachment" in download.headers["Content-Disposition"]
    lines = download.get_data(as_text=True).splitlines()
    assert lines[0].startswith("Debtor,PO number") and "ACME,4500,PO budget,1,950.00,0.00,0.00" in lines
    assert "ACME,CUST-77,on the fly,1,100.00,0.00,0.00" in lines


def test_editing_a_derived_draft_keeps_its_source_lines(db_session, login_as, setup):
    """A credit memo edited before posting still reverses against the invoice line it was made from;
    a forged source line or a type that cannot be made from the source is refused."""
    browser, _ = login_as("Billing Admin")
    browser.post("/documents/new", _form(setup))
    invoice = db_session.scalars(select(Document)).one()
    confirm(browser, f"/documents/{invoice.id}/post")
    invoice_line = db_session.scalars(select(DocumentLine.id)).one()
    types = factories.document_types(db_session)
    browser.post(f"/documents/{invoice.id}/derive", {"type_id": str(types["Credit Memo"].id), f"qty-{invoice_line}": "2"})
    credit = db_session.scalars(select(Document).where(Document.id != invoice.id)).one()
    page = browser.get(f"/documents/{credit.id}/edit").get_data(as_text=True)
    assert f'name="line_source" value="{invoice_line}"' in page
    assert f"PO 4500, reversing {invoice.number} line 1" in page  # funded as posting will fund it

    def edit(**kw):
        fields = {"document_type_id": str(types["Credit Memo"].id), "number": credit.number, "line_quantity": ["3"],
                  "line_source": [str(invoice_line)], "row_version": str(credit.row_version)} | kw
        return browser.post(f"/documents/{credit.id}/edit", _form(setup, **fields))

    stranger = _form(setup, number="OTHER-1")
    browser.post("/documents/new", stranger)
    other_line = db_session.scalars(select(DocumentLine.id).order_by(DocumentLine.id.desc())).first()
    forged = edit(line_source=[str(other_line)]).get_data(as_text=True)
    assert "are not lines of Sales Invoice" in forged
    retyped = edit(document_type_id=str(types["Sales Invoice"].id)).get_data(as_text=True)
    assert "keep its debtor and a type" in retyped
    db_session.expire_all()
    assert db_session.get(DocumentLine, credit.lines[0].id).quantity == Decimal("2")  # nothing written

    assert edit().status_code == 302
    db_session.expire_all()
    line = db_session.scalars(select(DocumentLine).where(DocumentLine.document_id == credit.id)).one()
    assert line.source_line_id == invoice_line and line.quantity == Decimal("3")
    assert confirm(browser, f"/documents/{credit.id}/post").status_code == 302
    db_session.expire_all()
    assert db_session.get(POBalance, setup["po"].id).used == Decimal("950.00") - Decimal("285.00")


def test_the_rows_come_back_with_the_new_debtors_lists(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    other = factories.debtor(db_session, "GLOBEX")
    welder = factories.job(db_session, other, title="Welder")
    html = browser.post("/documents/lines", _form(setup, debtor_id=str(other.id), line_po=[str(setup["po"].id)])
                        ).get_data(as_text=True)
    assert 'id="document-lines"' in html and "Welder" in html and setup["job"].title not in html
    assert 'value="10"' in html and 'value="k1"' in html  # what was typed, under the same row key
    assert setup["job"].number not in html and ">4500" not in html  # ACME's job and PO are neither offered nor kept
    assert f'<option value="{welder.id}" >{welder.number} Welder' in html


def test_reassign_asks_first_then_the_form_posted_back_moves_the_lines(db_session, login_as, setup):
    """The warning page carries the choice back unchanged; under block only the override moves the lines."""
    admin, _ = login_as("Billing Admin")
    admin.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    confirm(admin, f"/documents/{doc.id}/post")
    small = factories.po(db_session, setup["debtor"], "4700", amount="100")
    line_id = db_session.scalars(select(DocumentLine.id)).one()
    setup["debtor"].over_budget_policy = "block"
    db_session.commit()
    page = admin.post(f"/documents/{doc.id}/reassign", {"line_id": [str(line_id)], "target": f"{small.id}:",
                                                        "reason": "Billed to the wrong PO"}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.request.method == "GET" and page.request.path == f"/documents/{doc.id}/reassign"
    assert admin.get(page.request.full_path).get_data(as_text=True).count("Reassignment refused") == 1
    assert page.status_code == 200 and "Reassignment refused" in html and "Override and move" in html
    db_session.expire_all()
    assert db_session.get(POBalance, small.id).used == 0
    moved = confirm(admin, page.request.full_path, override=True, follow_redirects=True)  # the form as shown
    assert "override recorded" in moved.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(POBalance, small.id).used == Decimal("950.00")


def test_posted_invoice_panels_follow_the_users_grants_and_the_credit_asks_for_its_number(db_session, login_as, setup):
    """Each action is its own panel, shown only to a role that may use it; no boxes inside the lines table."""
    admin, _ = login_as("Billing Admin")
    admin.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    confirm(admin, f"/documents/{doc.id}/post")
    line_id = db_session.scalars(select(DocumentLine.id)).one()
    page = admin.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert 'id="derive-panel"' in page and "Credit this invoice" in page and 'value="CM-00001"' in page
    assert 'id="reassign-panel"' in page and "credit it instead" in page
    assert f'href="/job-orders/{setup["job"].id}"' in page  # the Job column links to the job
    table = page.split('id="document-lines-table"')[1].split("</table>")[0]
    assert "<input" not in table
    clerk, _ = login_as("Billing Clerk")  # documents add_edit, but not po_assign_invoiced_item
    clerk_page = clerk.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert 'id="derive-panel"' in clerk_page and 'id="reassign-panel"' not in clerk_page
    auditor, _ = login_as("Auditor")
    seen = auditor.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert 'id="derive-panel"' not in seen and 'id="reassign-panel"' not in seen and 'id="void-panel"' not in seen
    assert auditor.get(f"/documents/{doc.id}/post").status_code == 403
    credit = factories.document_types(db_session)["Credit Memo"]
    assert admin.get(f"/documents/{doc.id}/derive-number?type_id={credit.id}").get_data(as_text=True).count("CM-00001") == 1
    made = admin.post(f"/documents/{doc.id}/derive", {"type_id": str(credit.id), "number": "CM-CLIENT-7",
                                                      f"qty-{line_id}": "1"})
    assert made.status_code == 302
    memo = db_session.scalars(select(Document).where(Document.id != doc.id)).one()
    assert memo.number == "CM-CLIENT-7" and memo.status == "draft"
    memo_page = admin.get(f"/documents/{memo.id}").get_data(as_text=True)
    assert "Make a draft" not in memo_page and 'id="derive-panel"' not in memo_page
    # a view-only role posting the panel's form anyway: refused, nothing made
    assert auditor.post(f"/documents/{doc.id}/derive", {"type_id": str(credit.id), "number": "X"}).status_code == 403
    assert auditor.get(f"/documents/{doc.id}/derive-number?type_id={credit.id}").status_code == 403
    assert _docs(db_session) == 2


def test_a_draft_shows_the_same_funding_as_the_editor(db_session, login_as, setup):
    admin, _ = login_as("Billing Admin")
    admin.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    page = admin.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert "resolved on posting" not in page and "PO 4500" in page and "remaining" in page


def test_a_debtor_with_many_pos_draws_the_reassign_form_when_opened(db_session, login_as, setup, monkeypatch):
    """Past REASSIGN_INLINE POs the invoice page carries a button, not the list of every PO; the form it
    draws (htmx, or the page again without it) offers them all and, posted back, moves the line."""
    monkeypatch.setattr(document_choices, "REASSIGN_INLINE", 1)
    admin, _ = login_as("Billing Admin")
    admin.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    confirm(admin, f"/documents/{doc.id}/post")
    other = factories.po(db_session, setup["debtor"], "4600", amount="5000")
    line_id = db_session.scalars(select(DocumentLine.id)).one()
    page = admin.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert 'id="reassign-panel"' in page and 'id="reassign-open"' in page
    assert 'id="reassign-target"' not in page and f'value="{other.id}:"' not in page
    assert f'hx-get="/documents/{doc.id}/reassign-form"' in page
    plain = admin.get(f"/documents/{doc.id}/reassign-form")  # no htmx: the page with the form drawn
    assert plain.status_code == 302 and plain.headers["Location"].endswith(
        f"/documents/{doc.id}?reassign=1#reassign-panel")
    opened = admin.get(f"/documents/{doc.id}?reassign=1").get_data(as_text=True)
    assert 'id="reassign-target"' in opened and 'id="reassign-open"' not in opened
    fragment = admin.get(f"/documents/{doc.id}/reassign-form", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and 'name="csrf_token"' in html
    options = re.findall(r'<option value="(\d+):">', html)
    assert options == [str(setup["po"].id), str(other.id)]  # every PO of the debtor, by number
    assert f'name="line_id" value="{line_id}"' in html and "now 4500" in html
    moved = admin.post(f"/documents/{doc.id}/reassign", {"line_id": [str(line_id)], "target": f"{other.id}:",
                                                         "reason": "Billed to the wrong PO"}, follow_redirects=True)
    assert "1 line moved" in moved.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(DocumentLine, line_id).po_id == other.id
    assert db_session.get(POBalance, other.id).used == Decimal("950.00") and db_session.get(
        POBalance, setup["po"].id).used == 0


def test_the_reassign_form_follows_the_grant_and_the_document(db_session, login_as, setup, monkeypatch):
    monkeypatch.setattr(document_choices, "REASSIGN_INLINE", 0)
    admin, _ = login_as("Billing Admin")
    admin.post("/documents/new", _form(setup))
    draft = db_session.scalars(select(Document)).one()
    hx = {"HX-Request": "true"}
    draft_form = admin.get(f"/documents/{draft.id}/reassign-form", headers=hx).get_data(as_text=True)
    assert "Only the lines of a posted invoice move" in draft_form and "<form" not in draft_form
    assert 'id="reassign-panel"' not in admin.get(f"/documents/{draft.id}").get_data(as_text=True)
    assert admin.get("/documents/999999/reassign-form", headers=hx).status_code == 404
    confirm(admin, f"/documents/{draft.id}/post")
    for role in ("Billing Clerk", "Auditor", "Consultant"):
        browser, _ = login_as(role)
        assert browser.get(f"/documents/{draft.id}/reassign-form", headers=hx).status_code == 403, role
        assert 'id="reassign-panel"' not in browser.get(f"/documents/{draft.id}").get_data(as_text=True)


def test_a_debtor_with_many_jobs_and_pos_has_them_typed_and_a_draft_posted_back_unchanged_keeps_them(
        db_session, login_as, setup, monkeypatch):
    """Past EDITOR_SELECT_MAX the rows carry a typed box and the id beside it, not every job and PO (a 20-line
    draft of a debtor with 12,000 jobs was 2.1 MB, and a job past the list's first thousand was dropped)."""
    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 1)
    monkeypatch.setattr(document_choices, "EDITOR_OPTIONS", 1)
    admin, _ = login_as("Billing Admin")
    later = factories.job(db_session, setup["debtor"], title="Zz later")
    named = factories.po(db_session, setup["debtor"], "4600", amount="5000", description="Named")
    form = _form(setup, line_job=[str(setup["job"].id), str(later.id)], line_code=[str(setup["code"].id)] * 2,
                 line_date=["", ""], line_description=["a", "b"], line_quantity=["1", "2"], line_rate=["10", "20"],
                 line_po=["", str(named.id)], line_key=["k1", "k2"])
    assert admin.post("/documents/new", form).status_code == 302
    doc = db_session.scalars(select(Document)).one()
    page = admin.get(f"/documents/{doc.id}/edit").get_data(as_text=True)
    assert 'list="editor-jobs"' in page and "<select name=\"line_job\"" not in page and '<datalist id="editor-jobs">' in page
    assert f'value="{later.number} Zz later"' in page and f'name="line_job" value="{later.id}"' in page
    assert 'value="4600 (Named)"' in page and f'name="line_po" value="{named.id}"' in page
    fields = dict.fromkeys(("debtor_id", "document_type_id", "number", "doc_date", "bill_from", "bill_to", "po_number",
                            "notes", "row_version"))
    posted = {k: re.search(rf'name="{k}"[^>]*value="([^"]*)"', page) for k in fields}
    back = {k: m.group(1) for k, m in posted.items() if m}
    back.update(debtor_id=str(setup["debtor"].id), document_type_id=str(setup["invoice"].id))
    for name in ("line_key", "line_job", "line_po", "line_date", "line_description", "line_quantity", "line_rate",
                 "job_search", "po_search"):
        back[name] = re.findall(rf'name="{name}"\s[^>]*?value="([^"]*)"|name="{name}" value="([^"]*)"', page)
        back[name] = [a or b for a, b in back[name]]
    back["line_code"] = [str(setup["code"].id)] * 2
    assert admin.post(f"/documents/{doc.id}/edit", back).status_code == 302  # the form posted back unchanged
    db_session.expire_all()
    lines = sorted(db_session.get(Document, doc.id).lines, key=lambda l: l.line_no)
    assert [(l.job_id, l.po_id if l.explicit_po else None) for l in lines] == [(setup["job"].id, None), (later.id, named.id)]
    hx = {"HX-Request": "true"}
    found = admin.get("/documents/job-options", headers=hx, query_string={
        "debtor_id": setup["debtor"].id, "job_search": "zz"}).get_data(as_text=True)
    assert f'<option value="{later.number} Zz later" data-id="{later.id}" data-key="{later.number}">' in found
    assert setup["job"].number not in found
    other = factories.debtor(db_session, "GLOBEX")
    moved = admin.post("/documents/lines", {**back, "debtor_id": str(other.id)}).get_data(as_text=True)
    assert 'hx-swap-oob="true"' in moved and later.number not in moved and 'name="line_job" value=""' not in moved
    new_row = admin.post("/documents/line-row", {"debtor_id": str(setup["debtor"].id)}).get_data(as_text=True)
    assert 'list="editor-jobs"' in new_row and "<datalist" not in new_row  # the page's suggestions serve it
    from_job = admin.get(f"/documents/new?debtor_id={setup['debtor'].id}&job_id={later.id}").get_data(as_text=True)
    assert f'name="line_job" value="{later.id}"' in from_job  # "New invoice" on a job past the first suggestions


def test_a_confirmation_counts_for_the_check_read_not_for_a_draft_changed_since(db_session, login_as, setup):
    """Seen from outside: the check page of a 950 draft warned of the PO's 90% tolerance; the draft was then
    edited to 5,000 in another session, and "Post anyway" posted 5,000 on the 1,000 PO, its "over the amount"
    warning never shown. The confirmation now carries the check it was given on."""
    browser, _ = login_as("Billing Admin")
    other, _ = login_as("Billing Admin")
    browser.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    check = browser.get(f"/documents/{doc.id}/post").get_data(as_text=True)
    assert "reaches its 90% tolerance" in check and "over its amount" not in check
    post_anyway = next(f for f in post_forms(check) if "confirmed" in f.data())
    edit = f"/documents/{doc.id}/edit"
    assert other.post(edit, _form(setup, line_quantity=["50"], line_rate=["100.00"],
                                  row_version=opened_version(other, edit))).status_code == 302
    stale = browser.post(post_anyway.action, post_anyway.data(), follow_redirects=True)
    html = stale.get_data(as_text=True)
    assert stale.request.path == f"/documents/{doc.id}/post" and "changed since you checked it" in html
    assert "would be over its amount by 4,000.00" in html  # the check as it is now
    db_session.expire_all()
    assert db_session.get(Document, doc.id).status == "draft" and db_session.get(POBalance, setup["po"].id).used == 0
    assert confirm(browser, f"/documents/{doc.id}/post").status_code == 302  # confirmed on the check now shown
    db_session.expire_all()
    assert db_session.get(POBalance, setup["po"].id).used == Decimal("5000.00")


def test_an_override_counts_for_the_block_read_not_for_a_bigger_one(db_session, login_as, setup):
    setup["debtor"].over_budget_policy = "block"
    db_session.commit()
    admin, _ = login_as("Billing Admin")
    clerk, _ = login_as("Billing Clerk")
    clerk.post("/documents/new", _form(setup, line_quantity=["10"], line_rate=["101.00"]))
    doc = db_session.scalars(select(Document)).one()
    check = admin.get(f"/documents/{doc.id}/post").get_data(as_text=True)
    assert "over its amount by 10.00" in check and "Override and post" in check
    override = next(f for f in post_forms(check) if "override" in f.data())
    edit = f"/documents/{doc.id}/edit"
    assert clerk.post(edit, _form(setup, line_quantity=["900"], line_rate=["100.00"],
                                  row_version=opened_version(clerk, edit))).status_code == 302
    stale = admin.post(override.action, override.data(), follow_redirects=True).get_data(as_text=True)
    assert "changed since you checked it" in stale and "over its amount by 89,000.00" in stale
    db_session.expire_all()
    assert db_session.get(Document, doc.id).status == "draft" and not db_session.get(Document, doc.id).override_used
    assert confirm(admin, f"/documents/{doc.id}/post", override=True).status_code == 302
    db_session.expire_all()
    assert db_session.get(POBalance, setup["po"].id).used == Decimal("90000.00")


def test_a_refused_make_a_draft_keeps_the_type_chosen_and_every_quantity_typed(db_session, login_as, setup):
    """An estimate, "Make a draft" = Sales Invoice, line 1 'abc', line 2 '1': the panel came back on Sales Order
    with line 2 reset, and fixing line 1 then made a Sales Order numbered SI-…."""
    browser, user = login_as("Billing Admin")
    types = factories.document_types(db_session)
    estimate = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=setup["debtor"].id, document_type_id=types["Estimate"].id, number="", doc_date=date(2026, 3, 1),
        lines=tuple(documents.LineInput(setup["job"].id, setup["code"].id, D("10"), D("5")) for _ in range(2))))
    assert posting.post(db_session, user, estimate.id, confirmed=True).posted
    first, second = sorted(estimate.lines, key=lambda l: l.line_no)
    page = browser.get(f"/documents/{estimate.id}").get_data(as_text=True)
    [form] = [f for f in post_forms(page) if f.action.endswith("/derive")]
    data = form.data() | {"type_id": [str(types["Sales Invoice"].id)], f"qty-{first.id}": ["abc"],
                          f"qty-{second.id}": ["1"]}
    refused = browser.post(form.action, data)
    assert refused.status_code == 422
    [again] = [f for f in post_forms(refused.get_data(as_text=True)) if f.action.endswith("/derive")]
    html = refused.get_data(as_text=True)
    assert f'<option value="{types["Sales Invoice"].id}" selected>' in html
    assert again.data()[f"qty-{second.id}"] == ["1"] and again.data()[f"qty-{first.id}"] == ["abc"]
    made = browser.post(again.action, again.data() | {f"qty-{first.id}": ["10"]})
    assert made.status_code == 302
    db_session.expire_all()
    draft = db_session.scalars(select(Document).order_by(Document.id.desc())).first()
    assert draft.document_type.name == "Sales Invoice"
    assert sorted((l.quantity for l in draft.lines)) == [D("1"), D("10")]


def test_a_refused_reassignment_keeps_the_reason_target_and_lines_chosen(db_session, login_as, setup):
    """No line ticked: the refusal came back as a flash over an emptied form (reason and PO gone)."""
    admin, _ = login_as("Billing Admin")
    admin.post("/documents/new", _form(setup, line_job=[str(setup["job"].id)] * 2, line_code=[str(setup["code"].id)] * 2,
                                      line_date=["", ""], line_description=["a", "b"], line_quantity=["1", "2"],
                                      line_rate=["10", "10"], line_po=["", ""], line_key=["k1", "k2"]))
    doc = db_session.scalars(select(Document)).one()
    confirm(admin, f"/documents/{doc.id}/post")
    other = factories.po(db_session, setup["debtor"], "4800", amount="1000")
    page = admin.get(f"/documents/{doc.id}").get_data(as_text=True)
    [form] = [f for f in post_forms(page) if f.action.endswith("/reassign")]
    refused = admin.post(form.action, form.data() | {"target": [f"{other.id}:"], "reason": ["Wrong PO"]})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Choose lines of this invoice." in html.split('id="reassign-error"', 1)[1][:200]
    [again] = [f for f in post_forms(html) if f.action.endswith("/reassign")]
    assert again.data()["target"] == [f"{other.id}:"] and again.data()["reason"] == ["Wrong PO"]
    second = max(l.id for l in doc.lines)
    assert admin.post(again.action, again.data() | {"line_id": [str(second)], "reason": [""]}).status_code == 422
    kept = post_forms(admin.post(again.action, again.data() | {"line_id": [str(second)], "reason": [""]})
                      .get_data(as_text=True))
    assert [f for f in kept if f.action.endswith("/reassign")][0].data()["line_id"] == [str(second)]


def test_a_refusal_says_why_it_holds_and_names_the_block_policy_only_when_it_is_the_reason(db_session, login_as,
                                                                                           setup):
    """A line forged onto a PO not eligible for the type (warn policy): refused whatever the policy, and the page
    does not claim the debtor's policy is block nor offer an override; over a PO under block it does."""
    browser, user = login_as("Billing Admin")
    only_orders = factories.po(db_session, setup["debtor"], "ORDERS", types=[factories.document_types(db_session)[
        "Sales Order"]])
    doc = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=setup["debtor"].id, document_type_id=setup["invoice"].id, number="", doc_date=date(2026, 3, 1),
        lines=(documents.LineInput(setup["job"].id, setup["code"].id, D("1"), D("10"),
                                   explicit_po_id=setup["po"].id),)))
    db_session.execute(DocumentLine.__table__.update().where(DocumentLine.document_id == doc.id)
                       .values(po_id=only_orders.id))
    db_session.commit()
    browser.post(f"/documents/{doc.id}/post")
    page = browser.get(f"/documents/{doc.id}/post").get_data(as_text=True)
    assert "Posting refused" in page and "refused whatever the debtor" in page
    assert "policy is <strong>block</strong>" not in page and "Override and post" not in page
    setup["debtor"].over_budget_policy = "block"
    db_session.commit()
    over = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=setup["debtor"].id, document_type_id=setup["invoice"].id, number="", doc_date=date(2026, 3, 1),
        lines=(documents.LineInput(setup["job"].id, setup["code"].id, D("1"), D("5000")),)))
    browser.post(f"/documents/{over.id}/post")
    page = browser.get(f"/documents/{over.id}/post").get_data(as_text=True)
    assert "policy is <strong>block</strong>" in page and "Override and post" in page
    assert "refused whatever the debtor" not in page


def _po_options(html: str) -> set[str]:
    """The PO numbers a line's PO list offers (its options' first words; "job's PO" left out)."""
    import re

    picker = re.search(r'<select name="line_po".*?</select>', html, re.S).group(0)
    return {m.split()[0] for m in re.findall(r'<option value="\d+"[^>]*>([^<]+)', picker)}


def test_a_lines_po_list_offers_the_pos_eligible_for_the_type_and_follows_a_type_changed(db_session, login_as,
                                                                                        setup):
    """Defect: the line editor's PO list offered every PO of the debtor, though a line may name only those
    eligible for its type and saving refused the others. It offers the eligible ones (and one a row already names,
    which its funding cell badges), every new row and a type changed in the form alike; a credit memo's lines
    keep their invoice lines' POs, so its list is every PO."""
    browser, _ = login_as("Billing Admin")
    types = factories.document_types(db_session)
    orders_only = factories.po(db_session, setup["debtor"], "ORDERS", types=[types["Sales Order"]])
    factories.po(db_session, setup["debtor"], "INVOICES", types=[types["Sales Invoice"]])
    page = browser.get(f"/documents/new?debtor_id={setup['debtor'].id}&type_id={setup['invoice'].id}"
                       f"&job_id={setup['job'].id}").get_data(as_text=True)
    assert _po_options(page) == {"4500", "INVOICES"}
    row = browser.post("/documents/line-row", data={"debtor_id": setup["debtor"].id,
                                                    "document_type_id": types["Sales Order"].id})
    assert _po_options(row.get_data(as_text=True)) == {"4500", "ORDERS"}
    as_order = browser.post("/documents/lines", data=_form(setup, document_type_id=str(types["Sales Order"].id)),
                            headers={"HX-Request": "true"})
    assert _po_options(as_order.get_data(as_text=True)) == {"4500", "ORDERS"}
    held = browser.post("/documents/lines", data=_form(setup, line_po=[str(orders_only.id)]),
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _po_options(held) == {"4500", "INVOICES", "ORDERS"}  # the row's own PO stays, badged
    assert "not eligible" in held
    credit = browser.post("/documents/line-row", data={"debtor_id": setup["debtor"].id,
                                                       "document_type_id": types["Credit Memo"].id})
    assert _po_options(credit.get_data(as_text=True)) == {"4500", "INVOICES", "ORDERS"}
    typed = browser.get(f"/documents/po-options?debtor_id={setup['debtor'].id}&type_id={types['Sales Order'].id}")
    assert "ORDERS" in typed.get_data(as_text=True) and "INVOICES" not in typed.get_data(as_text=True)
    form = browser.get("/documents/new").get_data(as_text=True)
    assert 'id="document_type_id"' in form and form.count('hx-post="/documents/lines"') == 2  # debtor and type


def _posted_invoice(admin, db_session, setup) -> Document:
    """The setup's invoice drafted and posted through the pages."""
    admin.post("/documents/new", _form(setup))
    doc = db_session.scalars(select(Document)).one()
    confirm(admin, f"/documents/{doc.id}/post")
    return doc


def test_reassigning_needs_to_see_documents_on_every_route(db_session, login_as, setup):
    """A role holding only 'Assign / reassign items on a posted invoice' reads no invoice through the check
    page and moves no line: the three reassign routes ask what the form's fragment asked (documents, view)."""
    from portal.models import Role, RoleGrant

    admin, _ = login_as("Billing Admin")
    doc = _posted_invoice(admin, db_session, setup)
    other = factories.po(db_session, setup["debtor"], "4800", amount="5000")
    line_id = db_session.scalars(select(DocumentLine.id)).one()
    db_session.add(Role(name="Mover only", grants=[RoleGrant(item="po_assign_invoiced_item", level="granted")]))
    db_session.commit()
    mover, _ = login_as("Mover only")
    check = mover.get(f"/documents/{doc.id}/reassign?target={other.id}:&line_id={line_id}&reason=x")
    assert check.status_code == 403 and "95.00" not in check.get_data(as_text=True)
    moved = mover.post(f"/documents/{doc.id}/reassign", {"line_id": [str(line_id)], "target": f"{other.id}:",
                                                         "reason": "x", "confirmed": "1"})
    assert moved.status_code == 403
    assert mover.get(f"/documents/{doc.id}/reassign-form", headers={"HX-Request": "true"}).status_code == 403
    db_session.expire_all()
    assert db_session.get(DocumentLine, line_id).po_id == setup["po"].id
    assert db_session.get(POBalance, other.id).used == 0
    assert db_session.get(POBalance, setup["po"].id).used == D("950")


def test_the_reassign_form_offers_only_pos_eligible_for_the_invoices_type(db_session, login_as, setup, monkeypatch):
    monkeypatch.setattr(document_choices, "REASSIGN_INLINE", 100)
    admin, _ = login_as("Billing Admin")
    doc = _posted_invoice(admin, db_session, setup)
    types = factories.document_types(db_session)
    factories.po(db_session, setup["debtor"], "ORDERS-ONLY", amount="5000", types=[types["Sales Order"]])
    factories.po(db_session, setup["debtor"], "INVOICES-TOO", amount="5000")
    page = admin.get(f"/documents/{doc.id}").get_data(as_text=True)
    assert "INVOICES-TOO" in page and "ORDERS-ONLY" not in page
    form = admin.get(f"/documents/{doc.id}/reassign-form", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "INVOICES-TOO" in form and "ORDERS-ONLY" not in form


def test_a_po_documents_tab_and_export_leave_out_a_document_whose_lines_all_moved_away(db_session, login_as, setup):
    """README: the tab shows what a document still draws; once its lines are reassigned, the PO they left
    lists it no more (nor does its CSV), and the PO they went to does."""
    admin, _ = login_as("Billing Admin")
    doc = _posted_invoice(admin, db_session, setup)
    other = factories.po(db_session, setup["debtor"], "4900", amount="5000")
    line_id = db_session.scalars(select(DocumentLine.id)).one()
    moved = admin.post(f"/documents/{doc.id}/reassign", {"line_id": [str(line_id)], "target": f"{other.id}:",
                                                         "reason": "wrong PO", "confirmed": "1"},
                       follow_redirects=True)
    assert "1 line moved" in moved.get_data(as_text=True)
    left = admin.get(f"/purchase-orders/{setup['po'].id}?tab=documents").get_data(as_text=True)
    assert doc.number not in left
    exported = admin.get(f"/purchase-orders/{setup['po'].id}?tab=documents&format=csv")
    assert exported.status_code == 200 and doc.number not in exported.get_data(as_text=True)
    assert doc.number in admin.get(f"/purchase-orders/{other.id}?tab=documents").get_data(as_text=True)
