"""The PO summary's burn-down: chart data, forecast text and the figures table; constant queries."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html import unescape

import pytest

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
    # by document date, then level to today
    assert [p["used"] for p in chart["points"]] == [1000.0, 2000.0, 2000.0, 3000.0, 3000.0]
    assert [p["committed"] for p in chart["points"]] == [1000.0, 2000.0, 2500.0, 3500.0, 3500.0]
    assert chart["points"][-1]["day"] == today.isoformat()
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


# ----- the PO list and the start page: "runs out within 30 days" (stored forecasts) -----

def _pos_with_forecasts(db_session, user=None):
    """SOON runs out in about 10 days, LATER in about 100, OVER has run out, QUIET has no Used."""
    today = date.today()
    world = burn_down_data.setup(db_session, number="SOON", amount="3500.00", user=user)
    pos = {"SOON": world["po"]}
    for number, amount in (("LATER", "12000.00"), ("OVER", "2500.00"), ("QUIET", "1000.00")):
        pos[number] = burn_down_data.setup(db_session, number=number, amount=amount, debtor=world["debtor"],
                                           user=world["user"])["po"]
    for days_ago in (60, 40, 20):
        for number in ("SOON", "LATER", "OVER"):
            burn_down_data.post(db_session, world, today - timedelta(days=days_ago), "1000", po=pos[number])
    # 3,000 at 49.18 a day: SOON (500 left) in 11 days, LATER (9,000 left) in 183, OVER over by 500
    return world, pos


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr class="[^"]*" data-po-id="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', html)


def test_list_filters_and_sorts_by_forecast_run_out(db_session, login_as):
    browser, user = login_as("Billing Admin")
    _, pos = _pos_with_forecasts(db_session, user)
    html = browser.get("/purchase-orders/?runs_out=30&sort=runs_out").get_data(as_text=True)
    assert _listed(html) == ["OVER", "SOON"]
    assert 'name="runs_out" value="30" checked' in html and "run out</span>" in html
    assert (date.today() + timedelta(days=11)).isoformat() in html
    everything = browser.get("/purchase-orders/?sort=runs_out").get_data(as_text=True)
    assert _listed(everything) == ["OVER", "SOON", "LATER", "QUIET"]
    longer = browser.get("/purchase-orders/?runs_out=200&sort=number").get_data(as_text=True)
    assert _listed(longer) == ["LATER", "OVER", "SOON"]
    # the htmx swap carries the same rows and the pager keeps the filter
    partial = browser.get("/purchase-orders/?runs_out=30&sort=runs_out", headers={"HX-Request": "true"})
    assert _listed(partial.get_data(as_text=True)) == ["OVER", "SOON"]


@pytest.mark.parametrize("value", ["abc", "-5", "0", "366", "99999999999999999999", "1e3", "", "30.5"])
def test_bad_run_out_filter_is_ignored_not_an_error(db_session, login_as, value):
    browser, user = login_as("Auditor")
    _pos_with_forecasts(db_session)
    response = browser.get("/purchase-orders/", query_string={"runs_out": value, "sort": "runs_out"})
    assert response.status_code == 200
    assert len(_listed(response.get_data(as_text=True))) == 4


def test_branch_limited_user_filters_the_debtor_level_pos(db_session, login_as):
    """POs belong to debtors, not branches (DESIGN.md: job security limits jobs): a user limited to a
    branch lists the same POs and forecasts, and the detail page names no other branch's job."""
    north = factories.branch(db_session, "NTH")
    south = factories.branch(db_session, "STH")
    browser, _ = login_as("Consultant", branches=[north])
    world, pos = _pos_with_forecasts(db_session)
    job = factories.job(db_session, world["debtor"], south, title="Southern secret job")
    factories.assignment(db_session, job, po=pos["SOON"], start=date(2020, 1, 1))
    html = browser.get("/purchase-orders/?runs_out=30&sort=runs_out").get_data(as_text=True)
    assert _listed(html) == ["OVER", "SOON"]
    detail = browser.get(f"/purchase-orders/{pos['SOON'].id}").get_data(as_text=True)
    assert "runs out about" in detail and "Southern secret job" not in detail


def test_list_with_the_filter_runs_constant_queries(db_session, login_as, count_queries):
    browser, user = login_as("Administrator")
    world, pos = _pos_with_forecasts(db_session, user)

    def queries():
        # a change to the debtors has the next list read them again (portal/services/debtors.py): counted after it
        browser.get("/purchase-orders/?runs_out=200&sort=runs_out")
        with count_queries() as statements:
            response = browser.get("/purchase-orders/?runs_out=200&sort=runs_out")
        return len(statements), len(_listed(response.get_data(as_text=True)))

    small, small_rows = queries()
    for i in range(5):
        po = burn_down_data.setup(db_session, number=f"MORE{i}", amount="3100.00", debtor=world["debtor"],
                                  user=world["user"])["po"]
        for days_ago in (60, 40, 20):
            burn_down_data.post(db_session, world, date.today() - timedelta(days=days_ago), "1000", po=po)
    large, large_rows = queries()
    assert large_rows == small_rows + 5 and large == small


def test_start_page_lists_pos_running_out(db_session, login_as):
    browser, user = login_as("Billing Admin")
    _pos_with_forecasts(db_session, user)
    html = browser.get("/").get_data(as_text=True)
    section = html[html.index('id="running-out"'):]
    section = section[:section.index("</section>")]
    assert "POs running out within 30 days" in section
    assert re.findall(r'<td><a href="/purchase-orders/\d+">([^<]+)</a>', section) == ["OVER", "SOON"]
    clerkless, _ = login_as("Consultant")  # may view POs: sees it too
    assert 'id="running-out"' in clerkless.get("/").get_data(as_text=True)


def test_start_page_hides_the_section_without_po_view(db_session, login_as, app):
    from portal.models import Role, RoleGrant

    browser, user = login_as("Auditor")
    role = db_session.query(Role).filter_by(name="Auditor").one()
    db_session.query(RoleGrant).filter_by(role_id=role.id, item="purchase_orders").delete()
    db_session.commit()
    assert 'id="running-out"' not in browser.get("/").get_data(as_text=True)


# ----- the alert template's "forecast to run out within N days" -----

def test_alert_template_saves_the_forecast_condition(db_session, login_as):
    from portal.models import AlertTemplate, Role

    browser, _ = login_as("Billing Admin")
    role = db_session.query(Role).filter_by(name="Billing Admin").one()
    form = browser.get("/maintenance/alert-templates/new").get_data(as_text=True)
    assert 'name="forecast_days"' in form and "{runs_out_on}" in form
    response = browser.post("/maintenance/alert-templates/new", {
        "name": "Running out", "thresholds": "", "forecast_days": "30", "subject": "PO {po_number} runs out {runs_out_on}",
        "message": "{debtor}", "role_ids": [str(role.id)], "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    template = db_session.query(AlertTemplate).filter_by(name="Running out").one()
    assert template.forecast_days == 30 and template.thresholds == []
    # the edit form posted back unchanged keeps it
    edit = browser.get(f"/maintenance/alert-templates/{template.id}/edit").get_data(as_text=True)
    assert 'name="forecast_days" type="number" value="30"' in edit or 'value="30"' in edit
    listing = browser.get("/maintenance/alert-templates/").get_data(as_text=True)
    assert "Runs out within (days)" in listing


@pytest.mark.parametrize("value,message", [("0", "1 to 365"), ("366", "1 to 365"), ("-3", "1 to 365"),
                                           ("abc", "Not a valid integer"), ("99999999999999999999", "1 to 365")])
def test_alert_template_refuses_bad_forecast_days(db_session, login_as, value, message):
    from portal.models import AlertTemplate, Role

    browser, _ = login_as("Billing Admin")
    role = db_session.query(Role).filter_by(name="Billing Admin").one()
    response = browser.post("/maintenance/alert-templates/new", {
        "name": "Bad", "thresholds": "", "forecast_days": value, "subject": "s", "message": "m",
        "role_ids": [str(role.id)]})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db_session.query(AlertTemplate).count() == 0


def test_alert_template_needs_some_condition(db_session, login_as):
    from portal.models import Role

    browser, _ = login_as("Billing Admin")
    role = db_session.query(Role).filter_by(name="Billing Admin").one()
    response = browser.post("/maintenance/alert-templates/new", {
        "name": "None", "thresholds": "", "forecast_days": "", "subject": "s", "message": "m",
        "role_ids": [str(role.id)]})
    assert "days to a forecast run-out" in response.get_data(as_text=True)


def test_the_alert_template_form_without_csrf_is_refused(db_session, login_as):
    from portal.models import AlertTemplate

    browser, _ = login_as("Billing Admin")
    browser.get("/maintenance/alert-templates/new")
    response = browser.post("/maintenance/alert-templates/new", {"name": "X", "forecast_days": "30", "subject": "s",
                                                                 "message": "m"}, csrf=False)
    assert response.status_code in (400, 403)
    assert db_session.query(AlertTemplate).count() == 0
