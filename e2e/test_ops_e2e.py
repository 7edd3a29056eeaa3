"""Browser tests: the audit log page and the single sign-on group mapping page."""
from playwright.sync_api import expect

from e2e.conftest import shot
from portal.models import Debtor
from portal.services import audit
from tests import factories


def test_admin_filters_the_audit_log_and_finds_a_deleted_debtor(page, sign_in, db_session):
    admin = sign_in(page, "Administrator")
    audit.acting(db_session, admin)
    gone = Debtor(code="GONE", name="Gone Ltd", enforce_purchase_orders=False, over_budget_policy="warn")
    db_session.add(gone)
    db_session.commit()
    db_session.delete(gone)
    db_session.commit()
    for code in ("ALPHA", "BETA"):
        factories.debtor(db_session, code)
    page.goto("/audit-log/")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Audit log")
    page.evaluate("document.querySelector('h1').dataset.marker = 'kept'")
    page.select_option("select[name=action]", "delete")
    page.select_option("select[name=type]", "debtors")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#audit-rows tbody tr")).to_have_count(1)
    expect(page.locator("#audit-rows")).to_contain_text("Gone Ltd → —")
    assert page.evaluate("document.querySelector('h1').dataset.marker") == "kept"  # only the rows were swapped
    assert "action=delete" in page.url
    shot(page, "audit-log-deleted-debtor")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert download.value.suggested_filename.startswith("audit-log-")


def test_admin_maps_a_group_to_a_role(page, sign_in, db_session):
    sign_in(page, "Administrator")
    page.goto("/admin/sso-groups")
    page.fill("input[name=group_name]", "finance-billing")
    page.select_option("select[name=role_id]", label="Billing Admin")
    page.click("main button:has-text('Add mapping')")
    expect(page.locator("table")).to_contain_text("finance-billing")
    expect(page.locator("table")).to_contain_text("Billing Admin")
    page.click("main button:has-text('Add mapping')")  # empty form: a message, nothing saved
    expect(page.locator("main")).to_contain_text("Enter the group's name")
    shot(page, "sso-groups")
