"""A double click sends a form once. Defect: the second click of a double click on a plain form's button
sent the form again; the optimistic check refused the copy ("changed by someone else"), and that refusal is
the page the user saw, so a user following its advice made the change twice. The button is disabled once
its form is on its way (after the browser read the form, so a named button still sends its value)."""
import threading
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import func, select

from e2e.conftest import blocked_draft
from e2e.test_contracts_e2e import _dell, _fill
from portal.models import AuditEntry, ContractNote, Delivery, Document, JobPOAssignment, PurchaseOrder
from tests import factories

STALE = "changed by someone else"


def _held(monkeypatch, module, name: str):
    """The first call of `module.name` waits until the test lets it go, as on a busy server, and a later call waits
    for it to end: a double click's second click lands while the first click's request is being served."""
    original = getattr(module, name)
    arrived, release, lock = threading.Event(), threading.Event(), threading.Lock()

    def held(*args, **kwargs):
        with lock:
            if not arrived.is_set():
                arrived.set()
                release.wait(20)
            return original(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    return arrived, release


def _double_click(page, button, held) -> None:
    """A user's double click on `button`: the second click lands while the first click's request is served."""
    arrived, release = held
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    assert arrived.wait(20), "the first click's request never reached the server"
    page.mouse.click(x, y)
    release.set()


def _audited(db_session, po_id: int, action: str) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "purchase_orders", AuditEntry.entity_id == po_id, AuditEntry.action == action))


def test_a_double_click_on_a_pos_save_saves_once(page, sign_in, db_session, monkeypatch):
    from portal.services import purchase_orders

    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    version = po.row_version
    page.goto(f"/purchase-orders/{po.id}/edit")
    page.fill("#description", "Warehouse staff")
    _double_click(page, page.locator("main button:text-is('Save')"), _held(monkeypatch, purchase_orders, "update_po"))
    expect(page.locator("h1")).to_contain_text("PO 4500")
    expect(page.locator(".flash-success")).to_contain_text("PO 4500 saved.")
    expect(page.locator("main")).not_to_contain_text(STALE)
    db_session.expire_all()
    saved = db_session.get(PurchaseOrder, po.id)
    assert (saved.description, saved.row_version) == ("Warehouse staff", version + 1)
    assert _audited(db_session, po.id, "update") == 1


def test_a_double_click_on_schedule_schedules_once(page, sign_in, db_session, monkeypatch):
    from portal.services import contracts

    year = date.today().year
    sign_in(page, "Consultant")
    _, po = _dell(db_session, year)
    page.goto(f"/contracts/new?po_id={po.id}")
    page.fill("#title", "Data centre training programme")
    _fill(page, 0, f"{year}-03-09", "Data centre fundamentals", "8", "1500")
    page.click("main button:text-is('Enter contract')")
    expect(page.locator("#unscheduled")).to_have_text("138,000.00")
    page.click("text=Schedule more")
    _fill(page, 0, f"{year}-05-04", "Networking essentials", "10", "1000")
    held = _held(monkeypatch, contracts, "schedule_more")
    _double_click(page, page.locator("main button:text-is('Schedule')"), held)
    expect(page.locator("#notes")).to_contain_text("classes added 10,000.00; PO balance remaining 128,000.00")
    expect(page.locator("#unscheduled")).to_have_text("128,000.00")
    expect(page.locator("main")).not_to_contain_text(STALE)
    assert db_session.scalar(select(func.count()).select_from(Delivery)) == 2
    assert db_session.scalar(select(func.count()).select_from(ContractNote)
                             .where(ContractNote.text.contains("classes added"))) == 1


def test_a_double_click_on_override_and_post_posts_once_with_the_override(page, sign_in, db_session, monkeypatch):
    """The button's name and value (override=y) still travel: the form is read before the button is disabled."""
    from portal.services import posting

    draft = blocked_draft(db_session, sign_in(page, "Billing Admin"), "NC-1")
    page.goto(f"/documents/{draft.id}")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#posting-check")).to_contain_text("Posting refused")
    _double_click(page, page.get_by_role("button", name="Override and post"), _held(monkeypatch, posting, "post"))
    expect(page.locator(".flash-success")).to_contain_text("Posted past a blocked budget (override recorded).")
    expect(page.locator(".flash-error")).to_have_count(0)
    db_session.expire_all()
    assert db_session.get(Document, draft.id).status == "posted"
    assert _audited(db_session, draft.lines[0].po_id, "override") == 1


def test_a_grid_rows_button_is_disabled_while_its_request_is_out(page, sign_in, db_session, monkeypatch):
    """An htmx form's submit buttons are disabled while its request is out, so a second click sends nothing (htmx
    would queue it and send it after the first; the grid's row, replaced by the answer, drops it, but a form the
    answer leaves in place would send it again)."""
    from portal.services import assignments

    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "CITY")
    po = factories.po(db_session, debtor, "P-SPRING", effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    job = factories.job(db_session, debtor, title="Cleaner 1")
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    page.goto(f"/assignments/?debtor_id={debtor.id}&as_of=2026-03-01")
    row = page.locator(f"tr[data-job-id='{job.id}']")
    calls = []
    clear = assignments.clear
    monkeypatch.setattr(assignments, "clear", lambda *a, **kw: calls.append(1) or clear(*a, **kw))
    arrived, release = _held(monkeypatch, assignments, "clear")
    button = row.get_by_role("button", name="Clear")
    button.click()
    assert arrived.wait(20), "the click's request never reached the server"
    expect(button).to_be_disabled()
    release.set()
    expect(row.locator(".row-notice")).to_contain_text("Cleared as of 2026-03-01")
    expect(row.locator(".row-error")).to_have_count(0)
    assert len(calls) == 1
    db_session.expire_all()
    assert db_session.scalar(select(JobPOAssignment.manual_end).where(JobPOAssignment.job_id == job.id)) == \
        date(2026, 2, 28)


def _po_edit_sent(page, sign_in, db_session):
    """A PO's edit page whose Save was sent and whose load then ended with no new page, as a stopped load does
    (here: 204 No Content, which leaves the page as it is; a real stop leaves nothing Playwright can look at
    while the request is out). The Save button and the posts sent."""
    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    page.goto(f"/purchase-orders/{po.id}/edit")
    sent = []
    page.route(f"**/purchase-orders/{po.id}/edit", lambda route: (
        sent.append(route.request.post_data) or route.fulfill(status=204)) if route.request.method == "POST"
        else route.continue_())
    page.fill("#description", "Warehouse staff")
    save = page.locator("main button:text-is('Save')")
    save.click()
    expect(save).to_be_disabled()
    assert len(sent) == 1
    return save, sent


def test_a_stopped_save_gives_its_buttons_back(page, sign_in, db_session):
    """Defect: a form's Save whose load was stopped (the browser's Stop, Esc) stayed disabled until a reload. No
    event says a load was stopped: the buttons come back once the form has been on its way HOLD_LIMIT_MS (10 s)."""
    page.clock.install()
    save, sent = _po_edit_sent(page, sign_in, db_session)
    page.clock.run_for(4_000)
    expect(save).to_be_disabled()  # a slow answer is still waited for
    page.clock.run_for(7_000)
    expect(save).to_be_enabled()
    save.click()  # and the form is sent again, not dropped
    assert len(sent) == 2


def test_esc_while_a_save_is_on_its_way_gives_its_buttons_back(page, sign_in, db_session):
    save, sent = _po_edit_sent(page, sign_in, db_session)
    page.keyboard.press("Escape")
    expect(save).to_be_enabled()
    save.click()
    assert len(sent) == 2


def test_back_to_a_saved_form_finds_its_buttons_usable(page, sign_in, db_session):
    """Back to a page whose form was sent: its buttons are usable and send the form (a page restored from the
    back/forward cache gets them back on "pageshow"; Chromium loads this no-store page anew)."""
    sign_in(page, "Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    page.goto(f"/purchase-orders/{po.id}/edit")
    page.fill("#description", "Warehouse staff")
    page.locator("main button:text-is('Save')").click()
    expect(page.locator(".flash-success")).to_contain_text("PO 4500 saved.")
    page.go_back()
    page.wait_for_url(f"**/purchase-orders/{po.id}/edit")
    save = page.locator("main button:text-is('Save')")
    expect(save).to_be_enabled()
    page.fill("#description", "Warehouse and office staff")
    save.click()
    expect(page.locator(".flash-success")).to_contain_text("PO 4500 saved.")
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, po.id).description == "Warehouse and office staff"
