"""The spend report's CSV: what a spreadsheet opens must not run as a formula."""
from decimal import Decimal as D

from portal.services.reports import spend_by_po_number_csv


def test_report_csv_cells_never_run_as_formulas():
    row = {"budgeted": False, "documents": 1, "used": D("1"), "commitment": D("0"), "estimate": D("0")}
    text = "".join(spend_by_po_number_csv([(1, "=HYPERLINK(1)", row), (1, "PO-7", row)], {1: "ACME"}))
    assert "ACME,'=HYPERLINK(1),on the fly" in text and "ACME,PO-7,on the fly" in text
