"""The keyboard stays where the user works after an htmx swap. Defect: "Add line" in the document editor and a
grid row's Assign or Clear swapped in new content and left the focus on the page's body (the grid's button was
replaced with its row), so a keyboard user started again from the top of the page. The new content now says
where the focus goes (data-focus): the first box of the added line, the row's start prompt or its message."""
from datetime import date

from playwright.sync_api import expect

from portal.models import BillCode
from tests import factories


def _active_name(page) -> str:
    return page.evaluate("document.activeElement.getAttribute('name') || document.activeElement.tagName")


def test_add_line_takes_the_keyboard_to_the_new_lines_first_box(page, sign_in, db_session):
    sign_in(page, "Billing Admin")
    db_session.add(BillCode(code="ORD"))
    db_session.commit()
    debtor = factories.debtor(db_session, "ACME")
    factories.job(db_session, debtor, title="Picker")
    page.goto(f"/documents/new?debtor_id={debtor.id}")
    add = page.get_by_role("button", name="Add line")
    for n in (1, 2):
        add.focus()
        page.keyboard.press("Enter")
        rows = page.locator("#document-lines tr")
        expect(rows).to_have_count(n)
        expect(rows.nth(n - 1).locator("[name=line_job]")).to_be_focused()
    page.keyboard.press("Tab")  # on through the new line
    assert _active_name(page) == "line_code"
    assert page.evaluate("document.activeElement.closest('tr')"
                         " === document.querySelector('#document-lines').lastElementChild")


def test_add_line_focuses_a_typed_job_box_for_a_debtor_with_many_jobs(page, sign_in, db_session, monkeypatch):
    from portal.services import document_choices

    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 1)
    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    factories.job(db_session, debtor, title="Picker")
    factories.job(db_session, debtor, title="Driver")
    page.goto(f"/documents/new?debtor_id={debtor.id}")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#document-lines tr").first.locator("[name=job_search]")).to_be_focused()


def test_add_line_and_add_delivery_focus_their_new_rows(page, sign_in, db_session):
    from e2e.test_contracts_e2e import _dell

    sign_in(page, "Administrator")
    _, po = _dell(db_session, date.today().year)
    factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    page.goto(f"/purchase-orders/new?debtor_id={po.debtor_id}")
    page.select_option("#kind", "multi_line_master")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#line-rows tr").last.locator("[name=line_budget]")).to_be_focused()
    page.goto(f"/contracts/new?po_id={po.id}")
    before = page.locator("#delivery-rows tr").count()
    page.get_by_role("button", name="Add delivery").click()
    expect(page.locator("#delivery-rows tr")).to_have_count(before + 1)
    expect(page.locator("#delivery-rows tr").last.locator("[name=delivery_code]")).to_be_focused()


def test_a_grid_rows_prompt_and_message_take_the_focus_after_the_row_is_redrawn(page, sign_in, db_session):
    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "CITY")
    factories.po(db_session, debtor, "P-SPRING", effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    job = factories.job(db_session, debtor, title="Cleaner 1")
    page.goto(f"/assignments/?debtor_id={debtor.id}&as_of=2026-03-01")
    row = page.locator(f"tr[data-job-id='{job.id}']")
    row.get_by_label(f"PO or group for {job.number}").select_option(label="PO P-SPRING")
    row.get_by_role("button", name="Assign").focus()
    page.keyboard.press("Enter")
    expect(row.get_by_role("button", name="From 2026-01-01 (the PO's effective date)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="From 2026-03-01 (the as-of date)")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row.locator(".row-notice")).to_contain_text("Assigned from 2026-03-01")
    expect(row.locator(".row-notice")).to_be_focused()
    page.keyboard.press("Tab")  # on to the row's next control: its Clear button
    expect(row.get_by_role("button", name="Clear")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row.locator(".row-notice")).to_contain_text("Cleared as of 2026-03-01")
    expect(row.locator(".row-notice")).to_be_focused()
