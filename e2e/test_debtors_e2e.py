from playwright.sync_api import expect

from e2e.conftest import shot
from tests import factories


def test_admin_creates_filters_and_reads_history(page, sign_in, db_session):
    sign_in(page, "Administrator")
    for code in ("ALPHA", "BETA", "GAMMA"):
        factories.debtor(db_session, code)
    page.goto("/debtors/new")
    page.fill("#code", "dell")
    page.fill("#name", "Dell Technologies")
    page.check("#enforce_purchase_orders")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("DELL")
    page.goto("/debtors/")
    # a marker outside the table body survives the htmx swap: only #debtor-rows is replaced
    page.evaluate("document.querySelector('h1').dataset.marker = 'kept'")
    page.fill("input[name=q]", "del")
    expect(page.locator("#debtor-rows tbody tr")).to_have_count(1)
    expect(page.locator("#debtor-rows")).to_contain_text("Dell Technologies")
    assert page.evaluate("document.querySelector('h1').dataset.marker") == "kept"
    assert "q=del" in page.url
    shot(page, "debtors-list")
    page.click("text=DELL")
    page.click("nav.tabs >> text=History")
    expect(page.locator("#tab-panel")).to_contain_text("Created debtor: DELL")
    expect(page.locator("#tab-panel")).to_contain_text("Dell Technologies")
    shot(page, "debtor-history")


def test_consultant_sees_no_delete_and_gets_403_posting_it(page, sign_in, db_session):
    sign_in(page, "Consultant")
    debtor = factories.debtor(db_session, "ACME")
    page.goto(f"/debtors/{debtor.id}")
    expect(page.locator("h1")).to_contain_text("ACME")
    expect(page.locator("button", has_text="Delete")).to_have_count(0)
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    response = page.request.post(f"/debtors/{debtor.id}/delete", form={"csrf_token": token})
    assert response.status == 403
