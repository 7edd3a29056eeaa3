"""`flask demo scale`: a data set the size of a large agency, for measuring pages and postings.

At factor 1: 200 debtors, 10,000 POs, 50,000 job orders each assigned to a PO of its debtor,
100,000 posted documents with 1,000,000 lines and as many ledger entries, one PO carrying 250,000 of
them, and notifications for the billing admin. The biggest debtor holds 1,000 POs and 12,000 jobs.

Everything is written by set-based SQL through the real schema (constraints and indexes included);
ids are drawn from the tables' own sequences first so the rows can be joined without a round trip
per row. The balance rows are computed from the ledger at the end, so `flask integrity check` holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal.models import Debtor

PREFIX = "SC"  # scale debtors' codes start with it; a second run is refused
JOB_TITLES = ("Forklift driver", "Warehouse picker", "Cleaner", "Site supervisor", "Trainer", "Service technician",
              "Packer", "Receptionist", "Electrician", "Welder")


@dataclass(frozen=True)
class Sizes:
    debtors: int
    pos: int
    big_debtor_pos: int
    jobs: int
    big_debtor_jobs: int
    documents: int
    big_po_documents: int
    notifications: int

    @classmethod
    def at(cls, factor: float) -> "Sizes":
        def n(x: int, least: int = 1) -> int:
            return max(least, round(x * factor))
        return cls(debtors=n(200, 2), pos=n(10_000, 4), big_debtor_pos=n(1_000), jobs=n(50_000, 4),
                   big_debtor_jobs=n(12_000), documents=n(100_000, 2), big_po_documents=n(12_500),
                   notifications=n(5_000))


# Each step is one statement over generate_series or a join of the previous steps' temp tables.
_STEPS = [
    ("debtors", """
     INSERT INTO debtors (code, name, enforce_purchase_orders, over_budget_policy, active, notes)
     SELECT :prefix || lpad(i::text, 4, '0'), 'Scale debtor ' || i, false, 'warn', true, ''
     FROM generate_series(1, :debtors) i"""),
    ("", """
     CREATE TEMP TABLE sc_debtor ON COMMIT DROP AS
     SELECT row_number() OVER (ORDER BY code) AS n, id FROM debtors WHERE code LIKE :prefix || '%'"""),
    ("purchase orders", """
     CREATE TEMP TABLE sc_po ON COMMIT DROP AS
     SELECT k, nextval('purchase_orders_id_seq')::int AS id,
            (SELECT id FROM sc_debtor WHERE n = CASE WHEN k <= :big_debtor_pos THEN 1
                                                     ELSE 2 + (k % (:debtors - 1)) END) AS debtor_id,
            :today - 330 - (k % 180) AS effective
     FROM generate_series(1, :pos) k"""),
    ("", """
     INSERT INTO purchase_orders (id, debtor_id, number, kind, description, notes, effective, expiration, amount,
                                  tolerance_pct)
     SELECT id, debtor_id, 'SP' || lpad(k::text, 6, '0'), 'single_line', 'Scale PO ' || k, '', effective,
            effective + 365 + (k % 200), 1, 90
     FROM sc_po"""),
    ("", "INSERT INTO po_balances (po_id) SELECT id FROM sc_po"),
    ("", """
     INSERT INTO po_eligible_types (po_id, document_type_id, debtor_id, number_key)
     SELECT p.id, t.id, p.debtor_id, 'SP' || lpad(p.k::text, 6, '0') FROM sc_po p CROSS JOIN document_types t"""),
    ("", """
     CREATE TEMP TABLE sc_po_of_debtor ON COMMIT DROP AS
     SELECT debtor_id, id AS po_id, k, row_number() OVER (PARTITION BY debtor_id ORDER BY k) - 1 AS idx,
            count(*) OVER (PARTITION BY debtor_id) AS cnt
     FROM sc_po"""),
    ("job orders", """
     CREATE TEMP TABLE sc_job ON COMMIT DROP AS
     SELECT j, nextval('job_orders_id_seq')::int AS id,
            (SELECT id FROM sc_debtor WHERE n = CASE WHEN j <= :big_debtor_jobs THEN 1
                                                     ELSE 2 + (j % (:debtors - 1)) END) AS debtor_id,
            :today - 300 - (j % 60) AS start_date
     FROM generate_series(1, :jobs) j"""),
    ("", """
     INSERT INTO job_orders (id, title, debtor_id, site, branch_id, start_date)
     SELECT s.id, (CAST(:titles AS text[]))[1 + s.j % 10] || ' ' || s.j, s.debtor_id, 'Site ' || (s.j % 50),
            (SELECT id FROM branches ORDER BY id OFFSET (s.j % (SELECT count(*) FROM branches)) LIMIT 1), s.start_date
     FROM sc_job s"""),
    ("assignments", """
     CREATE TEMP TABLE sc_assignment ON COMMIT DROP AS
     SELECT s.id AS job_id, s.debtor_id, p.po_id, s.start_date,
            row_number() OVER (PARTITION BY p.po_id ORDER BY s.j) - 1 AS idx
     FROM sc_job s
     JOIN (SELECT debtor_id, count(*) AS cnt FROM sc_po_of_debtor GROUP BY debtor_id) c ON c.debtor_id = s.debtor_id
     JOIN sc_po_of_debtor p ON p.debtor_id = s.debtor_id AND p.idx = s.j % c.cnt"""),
    ("", """
     INSERT INTO job_po_assignments (job_id, debtor_id, po_id, start_date, source)
     SELECT job_id, debtor_id, po_id, start_date, 'bulk' FROM sc_assignment"""),
    ("", """
     CREATE TEMP TABLE sc_jobs_of_po ON COMMIT DROP AS
     SELECT po_id, count(*) AS cnt FROM sc_assignment GROUP BY po_id"""),
    ("documents", """
     CREATE TEMP TABLE sc_doc ON COMMIT DROP AS
     SELECT d.d, nextval('documents_id_seq')::int AS id, p.id AS po_id, p.debtor_id,
            CASE WHEN d.d <= :big_po_documents THEN 20 ELSE 8 + (d.d % 7 < 4)::int END AS lines,
            CASE WHEN d.d % 10 < 8 THEN 'Sales Invoice' WHEN d.d % 10 = 8 THEN 'Sales Order' ELSE 'Estimate' END
              AS type_name,
            :today - 320 + (d.d % 315) AS doc_date
     FROM generate_series(1, :documents) d(d)
     JOIN sc_po p ON p.k = CASE WHEN d.d <= :big_po_documents THEN 1
                                ELSE 1 + ((d.d::bigint * 7919) % :pos) END"""),
    ("", """
     INSERT INTO documents (id, debtor_id, document_type_id, number, doc_date, bill_from, bill_to, status, notes,
                            total, posted_at, override_used)
     SELECT s.id, s.debtor_id, t.id, 'SD' || lpad(s.d::text, 7, '0'), s.doc_date, s.doc_date - 13, s.doc_date,
            'posted', '', 0, now(), false
     FROM sc_doc s JOIN document_types t ON t.name = s.type_name"""),
    ("document lines", """
     CREATE TEMP TABLE sc_line ON COMMIT DROP AS
     SELECT nextval('document_lines_id_seq')::int AS id, s.id AS document_id, n AS line_no, s.po_id, s.d,
            round((1 + (s.d + n) % 40)::numeric * (25 + s.d % 70), 2) AS amount,
            1 + (s.d + n) % 40 AS quantity, 25 + s.d % 70 AS rate,
            a.job_id
     FROM sc_doc s CROSS JOIN LATERAL generate_series(1, s.lines) n
     LEFT JOIN sc_jobs_of_po c ON c.po_id = s.po_id
     LEFT JOIN sc_assignment a ON a.po_id = s.po_id AND a.idx = (s.d + n) % c.cnt"""),
    ("", """
     INSERT INTO document_lines (id, document_id, line_no, job_id, bill_code_id, description, quantity, rate, amount,
                                 po_id, explicit_po, po_number)
     SELECT l.id, l.document_id, l.line_no, l.job_id,
            (SELECT id FROM bill_codes WHERE code = CASE WHEN l.line_no % 5 = 0 THEN 'OT' ELSE 'ORD' END),
            '', l.quantity, l.rate, l.amount, l.po_id, false, 'SP' || lpad(p.k::text, 6, '0')
     FROM sc_line l JOIN sc_po p ON p.id = l.po_id"""),
    ("ledger entries", """
     INSERT INTO ledger_entries (document_id, document_line_id, po_id, bill_code_id, bucket, amount, event)
     SELECT l.document_id, l.id, l.po_id, dl.bill_code_id, t.bucket, l.amount * t.sign, 'post'
     FROM sc_line l JOIN document_lines dl ON dl.id = l.id
     JOIN documents d ON d.id = l.document_id JOIN document_types t ON t.id = d.document_type_id"""),
    ("totals", """
     UPDATE documents d SET total = s.total
     FROM (SELECT document_id, sum(amount) AS total FROM sc_line GROUP BY document_id) s WHERE d.id = s.document_id"""),
    ("balances", """
     UPDATE po_balances b SET used = s.used, commitments = s.commitments, estimates = s.estimates
     FROM (SELECT e.po_id,
                  COALESCE(sum(e.amount) FILTER (WHERE e.bucket = 'used'), 0) AS used,
                  COALESCE(sum(e.amount) FILTER (WHERE e.bucket = 'commitment'), 0) AS commitments,
                  COALESCE(sum(e.amount) FILTER (WHERE e.bucket = 'estimate'), 0) AS estimates
           FROM ledger_entries e JOIN sc_po p ON p.id = e.po_id GROUP BY e.po_id) s
     WHERE b.po_id = s.po_id"""),
    # some POs red, some yellow (tolerance 90%), most comfortable; the amount never below a cent
    ("", """
     UPDATE purchase_orders po SET amount = GREATEST(0.01, CASE
             WHEN b.used + b.commitments + b.estimates = 0 THEN 50000
             WHEN p.k % 10 = 3 THEN round((b.used + b.commitments + b.estimates) * 0.95, 2)
             WHEN p.k % 10 = 7 THEN round((b.used + b.commitments + b.estimates) * 1.05, 2)
             ELSE round((b.used + b.commitments + b.estimates) * 2 + 1000, 2) END)
     FROM sc_po p JOIN po_balances b ON b.po_id = p.id WHERE po.id = p.id"""),
    ("notifications", """
     INSERT INTO notifications (user_id, subject, body, link, created_at, read_at)
     SELECT u.id, 'PO SP' || lpad((1 + i % :pos)::text, 6, '0') || ' at ' || (75 + i % 3 * 15) || '%', '', '',
            now() - make_interval(mins => i), CASE WHEN i % 4 = 0 THEN NULL ELSE now() END
     FROM generate_series(1, :notifications) i CROSS JOIN users u WHERE u.username IN ('billing', 'admin')"""),
]


def load(session: Session, factor: float = 1.0, today: date | None = None,
         progress: Callable[[str], None] = lambda _: None) -> Sizes:
    """Add the scaled data set on top of the demo data (which is loaded first) in one transaction."""
    from portal import demo

    if session.scalar(select(func.count()).select_from(Debtor).where(Debtor.code == f"{PREFIX}0001")):
        raise ValueError("The scale data set is already loaded.")
    demo.load(session)
    sizes = Sizes.at(factor)
    params = {**sizes.__dict__, "prefix": PREFIX, "today": today or date.today(), "titles": list(JOB_TITLES)}
    for label, sql in _STEPS:
        if label:
            progress(label)
        session.execute(text(sql), params)
    session.commit()
    progress("analyse")
    # fresh statistics and visibility maps, as autovacuum would leave them some minutes later
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return sizes
