"""PO groups through the browser-facing routes: add_edit edits, deactivates and deletes only its own groups."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.models import AuditEntry, POGroup
from tests import factories


def _group_of(session, debtor, owner, description: str) -> POGroup:
    group = factories.po_group(session, debtor, description)
    group.created_by_id = owner.id
    session.commit()
    return group


def _reloaded(session, group_id: int) -> POGroup | None:
    session.expire_all()
    return session.scalar(select(POGroup).where(POGroup.id == group_id))


def _history_count(session, group_id: int) -> int:
    return len(session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "po_groups",
                                                        AuditEntry.entity_id == group_id)).all())


def test_a_lead_may_not_edit_deactivate_or_delete_another_users_group(db_session, login_as):
    browser, _ = login_as("Relationship Lead")
    _, admin = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    theirs = _group_of(db_session, debtor, admin, "Theirs")
    before = (theirs.description, theirs.active, theirs.row_version, _history_count(db_session, theirs.id))

    assert browser.get(f"/purchase-orders/groups/{theirs.id}/edit").status_code == 403
    edit = browser.post(f"/purchase-orders/groups/{theirs.id}/edit",
                        {"description": "Taken over", "row_version": str(theirs.row_version)})  # active unticked
    assert edit.status_code == 403
    assert browser.post(f"/purchase-orders/groups/{theirs.id}/delete").status_code == 403

    group = _reloaded(db_session, theirs.id)
    assert group is not None
    assert (group.description, group.active, group.row_version, _history_count(db_session, theirs.id)) == before
    page = browser.get(f"/purchase-orders/groups?debtor_id={debtor.id}").get_data(as_text=True)
    assert "Theirs" in page  # listed, but neither linked to its edit page nor offered for deletion
    assert f"/purchase-orders/groups/{theirs.id}/edit" not in page
    assert f"/purchase-orders/groups/{theirs.id}/delete" not in page


def test_a_lead_edits_deactivates_and_deletes_its_own_group(db_session, login_as):
    browser, lead = login_as("Relationship Lead")
    debtor = factories.debtor(db_session)
    created = browser.post(f"/purchase-orders/groups/new?debtor_id={debtor.id}", {"description": "Mine", "active": "y"})
    assert created.status_code == 302
    mine = db_session.scalars(select(POGroup).where(POGroup.description == "Mine")).one()
    assert mine.created_by_id == lead.id and mine.active

    page = browser.get(f"/purchase-orders/groups?debtor_id={debtor.id}").get_data(as_text=True)
    assert f"/purchase-orders/groups/{mine.id}/edit" in page and f"/purchase-orders/groups/{mine.id}/delete" in page
    assert browser.get(f"/purchase-orders/groups/{mine.id}/edit").status_code == 200
    edit = browser.post(f"/purchase-orders/groups/{mine.id}/edit",
                        {"description": "Mine, renamed", "row_version": str(mine.row_version)})  # active unticked
    assert edit.status_code == 302
    group = _reloaded(db_session, mine.id)
    assert (group.description, group.active) == ("Mine, renamed", False)

    mine_id = mine.id
    assert browser.post(f"/purchase-orders/groups/{mine_id}/delete").status_code == 302
    assert _reloaded(db_session, mine_id) is None


def test_a_leads_own_group_with_a_po_or_an_assignment_is_still_not_deleted(db_session, login_as):
    browser, lead = login_as("Relationship Lead")
    debtor = factories.debtor(db_session)
    with_po, assigned = _group_of(db_session, debtor, lead, "With PO"), _group_of(db_session, debtor, lead, "Assigned")
    factories.po(db_session, debtor, "GRP-PO", group=with_po, effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    factories.assignment(db_session, factories.job(db_session, debtor), group=assigned, start=date(2026, 1, 1))

    page = browser.get(f"/purchase-orders/groups?debtor_id={debtor.id}").get_data(as_text=True)
    assert f"/purchase-orders/groups/{with_po.id}/delete" not in page  # a group with POs offers no delete
    refused = browser.post(f"/purchase-orders/groups/{with_po.id}/delete", follow_redirects=True)
    assert "1 purchase order refers to it" in refused.get_data(as_text=True)
    refused = browser.post(f"/purchase-orders/groups/{assigned.id}/delete", follow_redirects=True)
    assert "1 job assignment refers to it" in refused.get_data(as_text=True)
    assert _reloaded(db_session, with_po.id) is not None and _reloaded(db_session, assigned.id) is not None


def test_full_edits_and_deletes_anyones_group(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    _, lead = login_as("Relationship Lead")
    debtor = factories.debtor(db_session)
    theirs, other = _group_of(db_session, debtor, lead, "Lead's"), _group_of(db_session, debtor, lead, "Lead's too")

    page = browser.get(f"/purchase-orders/groups?debtor_id={debtor.id}").get_data(as_text=True)
    assert f"/purchase-orders/groups/{theirs.id}/edit" in page and f"/purchase-orders/groups/{theirs.id}/delete" in page
    edit = browser.post(f"/purchase-orders/groups/{theirs.id}/edit",
                        {"description": "Renamed by billing", "active": "y", "row_version": str(theirs.row_version)})
    assert edit.status_code == 302 and _reloaded(db_session, theirs.id).description == "Renamed by billing"
    other_id = other.id
    assert browser.post(f"/purchase-orders/groups/{other_id}/delete").status_code == 302
    assert _reloaded(db_session, other_id) is None


def test_view_only_roles_see_no_edit_or_delete(db_session, login_as):
    browser, _ = login_as("Auditor")
    _, admin = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    group = _group_of(db_session, debtor, admin, "Looked at")
    page = browser.get(f"/purchase-orders/groups?debtor_id={debtor.id}").get_data(as_text=True)
    assert "Looked at" in page and f"/purchase-orders/groups/{group.id}/" not in page
    assert browser.post(f"/purchase-orders/groups/{group.id}/delete").status_code == 403
    assert _reloaded(db_session, group.id) is not None
