"""The PO burn-down chart is drawn in Chromium under the portal's CSP, with the forecast in words."""
from datetime import date, timedelta

from playwright.sync_api import expect

from e2e.conftest import shot
from tests import burn_down_data


def test_po_summary_draws_the_burn_down_and_forecast(page, sign_in, db_session):
    user = sign_in(page, "Billing Admin")
    world = burn_down_data.setup(db_session, number="4500123", amount="60000.00", tolerance=90, user=user)
    today = date.today()
    for days_ago, amount in ((150, "2500"), (120, "3000"), (95, "3500"), (75, "4000"), (55, "4000"),
                             (40, "4500"), (25, "5000"), (10, "5500")):
        burn_down_data.post(db_session, world, today - timedelta(days=days_ago), amount)
    burn_down_data.post(db_session, world, today - timedelta(days=30), "6000", "Sales Order")
    page.goto(f"/purchase-orders/{world['po'].id}")
    text = page.locator("#forecast-text")
    expect(text).to_contain_text("reaches 90% about")
    expect(text).to_contain_text("runs out about")
    canvas = page.locator("canvas#burn-down-chart")
    expect(canvas).to_have_attribute("data-drawn", "1")
    # Chart.js drew on the canvas: some of its pixels are not blank
    painted = page.evaluate("""() => {
        const c = document.getElementById('burn-down-chart');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) { n++; } }
        return n;
    }""")
    assert painted > 1000
    # the figures table opens for anyone who cannot see the chart
    page.click("details.burn-down-figures summary")
    expect(page.locator("details.burn-down-figures table")).to_contain_text("forecast")
    shot(page, "po-burn-down")
    # switching tabs with htmx and back draws the chart again
    page.click("nav.tabs >> text=Notes")
    expect(page.locator("#burn-down-chart")).to_have_count(0)
    page.click("nav.tabs >> text=Summary")
    expect(page.locator("canvas#burn-down-chart")).to_have_attribute("data-drawn", "1")


def test_runs_out_filter_on_the_list_and_the_start_page(page, sign_in, db_session):
    user = sign_in(page, "Billing Admin")
    today = date.today()
    soon = burn_down_data.setup(db_session, number="SOON-1", amount="3500.00", user=user)
    later = burn_down_data.setup(db_session, number="LATER-1", amount="12000.00", debtor=soon["debtor"], user=user)
    for days_ago in (60, 40, 20):
        burn_down_data.post(db_session, soon, today - timedelta(days=days_ago), "1000")
        burn_down_data.post(db_session, later, today - timedelta(days=days_ago), "1000")
    page.goto("/")
    section = page.locator("#running-out")
    expect(section).to_contain_text("SOON-1")
    expect(section).not_to_contain_text("LATER-1")
    page.goto("/purchase-orders/")
    expect(page.locator("#po-rows")).to_contain_text("LATER-1")
    page.get_by_label("Runs out within 30 days").check()  # htmx swaps the rows
    expect(page.locator("#po-rows")).not_to_contain_text("LATER-1")
    expect(page.locator("#po-rows")).to_contain_text("SOON-1")
    page.wait_for_url("**runs_out=30**")
    shot(page, "po-list-runs-out")
