"""Browser: a list's Excel link follows the filter typed on screen, and the PO statement prints as the
statement (screenshots of the screen and print renderings)."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
from playwright.sync_api import expect

from e2e.conftest import shot
from portal.services import documents, posting
from tests import factories


def _drawn_po(session, admin):
    debtor = factories.debtor(session, "ACME", name="Acme Staffing Ltd")
    po = factories.po(session, debtor, "4500123", amount="10000.00", description="Warehouse staff 2026")
    factories.po(session, debtor, "7700001", amount="500.00")
    code = factories.bill_code_group(session, "E2E codes", ["ORD"]).bill_codes[0]
    types = factories.document_types(session)
    invoice = documents.save_draft(session, admin, None, documents.DocumentInput(
        debtor.id, types["Sales Invoice"].id, "", date(2026, 3, 1),
        lines=(documents.LineInput(None, code.id, Decimal("10"), Decimal("100"), date(2026, 3, 1), explicit_po_id=po.id),)))
    posting.post(session, admin, invoice.id, confirmed=True, override=True)
    credit = documents.derive(session, admin, invoice.id, types["Credit Memo"].id,
                              quantities={invoice.lines[0].id: Decimal("2")}, doc_date=date(2026, 4, 1))
    posting.post(session, admin, credit.id, confirmed=True)
    return po, credit


def test_excel_link_carries_the_filter_on_screen(page, sign_in, db_session):
    admin = sign_in(page, "Billing Admin")
    _drawn_po(db_session, admin)
    page.goto("/purchase-orders/")
    page.fill("input[name=q]", "4500")
    link = page.locator("#po-rows a", has_text="Excel")
    expect(link).to_have_attribute("href", "/purchase-orders/?q=4500&sort=expiration&format=xlsx")
    expect(page.locator("#po-rows")).not_to_contain_text("7700001")
    shot(page, "exports-po-list-links")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("purchase-orders-") and download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as fh:
        sheet = openpyxl.load_workbook(io.BytesIO(fh.read())).worksheets[0]
    assert sheet["A1"].value == "Purchase orders — search: 4500; sort: expiring first"
    assert [r[0] for r in sheet.iter_rows(min_row=3, values_only=True)] == ["4500123"]


def test_statement_page_prints_as_the_statement(page, sign_in, db_session):
    admin = sign_in(page, "Billing Admin")
    po, credit = _drawn_po(db_session, admin)
    page.goto(f"/purchase-orders/{po.id}")
    page.click("text=Statement")
    expect(page.locator(".statement h1")).to_have_text("Purchase order statement")
    expect(page.locator(".statement-documents")).to_contain_text("(200.00)")
    expect(page.locator(".statement-figures")).to_contain_text("9,200.00")
    shot(page, "statement-page")
    page.fill("#statement-date", "2026-13-01")
    page.click("text=Show")
    expect(page.locator("#statement-date-err")).to_contain_text("YYYY-MM-DD")
    page.goto(f"/purchase-orders/{po.id}/statement")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".statement-form")).to_be_hidden()
    expect(page.locator(".statement")).to_contain_text(credit.number)
    shot(page, "statement-print")
    pdf = page.request.get(page.locator("text=Download PDF").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
