from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import blocked_draft, shot
from portal.models import AlertTemplate, BillCode, Role
from tests import factories


def test_posting_across_the_tolerance_warns_turns_the_po_yellow_and_notifies(page, sign_in, db_session):
    sign_in(page, "Billing Admin")
    role = db_session.scalar(select(Role).where(Role.name == "Billing Admin"))
    template = AlertTemplate(name="Std", thresholds=[90], subject="PO {po_number} at {percentage}%",
                             message="{remaining} left on PO {po_number}", recipient_roles=[role])
    db_session.add_all([template, BillCode(code="ORD")])
    db_session.commit()
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", amount="1000", tolerance=90, alert_template_id=template.id,
                      effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    job = factories.job(db_session, debtor, title="Picker")
    factories.assignment(db_session, job, po=po, start=date(2020, 1, 1))
    page.goto(f"/documents/new?debtor_id={debtor.id}")
    page.select_option("#document_type_id", label="Sales Invoice")
    page.click("text=Add line")
    row = page.locator("#document-lines tr").first
    row.locator("[name=line_job]").select_option(label=f"{job.number} Picker")
    row.locator("[name=line_code]").select_option(label="ORD")
    row.locator("[name=line_quantity]").fill("10")
    row.locator("[name=line_rate]").fill("95")
    row.locator("[name=line_rate]").press("Tab")
    expect(page.locator("#document-lines td.funding").first).to_contain_text("PO 4500")
    # a line typed in and removed at once: the click blurs the changed box (its funding asked for, the row
    # still there) and then takes the row out; no answer may name the row's funding cell once it is gone
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.click("text=Add line")
    expect(page.locator("#document-lines tr")).to_have_count(2)
    expect(page.locator("#document-lines .htmx-added")).to_have_count(0)
    extra = page.locator("#document-lines tr").nth(1)
    key = extra.locator("[name=line_key]").get_attribute("value")
    extra.locator("[name=line_quantity]").fill("3")
    with page.expect_response(lambda r: r.url.endswith("/documents/line-editor")
                              and key not in (r.request.post_data or "")):
        extra.get_by_role("button", name="Remove line").click()
    expect(page.locator("#document-lines tr")).to_have_count(1)
    expect(page.locator("#document-lines td.funding").first).to_contain_text("PO 4500")
    assert errors == [], errors
    shot(page, "document-draft")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Sales Invoice")
    page.click("main button:text-is('Post')")
    expect(page.locator("#posting-check")).to_contain_text("reaches its 90% tolerance")
    shot(page, "posting-check")
    page.click("text=Post anyway")
    expect(page.locator(".flash-warning")).to_contain_text("Alert raised: PO 4500 at 90%")
    expect(page.locator("#unread-count")).to_have_text("1")
    page.goto("/purchase-orders/")
    expect(page.locator("tr.budget-yellow")).to_contain_text("4500")
    expect(page.locator("tr.budget-yellow td").first).to_have_css("background-color", "rgb(255, 244, 194)")
    shot(page, "po-list-yellow")
    page.click("a.notifications-link")
    expect(page.locator("#notification-rows")).to_contain_text("PO 4500 at 90%")


@pytest.mark.parametrize("inline", [True, False], ids=["form-inline", "form-drawn-when-opened"])
def test_billing_admin_reassigns_an_invoiced_line(page, sign_in, db_session, monkeypatch, inline):
    from decimal import Decimal

    from portal.services import document_choices, documents, posting

    if not inline:  # as for a debtor with more POs than the page lists at once
        monkeypatch.setattr(document_choices, "REASSIGN_INLINE", 1)

    user = sign_in(page, "Billing Admin")
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    debtor = factories.debtor(db_session, "ACME")
    first = factories.po(db_session, debtor, "P-OLD")
    factories.po(db_session, debtor, "P-NEW")
    invoice = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=factories.document_types(db_session)["Sales Invoice"].id, number="",
        doc_date=date(2026, 3, 1), lines=(documents.LineInput(None, code.id, Decimal("1"), Decimal("250"),
                                                              explicit_po_id=first.id),)))
    posting.post(db_session, user, invoice.id, confirmed=True)
    page.goto(f"/documents/{invoice.id}")
    panel = page.locator("#reassign-panel")
    expect(panel.locator("h2")).to_have_text("Reassign lines to another PO")
    expect(page.locator("#void-why-not")).to_contain_text("credit it instead")
    # no editable boxes in the lines table itself: every action sits in its own titled panel
    expect(page.locator("#document-lines-table input")).to_have_count(0)
    expect(page.locator("#document-lines-table a", has_text="P-OLD")).to_have_count(1)
    if not inline:
        expect(panel.locator("select")).to_have_count(0)
        panel.get_by_role("button", name="Choose the lines and the PO").click()
        expect(panel.get_by_label("Move them to")).to_be_visible()
    shot(page, "document-posted-invoice-panels" + ("" if inline else "-opened"))
    panel.get_by_label("Line 1", exact=False).check()
    panel.get_by_label("Move them to").select_option(label="P-NEW")
    panel.get_by_label("Reason").fill("Client moved the work to the new PO")
    panel.get_by_role("button", name="Check and move").click()
    expect(page.locator(".flash-success")).to_contain_text("1 line moved")
    expect(page.locator("main table").first).to_contain_text("P-NEW")
    shot(page, "invoice-reassigned")


def test_choosing_another_debtor_refills_the_lines_and_keeps_what_was_typed(page, sign_in, db_session):
    sign_in(page, "Billing Admin")
    db_session.add(BillCode(code="ORD"))
    db_session.commit()
    acme, globex = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "GLOBEX")
    po = factories.po(db_session, acme, "4500", amount="1000", effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    picker = factories.job(db_session, acme, title="Picker")
    factories.assignment(db_session, picker, po=po, start=date(2020, 1, 1))
    factories.job(db_session, globex, title="Welder")
    page.goto("/documents/new")
    page.select_option("#document_type_id", label="Sales Invoice")
    page.click("text=Add line")
    row = page.locator("#document-lines tr").first
    row.locator("[name=line_quantity]").fill("4")
    page.select_option("#debtor_id", label="ACME — Debtor ACME")
    expect(row.locator("[name=line_job] option", has_text="Picker")).to_have_count(1)
    # htmx wires the swapped-in rows' triggers when they settle; a change made before that (a test's
    # speed on a loaded machine, not a person's) would send nothing
    expect(page.locator("#document-lines.htmx-added")).to_have_count(0)
    expect(row.locator("[name=line_quantity]")).to_have_value("4")
    row.locator("[name=line_job]").select_option(label=f"{picker.number} Picker")
    row.locator("[name=line_code]").select_option(label="ORD")
    expect(page.locator("#document-lines td.funding").first).to_contain_text("PO 4500")
    page.select_option("#debtor_id", label="GLOBEX — Debtor GLOBEX")
    expect(row.locator("[name=line_job] option", has_text="Welder")).to_have_count(1)
    expect(row.locator("[name=line_job] option", has_text="Picker")).to_have_count(0)
    expect(row.locator("[name=line_quantity]")).to_have_value("4")
    expect(page.locator("#document-lines td.funding").first).not_to_contain_text("PO 4500")


def test_a_debtor_with_many_jobs_has_a_lines_job_typed_from_the_suggestions(page, sign_in, db_session, monkeypatch):
    from portal.services import document_choices

    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 1)  # as for a debtor with thousands of jobs
    monkeypatch.setattr(document_choices, "EDITOR_OPTIONS", 1)
    sign_in(page, "Billing Admin")
    db_session.add(BillCode(code="ORD"))
    db_session.commit()
    acme = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, acme, "4500", amount="1000", effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    factories.job(db_session, acme, title="Cleaner")
    welder = factories.job(db_session, acme, title="Welder")
    factories.assignment(db_session, welder, po=po, start=date(2020, 1, 1))
    page.goto(f"/documents/new?debtor_id={acme.id}")
    page.select_option("#document_type_id", label="Sales Invoice")
    page.click("text=Add line")
    row = page.locator("#document-lines tr").first
    expect(page.locator("#editor-jobs option")).to_have_count(1)  # the first suggestion only: not the welder
    # htmx wires the new row's box when the row settles; typing before that (a loaded machine's test,
    # not a person) would ask for no suggestions
    box = row.get_by_label("Job order")
    expect(box).to_be_visible()
    expect(page.locator("#document-lines .htmx-added")).to_have_count(0)
    box.fill("weld")
    expect(page.locator("#editor-jobs option")).to_have_attribute("value", f"{welder.number} Welder")
    box.fill(welder.number.lower())  # the job number alone, once the suggestions hold it
    expect(row.locator("input[name=line_job]")).to_have_value(str(welder.id))
    box.fill("nobody")
    expect(row.locator("input[name=line_job]")).to_have_value("")  # text naming no job carries none
    box.fill(f"{welder.number} Welder")  # as choosing the suggestion does
    expect(row.locator("input[name=line_job]")).to_have_value(str(welder.id))
    row.locator("[name=line_code]").select_option(label="ORD")
    row.locator("[name=line_quantity]").fill("2")
    row.locator("[name=line_rate]").fill("50")
    expect(page.locator("#document-lines td.funding").first).to_contain_text("PO 4500")
    shot(page, "document-editor-typed-job")
    page.click("text=Save draft")
    expect(page.locator(".flash-success")).to_contain_text("saved")
    expect(page.locator("#document-lines-table")).to_contain_text(welder.number)
    page.goto(page.url + "/edit")
    expect(page.locator("#document-lines tr").first.get_by_label("Job order")).to_have_value(f"{welder.number} Welder")


def test_another_debtor_brings_its_own_suggestions_for_the_typed_boxes(page, sign_in, db_session, monkeypatch):
    from portal.services import document_choices

    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 1)
    monkeypatch.setattr(document_choices, "EDITOR_OPTIONS", 1)
    sign_in(page, "Billing Admin")
    acme, globex = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "GLOBEX")
    first_acme, _ = factories.job(db_session, acme, title="Acme one"), factories.job(db_session, acme, title="Acme two")
    first_globex, _ = (factories.job(db_session, globex, title="Globex one"),
                       factories.job(db_session, globex, title="Globex two"))
    page.goto(f"/documents/new?debtor_id={acme.id}")
    page.click("text=Add line")
    expect(page.locator("#editor-jobs option")).to_have_attribute("value", f"{first_acme.number} Acme one")
    page.select_option("#debtor_id", label="GLOBEX — Debtor GLOBEX")  # the rows and the suggestions come back
    expect(page.locator("#editor-jobs option")).to_have_attribute("value", f"{first_globex.number} Globex one")


def test_clerk_sees_the_deciding_figure_and_the_check_page_survives_a_reload(page, sign_in, db_session):
    """Billing Clerk posts past a blocked budget: the check page shows Used + Commitments + this
    document against the Amount, keeps its address on reload, offers no override, and Cancel goes back."""
    draft = blocked_draft(db_session, sign_in(page, "Billing Clerk"), "NC-2026-01")
    page.goto(f"/documents/{draft.id}")
    expect(page.locator("#document-lines-table")).to_contain_text("PO NC-2026-01")  # as the editor says
    page.get_by_role("button", name="Post", exact=True).click()
    page.wait_for_url(f"**/documents/{draft.id}/post")
    check = page.locator("#posting-check")
    expect(check).to_contain_text("Posting refused")
    expect(check).to_contain_text("Used + Commitments with this document come to 1,100.00 of 1,000.00 (over by 100.00)")
    expect(check.get_by_role("button", name="Override and post")).to_have_count(0)  # the clerk may not
    shot(page, "posting-refused-clerk")
    page.reload()
    expect(page.locator("#posting-check")).to_contain_text("Posting refused")
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(f"**/documents/{draft.id}")
    expect(page.locator("#posting-check")).to_have_count(0)


def test_a_date_filter_short_of_its_shape_is_answered_not_dropped(page, sign_in):
    """Defect: a From date that missed the box's pattern (2026-4-1) was never sent: htmx checked the form and
    dropped the change, and nothing said why. It is sent now, and the list says what is wrong and what it does."""
    sign_in(page, "Billing Admin")
    page.goto("/documents/")
    with page.expect_response(lambda r: "from=2026-4-1" in r.url):
        page.fill("#doc-from", "2026-4-1")
        page.locator("#doc-from").press("Tab")
    expect(page.locator("#document-rows")).to_contain_text(
        "From: enter the date as YYYY-MM-DD; the list is not filtered by it.")
    expect(page.locator("#doc-from")).to_have_value("2026-4-1")


def test_a_line_added_while_the_types_rows_are_on_their_way_is_kept(page, sign_in, db_session):
    """Defect (found when the type's change began redrawing the rows): "Add line" clicked while that redraw was on
    its way added its row, and the redraw, answering later, replaced the rows without it. The two are queued on the
    form now: the redraw first, then the new row, which offers the POs the chosen type may name."""
    sign_in(page, "Billing Admin")
    types = factories.document_types(db_session)
    debtor = factories.debtor(db_session, "ACME")
    factories.po(db_session, debtor, "ORDERS-ONLY", types=[types["Sales Order"]])
    factories.po(db_session, debtor, "INVOICES-ONLY", types=[types["Sales Invoice"]])
    page.goto(f"/documents/new?debtor_id={debtor.id}")
    held = []
    page.route("**/documents/lines", lambda route: held.append(route))
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/documents/lines")):
        page.select_option("#document_type_id", label="Sales Invoice")
    page.click("text=Add line")
    with page.expect_response(lambda r: r.url.endswith("/documents/line-row")):
        held[0].continue_()
    page.unroute("**/documents/lines")
    rows = page.locator("#document-lines tr")
    expect(rows).to_have_count(1)
    picker = rows.first.locator("[name=line_po]")
    expect(picker).to_contain_text("INVOICES-ONLY")
    expect(picker).not_to_contain_text("ORDERS-ONLY")


def test_a_refused_lines_problem_is_shown_under_its_box_which_takes_the_focus(page, sign_in, db_session):
    sign_in(page, "Billing Admin")
    db_session.add(BillCode(code="ORD"))
    db_session.commit()
    debtor = factories.debtor(db_session, "ACME")
    job = factories.job(db_session, debtor, title="Picker")
    page.goto(f"/documents/new?debtor_id={debtor.id}")
    page.select_option("#document_type_id", label="Sales Invoice")
    for n, rate in enumerate(("95", "-5")):
        page.get_by_role("button", name="Add line").click()
        expect(page.locator("#document-lines tr")).to_have_count(n + 1)
        row = page.locator("#document-lines tr").nth(n)
        row.locator("[name=line_job]").select_option(label=f"{job.number} Picker")
        row.locator("[name=line_code]").select_option(label="ORD")
        row.locator("[name=line_quantity]").fill("1")
        row.locator("[name=line_rate]").fill(rate)
    page.click("main button:text-is('Save draft')")
    expect(page.locator(".form-error")).to_contain_text("Line 2: the quantity must be more than zero")
    second = page.locator("#document-lines tr").nth(1)
    expect(second.locator(".line-error")).to_contain_text("The quantity must be more than zero")
    rate = second.get_by_label("Rate")
    expect(rate).to_have_attribute("aria-invalid", "true")
    expect(rate).to_be_focused()  # the first box to fix
    expect(page.locator("#document-lines tr").first.locator(".line-error")).to_have_count(0)
    shot(page, "document-line-error")
