"""Defect 4: a PO used only through its PO group still has jobs on it. Deleting it, shortening it
or changing its group counts the assignments made to the group on the PO's days."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.models import JobPOAssignment, PurchaseOrder
from portal.services import purchase_orders
from portal.services.errors import Conflict
from tests import factories
from tests.web.test_po_edit_assignments import _form

D = date


@pytest.fixture
def grouped(db_session):
    debtor = factories.debtor(db_session)
    group = factories.po_group(db_session, debtor, "Rolling")
    first = factories.po(db_session, debtor, "G-H1", group=group, effective=D(2026, 1, 1), expiration=D(2026, 6, 30))
    second = factories.po(db_session, debtor, "G-H2", group=group, effective=D(2026, 7, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    return debtor, group, first, second, job


def test_a_po_used_through_its_group_cannot_be_deleted(db_session, grouped):
    _, group, first, second, job = grouped
    factories.assignment(db_session, job, group=group, start=D(2026, 2, 1), end=D(2026, 3, 31))
    admin = factories.user(db_session, role_name="Administrator")
    with pytest.raises(Conflict, match="job assignment"):
        purchase_orders.delete_po(db_session, first.id, actor=admin)
    purchase_orders.delete_po(db_session, second.id, actor=admin)  # the group's jobs never drew on it
    assert db_session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.id == second.id)) is None


def test_the_delete_button_answers_with_the_group_assignment(db_session, grouped, login_as):
    browser, _ = login_as("Administrator")
    _, group, first, _, job = grouped
    factories.assignment(db_session, job, group=group, start=D(2026, 1, 1))
    response = browser.post(f"/purchase-orders/{first.id}/delete", follow_redirects=True)
    assert "job assignment" in response.get_data(as_text=True)
    assert db_session.get(PurchaseOrder, first.id) is not None


def test_shortening_a_group_po_under_its_group_jobs_asks_first(db_session, grouped, login_as):
    browser, _ = login_as("Billing Admin")
    _, group, _, second, job = grouped
    factories.assignment(db_session, job, group=group, start=D(2026, 8, 1))
    first_try = browser.post(f"/purchase-orders/{second.id}/edit", _form(second, expiration="2026-09-30"))
    text = first_try.get_data(as_text=True)
    assert first_try.status_code == 200 and "1 job assignment through group Rolling" in text
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, second.id).expiration == D(2026, 12, 31)
    confirmed = browser.post(f"/purchase-orders/{second.id}/edit",
                             _form(second, expiration="2026-09-30", confirmed="y"))
    assert confirmed.status_code == 302
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, second.id).expiration == D(2026, 9, 30)


def test_taking_a_po_out_of_its_group_under_its_group_jobs_asks_first(db_session, grouped, login_as):
    browser, _ = login_as("Billing Admin")
    _, group, first, _, job = grouped
    factories.assignment(db_session, job, group=group, start=D(2026, 1, 1), end=D(2026, 2, 28))
    response = browser.post(f"/purchase-orders/{first.id}/edit", _form(first, group_id=""))
    assert "through group Rolling" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, first.id).group_id == group.id


def test_shortening_past_the_group_jobs_days_needs_no_question(db_session, grouped, login_as):
    browser, _ = login_as("Billing Admin")
    _, group, first, _, job = grouped
    factories.assignment(db_session, job, group=group, start=D(2026, 1, 1), end=D(2026, 2, 28))
    response = browser.post(f"/purchase-orders/{first.id}/edit", _form(first, expiration="2026-05-31"))
    assert response.status_code == 302
    assert db_session.scalars(select(JobPOAssignment)).one().manual_end == D(2026, 2, 28)
