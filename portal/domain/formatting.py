"""How figures read on screen and in messages: one money, date, percent and count format everywhere.

Pure: no Flask. The templates reach these through the filters `money`, `day`, `moment`, `pct` (percentages
only), `quantity`, `rate`, `input_rate` and `plural` (portal/web.py); service and domain messages call them
directly, so a warning quotes a figure exactly as the page beside it shows it.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

CENT = Decimal("0.01")


def money(value) -> str:
    """1234.5 -> '1,234.50'; a negative amount in parentheses, as seed 004 shows credit memos."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(CENT)
    text = f"{abs(amount):,.2f}"
    return f"({text})" if amount < 0 else text


def input_amount(value) -> str:
    """An amount as a form field holds it: 1234.50 (no thousands separator, no parentheses)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value).quantize(CENT):f}"


def percent(value) -> str:
    """Decimal('90.00') -> '90'; Decimal('87.50') -> '87.5' (never exponent notation)."""
    if value is None or value == "":
        return ""
    return format(Decimal(value).normalize(), "f")


def quantity(value) -> str:
    """A quantity as shown and typed back: Decimal('2.5000') -> '2.5', Decimal('10') -> '10' (no separators,
    never exponent notation, so a form posts it back unchanged)."""
    return _bare(value)


def rate(value) -> str:
    """A rate as shown: money's separators and at least its two places, but every place the rate has (up to
    the four stored), so quantity × rate adds up to the amount beside it: 12.345 -> '12.345', 12.5 -> '12.50'."""
    if value is None or value == "":
        return ""
    exponent = Decimal(value).normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    text = f"{abs(Decimal(value)):,.{places}f}"
    return f"({text})" if Decimal(value) < 0 else text


def input_rate(value) -> str:
    """A rate as a form field holds it: its four places without trailing zeros (Decimal('12.5000') -> '12.5')."""
    return _bare(value)


def _bare(value) -> str:
    if value is None or value == "":
        return ""
    return format(Decimal(value).normalize(), "f")


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def typed_day(raw: str | None) -> date | None:
    """A date as the portal has every date typed: exactly YYYY-MM-DD (surrounding spaces aside); None for
    anything else: blank, a day the calendar lacks (2026-02-30), or ISO 8601's other forms ("20261231",
    "2026-W01-1") that `date.fromisoformat` would take without a word."""
    text = (raw or "").strip()
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


BUSINESS_DAYS = (date(2000, 1, 1), date(2099, 12, 31))  # a document's dates lie within these


def day_out_of_range(value: date | None, what: str, first: date = BUSINESS_DAYS[0],
                     last: date = BUSINESS_DAYS[1]) -> str | None:
    """Why a typed business date cannot be taken (None: it can, or there is none): a real calendar day such
    as 0001-01-01 or 9999-12-31 is a slip of the keyboard, and a spreadsheet cannot even show it."""
    if value is None or first <= value <= last:
        return None
    return f"{what} must be between {first.isoformat()} and {last.isoformat()}."


def day(value) -> str:
    """A date as the portal shows every date: ISO 8601 (2026-07-01); a timestamp shows its date."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else str(value)


def moment(value, seconds: bool = False) -> str:
    """A timestamp to the minute (or second): 2026-07-01 14:05."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def plural(count: int, singular: str, plural_form: str | None = None, *, number: bool = True) -> str:
    """'1 job assignment', '2 job assignments', '3 ledger entries': English plurals, one helper.
    `plural_form` for irregular words; words ending in consonant + y take -ies, s/x/ch/sh take -es."""
    if count == 1:
        word = singular
    elif plural_form:
        word = plural_form
    elif singular.endswith("y") and singular[-2:-1] not in tuple("aeiou"):
        word = singular[:-1] + "ies"
    elif singular.endswith(("s", "x", "ch", "sh")):
        word = singular + "es"
    else:
        word = singular + "s"
    return f"{count:,} {word}" if number else word


def verb(count: int, singular: str, plural_form: str) -> str:
    """The verb agreeing with a count: verb(1, 'refers', 'refer') -> 'refers'."""
    return singular if count == 1 else plural_form
