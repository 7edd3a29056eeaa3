"""PO numbers typed free-text, a job's on-the-fly reference or a document's header number, against the debtor's own
POs. DESIGN.md: such a number "draws on no budget"; one that is the number of one of the debtor's POs would be
billed and reported under that PO's number while the PO's budget (and its block policy) never saw the money. So
it is refused where it is typed, and a line still carrying one (typed before the PO existed) warns at posting.

Compared as PO numbers are matched everywhere else (the unique index, the search, the CSV import): the PO's
`number_key`, upper(number), against the typed text upper-cased by PostgreSQL, surrounding blanks dropped."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ARRAY, String, and_, bindparam, func, select
from sqlalchemy.orm import Session

from portal.models import PurchaseOrder


def pos_named(session: Session, debtor_id: int, typed: Iterable[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Of the numbers typed, those naming POs of the debtor: each typed number (as given) with the number of the
    PO it names and the ids of the POs of that number (a split PO has several); one query however many."""
    numbers = sorted({t for t in typed if t and t.strip()})
    if not numbers:
        return {}
    t = func.unnest(bindparam("typed", numbers, ARRAY(String))).table_valued("typed").render_derived(name="t")
    rows = session.execute(
        select(t.c.typed, PurchaseOrder.number, PurchaseOrder.id)
        .join(PurchaseOrder, and_(PurchaseOrder.debtor_id == debtor_id,
                                  PurchaseOrder.number_key == func.upper(func.btrim(t.c.typed))))
        .order_by(PurchaseOrder.id)).all()
    named: dict[str, tuple[str, tuple[int, ...]]] = {}
    for number, po_number, po_id in rows:
        first, ids = named.get(number, (po_number, ()))
        named[number] = (first, ids + (po_id,))
    return named


def po_named(session: Session, debtor_id: int | None, typed: str) -> str | None:
    """The number of the debtor's PO that the typed number names (None: it names none of the debtor's POs;
    another debtor's PO number names none)."""
    if debtor_id is None or not typed.strip():
        return None
    found = pos_named(session, debtor_id, [typed.strip()])
    return found[typed.strip()][0] if found else None
