"""A PO number typed free-text (a document's header number, a job's on-the-fly reference) that is the number of one
of the debtor's own POs (DESIGN.md: a typed number draws on no budget).

Found from outside: such a number drew nothing on the PO and raised no warning, while the spend report counted the
money under the PO's number as "PO budget", so a Billing Clerk billed any amount "against" a used-up block-policy PO.
Now typing one is refused (page, API), a line still carrying one (typed before the PO existed) warns at posting and
is refused under the block policy short of an override, and the report says when a number's documents are partly on
the fly."""
from __future__ import annotations

import html
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, update

from portal.models import (AuditEntry, BillCode, Document, DocumentLine, JobOrder, LedgerEntry, POBalance,
                           PurchaseOrder)
from portal.services import documents, posting
from tests import factories
from tests.api.conftest import ApiClient, is_problem, make_token
from tests.web.forms_walk import confirm, post_forms

REFUSED_ON_DOCUMENT = ("GLX-QA is one of GLOBEX's POs: leave it blank and choose the PO on the lines "
                       "(a typed number draws on no budget).")
REFUSED_ON_NEW_JOB = "GLX-QA is one of GLOBEX's POs: choose it from the list (a typed number draws on no budget)."


@pytest.fixture
def g(db_session):
    """GLOBEX: no enforced POs, the block policy, PO GLX-QA (1,000.00) used up; ACME (warn) with PO ACM-1."""
    globex = factories.debtor(db_session, "GLOBEX", over_budget_policy="block")
    acme = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, globex, "GLX-QA", amount="1000", used="1000")
    acme_po = factories.po(db_session, acme, "ACM-1", amount="50000")
    branch = factories.branch(db_session)
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    types = factories.document_types(db_session)
    return {"globex": globex, "acme": acme, "po": po, "acme_po": acme_po, "branch": branch, "code": code,
            "invoice": types["Sales Invoice"], "estimate": types["Estimate"]}


def _doc_form(g, debtor, *, po_number="", job=None, doc_type=None):
    """A draft with one line of 50 × 100.00 and no PO on it (on a job when given)."""
    return {"debtor_id": str(debtor.id), "document_type_id": str((doc_type or g["invoice"]).id), "number": "",
            "doc_date": "2026-03-01", "bill_from": "", "bill_to": "", "po_number": po_number, "notes": "",
            "line_job": [str(job.id) if job else ""], "line_code": [str(g["code"].id)], "line_date": [""],
            "line_description": ["hours"], "line_quantity": ["50"], "line_rate": ["100"], "line_po": [""],
            "line_key": ["k1"]}


def _job_form(g, debtor, **kw):
    return {"title": "QA job", "debtor_id": str(debtor.id), "branch_id": str(g["branch"].id), "site": "",
            "start_date": "2026-01-01", "discontinued_date": "", "consultant_id": "", "po_choice": "",
            "po_reference": ""} | kw


def _api_draft(g, debtor, po_number="", job=None) -> dict:
    return {"debtor_id": debtor.id, "document_type_id": g["invoice"].id, "doc_date": "2026-03-01",
            "po_number": po_number, "lines": [{"job_id": job.id if job else None, "bill_code_id": g["code"].id,
                                               "quantity": "50", "rate": "100", "description": "hours"}]}


@pytest.fixture
def api_as(app, db_session):
    """A token client for a fresh user of the named role (as tests/api's fixture)."""

    def make(role_name: str):
        user = factories.user(db_session, role_name=role_name)
        return ApiClient(app, db_session, make_token(db_session, user)[1]), user

    return make


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _typed_later(db_session, browser, g, debtor, number: str) -> JobOrder:
    """A job whose on-the-fly number was typed (through the form) before the debtor's PO of that number existed."""
    assert browser.post("/job-orders/new", _job_form(g, debtor, po_reference=number)).status_code == 302
    factories.po(db_session, debtor, number, amount="1000")
    return db_session.scalars(select(JobOrder).where(JobOrder.po_reference == number)).one()


def _draft_on(browser, db_session, g, debtor, job) -> Document:
    assert browser.post("/documents/new", _doc_form(g, debtor, job=job)).status_code == 302
    return db_session.scalars(select(Document).order_by(Document.id.desc())).first()


# ----- typing it is refused -----

def test_a_document_header_naming_one_of_the_debtors_pos_is_refused_and_nothing_is_written(db_session, login_as,
                                                                                           api_as, g):
    """Step 2 of the report: the clerk's draft with po_number GLX-QA and a line on no PO was saved, then posted
    at once, no warning. The page and the API now refuse the number, saying to choose the PO on the lines."""
    clerk, _ = login_as("Billing Clerk")
    for typed in ("GLX-QA", " glx-qa "):
        page = clerk.post("/documents/new", _doc_form(g, g["globex"], po_number=typed))
        assert page.status_code == 200
        assert REFUSED_ON_DOCUMENT.replace("GLX-QA", typed.strip()) in _text(page)
    api, _ = api_as("Billing Clerk")
    body = is_problem(api.post("/api/v1/documents", json=_api_draft(g, g["globex"], "GLX-QA")), 422)
    assert REFUSED_ON_DOCUMENT in str(body)
    assert _count(db_session, Document) == 0 and _count(db_session, DocumentLine) == 0
    db_session.expire_all()
    assert db_session.get(POBalance, g["po"].id).used == Decimal("1000.00")


def test_a_job_reference_naming_one_of_the_debtors_pos_is_refused_on_create_and_edit(db_session, login_as, g):
    """Step 3: a GLOBEX job with on-the-fly reference GLX-QA was accepted. Refused now on the new job form, on
    the edit form (another number typed over the job's own) and when the job moves to GLOBEX with it."""
    browser, _ = login_as("Consultant")
    page = browser.post("/job-orders/new", _job_form(g, g["globex"], po_reference="GLX-QA"))
    assert page.status_code == 200 and REFUSED_ON_NEW_JOB in _text(page)
    assert _count(db_session, JobOrder) == 0
    assert browser.post("/job-orders/new", _job_form(g, g["globex"], po_reference="CUST-9")).status_code == 302
    job = db_session.scalars(select(JobOrder)).one()
    edit = browser.post(f"/job-orders/{job.id}/edit", _job_form(g, g["globex"], po_reference="glx-qa",
                                                                row_version=str(job.row_version)))
    assert edit.status_code == 200
    assert ("glx-qa is one of GLOBEX's POs: clear it and assign the PO on the job's page (a typed number draws on "
            "no budget).") in _text(edit)
    # typed for ACME, where it names no PO: accepted; moved to GLOBEX, it would name GLX-QA
    assert browser.post("/job-orders/new", _job_form(g, g["acme"], po_reference="GLX-QA")).status_code == 302
    acme_job = db_session.scalars(select(JobOrder).where(JobOrder.debtor_id == g["acme"].id)).one()
    moved = browser.post(f"/job-orders/{acme_job.id}/edit", _job_form(g, g["globex"], po_reference="GLX-QA",
                                                                      row_version=str(acme_job.row_version)))
    assert moved.status_code == 200 and REFUSED_ON_NEW_JOB in _text(moved)
    db_session.expire_all()
    assert db_session.get(JobOrder, job.id).po_reference == "CUST-9"
    assert db_session.get(JobOrder, acme_job.id).debtor_id == g["acme"].id


def test_a_number_naming_no_po_of_the_debtor_is_still_accepted(db_session, login_as, api_as, g):
    """Another debtor's PO number, or a number no PO has, is still an on-the-fly number (DESIGN.md)."""
    consultant, _ = login_as("Consultant")
    for typed in ("ACM-1", "CUST-778"):
        assert consultant.post("/job-orders/new", _job_form(g, g["globex"], po_reference=typed)).status_code == 302
    assert sorted(db_session.scalars(select(JobOrder.po_reference))) == ["ACM-1", "CUST-778"]
    clerk, _ = login_as("Billing Clerk")
    assert clerk.post("/documents/new", _doc_form(g, g["globex"], po_number="ACM-1")).status_code == 302
    api, _ = api_as("Billing Clerk")
    created = api.post("/api/v1/documents", json=_api_draft(g, g["globex"], "GLX-QA-2"))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert sorted(db_session.scalars(select(Document.po_number))) == ["ACM-1", "GLX-QA-2"]


# ----- a number typed before its PO existed: a posting warning -----

def test_a_job_reference_typed_before_its_po_existed_warns_and_posts_only_when_confirmed(db_session, login_as, g):
    """ACME (warn policy): the line carries the job's reference ACM-LATE, now the number of one of ACME's POs, and
    draws on no budget. The check says so; posting needs that check confirmed; the PO's Used does not move."""
    consultant, _ = login_as("Consultant")
    job = _typed_later(db_session, consultant, g, g["acme"], "ACM-LATE")
    clerk, _ = login_as("Billing Clerk")
    doc = _draft_on(clerk, db_session, g, g["acme"], job)
    asked = clerk.post(f"/documents/{doc.id}/post")
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"/documents/{doc.id}/post")
    check = _text(clerk.get(f"/documents/{doc.id}/post"))
    assert (f"Line 1: ACM-LATE, job {job.number}'s on-the-fly PO number, is the number of PO ACM-LATE, but the line "
            "draws on no budget: PO ACM-LATE's Used does not move. To draw on it, assign the PO to the job.") in check
    assert "Post anyway" in check and "Blocked" not in check
    clerk.post(f"/documents/{doc.id}/post", {"confirmed": "1"})  # a confirmation of no check: not posted
    clerk.post(f"/documents/{doc.id}/post", {"confirmed": "1", "seen": "0" * 20})
    assert _count(db_session, LedgerEntry) == 0 and db_session.get(Document, doc.id).status == "draft"
    assert confirm(clerk, f"/documents/{doc.id}/post").status_code == 302
    db_session.expire_all()
    line = db_session.scalars(select(DocumentLine)).one()
    assert db_session.get(Document, doc.id).status == "posted"
    assert (line.po_id, line.po_number) == (None, "ACM-LATE")


def test_under_the_block_policy_a_clerk_cannot_post_it_and_an_override_is_audited(db_session, login_as, g):
    """GLOBEX (block): a line billed under one of its PO numbers that draws on no budget is refused, as a charge no
    master line covers is; a user with po_override_budget may post it past the block, recorded on the PO."""
    consultant, _ = login_as("Consultant")
    job = _typed_later(db_session, consultant, g, g["globex"], "GLX-LATE")
    late_po = db_session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.number == "GLX-LATE"))
    clerk, clerk_user = login_as("Billing Clerk")
    doc = _draft_on(clerk, db_session, g, g["globex"], job)
    clerk.post(f"/documents/{doc.id}/post")
    check = _text(clerk.get(f"/documents/{doc.id}/post"))
    assert "is the number of PO GLX-LATE, but the line draws on no budget" in check
    assert "Blocked: the block policy refuses a line billed under one of the debtor's PO numbers" in check
    assert "Post anyway" not in check and "Override and post" not in check
    seen = posting.post(db_session, clerk_user, doc.id, check_only=True).seen
    for form in ({"confirmed": "1", "seen": seen}, {"confirmed": "1", "override": "1", "seen": seen}):
        clerk.post(f"/documents/{doc.id}/post", form)
    assert _count(db_session, LedgerEntry) == 0 and db_session.get(Document, doc.id).status == "draft"
    # the same with the number typed on a draft's header before the PO existed (saved then, kept since)
    header = documents.save_draft(db_session, clerk_user, None, documents.DocumentInput(
        debtor_id=g["globex"].id, document_type_id=g["invoice"].id, number="", doc_date=date(2026, 3, 1),
        po_number="GLX-HEAD", lines=(documents.LineInput(None, g["code"].id, Decimal("1"), Decimal("10")),)))
    factories.po(db_session, g["globex"], "GLX-HEAD", amount="1000")
    refused = posting.post(db_session, clerk_user, header.id, confirmed=True)
    assert refused.refused and [w.code for w in refused.check.warnings] == ["typed_po"]
    assert "GLX-HEAD, the PO number typed on the document, is the number of PO GLX-HEAD" in \
        refused.check.warnings[0].message and "choose the PO on the line" in refused.check.warnings[0].message
    admin, _ = login_as("Billing Admin")
    assert confirm(admin, f"/documents/{doc.id}/post", override=True).status_code == 302
    db_session.expire_all()
    assert db_session.get(Document, doc.id).status == "posted" and db_session.get(Document, doc.id).override_used
    line = db_session.scalars(select(DocumentLine).where(DocumentLine.document_id == doc.id)).one()
    assert (line.po_id, line.po_number) == (None, "GLX-LATE") and db_session.get(POBalance, late_po).used == 0
    overrides = db_session.execute(select(AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.summary).where(
        AuditEntry.action == "override")).all()
    assert overrides == [("purchase_orders", late_po, f"Sales Invoice {doc.number} posted past the blocked budget")]


def test_the_api_answers_the_warning_and_posts_with_its_seen(db_session, login_as, api_as, g):
    consultant, _ = login_as("Consultant")
    job = _typed_later(db_session, consultant, g, g["acme"], "ACM-LATE")
    api, _ = api_as("Billing Clerk")
    doc = api.post("/api/v1/documents", json=_api_draft(g, g["acme"], job=job)).get_json()
    url = f"/api/v1/documents/{doc['id']}/post"
    warned = is_problem(api.post(url, json={}), 409)
    assert [(w["code"], w["blocks"]) for w in warned["warnings"]] == [("typed_po", False)]
    assert is_problem(api.post(url, json={"confirm": True}), 409)["seen"] == warned["seen"]
    assert api.post(url, json={"confirm": True, "seen": warned["seen"]}).status_code == 200


def test_edit_forms_posted_back_unchanged_save(db_session, login_as, g):
    """The edit form of a job with an on-the-fly reference saves as served; so does a job's or a draft's own number
    typed before the debtor's PO of that number existed (kept: posting warns about it), and a draft made from a
    document carrying one."""
    consultant, _ = login_as("Consultant")
    assert consultant.post("/job-orders/new", _job_form(g, g["globex"], po_reference="CUST-9")).status_code == 302
    plain = db_session.scalars(select(JobOrder)).one()
    late = _typed_later(db_session, consultant, g, g["globex"], "GLX-LATE")
    for job in (plain, late):
        form = next(f for f in post_forms(consultant.get(f"/job-orders/{job.id}/edit").get_data(as_text=True))
                    if "po_reference" in f.data())
        saved = consultant.post(f"/job-orders/{job.id}/edit", form.data())
        assert saved.status_code == 302, _text(saved)[-1500:]
    db_session.expire_all()
    assert (db_session.get(JobOrder, plain.id).po_reference, db_session.get(JobOrder, late.id).po_reference) == (
        "CUST-9", "GLX-LATE")
    admin, user = login_as("Billing Admin")
    assert admin.post("/documents/new", _doc_form(g, g["globex"], po_number="GLX-SOON",
                                                  doc_type=g["estimate"])).status_code == 302
    draft = db_session.scalars(select(Document)).one()
    factories.po(db_session, g["globex"], "GLX-SOON", amount="1000")
    form = next(f for f in post_forms(admin.get(f"/documents/{draft.id}/edit").get_data(as_text=True))
                if "po_number" in f.data())
    assert admin.post(f"/documents/{draft.id}/edit", form.data()).status_code == 302
    changed = admin.post(f"/documents/{draft.id}/edit", {**form.data(), "po_number": "glx-qa"})
    assert "glx-qa is one of GLOBEX's POs" in _text(changed)
    confirm(admin, f"/documents/{draft.id}/post")  # its typed number names GLX-SOON: a warning, confirmed
    made = documents.derive(db_session, user, draft.id, g["invoice"].id)  # the order carries the estimate's number
    assert made.po_number == "GLX-SOON" and made.status == "draft"


def _upload(browser, text, action="preview"):
    return browser.post("/documents/import", {"action": action, "file": (io.BytesIO(text.encode()), "export.csv")},
                        content_type="multipart/form-data")


def test_the_csv_import_lists_the_warning_and_posts_only_when_confirmed(db_session, login_as, g):
    consultant, _ = login_as("Consultant")
    job = _typed_later(db_session, consultant, g, g["acme"], "ACM-LATE")
    globex_job = _typed_later(db_session, consultant, g, g["globex"], "GLX-LATE")
    clerk, _ = login_as("Billing Clerk")
    text = ("document_type,number,date,debtor,job,bill_code,quantity,rate\n"
            f"Sales Invoice,IMP-1,2026-03-01,ACME,{job.number},ORD,5,100\n")
    preview = _text(_upload(clerk, text))
    assert "Check before posting" in preview
    assert "is the number of PO ACM-LATE, but the line draws on no budget" in preview
    unread = _text(clerk.post("/documents/import", {"action": "post", "content": text}))
    assert "Nothing was posted" in unread and _count(db_session, Document) == 0
    form = next(f for f in post_forms(preview) if "content" in f.data())
    done = clerk.post("/documents/import", {**form.data(), "action": "post"}, follow_redirects=True)
    assert "1 document posted" in _text(done) and _count(db_session, Document) == 1
    blocked = text.replace("IMP-1", "IMP-2").replace("ACME", "GLOBEX").replace(job.number, globex_job.number)
    refused = _text(clerk.post("/documents/import", {"action": "post", "content": blocked}))
    assert "IMP-2 cannot be posted" in refused and "GLX-LATE" in refused and _count(db_session, Document) == 1


# ----- the spend report -----

def test_the_spend_report_says_when_a_numbers_documents_are_partly_on_the_fly(db_session, login_as, api_as, g):
    """Step 4: the report showed "GLX-QA, PO budget, 4 documents" although three of them drew on no budget."""
    consultant, _ = login_as("Consultant")
    typed = _typed_later(db_session, consultant, g, g["acme"], "ACM-LATE")
    assigned = factories.job(db_session, g["acme"], g["branch"])
    factories.assignment(db_session, assigned, start=date(2026, 1, 1), po=db_session.scalars(
        select(PurchaseOrder).where(PurchaseOrder.number == "ACM-LATE")).one())
    other = factories.job(db_session, g["acme"], g["branch"])
    db_session.execute(update(JobOrder).where(JobOrder.id == other.id).values(po_reference="CUST-9"))
    db_session.commit()
    admin, user = login_as("Billing Admin")
    for job in (assigned, typed, typed, other):
        doc = _draft_on(admin, db_session, g, g["acme"], job)
        posting.post(db_session, user, doc.id, confirmed=True, seen=posting.post(db_session, user, doc.id,
                                                                                   check_only=True).seen)
    assert _count(db_session, LedgerEntry) == 1
    mixed = "PO budget and on the fly (1 of 3 documents on the budget)"
    page = _text(admin.get("/documents/report"))
    assert mixed in page and "on the fly (no budget)" in page
    row = page.split(">ACM-LATE</a>")[1].split("</tr>")[0]
    assert mixed in row and "15,000.00" in row
    lines = admin.get("/documents/report?format=csv").get_data(as_text=True).splitlines()
    assert f"ACME,ACM-LATE,{mixed},3,15000.00,0.00,0.00" in lines
    assert "ACME,CUST-9,on the fly,1,5000.00,0.00,0.00" in lines
    sheet = openpyxl.load_workbook(io.BytesIO(admin.get("/documents/report?format=xlsx").get_data())).worksheets[0]
    assert [r[1:3] for r in sheet.iter_rows(min_row=3, values_only=True)] == [("ACM-LATE", mixed),
                                                                              ("CUST-9", "on the fly")]
    api, _ = api_as("Billing Admin")
    items = api.get("/api/v1/reports/spend-by-po-number").get_json()["items"]
    assert [(r["po_number"], r["documents"], r["budgeted_documents"], r["budget"]) for r in items] == [
        ("ACM-LATE", 3, 1, mixed), ("CUST-9", 1, 0, "on the fly")]
