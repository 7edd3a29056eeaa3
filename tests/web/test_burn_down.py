"""The PO summary's burn-down: chart data, forecast text and the figures table; constant queries."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html import unescape

from tests import burn_down_data, factories


def _chart(html: str) -> dict:
    match = re.search(r"data-chart='([^']*)'", html)
    assert match, "no chart on the page"
    return json.loads(unescape(match.group(1)))


def test_summary_shows_the_chart_forecast_and_figures(db_session, login_as):
    browser, user = login_as("Auditor")  # view only is enough to read it
    world = burn_down_data.setup(db_session, amount="10000.00", tolerance=90)
    today = date.today()
    for days_ago in (60, 40, 20):
        burn_down_data.post(db_session, world, today - timedelta(days=days_ago), "1000")
    burn_down_data.post(db_session, world, today - timedelta(days=30), "500", "Sales Order")
    html = browser.get(f"/purchase-orders/{world['po'].id}").get_data(as_text=True)
    assert 'id="burn-down-chart"' in html and "burn_down.js" in html and "chart-4.6.1.umd.min.js" in html
    text = re.search(r'<p id="forecast-text"[^>]*>([^<]*)</p>', html).group(1)
    assert text.startswith("At this rate (") and "reaches 90% about" in text and "runs out about" in text
    chart = _chart(html)
    assert chart["amount"] == 10000.0 and chart["tolerance"] == 9000.0
    assert [p["used"] for p in chart["points"]] == [1000.0, 2000.0, 2000.0, 3000.0]
    assert [p["committed"] for p in chart["points"]] == [1000.0, 2000.0, 2500.0, 3500.0]
    assert chart["projection"][0] == {"day": today.isoformat(), "used": 3000.0}
    assert chart["projection"][-1]["used"] == 10000.0
    # the figures for screen readers: every date and a forecast row
    assert "<details class=\"burn-down-figures\">" in html
    assert html.count('class="forecast-row"') == 2
    assert "3,500.00" in html
    assert "<script>" not in html and "onclick" not in html  # the CSP allows no inline script


def test_the_summary_tab_swapped_in_by_htmx_carries_the_chart(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    world = burn_down_data.setup(db_session)
    burn_down_data.post(db_session, world, date.today() - timedelta(days=3), "100")
    response = browser.get(f"/purchase-orders/{world['po'].id}?tab=summary", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="burn-down-chart"' in html
    assert "Too little history for a forecast" in html
    assert _chart(html)["projection"] == []


def test_a_po_without_used_says_so_and_draws_no_chart(db_session, login_as):
    browser, _ = login_as("Consultant")
    world = burn_down_data.setup(db_session)
    html = browser.get(f"/purchase-orders/{world['po'].id}").get_data(as_text=True)
    assert "No Used yet, so no forecast." in html
    assert "burn-down-chart" not in html


def test_an_over_po_says_it_has_run_out(db_session, login_as):
    browser, _ = login_as("Administrator")
    world = burn_down_data.setup(db_session, amount="1000.00")
    burn_down_data.post(db_session, world, date.today() - timedelta(days=2), "1200")
    html = browser.get(f"/purchase-orders/{world['po'].id}").get_data(as_text=True)
    assert "Used is over the amount by 200.00: the PO has run out." in html


def test_summary_runs_the_same_queries_for_a_long_history(db_session, login_as, count_queries):
    browser, user = login_as("Administrator")
    world = burn_down_data.setup(db_session, user=user)
    start = date.today() - timedelta(days=80)

    def grow(first, n):
        for i in range(first, first + n):
            burn_down_data.post(db_session, world, start + timedelta(days=i), "10")

    def queries():
        with count_queries() as statements:
            response = browser.get(f"/purchase-orders/{world['po'].id}")
            assert response.status_code == 200
        return len(statements), response.get_data(as_text=True).count("<tr")

    grow(0, 2)
    small, small_rows = queries()
    grow(2, 20)
    large, large_rows = queries()
    assert large_rows > small_rows and large == small
