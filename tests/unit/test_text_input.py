"""Control characters (defect 14) and spreadsheet formulas in CSV exports (defect 19): pure rules."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from portal.domain import text


@pytest.mark.parametrize("value", ["a\x00b", "\x1b[31m", "\x7f", "x\x85", "\x0b", "\x0c"])
def test_control_characters_are_found(value):
    assert text.has_control_characters(value)


@pytest.mark.parametrize("value", ["plain", "line\r\nnext\tcol\n", "Zürich – “quoted” €", ""])
def test_tab_cr_lf_and_ordinary_text_pass(value):
    assert not text.has_control_characters(value)


@pytest.mark.parametrize("cell,safe", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"), ("\rCR", "'\rCR"), ("PO-7", "PO-7"), ("", ""),
    (Decimal("-5.00"), Decimal("-5.00")), (3, 3), (None, ""), (date(2026, 1, 2), "2026-01-02"),
])
def test_cells_a_spreadsheet_would_run_are_neutralised(cell, safe):
    assert text.csv_cell(cell) == safe


@given(st.lists(st.lists(st.text(max_size=20), min_size=2, max_size=2), min_size=1, max_size=5))
def test_no_exported_text_cell_starts_a_formula_and_nothing_else_changes(rows):
    buffer = io.StringIO()  # written as every export writes its cells (portal/services/exports.py)
    writer = csv.writer(buffer)
    for row in [["a", "b"], *([cell, Decimal("-1.50")] for cell, _ in rows)]:
        writer.writerow([text.csv_cell(c) for c in row])
    out = buffer.getvalue()
    read = list(csv.reader(io.StringIO(out, newline="")))
    assert read[0] == ["a", "b"] and len(read) == len(rows) + 1
    for (original, _), (cell, number) in zip(rows, read[1:]):
        assert number == "-1.50"
        assert not cell.startswith(tuple("=+-@\t\r"))
        assert cell == original or (cell == "'" + original and original.startswith(tuple("=+-@\t\r")))


@pytest.mark.parametrize("value, invisible", [
    ("SI-00001\u200b", True), ("\ufeffSI-00001", True), ("SI\u00ad00001", True), ("SI-\u202e10000", True),
    ("SI-00001", False), ("Café 12", False), ("PO 4500/2026", False)])
def test_a_number_holding_a_character_that_prints_as_nothing_is_found(value, invisible):
    assert text.has_invisible_characters(value) is invisible
