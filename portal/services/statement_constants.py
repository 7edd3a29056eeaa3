"""Values written into a statement's text instead of passed as parameters, where the plan needs them.

psycopg prepares a statement once it has run five times on a connection (portal/services/prepared.py).
PostgreSQL then keeps one plan for every run only when that plan does not cost more than the plans made
for each run's values, and it judges a parameter without seeing it: `LIMIT $1` as a tenth of the rows,
`start_date <= $1` as a third, and `status = $1` cannot use a partial index made for one status. Every
list's kept plan looked dear, so each request planned its statement again (0.2-0.9 ms a statement, the
start page's two PO lists more). A page size, an offset, a day or a status in the text is one more
statement per value (a page number, a day), whose plan is kept after its fifth run. The search's typed
text is written in the same way (portal/services/search.py), and so is the debtor a list is narrowed to:
debtors differ in size (50 POs or 1,000), so a list of one debtor's POs, jobs or documents was planned
afresh on every run (0.7 ms of a debtor's PO tab).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, literal


def number(value: int):
    """A LIMIT, OFFSET or count written into the statement."""
    return literal(int(value), Integer(), literal_execute=True)


def key(value: int):
    """An id written into the statement (the debtor a list is narrowed to)."""
    return literal(int(value), Integer(), literal_execute=True)


def word(value: str):
    """A short text written into the statement (a status), quoted by SQLAlchemy."""
    if not isinstance(value, str):
        raise TypeError(f"a str is needed, not {type(value).__name__}")
    return literal(value, String(), literal_execute=True)


def day(value: date):
    """A date written into the statement (ISO 8601, quoted by SQLAlchemy)."""
    if not isinstance(value, date):
        raise TypeError(f"a date is needed, not {type(value).__name__}")
    return literal(value, Date(), literal_execute=True)
