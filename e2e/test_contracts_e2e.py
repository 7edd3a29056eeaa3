"""Seed 000 in the browser: a consultant (the learning coordinator) enters the Dell contract and
schedules more, a relationship lead follows the opportunity on the start page and the pipeline."""
import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import shot
from portal.models import BillCode, Contract, debtor_relationship_leads
from tests import factories


def _fill(page, n, date_text, description, quantity, rate):
    row = page.locator("#delivery-rows tr").nth(n)
    row.locator("[name=delivery_code]").select_option(label="TRN — Training classes")
    row.locator("[name=delivery_date]").fill(date_text)
    row.locator("[name=delivery_description]").fill(description)
    row.locator("[name=delivery_quantity]").fill(quantity)
    row.locator("[name=delivery_rate]").fill(rate)


def _dell(db_session, year: int):
    """Seed 000's client: Dell, its relationship lead lee.lead, a 150,000 PO for the year and the TRN code."""
    lead = factories.user(db_session, "lee.lead", role_name="Relationship Lead")
    debtor = factories.debtor(db_session, "DELL", name="Dell Technologies")
    po = factories.po(db_session, debtor, "4500123", amount="150000.00", effective=date(year, 1, 1),
                      expiration=date(year, 12, 31))
    db_session.add(BillCode(code="TRN", description="Training classes"))
    db_session.execute(debtor_relationship_leads.insert().values(debtor_id=debtor.id, user_id=lead.id))
    db_session.commit()
    return debtor, po


def test_the_dell_story(page, sign_in, db_session, chromium, live_server):
    year = date.today().year
    consultant = sign_in(page, "Consultant")
    debtor, po = _dell(db_session, year)
    assert consultant

    # the learning coordinator enters the contract for only what is scheduled
    page.goto(f"/purchase-orders/{po.id}?tab=schedule")
    expect(page.locator("#unscheduled")).to_have_text("150,000.00")
    page.click("text=Enter contract")
    page.fill("#title", "Data centre training programme")
    _fill(page, 0, f"{year}-03-09", "Data centre fundamentals", "8", "1500")
    _fill(page, 1, f"{year}-04-13", "Storage administration", "6", "1000")
    shot(page, "contract-enter")
    page.click("main button:text-is('Enter contract')")
    expect(page.locator("h1")).to_contain_text("Contract CT")
    expect(page.locator("#notes")).to_contain_text(
        "PO 4500123: PO amount 150,000.00; scheduled 18,000.00; balance 132,000.00")
    expect(page.locator("#unscheduled")).to_have_text("132,000.00")

    # the client schedules more classes from the PO
    page.click("text=Schedule more")
    _fill(page, 0, f"{year}-05-04", "Networking essentials", "10", "1000")
    _fill(page, 1, f"{year}-05-11", "Networking lab day", "2", "1000")
    page.click("main button:text-is('Schedule')")
    today = date.today().isoformat()
    expect(page.locator("#notes")).to_contain_text(f"{today}: classes added 12,000.00; PO balance remaining 120,000.00")

    # the lab day is cancelled: its value goes back to the opportunity
    page.on("dialog", lambda dialog: dialog.accept())
    page.check("input[aria-label='Cancel Networking lab day']")
    page.click("text=Cancel ticked deliveries")
    expect(page.locator("#notes")).to_contain_text(f"{today}: classes cancelled 2,000.00; PO balance remaining 122,000.00")
    expect(page.locator("#unscheduled")).to_have_text("122,000.00")
    page.fill("#text", "Client expects to schedule the cloud track in the autumn.")
    page.click("text=Add note")
    expect(page.locator("#notes")).to_contain_text("cloud track")
    shot(page, "contract-detail")
    page.goto(f"/purchase-orders/{po.id}?tab=schedule")
    expect(page.locator("#unscheduled")).to_have_text("122,000.00")
    shot(page, "po-schedule-tab")

    # the relationship lead sees the opportunity on the start page and in the pipeline
    context = chromium.new_context(base_url=live_server, viewport={"width": 1400, "height": 900})
    lead_page = context.new_page()
    lead_page.goto("/login")
    lead_page.fill("#username", "lee.lead")
    lead_page.fill("#password", factories.PASSWORD)
    lead_page.click("button[type=submit]")
    lead_page.wait_for_url("**/")
    expect(lead_page.locator("#my-opportunities")).to_contain_text("4500123")
    expect(lead_page.locator("#my-opportunities")).to_contain_text("122,000.00")
    shot(lead_page, "lead-start-page")
    lead_page.click("nav >> text=Pipeline")
    expect(lead_page.locator("table.pipeline")).to_contain_text("Lee.Lead")
    expect(lead_page.locator("table.pipeline tbody.owner-group")).to_contain_text("122,000.00")
    lead_page.wait_for_load_state("load")  # htmx has bound the filters' change trigger
    lead_page.select_option("select[name=sort]", "expiry")
    expect(lead_page).to_have_url(re.compile(r"sort=expiry"))
    expect(lead_page.locator("table.pipeline")).to_contain_text("4500123")
    shot(lead_page, "pipeline")
    lead_page.click("table.pipeline >> text=4500123")
    expect(lead_page.locator("#opportunity-amount")).to_contain_text("122,000.00")
    lead_page.fill("#reason", "Client froze the training budget")
    lead_page.click("text=Mark lost")
    expect(lead_page.locator(".flash-success")).to_contain_text("lost")
    expect(lead_page.locator("main")).to_contain_text("Client froze the training budget")
    shot(lead_page, "opportunity-lost")
    context.close()
    contract = db_session.scalar(select(Contract))
    assert contract.title == "Data centre training programme"


def test_a_debtor_with_many_jobs_has_the_contracts_job_typed_and_picked(page, sign_in, db_session, monkeypatch):
    from portal.services import document_choices

    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 1)  # as for a debtor with thousands of jobs
    monkeypatch.setattr(document_choices, "EDITOR_OPTIONS", 1)
    year = date.today().year
    sign_in(page, "Consultant")
    debtor, po = _dell(db_session, year)
    factories.job(db_session, debtor, title="Course runner")
    trainer = factories.job(db_session, debtor, title="Storage trainer")
    page.goto(f"/contracts/new?po_id={po.id}")
    expect(page.locator("#editor-jobs option")).to_have_count(1)  # the first suggestion only: not the trainer
    box = page.get_by_label("Job order (optional)")
    box.fill("storage")
    expect(page.locator("#editor-jobs option")).to_have_attribute("value", f"{trainer.number} Storage trainer")
    box.fill(f"{trainer.number} Storage trainer")  # as choosing the suggestion does
    expect(page.locator("input[type=hidden][name=job_id]")).to_have_value(str(trainer.id))
    page.fill("#title", "Storage programme")
    _fill(page, 0, f"{year}-03-09", "Storage administration", "6", "1000")
    shot(page, "contract-typed-job")
    page.click("main button:text-is('Enter contract')")
    expect(page.locator("h1")).to_contain_text("Contract CT")
    assert db_session.scalar(select(Contract.job_id)) == trainer.id
