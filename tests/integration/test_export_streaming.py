"""A 100,000-row export streams: neither writer holds the rows (tracemalloc's peak stays far below what
100,000 loaded rows take), and the rows come from a server-side cursor a chunk at a time."""
from __future__ import annotations

import time
import tracemalloc

import openpyxl
from sqlalchemy import text

from portal.services import export_lists, exports

ROWS = 100_000
PEAK_LIMIT = 16 * 2**20  # bytes; 100,000 loaded Debtor rows alone take several times this


def _peak(fn):
    tracemalloc.start()
    try:
        started = time.monotonic()
        result = fn()
        return result, tracemalloc.get_traced_memory()[1], time.monotonic() - started
    finally:
        tracemalloc.stop()


def test_a_100000_row_export_streams_in_bounded_memory(db_session, count_queries):
    db_session.execute(text(
        "INSERT INTO debtors (code, name, enforce_purchase_orders, over_budget_policy, active, notes) "
        "SELECT 'S' || lpad(g::text, 6, '0'), CASE WHEN g % 1000 = 0 THEN '=cmd|' || g ELSE 'Scale debtor ' || g END, "
        "g % 2 = 0, 'warn', true, '' FROM generate_series(1, :n) g"), {"n": ROWS})
    db_session.commit()

    def csv_size():
        lines, size = 0, 0
        for line in exports.csv_lines(export_lists.debtors_export(db_session)):
            lines += 1
            size += len(line)
            if lines == 1001:
                assert line.startswith("S001000,'=cmd|1000,")  # neutralised on the way
        return lines, size

    with count_queries() as statements:
        (lines, size), peak, seconds = _peak(csv_size)
    print(f"CSV: {peak / 2**20:.1f} MiB peak, {seconds:.1f}s (traced)")
    assert lines == ROWS + 1 and size > 3_000_000
    assert peak < PEAK_LIMIT, f"CSV export peaked at {peak / 2**20:.1f} MiB"
    assert len(statements) <= 3  # one statement, its rows fetched in chunks from a server-side cursor

    def xlsx():
        return exports.xlsx_file(export_lists.debtors_export(db_session))

    fh, peak, seconds = _peak(xlsx)
    print(f"XLSX: {peak / 2**20:.1f} MiB peak, {seconds:.1f}s (traced)")
    assert peak < PEAK_LIMIT, f"XLSX export peaked at {peak / 2**20:.1f} MiB"
    book = openpyxl.load_workbook(fh, read_only=True)
    sheet = book.worksheets[0]
    assert sheet.max_row == ROWS + 2 and sheet["A3"].value == "S000001"
    fh.close()
