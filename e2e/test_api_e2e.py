"""API tokens page and the API's Swagger UI in Chromium, under the portal's Content-Security-Policy."""
from datetime import date, timedelta

from playwright.sync_api import expect

from e2e.conftest import shot
from tests import factories


def test_a_user_creates_a_token_uses_it_and_revokes_it(page, sign_in, db_session):
    sign_in(page, "Billing Clerk")
    factories.debtor(db_session, "ACME")
    page.click("header >> text=API tokens")
    page.fill("#name", "billing sync")
    page.fill("#expires_on", (date.today() + timedelta(days=30)).isoformat())
    page.click("main button[type=submit]")
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("pop_")
    expect(page.locator("table")).to_contain_text("billing sync")
    shot(page, "api-token-created")
    me = page.request.get("/api/v1/debtors", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["items"][0]["code"] == "ACME"
    # the browser's own session cookie is not a credential on the API
    assert page.request.get("/api/v1/debtors").status == 401
    page.goto("/account/api/tokens")
    assert secret not in page.content()
    page.click("button:has-text('Revoke')")
    expect(page.locator("table")).to_contain_text("revoked")
    refused = page.request.get("/api/v1/debtors", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401 and refused.headers["content-type"].startswith("application/problem+json")
    shot(page, "api-token-revoked")


def test_the_api_docs_render_from_vendored_swagger_ui(page, sign_in):
    sign_in(page, "Auditor")
    page.goto("/account/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("PO Portal API", timeout=20_000)
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_be_visible()
    assert page.locator(".opblock-summary-path[data-path='/api/v1/purchase-orders']").count() >= 1
    shot(page, "api-docs")
