"""Maintenance lists: permissions, bad input, the group edit that would break a master PO, list queries."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from portal.models import AlertTemplate, BillCode, BillCodeGroup, DocumentType, POLine
from portal.services import coverage
from tests import factories
from tests.web.forms_walk import opened_version


def _count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role_name,list_ok,create_ok", [
    ("Consultant", False, False), ("Auditor", True, False), ("Relationship Lead", True, False),
    ("Billing Admin", True, True),
])
def test_permission_levels(db_session, login_as, role_name, list_ok, create_ok):
    browser, _ = login_as(role_name)
    assert (browser.get("/maintenance/bill-codes/").status_code == 200) is list_ok
    response = browser.post("/maintenance/bill-codes/new", {"code": "ORD", "description": "Ordinary", "active": "y"})
    assert (response.status_code == 302) is create_ok
    assert _count(db_session, BillCode) == (1 if create_ok else 0)


BAD = [
    ("bill-codes", {"code": ""}, "Enter the code"),
    ("bill-codes", {"code": "x" * 10_000}, "Field cannot be longer than 20 characters"),
    ("bill-code-groups", {"name": "G", "bill_code_ids": ["999999"]}, "Choose bill codes from the list"),
    ("bill-code-groups", {"name": "G"}, "Choose at least one bill code"),
    ("document-types", {"name": "Odd", "code": "ODD", "bucket": "commitment", "sign": "-1"}, "Only a &#39;used&#39; type"),
    ("document-types", {"name": "Odd", "code": "ODD", "bucket": "elsewhere", "sign": "1"}, "Choose estimate, commitment or used"),
    ("alert-templates", {"name": "T", "thresholds": "abc", "subject": "s", "message": "m"}, "is not a number"),
    ("alert-templates", {"name": "T", "thresholds": "-5", "subject": "s", "message": "m"}, "more than 0"),
    ("alert-templates", {"name": "T", "thresholds": "75,75", "subject": "s", "message": "m"}, "listed twice"),
    ("alert-templates", {"name": "T", "thresholds": "75", "days_before_expiry": "99999", "subject": "s", "message": "m"}, "0 to 3650"),
    ("alert-templates", {"name": "T", "thresholds": "75", "subject": "{customer}", "message": "m"}, "Unknown placeholder {customer}"),
    ("alert-templates", {"name": "T", "thresholds": "75", "subject": "s", "message": "m", "role_ids": ["424242"]}, "Choose roles from the list"),
    ("alert-templates", {"name": "T", "thresholds": "75", "subject": "s", "message": "m", "user_ids": ["424242"]}, "Choose active users"),
    ("alert-templates", {"name": "T", "thresholds": "75", "subject": "s", "message": "m"}, "at least one recipient"),
]
MODELS = {"bill-codes": BillCode, "bill-code-groups": BillCodeGroup, "document-types": DocumentType,
          "alert-templates": AlertTemplate}


@pytest.mark.parametrize("slug,data,message", BAD)
def test_bad_input_is_refused_and_nothing_written(db_session, login_as, slug, data, message):
    browser, _ = login_as("Billing Admin")
    before = _count(db_session, MODELS[slug])
    response = browser.post(f"/maintenance/{slug}/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(db_session, MODELS[slug]) == before


def test_duplicate_code_in_another_case(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    assert browser.post("/maintenance/bill-codes/new", {"code": "OT"}).status_code == 302
    response = browser.post("/maintenance/bill-codes/new", {"code": "ot"})
    assert "Bill code OT exists" in response.get_data(as_text=True)
    assert _count(db_session, BillCode) == 1


def test_alert_template_saved_with_sorted_thresholds_and_recipients(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    role = factories.role(db_session, "Billing Admin")
    response = browser.post("/maintenance/alert-templates/new", {
        "name": "Standard", "thresholds": "100, 75, 90", "days_before_expiry": "30", "role_ids": [str(role.id)],
        "subject": "PO {po_number} at {percentage}%", "message": "{remaining} left", "active": "y"})
    assert response.status_code == 302
    template = db_session.scalars(select(AlertTemplate)).one()
    assert template.thresholds == [Decimal("75"), Decimal("90"), Decimal("100")]
    assert [r.name for r in template.recipient_roles] == ["Billing Admin"]


def test_preview_fragment_renders_placeholders(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/maintenance/alert-templates/preview", {"subject": "PO {po_number}", "message": "{nope}"},
                            headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "PO 4500123" in html and "Unknown placeholder {nope}" in html and "<html" not in html


def test_group_edit_that_puts_a_code_in_two_master_lines_is_refused(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    labour = factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    expenses = factories.bill_code_group(db_session, "Expenses", ["EXP"])
    po = factories.po(db_session, debtor, "M-1", kind="multi_line_master", amount="300")
    db_session.add_all([POLine(po_id=po.id, line_no=1, budget=Decimal("200"), bill_code_group_id=labour.id,
                               secondary_po_number="A"),
                        POLine(po_id=po.id, line_no=2, budget=Decimal("100"), bill_code_group_id=expenses.id,
                               secondary_po_number="B")])
    db_session.flush()
    coverage.sync_po(db_session, po.id)
    db_session.commit()
    ot = db_session.scalar(select(BillCode).where(BillCode.code == "OT"))
    exp = db_session.scalar(select(BillCode).where(BillCode.code == "EXP"))
    response = browser.post(f"/maintenance/bill-code-groups/{expenses.id}/edit", {
        "name": "Expenses", "bill_code_ids": [str(exp.id), str(ot.id)], "row_version": str(expenses.row_version)})
    assert "PO M-1: bill code OT would be in lines 1 and 2" in response.get_data(as_text=True)
    db_session.expire_all()
    assert [c.code for c in db_session.get(BillCodeGroup, expenses.id).bill_codes] == ["EXP"]


def test_a_code_a_master_line_drew_on_stays_in_its_group(db_session, login_as):
    """The PO editor refuses a drawn line a new group, but the group editor let ORD leave Labour (and join
    Expenses): the line's Used no longer matched its codes, and new ORD charges drew on another line."""
    from portal.services import documents, posting

    browser, _ = login_as("Billing Admin")
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session)
    labour = factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    po = factories.po(db_session, debtor, "M-2", kind="multi_line_master", amount="300",
                      effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    db_session.add(POLine(po_id=po.id, line_no=1, budget=Decimal("300"), bill_code_group_id=labour.id,
                          secondary_po_number="A"))
    db_session.flush()
    coverage.sync_po(db_session, po.id)
    db_session.commit()
    ord_, ot = (db_session.scalar(select(BillCode).where(BillCode.code == c)) for c in ("ORD", "OT"))
    invoice = factories.document_types(db_session)["Sales Invoice"]
    draft = documents.save_draft(db_session, admin, None, documents.DocumentInput(
        debtor.id, invoice.id, "", date(2026, 3, 1), lines=(documents.LineInput(
            None, ord_.id, Decimal("1"), Decimal("50"), date(2026, 3, 1), explicit_po_id=po.id),)))
    assert posting.post(db_session, admin, draft.id, confirmed=True, today=date(2026, 3, 1)).posted
    response = browser.post(f"/maintenance/bill-code-groups/{labour.id}/edit", {
        "name": "Labour", "bill_code_ids": [str(ot.id)], "row_version": str(labour.row_version)})
    assert "drew on ORD (PO M-2 line 1)" in response.get_data(as_text=True)
    db_session.expire_all()
    assert sorted(c.code for c in db_session.get(BillCodeGroup, labour.id).bill_codes) == ["ORD", "OT"]
    undrawn = browser.post(f"/maintenance/bill-code-groups/{labour.id}/edit", {  # OT drew nothing: it may go
        "name": "Labour", "bill_code_ids": [str(ord_.id)], "row_version": str(labour.row_version)})
    assert undrawn.status_code == 302
    db_session.expire_all()
    assert [c.code for c in db_session.get(BillCodeGroup, labour.id).bill_codes] == ["ORD"]


def test_referenced_bill_code_cannot_be_deleted(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    group = factories.bill_code_group(db_session, "Labour", ["ORD"])
    code = group.bill_codes[0]
    response = browser.post(f"/maintenance/bill-codes/{code.id}/delete", follow_redirects=True)
    assert "1 bill code group" in response.get_data(as_text=True)
    assert _count(db_session, BillCode) == 1


def test_view_role_sees_details_read_only(db_session, login_as):
    browser, _ = login_as("Auditor")
    group = factories.bill_code_group(db_session, "Labour", ["ORD"])
    page = browser.get(f"/maintenance/bill-code-groups/{group.id}").get_data(as_text=True)
    assert "disabled" in page and "History" in page and ">Save<" not in page


def test_settings_page_for_administrators_only(db_session, login_as):
    admin, _ = login_as("Administrator")
    billing, _ = login_as("Billing Admin")
    assert billing.get("/admin/settings").status_code == 403
    assert admin.post("/admin/settings", {"text": "Check the Bill To dates.",
                                          "row_version": opened_version(admin, "/admin/settings")}).status_code == 302
    from portal.services.settings import assignment_prompt

    assert assignment_prompt(db_session) == "Check the Bill To dates."


def test_settings_saved_unchanged_write_nothing_and_a_change_lists_its_fields(db_session, login_as):
    from sqlalchemy import func, select

    from portal.models import AuditEntry
    from portal.services.settings import DEFAULT_ASSIGNMENT_PROMPT

    def settings_entries():
        return list(db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "settings")
                                       .order_by(AuditEntry.id)))

    admin, _ = login_as("Administrator")
    assert admin.post("/admin/settings", {"text": DEFAULT_ASSIGNMENT_PROMPT,  # the default
                                          "row_version": opened_version(admin, "/admin/settings")}).status_code == 302
    assert settings_entries() == [] and db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "settings")) == 0
    url = "/admin/settings/po-pricing"
    pricing = {"selection": "all", "pricing": "average", "markup_percent": "20", "markup_flat": "5.00"}
    assert admin.post(url, pricing | {"row_version": opened_version(admin, url)}).status_code == 302
    assert admin.post(url, pricing | {"markup_percent": "12.5", "row_version": opened_version(admin, url)}
                      ).status_code == 302
    changed = settings_entries()[-1]
    assert changed.action == "update" and changed.changes == {"markup_percent": ["20", "12.5"]}


def test_list_query_count_is_constant(db_session, login_as, count_queries):
    browser, _ = login_as("Auditor")
    db_session.execute(insert(BillCode), [{"code": f"C{n}", "description": "", "active": True} for n in range(10)])
    db_session.commit()

    def queries():
        with count_queries() as statements:
            assert browser.get("/maintenance/bill-codes/").status_code == 200
        return len(statements)

    small = queries()
    db_session.execute(insert(BillCode), [{"code": f"K{n}", "description": "", "active": True} for n in range(1000)])
    db_session.commit()
    assert queries() == small


@pytest.mark.parametrize("role_name,edit_shown", [("Auditor", False), ("Billing Admin", True)])
def test_read_only_view_offers_edit_to_editors(db_session, login_as, role_name, edit_shown):
    code = BillCode(code="ORD", description="Ordinary")
    db_session.add(code)
    db_session.commit()
    browser, _ = login_as(role_name)
    page = browser.get(f"/maintenance/bill-codes/{code.id}").get_data(as_text=True)
    assert "<fieldset class=\"plain\" disabled>" in page
    assert (f'/maintenance/bill-codes/{code.id}/edit"' in page) is edit_shown


def test_a_threshold_lowered_on_a_template_alerts_the_pos_already_past_it_at_once(db_session, login_as):
    """A template's thresholds compare its POs' Subtotal from the save on, not from their next posting: a PO
    at 60% alerts when 50 is added, once (saving again raises nothing), and 70 added later does not fire."""
    from portal.models import Alert, POBalance

    browser, _ = login_as("Billing Admin")
    role = factories.role(db_session, "Billing Admin")
    form = {"name": "Standard", "thresholds": "90", "role_ids": [str(role.id)], "subject": "PO {po_number} at "
            "{percentage}%", "message": "{remaining} left", "active": "y"}
    assert browser.post("/maintenance/alert-templates/new", form).status_code == 302
    template = db_session.scalars(select(AlertTemplate)).one()
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "ALERT-1", amount="1000", used="600")
    po.alert_template_id = template.id
    db_session.commit()
    assert db_session.get(POBalance, po.id).used == Decimal("600")
    edit = f"/maintenance/alert-templates/{template.id}/edit"
    saved = browser.post(edit, {**form, "thresholds": "50, 90", "row_version": str(template.row_version)},
                         follow_redirects=True).get_data(as_text=True)
    assert "Alert raised: PO ALERT-1 at 50%" in saved
    fired = db_session.scalars(select(Alert).where(Alert.po_id == po.id)).all()
    assert [(a.threshold, a.armed) for a in fired] == [(Decimal("50"), False)]
    db_session.refresh(template)
    again = browser.post(edit, {**form, "thresholds": "50, 90", "name": "Standard 2",
                                "row_version": str(template.row_version)}, follow_redirects=True)
    assert "Alert raised" not in again.get_data(as_text=True)  # thresholds unchanged: nothing re-checked
    db_session.refresh(template)
    browser.post(edit, {**form, "thresholds": "50, 70", "row_version": str(template.row_version)})
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Alert).where(Alert.po_id == po.id)) == 1
