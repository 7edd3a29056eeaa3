"""Defect 10: job security everywhere. A user limited to one branch renders EVERY GET route over data
seeded in two branches (jobs, assignments to POs and groups, drafts and posted documents naming jobs
of both) and never sees the other branch's job numbers or titles."""
from __future__ import annotations

import io
import itertools
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from portal.models import JobOrder
from portal.services import documents, posting
from tests import factories
from tests.sample_records import sample_ids


def _two_branches(session):
    """Records in branch A (visible) and branch B (hidden); returns (branch A, ids for URLs, hidden strings)."""
    a, b = factories.branch(session, "BRA"), factories.branch(session, "BRB")
    admin = factories.user(session, role_name="Administrator")
    debtor = factories.debtor(session, "TWO")
    group = factories.po_group(session, debtor, "Both branches")
    grouped = factories.po(session, debtor, "GRP-PO", group=group, effective=date(2026, 1, 1),
                           expiration=date(2027, 12, 31))
    po = factories.po(session, debtor, "MIX-PO", effective=date(2026, 1, 1), expiration=date(2027, 12, 31))
    mine = factories.job(session, debtor, a, title="Visible job")
    hidden = [factories.job(session, debtor, b, title=f"Hidden job {n}") for n in range(3)]
    factories.assignment(session, mine, po=po, start=date(2026, 1, 1))
    factories.assignment(session, hidden[0], po=po, start=date(2026, 1, 1))
    factories.assignment(session, hidden[1], group=group, start=date(2026, 1, 1))
    code = factories.bill_code_group(session, "Walk codes", ["WALK"]).bill_codes[0]
    types = factories.document_types(session)

    def doc(type_name, jobs, post):
        lines = tuple(documents.LineInput(j.id, code.id, Decimal("1"), Decimal("10"), date(2026, 3, 1)) for j in jobs)
        saved = documents.save_draft(session, admin, None, documents.DocumentInput(
            debtor.id, types[type_name].id, "", date(2026, 3, 1), lines=lines))
        if post:
            posting.post(session, admin, saved.id, confirmed=True, override=True)
        return saved.id

    ids = {"doc_id": doc("Sales Invoice", [mine, hidden[0]], True), "po_id": po.id, "job_id": mine.id,
           "debtor_id": debtor.id, "group_id": group.id}
    ids["doc_ids"] = [ids["doc_id"], doc("Sales Order", [hidden[1], mine], True), doc("Estimate", [hidden[2]], False),
                      doc("Sales Invoice", [mine, hidden[1]], False)]
    ids["po_ids"] = [po.id, grouped.id]
    ids["job_ids"] = [mine.id] + [j.id for j in hidden]
    secrets = [j.number for j in hidden] + [j.title for j in hidden]
    return a, ids, secrets, grouped


def test_a_branch_limited_user_never_sees_another_branchs_job_on_any_page(app, db_session, login_as):
    branch_a, ids, secrets, _ = _two_branches(db_session)
    browser, user = login_as("Administrator", branches=[branch_a])
    filler = {**sample_ids(db_session, owner=user), **ids}
    for job in db_session.query(JobOrder).filter(JobOrder.title == "Sample job"):
        job.branch_id = branch_a.id
    db_session.commit()
    queries = [{}, {"debtor_id": ids["debtor_id"], "all": "1"}, {"tab": "documents"}, {"tab": "assignments"},
               {"debtor_id": ids["debtor_id"], "as_of": "2026-03-01", "all": "1"}, {"tab": "history"}]
    leaks, pages = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        choices = {arg: filler.get(arg + "s", [filler[arg]]) for arg in rule.arguments}
        urls = [rule.build(dict(zip(choices, values)))[1] for values in itertools.product(*choices.values())]
        for url, params in itertools.product(urls, queries):
            response = browser.get(url, query_string=params)
            if response.status_code != 200:
                continue
            pages += 1
            if response.mimetype == "application/pdf":  # the PO statement: its text
                text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)
            else:
                text = response.get_data(as_text=True)
            leaks += [f"{url}?{params}: {s}" for s in secrets if s in text]
    assert pages > 40
    assert not leaks, "\n".join(leaks)


def test_the_grouped_po_page_and_job_lists_show_the_visible_job(app, db_session, login_as):
    branch_a, ids, _, _ = _two_branches(db_session)
    browser, _ = login_as("Administrator", branches=[branch_a])
    detail = browser.get(f"/documents/{ids['doc_id']}").get_data(as_text=True)
    assert "Visible job" in detail or db_session.get(JobOrder, ids["job_id"]).number in detail
    tab = browser.get(f"/purchase-orders/{ids['po_id']}", query_string={"tab": "assignments"}).get_data(as_text=True)
    assert db_session.get(JobOrder, ids["job_id"]).number in tab


def test_a_document_line_on_another_branchs_job_is_refused(db_session):
    branch_a, ids, _, _ = _two_branches(db_session)
    user = factories.user(db_session, role_name="Billing Admin", branches=[branch_a])
    other = db_session.query(JobOrder).filter(JobOrder.branch_id != branch_a.id).first()
    code = factories.bill_code_group(db_session, "Other codes", ["OTH"]).bill_codes[0]
    data = documents.DocumentInput(ids["debtor_id"], factories.document_types(db_session)["Sales Invoice"].id, "",
                                   date(2026, 3, 1), lines=(documents.LineInput(other.id, code.id, Decimal("1"),
                                                                                Decimal("5")),))
    try:
        documents.save_draft(db_session, user, None, data)
    except documents.ValidationFailed as exc:
        assert "job orders" in str(exc.errors)
    else:
        raise AssertionError("a line on another branch's job was saved")


def test_a_document_with_lines_on_hidden_jobs_is_shown_without_them_and_not_changed(db_session, login_as):
    branch_a, ids, secrets, _ = _two_branches(db_session)
    browser, user = login_as("Administrator", branches=[branch_a])
    mixed_draft = ids["doc_ids"][3]
    page = browser.get(f"/documents/{mixed_draft}").get_data(as_text=True)
    assert "1 line on job orders outside your branches is not shown" in page
    assert browser.get(f"/documents/{mixed_draft}/edit").status_code == 403
    assert browser.post(f"/documents/{mixed_draft}/post", {"confirmed": "1"}).status_code == 403
    assert db_session.get(documents.Document, mixed_draft).status == "draft"
    invoice = db_session.get(documents.Document, ids["doc_id"])
    hidden_line = next(l for l in invoice.lines if l.job.branch_id != branch_a.id)
    before = hidden_line.po_id
    browser.post(f"/documents/{invoice.id}/reassign", {"line_id": [str(hidden_line.id)], "reason": "try",
                                                       "target": f"{ids['po_ids'][1]}:"})
    db_session.expire_all()
    assert db_session.get(documents.DocumentLine, hidden_line.id).po_id == before


def test_the_line_editor_does_not_describe_another_branchs_job(db_session, login_as):
    branch_a, ids, secrets, _ = _two_branches(db_session)
    browser, _ = login_as("Administrator", branches=[branch_a])
    hidden_id = ids["job_ids"][3]  # assigned to nothing: the note would name it
    code = factories.bill_code_group(db_session, "Editor codes", ["EDT"]).bill_codes[0]
    response = browser.post("/documents/line-editor", {
        "debtor_id": str(ids["debtor_id"]), "document_type_id": str(factories.document_types(db_session)["Sales Invoice"].id),
        "doc_date": "2026-03-01", "line_key": ["k1"], "line_job": [str(hidden_id)], "line_code": [str(code.id)],
        "line_quantity": ["1"], "line_rate": ["1"], "line_date": [""], "line_po": [""], "line_description": [""]})
    assert not any(s in response.get_data(as_text=True) for s in secrets)


def test_an_invoice_holding_another_branchs_lines_offers_no_reassign_form(db_session, login_as, monkeypatch):
    """The form drawn when opened once listed the user's own lines only; moving them is now refused, as
    posting, editing and voiding such a document are (posting.reassign), so no form is offered at all."""
    from portal.services import document_choices

    monkeypatch.setattr(document_choices, "REASSIGN_INLINE", 0)  # every invoice page draws it when opened
    branch_a, ids, secrets, _ = _two_branches(db_session)
    browser, _ = login_as("Administrator", branches=[branch_a])
    invoice = db_session.get(documents.Document, ids["doc_id"])
    hidden_line = next(l for l in invoice.lines if l.job.branch_id != branch_a.id)
    fragment = browser.get(f"/documents/{invoice.id}/reassign-form", headers={"HX-Request": "true"})
    assert fragment.status_code == 403 and 'id="reassign-target"' not in fragment.get_data(as_text=True)
    page = browser.get(f"/documents/{invoice.id}", query_string={"reassign": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="reassign-panel"' not in html and 'id="reassign-target"' not in html
    assert f'name="line_id" value="{hidden_line.id}"' not in html and not [s for s in secrets if s in html]
