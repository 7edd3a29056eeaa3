"""Debtors through the web: list, search, paging, CRUD, history, bad input, query count."""
from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from portal.models import AuditEntry, Debtor
from tests import factories


def _count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Debtor))


def _form(**kw):
    data = {"code": "DELL", "name": "Dell Technologies", "over_budget_policy": "warn", "active": "y", "notes": ""}
    data.update(kw)
    return data


def test_create_edit_history_and_delete(db_session, login_as):
    browser, admin = login_as("Billing Admin")
    assert browser.post("/debtors/new", _form(code="dell", enforce_purchase_orders="y")).status_code == 302
    debtor = db_session.scalars(select(Debtor)).one()
    assert debtor.code == "DELL" and debtor.enforce_purchase_orders and debtor.created_by_id == admin.id
    response = browser.post(f"/debtors/{debtor.id}/edit", _form(name="Dell Inc.", over_budget_policy="block",
                                                                 row_version=str(debtor.row_version)))
    assert response.status_code == 302
    history = browser.get(f"/debtors/{debtor.id}?tab=history").get_data(as_text=True)
    assert "Dell Technologies</del>" in history and "Dell Inc.</ins>" in history and admin.full_name in history
    summary = browser.get(f"/debtors/{debtor.id}").get_data(as_text=True)
    assert "Created" in summary and "Changed" in summary and "Block postings" in summary
    assert browser.post(f"/debtors/{debtor.id}/delete").status_code == 302
    assert _count(db_session) == 0
    actions = [a for a in db_session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "debtors").order_by(AuditEntry.id))]
    assert actions == ["create", "update", "delete"]


def test_search_returns_only_the_fragment_and_pages(db_session, login_as):
    browser, _ = login_as("Auditor")
    db_session.execute(insert(Debtor), [{"code": f"C{n:03d}", "name": f"Client {n}", "enforce_purchase_orders": False,
                                         "over_budget_policy": "warn", "active": True, "notes": ""} for n in range(60)])
    db_session.commit()
    fragment = browser.get("/debtors/?q=Client 5", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "Client 5" in html and "Client 6" not in html
    assert "HX-Request" in fragment.headers["Vary"]
    restore = browser.get("/debtors/?q=x", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)
    page2 = browser.get("/debtors/?page=2").get_data(as_text=True)
    assert "Page 2 of 3" in page2 and "C025" in page2 and "C024" not in page2
    assert browser.get("/debtors/?page=abc").status_code == 200
    assert browser.get("/debtors/?page=999999999999").status_code == 200


BAD = [
    ({"code": ""}, "Enter a code"),
    ({"name": "x" * 10_000}, "Field cannot be longer than 200 characters"),
    ({"code": "x" * 21}, "Field cannot be longer than 20 characters"),
    ({"over_budget_policy": "maybe"}, "Not a valid choice"),
]


@pytest.mark.parametrize("change,message", BAD)
def test_bad_input_shows_the_error_and_writes_nothing(db_session, login_as, change, message):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/debtors/new", _form(**change))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _count(db_session) == 0


def test_duplicate_code_in_any_case(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    factories.debtor(db_session, "DELL")
    response = browser.post("/debtors/new", _form(code="dell"))
    assert "A debtor with code DELL exists" in response.get_data(as_text=True)
    assert _count(db_session) == 1


def test_missing_csrf_is_refused(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/debtors/new", _form(), csrf=False)
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    assert _count(db_session) == 0


def test_unknown_and_stale(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    assert browser.get("/debtors/424242").status_code == 404
    assert browser.post("/debtors/424242/edit", _form()).status_code == 404
    assert browser.post("/debtors/424242/delete").status_code == 404
    debtor = factories.debtor(db_session, "ACME", name="Acme")
    stale = browser.post(f"/debtors/{debtor.id}/edit", _form(code="ACME", name="Changed", row_version="0"))
    assert "changed by someone else" in stale.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Debtor, debtor.id).name == "Acme"


def test_referenced_debtor_is_not_deleted(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    factories.po(db_session, debtor)
    response = browser.post(f"/debtors/{debtor.id}/delete", follow_redirects=True)
    assert "1 purchase order" in response.get_data(as_text=True) and _count(db_session) == 1


def test_consultant_reads_but_cannot_change(db_session, login_as):
    browser, _ = login_as("Consultant")
    debtor = factories.debtor(db_session, "ACME")
    page = browser.get(f"/debtors/{debtor.id}").get_data(as_text=True)
    assert "ACME" in page and ">Delete<" not in page and ">Edit<" not in page
    assert browser.post(f"/debtors/{debtor.id}/delete").status_code == 403
    assert browser.post("/debtors/new", _form(code="NEW")).status_code == 403
    assert _count(db_session) == 1


def test_list_query_count_is_constant(db_session, login_as, count_queries):
    browser, _ = login_as("Auditor")

    def add(n, start):
        db_session.execute(insert(Debtor), [{"code": f"Q{start + i}", "name": f"N{i}", "enforce_purchase_orders": False,
                                             "over_budget_policy": "warn", "active": True, "notes": ""} for i in range(n)])
        db_session.commit()

    def queries():
        with count_queries() as statements:
            assert browser.get("/debtors/").status_code == 200
        return len(statements)

    add(10, 0)
    small = queries()
    add(1000, 100)
    assert queries() == small
