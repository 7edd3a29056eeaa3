"""Job security and credentials, round 2: a branch-limited user neither voids another branch's lines nor
reads them in a document's history nor sees another branch's job named by a PO edit; an administrator's
password reset, sign-out or deactivation ends a user's API tokens too, and the user's page lists them."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models import ApiToken, AuditEntry, Document, JobPOAssignment, LedgerEntry
from portal.services import documents, posting
from portal.services.errors import Forbidden
from tests import factories
from tests.api.conftest import ApiClient, make_token

D = date


def _order(session, *, lines_on, type_name="Sales Order"):
    """A posted document of `type_name` drawing on a PO, one line per job of `lines_on`."""
    admin = factories.user(session, role_name="Administrator")
    debtor = lines_on[0].debtor
    po = factories.po(session, debtor, f"PO-{lines_on[0].id}", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    for job in lines_on:
        factories.assignment(session, job, po=po, start=D(2026, 1, 1))
    code = factories.bill_code_group(session, f"Codes {lines_on[0].id}", [f"ORD{lines_on[0].id}"]).bill_codes[0]
    draft = documents.save_draft(session, admin, None, documents.DocumentInput(
        debtor.id, factories.document_types(session)[type_name].id, "", D(2026, 3, 1),
        lines=tuple(documents.LineInput(j.id, code.id, Decimal("80"), Decimal("70"), D(2026, 3, 1),
                                        f"ORD hours {n}") for n, j in enumerate(lines_on, start=1))))
    assert posting.post(session, admin, draft.id, confirmed=True, override=True).posted
    return session.get(Document, draft.id)


@pytest.fixture
def branches(db_session):
    north, city = factories.branch(db_session, "NTH"), factories.branch(db_session, "CTY")
    debtor = factories.debtor(db_session, "ACME")
    return north, city, factories.job(db_session, debtor, north), factories.job(db_session, debtor, city)


# Defect 1: void


def test_a_branch_limited_user_may_not_void_an_order_with_lines_on_another_branchs_job(db_session, login_as, branches):
    north, city, north_job, city_job = branches
    order = _order(db_session, lines_on=[north_job, city_job])
    # wholly the other branch's: not theirs to see at all
    city_order = _order(db_session, lines_on=[factories.job(db_session, city_job.debtor, city)])
    browser, _ = login_as("Billing Clerk", branches=[north])
    page = browser.get(f"/documents/{order.id}").get_data(as_text=True)
    assert "1 line on job orders outside your branches is not shown" in page
    panel = page.split('id="void-panel"', 1)[1]
    assert f"/documents/{order.id}/void" not in page and 'id="void-why-not"' in panel and "must void it" in panel
    assert browser.post(f"/documents/{order.id}/void").status_code == 403
    assert browser.post(f"/documents/{city_order.id}/void").status_code == 404
    db_session.expire_all()
    assert db_session.get(Document, order.id).status == db_session.get(Document, city_order.id).status == "posted"
    assert not db_session.scalars(select(LedgerEntry).where(LedgerEntry.event == "void")).all()


def test_a_user_who_sees_every_line_still_voids_the_order(db_session, login_as, branches):
    north, _, north_job, _ = branches
    order = _order(db_session, lines_on=[north_job])
    browser, _ = login_as("Billing Clerk", branches=[north])
    assert f"/documents/{order.id}/void" in browser.get(f"/documents/{order.id}").get_data(as_text=True)
    assert browser.post(f"/documents/{order.id}/void").status_code == 302
    db_session.expire_all()
    assert db_session.get(Document, order.id).status == "void"


def test_voiding_some_lines_of_an_order_with_another_branchs_line_is_refused(db_session, branches):
    north, _, north_job, city_job = branches
    order = _order(db_session, lines_on=[north_job, city_job])
    clerk = factories.user(db_session, role_name="Billing Clerk", branches=[north])
    mine = next(l.id for l in order.lines if l.job_id == north_job.id)
    with pytest.raises(Forbidden):
        posting.void_lines(db_session, clerk, order.id, [mine])
    db_session.expire_all()
    assert not db_session.scalars(select(LedgerEntry).where(LedgerEntry.event == "void")).all()


# Defect 2: API tokens end with what ends sessions; the administrator sees and revokes them


def _api_works(app, db_session, secret) -> bool:
    return ApiClient(app, db_session, secret).get("/api/v1/me").status_code == 200


def test_an_administrators_password_reset_ends_the_users_api_tokens(app, db_session, login_as):
    admin_browser, _ = login_as("Administrator")
    user = factories.user(db_session, role_name="Auditor")
    _, secret = make_token(db_session, user)
    assert _api_works(app, db_session, secret)
    response = admin_browser.post(f"/admin/users/{user.id}/edit", {
        "full_name": user.full_name, "email": user.email, "active": "y", "roles": [str(user.roles[0].id)],
        "password": "a brand new password 42", "row_version": str(user.row_version)})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert not _api_works(app, db_session, secret)


def test_signing_a_user_out_everywhere_ends_their_api_tokens(app, db_session, login_as):
    admin_browser, _ = login_as("Administrator")
    user = factories.user(db_session, role_name="Auditor")
    _, secret = make_token(db_session, user)
    assert admin_browser.post(f"/admin/users/{user.id}/sign-out").status_code == 302
    assert not _api_works(app, db_session, secret)


def test_a_deactivated_then_reactivated_users_api_tokens_stay_revoked(app, db_session, login_as):
    admin_browser, _ = login_as("Administrator")
    user = factories.user(db_session, role_name="Auditor")
    _, secret = make_token(db_session, user)
    form = {"full_name": user.full_name, "email": user.email, "roles": [str(user.roles[0].id)], "password": ""}
    version = {"row_version": str(user.row_version)}
    assert admin_browser.post(f"/admin/users/{user.id}/edit", form | version).status_code == 302  # unticked: inactive
    version = {"row_version": str(user.row_version)}  # the save moved it on
    assert admin_browser.post(f"/admin/users/{user.id}/edit", form | version | {"active": "y"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(type(user), user.id).active
    assert not _api_works(app, db_session, secret)


def test_the_user_page_lists_api_tokens_and_an_administrator_revokes_one(app, db_session, login_as):
    admin_browser, admin = login_as("Administrator")
    user = factories.user(db_session, role_name="Auditor")
    kept, kept_secret = make_token(db_session, user, name="nightly export")
    gone, gone_secret = make_token(db_session, user, name="billing sync")
    page = admin_browser.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    tokens = page.split('id="api-tokens"', 1)[1]
    assert "nightly export" in tokens and "billing sync" in tokens and gone.prefix in tokens
    revoke = f"/admin/users/{user.id}/tokens/{gone.id}/revoke"
    assert revoke in tokens
    assert admin_browser.post(revoke, csrf=False).status_code == 400  # CSRF required
    assert _api_works(app, db_session, gone_secret)
    assert admin_browser.post(revoke).status_code == 302
    assert not _api_works(app, db_session, gone_secret) and _api_works(app, db_session, kept_secret)
    db_session.expire_all()
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "users",
                                                        AuditEntry.entity_id == user.id,
                                                        AuditEntry.action == "api_token_revoked")).one()
    assert entry.actor_id == admin.id and "billing sync" in entry.summary
    listed = admin_browser.get(f"/admin/users/{user.id}/edit").get_data(as_text=True).split('id="api-tokens"', 1)[1]
    assert revoke not in listed and "revoked" in listed


def test_a_token_of_another_user_is_not_revoked_through_this_users_page(db_session, login_as):
    admin_browser, _ = login_as("Administrator")
    user, other = factories.user(db_session, role_name="Auditor"), factories.user(db_session, role_name="Auditor")
    token, _ = make_token(db_session, other)
    assert admin_browser.post(f"/admin/users/{user.id}/tokens/{token.id}/revoke").status_code == 404
    db_session.expire_all()
    assert db_session.get(ApiToken, token.id).revoked_at is None


def test_only_security_may_revoke_another_users_token(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    user = factories.user(db_session, role_name="Auditor")
    token, _ = make_token(db_session, user)
    assert browser.post(f"/admin/users/{user.id}/tokens/{token.id}/revoke").status_code == 403
    db_session.expire_all()
    assert db_session.get(ApiToken, token.id).revoked_at is None


# Defect 3: history of lines on hidden jobs


def test_a_documents_history_leaves_out_changes_to_lines_on_another_branchs_jobs(db_session, login_as, branches):
    north, _, north_job, city_job = branches
    order = _order(db_session, lines_on=[north_job, city_job])
    hidden_line = next(l for l in order.lines if l.job_id == city_job.id)
    hidden = db_session.scalar(select(AuditEntry.id).where(AuditEntry.entity_type == "document_lines",
                                                           AuditEntry.entity_id == hidden_line.id).limit(1))
    changes = len(db_session.scalars(select(AuditEntry.id).where(AuditEntry.entity_type == "document_lines",
                                                                 AuditEntry.entity_id == hidden_line.id)).all())
    assert hidden is not None
    browser, _ = login_as("Consultant", branches=[north])
    history = browser.get(f"/documents/{order.id}?tab=history").get_data(as_text=True)
    assert "ORD hours 1" in history  # the visible line's changes stay
    assert "ORD hours 2" not in history and "line 2" not in history and "5,600.00" in history
    assert "a job order of another branch" not in history
    noun = "change" if changes == 1 else "changes"
    verb = "is" if changes == 1 else "are"
    assert f"{changes} {noun} to lines on job orders outside your branches {verb} not shown" in history
    everyone, _ = login_as("Consultant")
    assert "ORD hours 2" in everyone.get(f"/documents/{order.id}?tab=history").get_data(as_text=True)


# Defect 4: a PO edit names only the jobs the user may see


def test_shortening_a_po_names_only_the_jobs_the_user_may_see(db_session, login_as, branches):
    north, _, north_job, city_job = branches
    browser, lead = login_as("Relationship Lead", branches=[north])
    po = factories.po(db_session, north_job.debtor, "P10", effective=D(2026, 1, 1), expiration=D(2026, 12, 31),
                      created_by=lead)
    factories.assignment(db_session, north_job, po=po, start=D(2026, 9, 1))
    factories.assignment(db_session, city_job, po=po, start=D(2026, 11, 1))
    form = {"number": po.number, "kind": po.kind, "effective": "2026-01-01", "expiration": "2026-06-30",
            "amount": f"{po.amount:.2f}", "tolerance_pct": "", "description": po.description, "notes": po.notes,
            "row_version": str(po.row_version), "group_id": ""}
    html = browser.post(f"/purchase-orders/{po.id}/edit", form, follow_redirects=True).get_data(as_text=True)
    assert (f"2 job assignments to PO P10 starting after the new dates were removed: {north_job.number} "
            "(from 2026-09-01) and 1 job order of another branch.") in html
    assert city_job.number not in html and "2026-11-01" not in html
    db_session.expire_all()
    assert not db_session.scalars(select(JobPOAssignment)).all()


def test_a_po_edit_removing_only_another_branchs_assignment_counts_it_without_naming_it(db_session, login_as,
                                                                                          branches):
    north, _, _, city_job = branches
    browser, lead = login_as("Relationship Lead", branches=[north])
    po = factories.po(db_session, city_job.debtor, "P11", effective=D(2026, 1, 1), expiration=D(2026, 12, 31),
                      created_by=lead)
    factories.assignment(db_session, city_job, po=po, start=D(2026, 11, 1))
    form = {"number": po.number, "kind": po.kind, "effective": "2026-01-01", "expiration": "2026-06-30",
            "amount": f"{po.amount:.2f}", "tolerance_pct": "", "description": po.description, "notes": po.notes,
            "row_version": str(po.row_version), "group_id": ""}
    html = browser.post(f"/purchase-orders/{po.id}/edit", form, follow_redirects=True).get_data(as_text=True)
    assert re.search(r"1 job assignment to PO P11 starting after the new dates was removed: 1 job order of another "
                     r"branch\.", html)
    assert city_job.number not in html


def test_the_history_of_an_assignment_on_another_branchs_job_is_left_out_and_counted(db_session, branches):
    from portal.services import audit
    from portal.services.history_labels import readable

    north, _, _, city_job = branches
    po = factories.po(db_session, city_job.debtor, "P12", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    factories.assignment(db_session, city_job, po=po, start=D(2026, 2, 1))
    entries = [e for e in audit.history_of(db_session, "job_orders", city_job.id)
               if e.entity_type == "job_po_assignments"]
    assert len(entries) == 1
    north_user = factories.user(db_session, role_name="Billing Admin", branches=[north])
    [note] = readable(db_session, entries, north_user)
    assert note.what == "1 change to assignments of job orders outside your branches is not shown." and not note.changes
    [row] = readable(db_session, entries, factories.user(db_session, role_name="Billing Admin"))
    assert row.what == "job PO assignment" and "P12" in [c.new for c in row.changes]  # under the label "PO"


# Round 3 (probing the fixes): reassign, the audit log, the editor's funding note, the consultant


def test_a_branch_limited_user_may_not_reassign_an_invoice_holding_another_branchs_line(db_session, login_as, branches):
    north, _, north_job, city_job = branches
    invoice = _order(db_session, lines_on=[north_job, city_job], type_name="Sales Invoice")
    other = factories.po(db_session, north_job.debtor, "OTHER-PO", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    browser, _ = login_as("Billing Admin", branches=[north])
    page = browser.get(f"/documents/{invoice.id}").get_data(as_text=True)
    assert 'id="reassign-panel"' not in page
    mine = min(l.id for l in invoice.lines if l.job_id == north_job.id)
    moved = browser.post(f"/documents/{invoice.id}/reassign", {"target": f"{other.id}:", "line_id": [str(mine)],
                                                               "reason": "x"})
    assert moved.status_code == 403
    assert browser.get(f"/documents/{invoice.id}/reassign-form", headers={"HX-Request": "true"}).status_code == 403
    db_session.expire_all()
    assert {l.po_id for l in db_session.get(Document, invoice.id).lines} != {other.id}
    assert not db_session.scalars(select(LedgerEntry).where(LedgerEntry.event == "reassign")).all()


def test_the_audit_log_leaves_out_another_branchs_document_lines_for_a_branch_limited_administrator(
        db_session, login_as, branches):
    north, _, north_job, city_job = branches
    order = _order(db_session, lines_on=[north_job, city_job])
    city_line = next(l for l in order.lines if l.job_id == city_job.id)
    browser, _ = login_as("Administrator", branches=[north])
    for url in ("/audit-log/?type=document_lines", f"/audit-log/?type=document_lines&record={city_line.id}",
                "/audit-log/export.csv?type=document_lines"):
        text = browser.get(url).get_data(as_text=True)
        assert "ORD hours 2" not in text and "ORD hours 1" in text or "record=" in url and "ORD hours 1" not in text, url
    everyone, _ = login_as("Administrator")
    assert "ORD hours 2" in everyone.get("/audit-log/export.csv?type=document_lines").get_data(as_text=True)


def test_the_line_editor_does_not_describe_a_credited_line_on_another_branchs_job(db_session, login_as, branches):
    north, _, north_job, city_job = branches
    invoice = _order(db_session, lines_on=[north_job, city_job], type_name="Sales Invoice")
    city_line = next(l for l in invoice.lines if l.job_id == city_job.id)
    browser, user = login_as("Billing Admin", branches=[north])
    data = documents.DocumentInput(invoice.debtor_id, factories.document_types(db_session)["Credit Memo"].id, "",
                                   D(2026, 3, 2), lines=(documents.LineInput(None, city_line.bill_code_id, Decimal("1"),
                                                                              Decimal("1"), source_line_id=city_line.id),))
    [funding] = documents.describe_funding(db_session, user, data)
    assert invoice.number not in str(getattr(funding, "note", funding))


def test_a_job_names_as_consultant_only_a_user_the_picker_offers(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    auditor = factories.user(db_session, role_name="Auditor")
    form = {"title": "Picker", "debtor_id": str(debtor.id), "branch_id": str(branch.id), "site": "",
            "start_date": "2026-01-01", "discontinued_date": "", "consultant_id": str(auditor.id), "po_choice": "",
            "po_reference": ""}
    html = browser.post("/job-orders/new", form).get_data(as_text=True)
    assert "Choose a consultant from the list." in html
    from portal.models import JobOrder
    assert db_session.scalar(select(JobOrder.id).where(JobOrder.title == "Picker")) is None
