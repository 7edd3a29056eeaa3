"""Recompute every balance from the ledger and report any row that disagrees.

`flask integrity check` runs this and exits non-zero on a mismatch: the balance rows are a cache
of the ledger kept in the posting transaction, and this proves the cache true.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

_PO_SQL = text("""
WITH sums AS (
    SELECT po_id,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'used'), 0) AS used,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'commitment'), 0) AS commitments,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'estimate'), 0) AS estimates
    FROM ledger_entries GROUP BY po_id
)
SELECT po.id, po.number, COALESCE(b.used, 0), COALESCE(b.commitments, 0), COALESCE(b.estimates, 0),
       COALESCE(s.used, 0), COALESCE(s.commitments, 0), COALESCE(s.estimates, 0), b.po_id IS NULL
FROM purchase_orders po
LEFT JOIN po_balances b ON b.po_id = po.id
LEFT JOIN sums s ON s.po_id = po.id
WHERE b.po_id IS NULL
   OR COALESCE(b.used, 0) <> COALESCE(s.used, 0)
   OR COALESCE(b.commitments, 0) <> COALESCE(s.commitments, 0)
   OR COALESCE(b.estimates, 0) <> COALESCE(s.estimates, 0)
ORDER BY po.id
""")

_LINE_SQL = text("""
WITH sums AS (
    SELECT po_line_id,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'used'), 0) AS used,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'commitment'), 0) AS commitments,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'estimate'), 0) AS estimates
    FROM ledger_entries WHERE po_line_id IS NOT NULL GROUP BY po_line_id
)
SELECT l.id, po.number || ' line ' || l.line_no, COALESCE(b.used, 0), COALESCE(b.commitments, 0),
       COALESCE(b.estimates, 0), COALESCE(s.used, 0), COALESCE(s.commitments, 0), COALESCE(s.estimates, 0),
       b.po_line_id IS NULL
FROM po_lines l
JOIN purchase_orders po ON po.id = l.po_id
LEFT JOIN po_line_balances b ON b.po_line_id = l.id
LEFT JOIN sums s ON s.po_line_id = l.id
WHERE b.po_line_id IS NULL
   OR COALESCE(b.used, 0) <> COALESCE(s.used, 0)
   OR COALESCE(b.commitments, 0) <> COALESCE(s.commitments, 0)
   OR COALESCE(b.estimates, 0) <> COALESCE(s.estimates, 0)
ORDER BY l.id
""")


@dataclass(frozen=True)
class Mismatch:
    kind: str  # "po" or "line"
    id: int
    label: str
    stored: tuple[Decimal, Decimal, Decimal]
    ledger: tuple[Decimal, Decimal, Decimal]
    missing_row: bool

    def __str__(self) -> str:
        if self.missing_row:
            return f"{self.kind} {self.label}: no balance row"
        names = ("used", "commitments", "estimates")
        diffs = [f"{n} {s} ≠ ledger {lg}" for n, s, lg in zip(names, self.stored, self.ledger) if s != lg]
        return f"{self.kind} {self.label}: {', '.join(diffs)}"


def check(session: Session) -> list[Mismatch]:
    """Every PO and master-line balance row that differs from the sum of its ledger entries."""
    out = []
    for kind, sql in (("po", _PO_SQL), ("line", _LINE_SQL)):
        for row in session.execute(sql):
            out.append(Mismatch(kind, row[0], row[1], (row[2], row[3], row[4]), (row[5], row[6], row[7]), row[8]))
    return out
