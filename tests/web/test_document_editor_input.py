"""The document line editor and bad input: every line box comes back as typed, the page posted back
unchanged is refused again (never saved with the bad box blank), and a line's problems come at once."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import BillCode, Document
from portal.services import document_choices
from tests import factories
from tests.web.forms_walk import post_forms

DATE_MESSAGE = "the service date must be YYYY-MM-DD"
NUMBER_MESSAGE = "enter the quantity and rate as numbers"


@pytest.fixture
def setup(db_session):
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", amount="100000")
    job = factories.job(db_session, debtor)
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    return {"debtor": debtor, "job": job, "code": code,
            "invoice": factories.document_types(db_session)["Sales Invoice"]}


def _form(s, **lines) -> dict:
    """A new draft's form with one line; `lines` replaces line columns (each a list, one value a row)."""
    data = {"debtor_id": str(s["debtor"].id), "document_type_id": str(s["invoice"].id), "number": "",
            "doc_date": "2026-03-01", "bill_from": "", "bill_to": "", "po_number": "", "notes": "",
            "line_key": ["k1"], "line_source": [""], "line_job": [str(s["job"].id)], "line_code": [str(s["code"].id)],
            "line_date": [""], "line_description": ["hours"], "line_quantity": ["10"], "line_rate": ["95.00"],
            "line_po": [""]}
    data.update(lines)
    return data


def _editor(html: str) -> dict[str, list[str]]:
    """The document form as the page shows it, every field as a browser would post it unchanged."""
    forms = [f for f in post_forms(html) if "line_key" in f.data()]
    assert len(forms) == 1, "no document form with lines on the page"
    return forms[0].data()


def _docs(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Document))


BAD_BOXES = [
    ("line_date", "2026-11-31", DATE_MESSAGE),
    ("line_date", "2026-02-30", DATE_MESSAGE),
    ("line_date", "31/12/2026", DATE_MESSAGE),
    ("line_date", "20261231", DATE_MESSAGE),  # ISO 8601, but not the YYYY-MM-DD asked for: was saved as 2026-12-31
    ("line_date", "2026-W01-1", DATE_MESSAGE),  # was saved as 2025-12-29
    ("line_quantity", "1e10", NUMBER_MESSAGE),
    ("line_quantity", "abc", NUMBER_MESSAGE),
    ("line_quantity", "1,00", NUMBER_MESSAGE),
    ("line_rate", "1e10", NUMBER_MESSAGE),
    ("line_rate", "abc", NUMBER_MESSAGE),
    ("line_rate", "1,00", NUMBER_MESSAGE),
]


@pytest.mark.parametrize("box,typed,message", BAD_BOXES)
def test_a_refused_box_comes_back_as_typed_and_the_page_posted_back_unchanged_is_refused_again(
        db_session, login_as, setup, box, typed, message):
    browser, _ = login_as("Billing Admin")
    sent = _form(setup, **{box: [typed]}, line_description=['5" pipe & <fittings>'])
    first = browser.post("/documents/new", sent)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and message in html and _docs(db_session) == 0
    shown = _editor(html)
    for name in ("line_date", "line_quantity", "line_rate", "line_description"):
        assert shown[name] == sent[name], name  # exactly what was typed, the refused box included
    again = browser.post("/documents/new", shown)  # the page as it came back, unchanged
    assert again.status_code == 200 and message in again.get_data(as_text=True)
    assert _docs(db_session) == 0
    assert _editor(again.get_data(as_text=True))[box] == [typed]


def test_a_drafts_bad_service_date_posted_back_unchanged_leaves_the_draft_as_it_was(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    assert browser.post("/documents/new", _form(setup, line_date=["2026-02-20"])).status_code == 302
    doc = db_session.scalars(select(Document)).one()
    page = browser.get(f"/documents/{doc.id}/edit").get_data(as_text=True)
    edited = {**_editor(page), "line_date": ["2026-11-31"], "line_quantity": ["12"]}
    refused = browser.post(f"/documents/{doc.id}/edit", edited).get_data(as_text=True)
    assert DATE_MESSAGE in refused
    shown = _editor(refused)
    assert shown["line_date"] == ["2026-11-31"] and shown["line_quantity"] == ["12"]
    again = browser.post(f"/documents/{doc.id}/edit", shown)
    assert again.status_code == 200 and DATE_MESSAGE in again.get_data(as_text=True)
    assert "saved" not in again.get_data(as_text=True)
    db_session.expire_all()
    line = db_session.get(Document, doc.id).lines[0]
    assert (line.service_date, line.quantity) == (date(2026, 2, 20), Decimal("10"))


def test_a_lines_problems_are_reported_at_once(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    two = _form(setup, line_key=["k1", "k2"], line_source=["", ""], line_job=[str(setup["job"].id)] * 2,
                line_code=[str(setup["code"].id)] * 2, line_date=["2026-11-31", ""], line_description=["a", "b"],
                line_quantity=["abc", "1"], line_rate=["95", "1e10"], line_po=["", ""])
    html = browser.post("/documents/new", two).get_data(as_text=True)
    assert f"Line 1: {DATE_MESSAGE}" in html
    assert f"Line 1: {NUMBER_MESSAGE}" in html and f"Line 2: {NUMBER_MESSAGE}" in html
    assert _docs(db_session) == 0
    fixed = browser.post("/documents/new", {**_editor(html), "line_date": ["2026-02-28", ""],
                                            "line_quantity": ["3", "1"], "line_rate": ["95", "10"]})
    assert fixed.status_code == 302 and _docs(db_session) == 1


def test_another_debtor_keeps_each_box_as_typed(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    other = factories.debtor(db_session, "GLOBEX")
    typed = {"line_date": ["2026-11-31"], "line_quantity": ["1,00"], "line_rate": ["abc"],
             "line_description": ["as typed"]}
    html = browser.post("/documents/lines", {**_form(setup, **typed), "debtor_id": str(other.id)},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    rows = _editor(f'<form method="post"><table>{html}</table></form>')
    assert {name: rows[name] for name in typed} == typed


def test_a_typed_job_naming_no_job_is_refused_not_saved_without_it(db_session, login_as, setup, monkeypatch):
    """A debtor with many jobs: a row's job box holds text and the id beside it is blank (the text named no
    suggestion): the line was saved with no job at all."""
    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 1)
    monkeypatch.setattr(document_choices, "EDITOR_OPTIONS", 1)
    factories.job(db_session, setup["debtor"], title="Second")
    browser, _ = login_as("Billing Admin")
    sent = _form(setup, line_job=[""], job_search=["Wleder"])
    html = browser.post("/documents/new", sent).get_data(as_text=True)
    assert "Line 1: no job order is named “Wleder”" in html and _docs(db_session) == 0
    shown = _editor(html)
    assert shown["job_search"] == ["Wleder"] and shown["line_job"] == [""]
    again = browser.post("/documents/new", shown)
    assert again.status_code == 200 and "no job order is named" in again.get_data(as_text=True)
    assert _docs(db_session) == 0
    picked = browser.post("/documents/new", {**shown, "line_job": [str(setup["job"].id)],
                                             "job_search": [f"{setup['job'].number} {setup['job'].title}"]})
    assert picked.status_code == 302 and _docs(db_session) == 1


@pytest.mark.parametrize("box,typed,message", [
    ("doc_date", "0001-01-01", "The document date must be between 2000-01-01 and 2099-12-31."),
    ("doc_date", "9999-12-31", "The document date must be between 2000-01-01 and 2099-12-31."),
    ("bill_from", "1999-12-31", "Bill From must be between 2000-01-01 and 2099-12-31."),
    ("bill_to", "2100-01-01", "Bill To must be between 2000-01-01 and 2099-12-31."),
    ("line_date", "9999-12-31", "Line 1: the service date must be between 2000-01-01 and 2099-12-31."),
    # found from outside: the calendar's first day was told it was no date ("must be YYYY-MM-DD")
    ("line_date", "0001-01-01", "Line 1: the service date must be between 2000-01-01 and 2099-12-31."),
])
def test_a_business_date_a_keyboard_slip_away_is_refused(db_session, login_as, setup, box, typed, message):
    """Defect: documents took and posted any calendar day, 0001-01-01 to 9999-12-31 (no date warning on a job's
    typed PO number), and the spreadsheet export wrote such a day as -693594. Refused with a message by the box."""
    browser, _ = login_as("Billing Admin")
    refused = browser.post("/documents/new", _form(setup, **{box: [typed] if box.startswith("line_") else typed}))
    assert refused.status_code == 200 and message in refused.get_data(as_text=True)
    assert _docs(db_session) == 0
