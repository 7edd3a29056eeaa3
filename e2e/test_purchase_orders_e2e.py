import re
from datetime import date, timedelta

from playwright.sync_api import expect

from e2e.conftest import shot
from tests import factories


def test_master_po_line_editor_totals_the_lines(page, sign_in, db_session):
    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "GLOBEX")
    factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    factories.bill_code_group(db_session, "Expenses", ["EXP"])
    factories.bill_code_group(db_session, "Allowances", ["ALLOW"])
    page.goto(f"/purchase-orders/new?debtor_id={debtor.id}")
    page.fill("#number", "GLX-M1")
    page.select_option("#kind", "multi_line_master")
    page.fill("#effective", "2026-01-01")
    page.fill("#expiration", "2026-12-31")
    for n, (budget, group, secondary) in enumerate([("1000.00", "Labour", "A-1"), ("250.50", "Expenses", "B-1"),
                                                     ("99.50", "Allowances", "C-1")]):
        page.click("text=Add line")
        row = page.locator("#line-rows tr").nth(n)
        expect(row).to_be_visible()
        row.locator("[name=line_budget]").fill(budget)
        row.locator("[name=line_group]").select_option(label=f"{group} ({'ORD, OT' if group == 'Labour' else 'EXP' if group == 'Expenses' else 'ALLOW'})")
        row.locator("[name=line_secondary]").fill(secondary)
    expect(page.locator("#master-total")).to_contain_text("1,350.00")
    page.locator("#line-rows tr").nth(2).locator("[data-remove-row]").click()
    expect(page.locator("#master-total")).to_contain_text("1,250.50")
    shot(page, "po-master-form")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("PO GLX-M1")
    expect(page.locator("table.balances")).to_contain_text("1,250.50")
    page.click("nav.tabs >> text=Lines")
    expect(page.locator("#tab-panel")).to_contain_text("B-1")
    shot(page, "po-detail-lines")


def test_split_po_and_coloured_rows(page, sign_in, db_session):
    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    soon = date.today() + timedelta(days=60)
    factories.po(db_session, debtor, "NEAR", tolerance=90, used="9200", expiration=soon)
    factories.po(db_session, debtor, "OVER", used="10500", expiration=soon)
    for amount, types in (("4000", ["Sales Order", "Sales Invoice"]), ("6000", ["Repair Order", "Service Invoice"])):
        page.goto(f"/purchase-orders/new?debtor_id={debtor.id}")
        page.fill("#number", "ACM-SPLIT")
        page.fill("#effective", date.today().isoformat())
        page.fill("#expiration", soon.isoformat())
        page.fill("#amount", amount)
        for t in types:
            page.get_by_label(t, exact=True).check()
        page.click("main button[type=submit]")
        expect(page.locator("h1")).to_contain_text("PO ACM-SPLIT")
    page.goto("/purchase-orders/")
    expect(page.locator("tr.budget-yellow")).to_contain_text("NEAR")
    expect(page.locator("tr.budget-red")).to_contain_text("OVER")
    # the colours show on odd (striped) rows and even rows alike
    expect(page.locator("tr.budget-yellow td").first).to_have_css("background-color", "rgb(255, 244, 194)")
    expect(page.locator("tr.budget-red td").first).to_have_css("background-color", "rgb(251, 213, 210)")
    expect(page.locator("#po-rows tbody tr", has_text="ACM-SPLIT")).to_have_count(2)
    shot(page, "po-list")


def test_start_page_leads_to_the_pos_needing_attention(page, sign_in, db_session):
    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    factories.po(db_session, debtor, "HOT-1", amount="1000", tolerance=80, used="850",
                 effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    factories.po(db_session, debtor, "CALM-1", amount="1000", tolerance=80, used="100",
                 effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    page.goto("/")
    expect(page.locator("#attention tr.budget-yellow")).to_contain_text("HOT-1")
    expect(page.locator("#attention tr.budget-yellow td").first).to_have_css("background-color", "rgb(255, 244, 194)")
    expect(page.locator("#attention")).not_to_contain_text("CALM-1")
    shot(page, "start-page")
    page.goto("/purchase-orders/")
    page.check("input[name=attention]")
    expect(page.locator("#po-rows")).not_to_contain_text("CALM-1")
    expect(page.locator("#po-rows")).to_contain_text("HOT-1")
    expect(page).to_have_url(re.compile(r"attention=1"))
