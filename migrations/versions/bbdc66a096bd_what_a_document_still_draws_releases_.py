"""what a document still draws: releases and cancelled lines reach the spend summary and the per-document totals

Revision ID: bbdc66a096bd
Revises: f18ed819a3bd
Create Date: 2026-11-27 20:40:44.666498

Every ledger entry belongs to a document line: the line whose draw it moves. Posting an invoice made
from an order writes the order's release as entries of the order's lines (under the invoice's document
id, the event that wrote them); cancelling contract deliveries reverses order lines without touching a
document row. Until now:
- po_document_totals (the PO's Documents tab, "Applied to PO") summed entries by the event's document:
  an invoice made from an order showed 0.00 applied (its total less the release) and the order its whole
  amount for ever;
- spend_documents / po_number_spend (the spend by PO number report) summed the lines' amounts, never the
  ledger: orders kept their whole amount in Orders after being invoiced or cancelled.

Now both are what each document still draws: its lines' ledger entries (a budgeted line), or its lines'
amounts (a line on no PO; an order's line less what posted invoices made from it took, never below
zero, and nothing once they took its whole quantity, as posting releases a budgeted one). The spend summary is recomputed for a document when its status, date, debtor or number changes
(and then for the documents its lines were made from), when its lines change while posted, and when
ledger entries are written for its lines (a release, a cancellation, a reassignment).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'bbdc66a096bd'
down_revision = 'f18ed819a3bd'
branch_labels = None
depends_on = None

_SUBTRACT = """
    -- take the documents' old contribution out ...
    WITH gone AS (
        DELETE FROM spend_documents WHERE document_id = ANY (ids) RETURNING *
    ), sums AS (
        SELECT debtor_id, po_number, sum(used) AS used, sum(commitments) AS commitments,
               sum(estimates) AS estimates, count(*) AS documents, count(*) FILTER (WHERE budgeted) AS budgeted
        FROM gone GROUP BY debtor_id, po_number
    )
    UPDATE po_number_spend s
       SET used = s.used - sums.used, commitments = s.commitments - sums.commitments,
           estimates = s.estimates - sums.estimates, documents = s.documents - sums.documents,
           budgeted_documents = s.budgeted_documents - sums.budgeted
      FROM sums WHERE s.debtor_id = sums.debtor_id AND s.po_number = sums.po_number;
"""

_ADD = """
    INSERT INTO po_number_spend AS s (debtor_id, po_number, used, commitments, estimates, documents,
                                      budgeted_documents)
    SELECT debtor_id, po_number, sum(used), sum(commitments), sum(estimates), count(*),
           count(*) FILTER (WHERE budgeted)
    FROM fresh GROUP BY debtor_id, po_number ORDER BY debtor_id, po_number
    ON CONFLICT (debtor_id, po_number) DO UPDATE
       SET used = s.used + EXCLUDED.used, commitments = s.commitments + EXCLUDED.commitments,
           estimates = s.estimates + EXCLUDED.estimates, documents = s.documents + EXCLUDED.documents,
           budgeted_documents = s.budgeted_documents + EXCLUDED.budgeted_documents;
"""

# the per-bill-code half of po_document_totals_add, as it was (unchanged by this revision)
_BILL_CODE_TOTALS = """
    INSERT INTO po_bill_code_totals AS t (po_id, bill_code_id, used, commitments, estimates)
    SELECT po_id, bill_code_id, COALESCE(sum(amount) FILTER (WHERE bucket = 'used'), 0),
           COALESCE(sum(amount) FILTER (WHERE bucket = 'commitment'), 0),
           COALESCE(sum(amount) FILTER (WHERE bucket = 'estimate'), 0)
    FROM new_entries GROUP BY po_id, bill_code_id ORDER BY po_id, bill_code_id
    ON CONFLICT (po_id, bill_code_id) DO UPDATE
       SET used = t.used + EXCLUDED.used, commitments = t.commitments + EXCLUDED.commitments,
           estimates = t.estimates + EXCLUDED.estimates;
    RETURN NULL;
END $$;
"""

SPEND_RESYNC = """
CREATE OR REPLACE FUNCTION spend_resync(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
""" + _SUBTRACT + """
    -- ... and put in what they still draw (posted documents only): a budgeted line's ledger entries, a
    -- line on no PO its amount (an order's line less what posted invoices made from it took)
    WITH fresh AS (
        INSERT INTO spend_documents (document_id, po_number, debtor_id, doc_date, used, commitments, estimates,
                                     budgeted)
        SELECT d.id, COALESCE(l.po_number, d.po_number, '(none)'), d.debtor_id, d.doc_date,
               COALESCE(sum(CASE WHEN l.po_id IS NOT NULL THEN e.used
                                 WHEN t.bucket = 'used' THEN l.amount * t.sign END), 0),
               COALESCE(sum(CASE WHEN l.po_id IS NOT NULL THEN e.commitments
                                 WHEN t.bucket = 'commitment' AND inv.quantity >= l.quantity THEN 0
                                 WHEN t.bucket = 'commitment' THEN greatest(l.amount * t.sign - inv.amount, 0) END), 0),
               COALESCE(sum(CASE WHEN l.po_id IS NOT NULL THEN e.estimates
                                 WHEN t.bucket = 'estimate' THEN l.amount * t.sign END), 0),
               bool_or(l.po_id IS NOT NULL)
        FROM documents d
        JOIN document_types t ON t.id = d.document_type_id
        JOIN document_lines l ON l.document_id = d.id
        CROSS JOIN LATERAL (
            SELECT COALESCE(sum(x.amount) FILTER (WHERE x.bucket = 'used'), 0) AS used,
                   COALESCE(sum(x.amount) FILTER (WHERE x.bucket = 'commitment'), 0) AS commitments,
                   COALESCE(sum(x.amount) FILTER (WHERE x.bucket = 'estimate'), 0) AS estimates
            FROM ledger_entries x WHERE x.document_line_id = l.id AND l.po_id IS NOT NULL) e
        CROSS JOIN LATERAL (
            SELECT COALESCE(sum(il.amount), 0) AS amount, COALESCE(sum(il.quantity), 0) AS quantity
            FROM document_lines il
            JOIN documents idoc ON idoc.id = il.document_id AND idoc.status = 'posted'
            JOIN document_types it ON it.id = idoc.document_type_id AND it.bucket = 'used' AND it.sign > 0
            WHERE il.source_line_id = l.id AND l.po_id IS NULL AND t.bucket = 'commitment') inv
        WHERE d.id = ANY (ids) AND d.status = 'posted'
        GROUP BY d.id, COALESCE(l.po_number, d.po_number, '(none)')
        RETURNING *
    )
""" + _ADD + """
END $$;

CREATE OR REPLACE FUNCTION spend_documents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- the document, and the documents its lines were made from (an order an invoice draws from)
    PERFORM spend_resync(ARRAY(
        SELECT NEW.id
        UNION
        SELECT s.document_id FROM document_lines l JOIN document_lines s ON s.id = l.source_line_id
        WHERE l.document_id = NEW.id));
    RETURN NULL;
END $$;

CREATE FUNCTION spend_ledger_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- the posted documents whose lines the new entries move (an order released or cancelled, an
    -- invoice reassigned); a draft being posted is resynced by its status change
    PERFORM spend_resync(ARRAY(
        SELECT DISTINCT l.document_id FROM new_entries e
        JOIN document_lines l ON l.id = e.document_line_id
        JOIN documents d ON d.id = l.document_id AND d.status = 'posted'));
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_spend AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION spend_ledger_changed();

CREATE OR REPLACE FUNCTION po_document_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- each entry applies to the PO for the document of its line (a release: the order's)
    INSERT INTO po_document_totals AS t (po_id, document_id, doc_date, applied)
    SELECT e.po_id, l.document_id, d.doc_date, sum(e.amount)
    FROM new_entries e JOIN document_lines l ON l.id = e.document_line_id JOIN documents d ON d.id = l.document_id
    GROUP BY e.po_id, l.document_id, d.doc_date ORDER BY e.po_id, l.document_id
    ON CONFLICT (po_id, document_id) DO UPDATE SET applied = t.applied + EXCLUDED.applied;
""" + _BILL_CODE_TOTALS + """"""

OLD = """
DROP TRIGGER ledger_entries_spend ON ledger_entries;
DROP FUNCTION spend_ledger_changed();

CREATE OR REPLACE FUNCTION spend_resync(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
""" + _SUBTRACT + """
    -- ... and put their current one in (posted documents only)
    WITH fresh AS (
        INSERT INTO spend_documents (document_id, po_number, debtor_id, doc_date, used, commitments, estimates,
                                     budgeted)
        SELECT d.id, COALESCE(l.po_number, d.po_number, '(none)'), d.debtor_id, d.doc_date,
               COALESCE(sum(l.amount * t.sign) FILTER (WHERE t.bucket = 'used'), 0),
               COALESCE(sum(l.amount * t.sign) FILTER (WHERE t.bucket = 'commitment'), 0),
               COALESCE(sum(l.amount * t.sign) FILTER (WHERE t.bucket = 'estimate'), 0),
               bool_or(l.po_id IS NOT NULL)
        FROM documents d
        JOIN document_lines l ON l.document_id = d.id
        JOIN document_types t ON t.id = d.document_type_id
        WHERE d.id = ANY (ids) AND d.status = 'posted'
        GROUP BY d.id, COALESCE(l.po_number, d.po_number, '(none)')
        RETURNING *
    )
""" + _ADD + """
END $$;

CREATE OR REPLACE FUNCTION spend_documents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM spend_resync(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION po_document_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO po_document_totals AS t (po_id, document_id, doc_date, applied)
    SELECT e.po_id, e.document_id, d.doc_date, sum(e.amount)
    FROM new_entries e JOIN documents d ON d.id = e.document_id
    GROUP BY e.po_id, e.document_id, d.doc_date ORDER BY e.po_id, e.document_id
    ON CONFLICT (po_id, document_id) DO UPDATE SET applied = t.applied + EXCLUDED.applied;
""" + _BILL_CODE_TOTALS + """"""


def _rebuild(by_line: bool) -> None:
    """Both summaries recomputed from their sources by the functions now in place."""
    document = "l.document_id" if by_line else "e.document_id"
    op.execute("DELETE FROM po_document_totals")
    op.execute(f"""
        INSERT INTO po_document_totals (po_id, document_id, doc_date, applied)
        SELECT e.po_id, {document}, d.doc_date, sum(e.amount)
        FROM ledger_entries e JOIN document_lines l ON l.id = e.document_line_id
        JOIN documents d ON d.id = {document}
        GROUP BY e.po_id, {document}, d.doc_date""")
    op.execute("DELETE FROM spend_documents")
    op.execute("DELETE FROM po_number_spend")
    op.execute("SELECT spend_resync(ARRAY(SELECT id FROM documents WHERE status = 'posted' ORDER BY id))")


def upgrade():
    op.execute(SPEND_RESYNC)
    _rebuild(by_line=True)


def downgrade():
    op.execute(OLD)
    _rebuild(by_line=False)
