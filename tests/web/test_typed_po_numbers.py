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
