"""Lists and reports as files a spreadsheet opens: CSV and XLSX, written from one column spec per list.

An `Export` names its title (the filters on screen), its columns and a lazy iterable of rows, read
with `stream()` from the same statement the page pages (so visibility and sort are the page's).
Neither writer holds the rows: CSV is yielded line by line; XLSX goes through XlsxWriter's
constant_memory mode into a temporary file that the response then streams.
Text a spreadsheet would run as a formula is neutralised in both formats (portal.domain.text).
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, IO

import xlsxwriter
from sqlalchemy import Select
from sqlalchemy.orm import Session

from portal.domain.text import csv_cell
from portal.models import User

FORMATS = ("csv", "xlsx")
CHUNK = 1000  # rows per fetch from a server-side cursor
MONEY_FORMAT = '#,##0.00;(#,##0.00)'
DATE_FORMAT = "yyyy-mm-dd"
KINDS = ("text", "money", "date", "int", "pct")


@dataclass(frozen=True)
class Column:
    """One column: its header, how a row gives its value, what kind of cell, and its width."""

    header: str
    value: Callable[[Any], Any]
    kind: str = "text"
    width: int = 14

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Export:
    name: str                  # file name stem, e.g. "purchase-orders"
    title: str                 # the first row of the XLSX: what the list is and its filters
    columns: Sequence[Column]
    rows: Iterable = field(default=())

    def filename(self, fmt: str, today: date) -> str:
        """The download's file name: the list's name and today's date, e.g. debtors-2026-01-31.csv."""
        return f"{self.name}-{today.isoformat()}.{fmt}"


def describe(title: str, filters: Sequence[tuple[str, Any]]) -> str:
    """'Purchase orders — debtor: ACME; sort: number' (unset filters left out)."""
    shown = [f"{label}: {value}" if value is not True else label for label, value in filters
             if value not in (None, "", False)]
    return f"{title} — " + "; ".join(shown) if shown else f"{title} — all"


def stream(session: Session, stmt: Select, *, scalars: bool = True, chunk: int = CHUNK) -> Iterator[list]:
    """The statement's rows a chunk at a time over a server-side cursor (yield_per): memory holds one
    chunk whatever the result's size."""
    result = session.execute(stmt.execution_options(yield_per=chunk))
    if scalars:
        result = result.scalars()
    for part in result.partitions():
        yield part


def flatten(chunks: Iterable[Iterable]) -> Iterator:
    """Rows from a stream of chunks, one by one."""
    for part in chunks:
        yield from part


def csv_lines_on_own_session(engine, user_id: int, build: Callable[[Session, User], Export]) -> Iterator[str]:
    """The export's CSV lines, built on a session of its own with its user loaded again there: they are
    streamed after the request (and its session) has ended."""
    with Session(engine) as session:
        yield from csv_lines(build(session, session.get(User, user_id)))


def csv_lines(export: Export) -> Iterator[str]:
    """The export as CSV text, a line at a time (header first, no title row: a CSV holds one table);
    every cell through `csv_cell` (formula-like text gets a leading apostrophe)."""
    out = io.StringIO()
    writer = csv.writer(out)

    def line(cells) -> str:
        writer.writerow([csv_cell(c) for c in cells])
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    yield line([c.header for c in export.columns])
    for row in export.rows:
        yield line([_csv_value(c, c.value(row)) for c in export.columns])


def _csv_value(column: Column, value):
    """A CSV cell's value: money to cents, a time to the second without its zone."""
    if value is None:
        return None
    if column.kind == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    return value


def xlsx_file(export: Export) -> IO[bytes]:
    """The export as an XLSX workbook in an anonymous temporary file (rewound): a title row naming the
    filters, a frozen header row, set column widths, money as numbers in a money format, dates as
    dates. constant_memory writes each row out as it goes, so memory stays flat."""
    fh = tempfile.TemporaryFile()
    book = xlsxwriter.Workbook(fh, {"constant_memory": True, "strings_to_formulas": False,
                                    "strings_to_urls": False, "strings_to_numbers": False,
                                    "tmpdir": tempfile.gettempdir()})
    sheet = book.add_worksheet(export.name[:31])
    title = book.add_format({"bold": True, "font_size": 12})
    header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True})
    formats = {"money": book.add_format({"num_format": MONEY_FORMAT}),
               "date": book.add_format({"num_format": DATE_FORMAT}),
               "pct": book.add_format({"num_format": "0.00"}),
               "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"})}
    for i, column in enumerate(export.columns):
        sheet.set_column(i, i, column.width)
    sheet.freeze_panes(2, 0)
    sheet.write_string(0, 0, csv_cell(export.title), title)
    for i, column in enumerate(export.columns):
        sheet.write_string(1, i, column.header, header)
    r = 1
    for r, row in enumerate(export.rows, start=2):
        for i, column in enumerate(export.columns):
            _write_cell(sheet, r, i, column.kind, column.value(row), formats)
    if r > 1:
        sheet.autofilter(1, 0, r, len(export.columns) - 1)
    book.close()
    fh.seek(0)
    return fh


def _write_cell(sheet, r: int, i: int, kind: str, value, formats) -> None:
    """An XLSX cell: money and numbers as numbers, dates as dates, text guarded so it never runs as a formula."""
    if value is None or value == "":
        return
    if kind == "money":
        sheet.write_number(r, i, float(value), formats["money"])
    elif kind in ("int", "pct") and isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        sheet.write_number(r, i, float(value), formats["pct"] if kind == "pct" else None)
    elif isinstance(value, datetime):
        sheet.write_datetime(r, i, value.replace(tzinfo=None), formats["datetime"])
    elif isinstance(value, date):
        sheet.write_datetime(r, i, datetime(value.year, value.month, value.day), formats["date"])
    else:
        sheet.write_string(r, i, csv_cell(str(value)))


def file_chunks(fh: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """A file's bytes in chunks, closing (and so deleting) it at the end."""
    try:
        while block := fh.read(size):
            yield block
    finally:
        fh.close()
