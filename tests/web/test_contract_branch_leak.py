"""A contract on another branch's job is not the user's to see (404), and nothing names it: not the
"already has a contract" message, not the PO's Schedule tab (which must not say "No contract yet" either),
not its Sales Order's notes (probe A, finding 2)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from portal.domain.contracts import Delivery as DeliveryInput
from portal.models import BillCode, Document
from portal.services import contracts
from tests import factories
from tests.web.test_contracts import dell  # noqa: F401  (fixture)

TITLE = "South secret programme"


@pytest.fixture
def south_contract(db_session, dell):
    """A contract on a south job of DELL's PO 4500123; returns (north branch, PO, contract)."""
    debtor, po, code = dell["debtor"], dell["po"], dell["code"]
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    job = factories.job(db_session, debtor, south, title="South course")
    billing = factories.user(db_session, role_name="Billing Admin")
    result = contracts.enter_contract(db_session, billing, contracts.ContractInput(
        debtor.id, po.id, TITLE, None, job.id,
        (DeliveryInput(code.id, date(2026, 3, 10), "Class", D("1"), D("100")),)),
        today=date(2026, 2, 10), confirmed=True)
    assert result.contract is not None
    return north, po, result.contract


def test_entering_a_contract_on_a_po_whose_contract_is_hidden_names_no_contract(south_contract, login_as):
    north, po, contract = south_contract
    browser, _ = login_as("Consultant", branches=[north])
    response = browser.get(f"/contracts/new?po_id={po.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/purchase-orders/{po.id}?tab=schedule")
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert contract.number not in html and TITLE not in html
    assert "already has a contract, on a job order outside your branches" in html
    assert "No contract yet" not in html and f"/contracts/new?po_id={po.id}" not in html


def test_the_schedule_tab_says_the_po_has_a_contract_the_user_cannot_see(south_contract, login_as):
    north, po, contract = south_contract
    browser, _ = login_as("Consultant", branches=[north])
    for headers in ({}, {"HX-Request": "true"}):
        response = browser.get(f"/purchase-orders/{po.id}?tab=schedule", headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "No contract yet" not in html and "Enter contract" not in html
        assert "This PO has a contract on a job order outside your branches" in html
        assert contract.number not in html and TITLE not in html
    # someone who may see it still gets it, with "Schedule more"
    unlimited, _ = login_as("Consultant")
    html = unlimited.get(f"/purchase-orders/{po.id}?tab=schedule").get_data(as_text=True)
    assert contract.number in html and TITLE in html and "Schedule more" in html
    assert "outside your branches" not in html


def test_the_contracts_sales_order_notes_do_not_carry_its_title(south_contract, login_as, db_session):
    north, po, contract = south_contract
    [order] = db_session.query(Document).all()
    assert TITLE not in (order.notes or "") and contract.number not in (order.notes or "")
    browser, _ = login_as("Consultant", branches=[north])
    for url in (f"/documents/{order.id}", f"/documents/{order.id}?tab=history"):
        response = browser.get(url)  # its only line is on the south job: not theirs at all
        html = response.get_data(as_text=True)
        assert response.status_code == 404 and TITLE not in html and contract.number not in html, url
    unlimited, _ = login_as("Consultant")
    html = unlimited.get(f"/documents/{order.id}?tab=history").get_data(as_text=True)
    assert "Scheduled on the PO&#39;s contract" in html
    # scheduling more on it writes no title either
    billing = factories.user(db_session, role_name="Billing Admin")
    code = db_session.query(BillCode).one()
    contracts.schedule_more(db_session, billing, contract.id, (DeliveryInput(code.id, date(2026, 4, 10), "More",
                                                                              D("1"), D("100")),),
                            today=date(2026, 2, 11), confirmed=True)
    assert all(TITLE not in (d.notes or "") for d in db_session.query(Document).all())
