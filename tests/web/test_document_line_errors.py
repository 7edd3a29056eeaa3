"""A refused line's problem is shown by its row, not only above the form. Defect: the document editor (new or edited
invoice, estimate, order, credit memo) listed "Line 2: …" at the top only; with many lines the user had to count
rows to find the one meant, and a screen reader on the box heard nothing. Now each problem is also under the cell of
the box it is about, that box marked aria-invalid and described by it; the summary at the top stays."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest

from portal.models import BillCode
from tests import factories


@pytest.fixture
def setup(db_session):
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", amount="100000")
    job = factories.job(db_session, debtor)
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    code, retired = BillCode(code="ORD"), BillCode(code="OLD", active=False)
    db_session.add_all([code, retired])
    db_session.commit()
    return {"debtor": debtor, "job": job, "code": code, "retired": retired,
            "types": factories.document_types(db_session)}


def _form(s, type_name: str = "Sales Invoice", **lines) -> dict:
    """A new draft's form with two good lines; `lines` replaces line columns (each a list, one value a row)."""
    data = {"debtor_id": str(s["debtor"].id), "document_type_id": str(s["types"][type_name].id), "number": "",
            "doc_date": "2026-03-01", "bill_from": "", "bill_to": "", "po_number": "", "notes": "",
            "line_key": ["k1", "k2"], "line_source": ["", ""], "line_job": [str(s["job"].id)] * 2,
            "line_code": [str(s["code"].id)] * 2, "line_date": ["", ""], "line_description": ["hours", "more"],
            "line_quantity": ["10", "2"], "line_rate": ["95.00", "40"], "line_po": ["", ""]}
    data.update(lines)
    return data


def _rows(html: str) -> list[str]:
    """The editor's rows as the page draws them, in order."""
    body = re.search(r'<tbody id="document-lines".*?</tbody>', html, re.S)
    assert body, "no line editor on the page"
    return re.findall(r"<tr.*?</tr>", body.group(0), re.S)


def _box(row: str, name: str) -> str:
    """The opening tag of the row's box named `name`."""
    found = re.search(r'<(?:input|select)\b[^>]*\bname="%s"[^>]*>' % name, row, re.S)
    assert found, f"no {name} in the row"
    return found.group(0)


def _described(row: str, name: str) -> list[str]:
    """The words of what describes the row's box `name` (aria-describedby), each found in the row itself."""
    box = _box(row, name)
    ids = re.search(r'aria-describedby="([^"]*)"', box)
    assert ids and 'aria-invalid="true"' in box, f"{name} is not marked invalid: {box}"
    words = []
    for id_ in ids.group(1).split():
        note = re.search(r'<small[^>]*\bid="%s"[^>]*>(.*?)</small>' % re.escape(id_), row, re.S)
        assert note, f"{id_} is not in the row"
        words.append(unescape(note.group(1)).strip())
    return words


def _unmarked(row: str, *names: str) -> None:
    for name in names:
        assert "aria-invalid" not in _box(row, name), name


def test_a_refused_lines_problem_is_shown_in_its_row_by_its_box(login_as, setup):
    browser, _ = login_as("Billing Admin")
    codes = [str(setup["code"].id), str(setup["retired"].id)]
    response = browser.post("/documents/new", _form(setup, line_code=codes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Line 2: choose an active bill code." in html  # the summary above the form stays
    first, second = _rows(html)
    assert _described(second, "line_code") == ["Choose an active bill code."]
    _unmarked(second, "line_job", "line_date", "line_description", "line_quantity", "line_rate", "line_po")
    assert "field-error" not in first and "aria-invalid" not in first


def test_an_amount_problem_marks_the_box_it_is_about(login_as, setup):
    browser, _ = login_as("Billing Admin")
    html = browser.post("/documents/new", _form(setup, line_rate=["95.00", "-1"])).get_data(as_text=True)
    first, second = _rows(html)
    words = _described(second, "line_rate")
    assert len(words) == 1 and words[0].startswith("The quantity must be more than zero and the rate not negative")
    _unmarked(second, "line_quantity")
    assert "aria-invalid" not in first


def test_a_box_the_form_could_not_read_is_marked_in_its_row(login_as, setup):
    """Problems found before the service is asked (a malformed date; then every line's unreadable quantity or rate
    too) are shown by their rows the same way."""
    browser, _ = login_as("Billing Admin")
    html = browser.post("/documents/new", _form(setup, line_date=["2026-02-30", ""],
                                                line_quantity=["10", "abc"])).get_data(as_text=True)
    assert "Line 1: the service date must be YYYY-MM-DD." in html
    assert "Line 2: enter the quantity and rate as numbers." in html
    first, second = _rows(html)
    assert _described(first, "line_date") == ["The service date must be YYYY-MM-DD."]
    assert _described(second, "line_quantity") == ["Enter the quantity and rate as numbers."]
    _unmarked(second, "line_rate", "line_date")
    _unmarked(first, "line_quantity")


def test_an_edited_drafts_refused_line_is_shown_in_its_row(db_session, login_as, setup):
    from portal.services import documents

    browser, user = login_as("Billing Admin")
    draft = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=setup["debtor"].id, document_type_id=setup["types"]["Estimate"].id, number="",
        doc_date=date(2026, 3, 1),
        lines=(documents.LineInput(setup["job"].id, setup["code"].id, Decimal("1"), Decimal("10")),)))
    sent = _form(setup, "Estimate", line_description=["hours", "x" * 301], row_version=str(draft.row_version))
    html = browser.post(f"/documents/{draft.id}/edit", sent).get_data(as_text=True)
    assert "Line 2: the description may have at most 300 characters." in html
    assert _described(_rows(html)[1], "line_description") == ["The description may have at most 300 characters."]


def test_a_typed_job_box_naming_no_job_is_marked_in_its_row(db_session, login_as, setup, monkeypatch):
    from portal.services import document_choices

    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 1)  # a debtor with many jobs: typed, not listed
    factories.job(db_session, setup["debtor"], title="Driver")
    browser, _ = login_as("Billing Admin")
    html = browser.post("/documents/new", _form(setup, line_job=[str(setup["job"].id), ""],
                                                job_search=["", "Nobody"])).get_data(as_text=True)
    first, second = _rows(html)
    assert _described(second, "job_search") == ["No job order is named “Nobody”: choose one of the suggestions."]
    assert "aria-invalid" not in first
