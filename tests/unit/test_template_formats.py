"""Money, dates, percentages and counts are formatted in one place (portal/domain/formatting.py, the
filters money, day, moment, pct, quantity, input_amount, input_rate and plural): no template formats a figure
by hand, and `pct` formats only percentages."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from portal.domain import formatting

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"

HAND_FORMATTING = {
    "strftime": re.compile(r"\.strftime\("),
    "isoformat": re.compile(r"\.isoformat\(\)"),
    "printf money": re.compile(r"'%[0-9.,]*[df]'\s*%|\"%[0-9.,]*[df]\"\s*%"),
    "format filter": re.compile(r"\|\s*format\b"),
    "format spec": re.compile(r",\.2f|:\.2f"),
    "round filter": re.compile(r"\|\s*round\b"),
    "dollar sign": re.compile(r"\$\{\{|\$\s*\{\{"),
    "(s) plural": re.compile(r"\w\(s\)"),
    # a money figure printed bare as text (attribute values such as <meter value=…> are machine values)
    "bare money": re.compile(r"(?<![=\"'])\{\{\s*[\w.]*\b(amount|budget|used|commitments|estimates|net_remaining|"
                             r"net_unused|subtotal|rate)\s*\}\}"),
    "spec words": re.compile(r"\bseed 00\d|InvoiceGenerationMessage"),
    "rate as money": re.compile(r"\brate\s*\|\s*money\b"),  # rounds 12.345 to 12.34: the `rate` filter keeps its places
    # a date is typed as ISO like every date shown (the day_input macro); the browser's picker follows its locale
    "date picker": re.compile(r"type=\"date\""),
}


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_exist():
    assert len(_templates()) > 50


@pytest.mark.parametrize("rule", sorted(HAND_FORMATTING))
def test_no_template_formats_by_hand(rule):
    found = []
    for path in _templates():
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # comments may say anything
        for n, line in enumerate(text.splitlines(), start=1):
            if HAND_FORMATTING[rule].search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()[:120]}")
    assert found == [], f"{rule}: use the money/day/moment/pct/plural filters\n" + "\n".join(found)


def test_pct_is_kept_for_percentages():
    """Quantities and rates have their own filters (quantity, input_rate): `pct` on them reads as a percentage."""
    on_a_number = re.compile(r"\b(quantity|qty|rate)\b[^|{}]*\|\s*pct\b")
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()[:120]}" for path in _templates()
             for n, line in enumerate(path.read_text().splitlines(), start=1) if on_a_number.search(line)]
    assert found == [], "use | quantity (or | input_rate in a rate field)\n" + "\n".join(found)


def test_a_rate_shows_every_place_it_has_so_the_line_adds_up():
    """Seen from outside: 8 × 12.345 showed as 8 × 12.34 = 98.76."""
    assert formatting.rate(Decimal("12.3450")) == "12.345" and formatting.rate(Decimal("12.5000")) == "12.50"
    assert formatting.rate(Decimal("1234.5")) == "1,234.50" and formatting.rate(Decimal("0.0001")) == "0.0001"
    assert formatting.rate(Decimal("1E+3")) == "1,000.00" and formatting.rate(Decimal("-2.125")) == "(2.125)"
    assert formatting.rate(None) == "" and formatting.rate("") == ""


def test_a_date_is_typed_exactly_as_shown():
    assert formatting.typed_day(" 2026-03-01 ") == date(2026, 3, 1)
    for text in ("2026-02-30", "2026-11-31", "20261231", "2026-W01-1", "31/12/2026", "2026-3-1", "", None, "abc"):
        assert formatting.typed_day(text) is None, text


def test_a_quantity_and_a_rate_read_as_typed():
    assert formatting.quantity(Decimal("2.5000")) == "2.5" and formatting.quantity(Decimal("10")) == "10"
    assert formatting.quantity(Decimal("1E+1")) == "10" and formatting.quantity(Decimal("1234.0001")) == "1234.0001"
    assert formatting.quantity(None) == "" and formatting.quantity("") == ""
    assert formatting.input_rate(Decimal("12.5000")) == "12.5" and formatting.input_rate(Decimal("0.0001")) == "0.0001"


def test_the_formats():
    assert formatting.money(Decimal("1234.5")) == "1,234.50"
    assert formatting.money(Decimal("-1300")) == "(1,300.00)"
    assert formatting.money(None) == ""
    assert formatting.input_amount(Decimal("1234.5")) == "1234.50"
    assert formatting.percent(Decimal("87.50")) == "87.5"
    assert formatting.day(date(2026, 7, 1)) == "2026-07-01" and formatting.day(None) == ""
    assert formatting.day(datetime(2026, 7, 1, 14, 5)) == "2026-07-01"
    assert formatting.moment(datetime(2026, 7, 1, 14, 5, 9)) == "2026-07-01 14:05"
    assert formatting.plural(1, "job assignment") == "1 job assignment"
    assert formatting.plural(2, "ledger entry") == "2 ledger entries"
    assert formatting.plural(3, "day") == "3 days" and formatting.plural(2, "box") == "2 boxes"
    assert formatting.plural(1200, "line") == "1,200 lines"
    assert formatting.verb(1, "refers", "refer") == "refers" and formatting.verb(2, "refers", "refer") == "refer"
