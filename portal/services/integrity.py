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

# the summaries kept by triggers (portal/models/summaries.py), each recomputed from its source;
# every row of the FULL JOIN that differs is one mismatch: (label, stored, recomputed)
_SUMMARY_SQL = {
    "PO document total": text("""
        WITH src AS (SELECT e.po_id, l.document_id, d.doc_date, sum(e.amount) AS applied
                     FROM ledger_entries e JOIN document_lines l ON l.id = e.document_line_id
                     JOIN documents d ON d.id = l.document_id
                     GROUP BY e.po_id, l.document_id, d.doc_date)
        SELECT 'PO ' || COALESCE(t.po_id, src.po_id) || ' document ' || COALESCE(t.document_id, src.document_id),
               t.applied::text || ' on ' || t.doc_date, src.applied::text || ' on ' || src.doc_date
        FROM po_document_totals t FULL JOIN src ON src.po_id = t.po_id AND src.document_id = t.document_id
        WHERE t.applied IS DISTINCT FROM src.applied OR t.doc_date IS DISTINCT FROM src.doc_date"""),
    "PO bill code total": text("""
        WITH src AS (SELECT po_id, bill_code_id, COALESCE(sum(amount) FILTER (WHERE bucket = 'used'), 0) AS u,
                            COALESCE(sum(amount) FILTER (WHERE bucket = 'commitment'), 0) AS c,
                            COALESCE(sum(amount) FILTER (WHERE bucket = 'estimate'), 0) AS e
                     FROM ledger_entries GROUP BY po_id, bill_code_id)
        SELECT 'PO ' || COALESCE(t.po_id, src.po_id) || ' bill code ' || COALESCE(t.bill_code_id, src.bill_code_id),
               concat_ws(' / ', t.used, t.commitments, t.estimates), concat_ws(' / ', src.u, src.c, src.e)
        FROM po_bill_code_totals t FULL JOIN src ON src.po_id = t.po_id AND src.bill_code_id = t.bill_code_id
        WHERE (t.used, t.commitments, t.estimates) IS DISTINCT FROM (src.u, src.c, src.e)"""),
    "PO day total": text("""
        WITH src AS (SELECT e.po_id, d.doc_date AS day, COALESCE(sum(e.amount) FILTER (WHERE e.bucket = 'used'), 0) AS u,
                            COALESCE(sum(e.amount) FILTER (WHERE e.bucket = 'commitment'), 0) AS c
                     FROM ledger_entries e JOIN documents d ON d.id = e.document_id
                     WHERE e.bucket IN ('used', 'commitment') GROUP BY e.po_id, d.doc_date)
        SELECT 'PO ' || COALESCE(t.po_id, src.po_id) || ' on ' || COALESCE(t.day, src.day),
               concat_ws(' / ', t.used, t.commitments), concat_ws(' / ', src.u, src.c)
        FROM po_day_totals t FULL JOIN src ON src.po_id = t.po_id AND src.day = t.day
        WHERE (t.used, t.commitments) IS DISTINCT FROM (src.u, src.c)"""),
    "PO balance copy of the PO": text("""
        SELECT 'PO ' || p.number, concat_ws(' / ', b.amount, b.tolerance_pct, b.expiration),
               concat_ws(' / ', p.amount, p.tolerance_pct, p.expiration)
        FROM purchase_orders p JOIN po_balances b ON b.po_id = p.id
        WHERE (b.amount, b.tolerance_pct, b.expiration) IS DISTINCT FROM (p.amount, p.tolerance_pct, p.expiration)"""),
    "PO balance's count of master lines over budget": text("""
        WITH src AS (SELECT l.po_id, count(*) FILTER (WHERE b.used + b.commitments + b.estimates > l.budget) AS n
                     FROM po_lines l JOIN po_line_balances b ON b.po_line_id = l.id GROUP BY l.po_id)
        SELECT 'PO ' || p.number, b.lines_over::text, COALESCE(src.n, 0)::text
        FROM purchase_orders p JOIN po_balances b ON b.po_id = p.id LEFT JOIN src ON src.po_id = p.id
        WHERE b.lines_over <> COALESCE(src.n, 0)"""),
    "spend by PO number": text("""
        WITH drawn AS (SELECT document_line_id AS line_id,
                              COALESCE(sum(amount) FILTER (WHERE bucket = 'used'), 0) AS u,
                              COALESCE(sum(amount) FILTER (WHERE bucket = 'commitment'), 0) AS c,
                              COALESCE(sum(amount) FILTER (WHERE bucket = 'estimate'), 0) AS e
                       FROM ledger_entries GROUP BY document_line_id),
             invoiced AS (SELECT il.source_line_id AS line_id, sum(il.amount) AS amount, sum(il.quantity) AS quantity
                          FROM document_lines il JOIN documents d ON d.id = il.document_id AND d.status = 'posted'
                          JOIN document_types t ON t.id = d.document_type_id AND t.bucket = 'used' AND t.sign > 0
                          WHERE il.source_line_id IS NOT NULL GROUP BY il.source_line_id),
             lines AS (SELECT d.debtor_id, d.id AS document_id, COALESCE(l.po_number, d.po_number, '(none)') AS po_number,
                              CASE WHEN l.po_id IS NOT NULL THEN COALESCE(x.u, 0)
                                   WHEN t.bucket = 'used' THEN l.amount * t.sign ELSE 0 END AS u,
                              CASE WHEN l.po_id IS NOT NULL THEN COALESCE(x.c, 0)
                                   WHEN t.bucket = 'commitment' AND i.quantity >= l.quantity THEN 0
                                   WHEN t.bucket = 'commitment'
                                   THEN greatest(l.amount * t.sign - COALESCE(i.amount, 0), 0) ELSE 0 END AS c,
                              CASE WHEN l.po_id IS NOT NULL THEN COALESCE(x.e, 0)
                                   WHEN t.bucket = 'estimate' THEN l.amount * t.sign ELSE 0 END AS e
                       FROM document_lines l JOIN documents d ON d.id = l.document_id
                       JOIN document_types t ON t.id = d.document_type_id
                       LEFT JOIN drawn x ON x.line_id = l.id LEFT JOIN invoiced i ON i.line_id = l.id
                       WHERE d.status = 'posted'),
             src AS (SELECT debtor_id, po_number, sum(u) AS u, sum(c) AS c, sum(e) AS e,
                            count(DISTINCT document_id) AS n
                     FROM lines GROUP BY 1, 2),
             kept AS (SELECT * FROM po_number_spend WHERE documents <> 0 OR used <> 0 OR commitments <> 0
                                                       OR estimates <> 0)
        SELECT 'debtor ' || COALESCE(k.debtor_id, src.debtor_id) || ' number ' || COALESCE(k.po_number, src.po_number),
               concat_ws(' / ', k.used, k.commitments, k.estimates, k.documents),
               concat_ws(' / ', src.u, src.c, src.e, src.n)
        FROM kept k FULL JOIN src ON src.debtor_id = k.debtor_id AND src.po_number = k.po_number
        WHERE (k.used, k.commitments, k.estimates, k.documents) IS DISTINCT FROM (src.u, src.c, src.e, src.n)"""),
    "spend by PO number totals": text("""
        WITH src AS (SELECT debtor_id, count(*) AS n, sum(used) AS u, sum(commitments) AS c, sum(estimates) AS e,
                            sum(documents) AS d
                     FROM po_number_spend WHERE documents > 0 GROUP BY debtor_id),
             kept AS (SELECT * FROM po_number_spend_totals WHERE numbers <> 0 OR used <> 0 OR commitments <> 0
                                                              OR estimates <> 0 OR documents <> 0)
        SELECT 'debtor ' || COALESCE(k.debtor_id, src.debtor_id),
               concat_ws(' / ', k.numbers, k.used, k.commitments, k.estimates, k.documents),
               concat_ws(' / ', src.n, src.u, src.c, src.e, src.d)
        FROM kept k FULL JOIN src ON src.debtor_id = k.debtor_id
        WHERE (k.numbers, k.used, k.commitments, k.estimates, k.documents)
              IS DISTINCT FROM (src.n, src.u, src.c, src.e, src.d)"""),
    # the days each active job has no PO or group: its active days less its current debtor's assignments'
    "job gap": text("""
        WITH src AS (
            SELECT j.id AS job_id, gap AS days, j.branch_id
            FROM job_orders j
            LEFT JOIN LATERAL (
                SELECT range_agg(daterange(a.start_date, e.last_day, '[]')) AS covered
                FROM job_po_assignments a LEFT JOIN purchase_orders p ON p.id = a.po_id
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN a.manual_end IS NOT NULL THEN a.manual_end WHEN a.po_id IS NOT NULL THEN p.expiration
                                ELSE (SELECT max(g.expiration) FROM purchase_orders g WHERE g.group_id = a.group_id)
                           END AS last_day) e
                WHERE a.job_id = j.id AND a.debtor_id = j.debtor_id
                  AND (e.last_day IS NULL OR e.last_day >= a.start_date)) c ON true
            CROSS JOIN LATERAL unnest(datemultirange(daterange(j.start_date, j.discontinued_date, '[]'))
                                      - coalesce(c.covered, '{}'::datemultirange)) AS gap)
        SELECT 'job ' || COALESCE(k.job_id, src.job_id), concat_ws(' branch ', k.days, k.branch_id),
               concat_ws(' branch ', src.days, src.branch_id)
        FROM job_gaps k FULL JOIN src ON src.job_id = k.job_id AND src.days = k.days
        WHERE k.job_id IS NULL OR src.job_id IS NULL OR k.branch_id <> src.branch_id"""),
}


@dataclass(frozen=True)
class SummaryMismatch:
    summary: str
    label: str
    stored: str | None
    recomputed: str | None

    def __str__(self) -> str:
        return f"{self.summary} {self.label}: kept {self.stored or 'nothing'} ≠ recomputed {self.recomputed or 'nothing'}"


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


def check(session: Session) -> list[Mismatch | SummaryMismatch]:
    """Every PO and master-line balance row that differs from the sum of its ledger entries, every
    master PO whose figures are not its lines' plus what is on no line (kind "split"), and every
    summary row that differs from its recomputation."""
    out: list[Mismatch | SummaryMismatch] = []
    for kind, sql in (("po", _PO_SQL), ("line", _LINE_SQL), ("split", _SPLIT_SQL)):
        for row in session.execute(sql):
            out.append(Mismatch(kind, row[0], row[1], (row[2], row[3], row[4]), (row[5], row[6], row[7]), row[8]))
    for summary, sql in _SUMMARY_SQL.items():
        out.extend(SummaryMismatch(summary, *row) for row in session.execute(sql))
    return out
