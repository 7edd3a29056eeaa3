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


# A master PO's figures = its lines' + what is on no line (ledger entries without a line); every
# ledger entry's master line belongs to the entry's PO, and only master POs have lines drawn on.
_SPLIT_SQL = text("""
WITH lines AS (
    SELECT l.po_id, COALESCE(SUM(b.used), 0) AS used, COALESCE(SUM(b.commitments), 0) AS commitments,
           COALESCE(SUM(b.estimates), 0) AS estimates
    FROM po_lines l LEFT JOIN po_line_balances b ON b.po_line_id = l.id GROUP BY l.po_id
), unlined AS (
    SELECT po_id,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'used'), 0) AS used,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'commitment'), 0) AS commitments,
           COALESCE(SUM(amount) FILTER (WHERE bucket = 'estimate'), 0) AS estimates
    FROM ledger_entries WHERE po_line_id IS NULL GROUP BY po_id
), split AS (
    SELECT po.id, po.number,
           COALESCE(b.used, 0) - COALESCE(l.used, 0) AS used,
           COALESCE(b.commitments, 0) - COALESCE(l.commitments, 0) AS commitments,
           COALESCE(b.estimates, 0) - COALESCE(l.estimates, 0) AS estimates,
           COALESCE(u.used, 0) AS u_used, COALESCE(u.commitments, 0) AS u_commitments,
           COALESCE(u.estimates, 0) AS u_estimates
    FROM purchase_orders po
    LEFT JOIN po_balances b ON b.po_id = po.id
    LEFT JOIN lines l ON l.po_id = po.id
    LEFT JOIN unlined u ON u.po_id = po.id
    WHERE po.kind = 'multi_line_master'
)
SELECT id, number || ' (PO = lines + not on any line)', used, commitments, estimates, u_used, u_commitments,
       u_estimates, false
FROM split
WHERE used <> u_used OR commitments <> u_commitments OR estimates <> u_estimates
UNION ALL
SELECT e.id, 'entry ' || e.id || ' of PO ' || po.number || ': its line is not a line of that master PO',
       0, 0, 0, 0, 0, 0, false
FROM ledger_entries e
JOIN purchase_orders po ON po.id = e.po_id
LEFT JOIN po_lines l ON l.id = e.po_line_id
WHERE e.po_line_id IS NOT NULL AND (l.po_id IS DISTINCT FROM e.po_id OR po.kind <> 'multi_line_master')
UNION ALL
SELECT l.id, po.number || ' line ' || l.line_no || ': balance row of another PO', 0, 0, 0, 0, 0, 0, false
FROM po_line_balances b JOIN po_lines l ON l.id = b.po_line_id JOIN purchase_orders po ON po.id = l.po_id
WHERE b.po_id <> l.po_id
ORDER BY 1
""")


@dataclass(frozen=True)
class Mismatch:
    kind: str  # "po", "line" or "split" (master PO ≠ lines + not on any line; a line of another PO)
    id: int
    label: str
    stored: tuple[Decimal, Decimal, Decimal]
    ledger: tuple[Decimal, Decimal, Decimal]
    missing_row: bool

    def __str__(self) -> str:
        if self.missing_row:
            return f"{self.kind} {self.label}: no balance row"
        if self.kind == "split" and self.stored == self.ledger:
            return f"{self.kind} {self.label}"
        names = ("used", "commitments", "estimates")
        diffs = [f"{n} {s} ≠ ledger {lg}" for n, s, lg in zip(names, self.stored, self.ledger) if s != lg]
        return f"{self.kind} {self.label}: {', '.join(diffs)}"


def check(session: Session) -> list[Mismatch]:
    """Every PO and master-line balance row that differs from the sum of its ledger entries, and every
    master PO whose figures are not its lines' plus what is on no line (kind "split")."""
    out = []
    for kind, sql in (("po", _PO_SQL), ("line", _LINE_SQL), ("split", _SPLIT_SQL)):
        for row in session.execute(sql):
            out.append(Mismatch(kind, row[0], row[1], (row[2], row[3], row[4]), (row[5], row[6], row[7]), row[8]))
    return out
