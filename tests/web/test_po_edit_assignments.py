"""Editing a PO with job assignments follows seed 004's steps 1–4 (override skips exactly those)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.models import JobPOAssignment, PurchaseOrder
from tests import factories

D = date


def _form(po, **kw):
    data = {"number": po.number, "kind": po.kind, "effective": po.effective.isoformat(),
            "expiration": po.expiration.isoformat(), "amount": f"{po.amount:.2f}", "tolerance_pct": "",
            "description": po.description, "notes": po.notes, "row_version": str(po.row_version),
            "group_id": str(po.group_id or "")}
    data.update(kw)
    return data


def test_step_3_earlier_expiration_ends_and_removes_assignments(db_session, login_as):
    browser, lead = login_as("Relationship Lead")
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "P1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31), created_by=lead)
    early, late = factories.job(db_session, debtor), factories.job(db_session, debtor)
    kept = factories.assignment(db_session, early, po=po, start=D(2026, 1, 1), end=D(2026, 9, 30))
    factories.assignment(db_session, late, po=po, start=D(2026, 8, 1))
    response = browser.post(f"/purchase-orders/{po.id}/edit", _form(po, expiration="2026-06-30"))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    db_session.expire_all()
    rows = db_session.scalars(select(JobPOAssignment)).all()
    assert [(r.id, r.manual_end) for r in rows] == [(kept.id, D(2026, 6, 30))]


def test_step_4_adding_a_group_needs_confirmation(db_session, login_as):
    browser, lead = login_as("Relationship Lead")
    debtor = factories.debtor(db_session)
    group = factories.po_group(db_session, debtor)
    po = factories.po(db_session, debtor, "P1", created_by=lead)
    factories.assignment(db_session, factories.job(db_session, debtor), po=po, start=D(2026, 1, 1))
    first = browser.post(f"/purchase-orders/{po.id}/edit", _form(po, group_id=str(group.id)))
    assert "will not be updated to the group automatically" in first.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, po.id).group_id is None
    second = browser.post(f"/purchase-orders/{po.id}/edit", _form(po, group_id=str(group.id), confirmed="y"))
    assert second.status_code == 302
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, po.id).group_id == group.id


def test_step_4_only_po_keeps_its_group_unless_overridden(db_session, login_as):
    lead_browser, lead = login_as("Relationship Lead")
    admin_browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    group = factories.po_group(db_session, debtor)
    po = factories.po(db_session, debtor, "P1", group=group, created_by=lead)
    refused = lead_browser.post(f"/purchase-orders/{po.id}/edit", _form(po, group_id=""))
    assert "only PO in its group" in refused.get_data(as_text=True)
    allowed = admin_browser.post(f"/purchase-orders/{po.id}/edit", _form(po, group_id=""))
    assert allowed.status_code == 302
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, po.id).group_id is None


def test_step_2_later_effective_date_shows_its_notice(db_session, login_as):
    """Seed 004 step 2: assignments before the new effective date stay, and the user is told so."""
    browser, lead = login_as("Relationship Lead")
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "P2", effective=D(2026, 1, 1), expiration=D(2026, 12, 31), created_by=lead)
    kept = factories.assignment(db_session, factories.job(db_session, debtor), po=po, start=D(2026, 2, 1))
    response = browser.post(f"/purchase-orders/{po.id}/edit", _form(po, effective="2026-03-01"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "PO P2 saved." in html
    assert "Assignments starting before the new effective date are kept" in html
    db_session.expire_all()
    assert db_session.get(JobPOAssignment, kept.id).start_date == D(2026, 2, 1)


def test_shortening_a_po_says_which_assignments_end_and_which_go(db_session, login_as):
    """Step 3 ends assignments at the new expiration and removes those starting after it: the page says so."""
    browser, lead = login_as("Relationship Lead")  # without po_override_validations, which skips the steps
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "P5", effective=D(2026, 1, 1), expiration=D(2026, 12, 31), created_by=lead)
    running = factories.job(db_session, debtor)
    later = factories.job(db_session, debtor)
    factories.assignment(db_session, running, po=po, start=D(2026, 2, 1), end=D(2026, 9, 30))
    factories.assignment(db_session, later, po=po, start=D(2026, 9, 1))
    response = browser.post(f"/purchase-orders/{po.id}/edit", _form(po, expiration="2026-06-30"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "PO P5 saved." in html
    assert f"1 job assignment to PO P5 now ends: {running.number} on 2026-06-30." in html
    assert f"1 job assignment to PO P5 starting after the new dates was removed: {later.number} (from 2026-09-01)." in html
