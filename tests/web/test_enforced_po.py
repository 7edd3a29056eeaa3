"""Defect 9: seed 003 makes a PO mandatory for ALL job orders of an enforcing debtor, not only at
creation. Moving a job there, clearing its last assignment, or a PO shortening that removes its
assignment each asks for the PO or is refused with a message naming the rule."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.domain.assignment import AssignmentError, Target
from portal.models import Debtor, JobOrder, JobPOAssignment
from portal.services import assignments, job_orders, start
from portal.services.errors import ValidationFailed
from tests import factories
from tests.web.test_po_edit_assignments import _form

D = date
TODAY = D(2026, 5, 1)


def _job_input(job, debtor, target=None):
    return job_orders.JobInput(title=job.title, debtor_id=debtor.id, branch_id=job.branch_id, start_date=job.start_date,
                               target=target)


def test_moving_a_job_to_an_enforcing_debtor_asks_for_its_po(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    old, strict = factories.debtor(db_session, "LOOSE"), factories.debtor(db_session, "STRICT", enforce_purchase_orders=True)
    old_po = factories.po(db_session, old, "OLD-1")
    po = factories.po(db_session, strict, "STRICT-1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, old, start=D(2026, 1, 1))
    factories.assignment(db_session, job, po=old_po, start=D(2026, 1, 1))
    with pytest.raises(ValidationFailed) as refused:
        job_orders.update_job(db_session, admin, job.id, _job_input(job, strict), today=TODAY)
    assert "STRICT enforces purchase orders" in str(refused.value.errors["po_choice"])
    db_session.expire_all()
    assert db_session.get(JobOrder, job.id).debtor_id == old.id
    job_orders.update_job(db_session, admin, job.id, _job_input(job, strict, Target("po", po.id)), today=TODAY)
    db_session.expire_all()
    rows = db_session.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id == job.id)
                              .order_by(JobPOAssignment.start_date)).all()
    assert [(r.debtor_id, r.po_id, r.start_date, r.manual_end) for r in rows] == [
        (old.id, old_po.id, D(2026, 1, 1), D(2026, 4, 30)), (strict.id, po.id, TODAY, None)]


def test_the_job_edit_page_asks_for_the_po_of_an_enforcing_debtor(db_session, login_as):
    browser, _ = login_as("Administrator")
    old, strict = factories.debtor(db_session, "LOOSE"), factories.debtor(db_session, "STRICT", enforce_purchase_orders=True)
    po = factories.po(db_session, strict, "STRICT-1", effective=D(2026, 1, 1), expiration=D(2099, 12, 31))
    job = factories.job(db_session, old, start=D(2026, 1, 1))
    form = {"title": job.title, "debtor_id": str(strict.id), "branch_id": str(job.branch_id), "start_date": "2026-01-01",
            "row_version": str(job.row_version), "site": "", "po_reference": ""}
    asked = browser.post(f"/job-orders/{job.id}/edit", form).get_data(as_text=True)
    assert "STRICT enforces purchase orders" in asked and f'value="po:{po.id}"' in asked
    saved = browser.post(f"/job-orders/{job.id}/edit", {**form, "po_choice": f"po:{po.id}"})
    assert saved.status_code == 302
    db_session.expire_all()
    assert db_session.scalar(select(JobPOAssignment.po_id).where(JobPOAssignment.job_id == job.id)) == po.id


def test_clearing_the_last_assignment_of_an_enforcing_debtors_job_asks_for_the_next_po(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    strict = factories.debtor(db_session, "STRICT", enforce_purchase_orders=True)
    first = factories.po(db_session, strict, "S-1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    second = factories.po(db_session, strict, "S-2", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, strict, start=D(2026, 1, 1))
    factories.assignment(db_session, job, po=first, start=D(2026, 1, 1))
    with pytest.raises(AssignmentError, match="STRICT enforces purchase orders"):
        assignments.clear(db_session, admin, job.id, TODAY)
    assert db_session.scalar(select(JobPOAssignment.manual_end)) is None
    assignments.clear(db_session, admin, job.id, TODAY, replacement=Target("po", second.id))
    rows = db_session.scalars(select(JobPOAssignment).order_by(JobPOAssignment.start_date)).all()
    assert [(r.po_id, r.start_date, r.manual_end) for r in rows] == [
        (first.id, D(2026, 1, 1), D(2026, 4, 30)), (second.id, TODAY, None)]


def test_clearing_a_discontinued_job_needs_no_po(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    strict = factories.debtor(db_session, "STRICT", enforce_purchase_orders=True)
    po = factories.po(db_session, strict, "S-1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, strict, start=D(2026, 1, 1), discontinued=D(2026, 4, 30))
    factories.assignment(db_session, job, po=po, start=D(2026, 1, 1))
    assignments.clear(db_session, admin, job.id, TODAY)
    assert db_session.scalar(select(JobPOAssignment.manual_end)) == D(2026, 4, 30)


def test_the_clear_button_of_an_enforcing_debtors_job_offers_the_next_po(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    strict = factories.debtor(db_session, "STRICT", enforce_purchase_orders=True)
    first = factories.po(db_session, strict, "S-1", effective=D(2026, 1, 1), expiration=D(2099, 12, 31))
    second = factories.po(db_session, strict, "S-2", effective=D(2026, 1, 1), expiration=D(2099, 12, 31))
    job = factories.job(db_session, strict, start=D(2026, 1, 1))
    factories.assignment(db_session, job, po=first, start=D(2026, 1, 1))
    panel = browser.get(f"/assignments/jobs/{job.id}?as_of=2026-05-01").get_data(as_text=True)
    assert 'name="replacement"' in panel and f'value="po:{second.id}"' in panel
    refused = browser.post(f"/assignments/jobs/{job.id}/clear", {"as_of": "2026-05-01"}).get_data(as_text=True)
    assert "STRICT enforces purchase orders" in refused
    browser.post(f"/assignments/jobs/{job.id}/clear", {"as_of": "2026-05-01", "replacement": f"po:{second.id}"})
    assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == 2


def test_a_po_shortening_that_removes_an_enforcing_debtors_assignment_is_refused(db_session, login_as):
    browser, lead = login_as("Relationship Lead")
    strict = factories.debtor(db_session, "STRICT", enforce_purchase_orders=True)
    po = factories.po(db_session, strict, "S-1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31), created_by=lead)
    job = factories.job(db_session, strict, start=D(2026, 1, 1))
    factories.assignment(db_session, job, po=po, start=D(2026, 8, 1))
    response = browser.post(f"/purchase-orders/{po.id}/edit", _form(po, expiration="2026-06-30"))
    assert "STRICT enforces purchase orders" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == 1


def test_the_demo_leaves_no_job_of_an_enforcing_debtor_without_a_po(app, db_session):
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    admin = factories.user(db_session, role_name="Administrator")
    today = date.today()
    for debtor in db_session.scalars(select(Debtor).where(Debtor.enforce_purchase_orders.is_(True))):
        flt = job_orders.JobFilter(debtor_id=debtor.id, unassigned=True, as_of=today)
        assert job_orders.list_jobs(db_session, admin, flt, today=today).total == 0, debtor.code
    assert start.start_page(db_session, admin, today).unassigned_jobs is not None
