"""Numbers as people type them, and the columns that hold them. Pure: no I/O.

One parser for every form, CSV file and service (`parse_number`), and one rule for whether a value
fits its NUMERIC column (`column_problem`), so nothing is rounded or overflows on the way in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# digits, optionally grouped by well-placed thousands separators, then an optional fraction:
# "1234.5", "1,234.50", ".5"; never "1,2,3", "10,00", "1,23", "1e3", "NaN"
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?")
MAX_TEXT = 60


@dataclass(frozen=True)
class Column:
    """A NUMERIC(digits, places) column as the user meets it (`label` names it in messages)."""

    label: str
    digits: int
    places: int

    @property
    def largest(self) -> Decimal:
        """The largest value the column holds: 9,999,999,999.9999 for NUMERIC(14, 4)."""
        return Decimal(10) ** (self.digits - self.places) - Decimal(1).scaleb(-self.places)

    @property
    def step(self) -> Decimal:
        """The smallest step the column keeps: 0.0001 for 4 places, 0.01 for 2."""
        return Decimal(1).scaleb(-self.places)


QUANTITY = Column("quantity", 14, 4)
RATE = Column("rate", 14, 4)
AMOUNT = Column("amount", 14, 2)
PERCENT = Column("percentage", 5, 2)
CENT = AMOUNT.step


class OutOfRange(ValueError):
    """A computed figure does not fit its column; the message says which and how far it may go."""


def parse_number(text) -> Decimal | None:
    """'1,234.50' -> Decimal('1234.50'); None when blank, not a plain decimal number, or when a
    thousands separator is misplaced ('1,2,3', '10,00'). Never raises."""
    if text is None:
        return None
    raw = str(text).strip()
    if len(raw) > MAX_TEXT or not raw.isascii() or not _NUMBER.fullmatch(raw) or not any(c.isdigit() for c in raw):
        return None
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:  # not reachable through the pattern; kept so the parser never raises
        return None


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


def _format(value: Decimal, places: int) -> str:
    return f"{value:,.{places}f}"


def column_problem(value: Decimal, column: Column) -> str | None:
    """Why `value` does not fit `column` as typed (too large, or more decimals than it keeps: refused,
    never rounded); None when it fits. Signs are the caller's rule. Never raises: the size is compared
    without decimal's context (`abs` of 1E+9999999 overflows it)."""
    if not value.is_finite():
        return f"Enter the {column.label} as a number."
    if value.copy_abs() > column.largest:
        return f"The {column.label} may be at most {_format(column.largest, column.places)}."
    if value != value.quantize(column.step):
        return f"The {column.label} may have at most {_WORDS.get(column.places, column.places)} decimals."
    return None


def money(value) -> Decimal:
    """Round half-up to cents (0.005 -> 0.01, -0.005 -> -0.01)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, rate: Decimal) -> Decimal:
    """A line's amount = quantity × rate, rounded half-up to cents; must fit NUMERIC(14,2)."""
    product = quantity * rate
    # far too large is refused before rounding: past the decimal context's 28 digits, rounding to cents raises
    if abs(product) > 10 * AMOUNT.largest or abs(amount := money(product)) > AMOUNT.largest:
        raise OutOfRange(f"The line amount is larger than {_format(AMOUNT.largest, 2)}.")
    return amount
