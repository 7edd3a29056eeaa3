"""summaries kept by triggers (per-PO document totals, spend per PO number) and indexes for paging and search

Revision ID: a7c31e0f5b42
Revises: de9cf2692502
Create Date: 2026-11-26 07:20:00

The summaries are kept by triggers so that every writer of the ledger or of posted documents'
lines (posting, voiding, reassigning, bulk loads) keeps them in its own transaction:
- po_document_totals and po_bill_code_totals: a statement trigger on ledger_entries adds each
  statement's new entries, grouped by (PO, document) and by (PO, bill code), in one upsert each;
- spend_documents / po_number_spend: a posted document's contribution per PO number is
  recomputed (old contribution subtracted, new one added) whenever the document's status, date,
  debtor or number changes, or any of its lines is inserted, updated or deleted while it is posted.
"""
from alembic import op
import sqlalchemy as sa

revision = 'a7c31e0f5b42'
down_revision = 'de9cf2692502'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=16, scale=2)

SPEND_RESYNC = """
CREATE FUNCTION spend_resync(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
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
    INSERT INTO po_number_spend AS s (debtor_id, po_number, used, commitments, estimates, documents,
                                      budgeted_documents)
    SELECT debtor_id, po_number, sum(used), sum(commitments), sum(estimates), count(*),
           count(*) FILTER (WHERE budgeted)
    FROM fresh GROUP BY debtor_id, po_number ORDER BY debtor_id, po_number
    ON CONFLICT (debtor_id, po_number) DO UPDATE
       SET used = s.used + EXCLUDED.used, commitments = s.commitments + EXCLUDED.commitments,
           estimates = s.estimates + EXCLUDED.estimates, documents = s.documents + EXCLUDED.documents,
           budgeted_documents = s.budgeted_documents + EXCLUDED.budgeted_documents;
END $$;
"""

TRIGGERS = """
CREATE FUNCTION po_document_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO po_document_totals AS t (po_id, document_id, doc_date, applied)
    SELECT e.po_id, e.document_id, d.doc_date, sum(e.amount)
    FROM new_entries e JOIN documents d ON d.id = e.document_id
    GROUP BY e.po_id, e.document_id, d.doc_date ORDER BY e.po_id, e.document_id
    ON CONFLICT (po_id, document_id) DO UPDATE SET applied = t.applied + EXCLUDED.applied;
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

CREATE TRIGGER ledger_entries_po_document_totals AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION po_document_totals_add();

CREATE FUNCTION spend_documents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM spend_resync(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE TRIGGER documents_spend AFTER UPDATE OF status, doc_date, debtor_id, po_number ON documents
    FOR EACH ROW WHEN (OLD.status = 'posted' OR NEW.status = 'posted') EXECUTE FUNCTION spend_documents_changed();

CREATE FUNCTION spend_lines_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids integer[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT r.document_id) INTO ids FROM old_lines r
        JOIN documents d ON d.id = r.document_id AND d.status = 'posted';
    ELSE
        SELECT array_agg(DISTINCT r.document_id) INTO ids FROM new_lines r
        JOIN documents d ON d.id = r.document_id AND d.status = 'posted';
    END IF;
    PERFORM spend_resync(ids);
    RETURN NULL;
END $$;

CREATE TRIGGER document_lines_spend_insert AFTER INSERT ON document_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION spend_lines_changed();
CREATE TRIGGER document_lines_spend_update AFTER UPDATE ON document_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION spend_lines_changed();
CREATE TRIGGER document_lines_spend_delete AFTER DELETE ON document_lines
    REFERENCING OLD TABLE AS old_lines FOR EACH STATEMENT EXECUTE FUNCTION spend_lines_changed();
"""

MIRROR = """
CREATE FUNCTION po_balances_fill_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT amount, tolerance_pct, expiration INTO NEW.amount, NEW.tolerance_pct, NEW.expiration
    FROM purchase_orders WHERE id = NEW.po_id;
    RETURN NEW;
END $$;

CREATE TRIGGER po_balances_mirror BEFORE INSERT ON po_balances
    FOR EACH ROW EXECUTE FUNCTION po_balances_fill_mirror();

CREATE FUNCTION purchase_orders_copy_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE po_balances SET amount = NEW.amount, tolerance_pct = NEW.tolerance_pct, expiration = NEW.expiration
    WHERE po_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER purchase_orders_balance_mirror AFTER UPDATE OF amount, tolerance_pct, expiration ON purchase_orders
    FOR EACH ROW WHEN ((OLD.amount, OLD.tolerance_pct, OLD.expiration)
                       IS DISTINCT FROM (NEW.amount, NEW.tolerance_pct, NEW.expiration))
    EXECUTE FUNCTION purchase_orders_copy_mirror();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS purchase_orders_balance_mirror ON purchase_orders;
DROP FUNCTION IF EXISTS purchase_orders_copy_mirror();
DROP TRIGGER IF EXISTS po_balances_mirror ON po_balances;
DROP FUNCTION IF EXISTS po_balances_fill_mirror();
DROP TRIGGER IF EXISTS document_lines_spend_delete ON document_lines;
DROP TRIGGER IF EXISTS document_lines_spend_update ON document_lines;
DROP TRIGGER IF EXISTS document_lines_spend_insert ON document_lines;
DROP FUNCTION IF EXISTS spend_lines_changed();
DROP TRIGGER IF EXISTS documents_spend ON documents;
DROP FUNCTION IF EXISTS spend_documents_changed();
DROP TRIGGER IF EXISTS ledger_entries_po_document_totals ON ledger_entries;
DROP FUNCTION IF EXISTS po_document_totals_add();
DROP FUNCTION IF EXISTS spend_resync(integer[]);
"""


def upgrade():
    op.create_table('po_document_totals',
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('doc_date', sa.Date(), nullable=False),
    sa.Column('applied', MONEY, nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_po_document_totals_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_po_document_totals_po_id_purchase_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('po_id', 'document_id', name=op.f('pk_po_document_totals'))
    )
    op.create_index('ix_po_document_totals_po_date', 'po_document_totals', ['po_id', 'doc_date', 'document_id'], unique=False, postgresql_include=['applied'])
    op.create_table('po_bill_code_totals',
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('bill_code_id', sa.Integer(), nullable=False),
    sa.Column('used', MONEY, nullable=False),
    sa.Column('commitments', MONEY, nullable=False),
    sa.Column('estimates', MONEY, nullable=False),
    sa.ForeignKeyConstraint(['bill_code_id'], ['bill_codes.id'], name=op.f('fk_po_bill_code_totals_bill_code_id_bill_codes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_po_bill_code_totals_po_id_purchase_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('po_id', 'bill_code_id', name=op.f('pk_po_bill_code_totals'))
    )
    op.create_table('spend_documents',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('po_number', sa.String(length=50), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('doc_date', sa.Date(), nullable=False),
    sa.Column('used', MONEY, nullable=False),
    sa.Column('commitments', MONEY, nullable=False),
    sa.Column('estimates', MONEY, nullable=False),
    sa.Column('budgeted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_spend_documents_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'po_number', name=op.f('pk_spend_documents'))
    )
    op.create_index('ix_spend_documents_number_latest', 'spend_documents', ['debtor_id', 'po_number', 'doc_date', 'document_id'], unique=False)
    op.create_table('po_number_spend',
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('po_number', sa.String(length=50), nullable=False),
    sa.Column('used', MONEY, nullable=False),
    sa.Column('commitments', MONEY, nullable=False),
    sa.Column('estimates', MONEY, nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('budgeted_documents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_po_number_spend_debtor_id_debtors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('debtor_id', 'po_number', name=op.f('pk_po_number_spend'))
    )
    op.create_index('ix_po_number_spend_number', 'po_number_spend', ['po_number', 'debtor_id'], unique=False)
    op.execute(SPEND_RESYNC)
    op.execute(TRIGGERS)
    # what is already posted
    op.execute("""
        INSERT INTO po_document_totals (po_id, document_id, doc_date, applied)
        SELECT e.po_id, e.document_id, d.doc_date, sum(e.amount)
        FROM ledger_entries e JOIN documents d ON d.id = e.document_id GROUP BY e.po_id, e.document_id, d.doc_date""")
    op.execute("""
        INSERT INTO po_bill_code_totals (po_id, bill_code_id, used, commitments, estimates)
        SELECT po_id, bill_code_id, COALESCE(sum(amount) FILTER (WHERE bucket = 'used'), 0),
               COALESCE(sum(amount) FILTER (WHERE bucket = 'commitment'), 0),
               COALESCE(sum(amount) FILTER (WHERE bucket = 'estimate'), 0)
        FROM ledger_entries GROUP BY po_id, bill_code_id""")
    op.execute("SELECT spend_resync(ARRAY(SELECT id FROM documents WHERE status = 'posted'))")

    # the start page's attention list from the balance rows alone: the PO's amount, tolerance and
    # expiration copied there (by triggers), the colour rule's inputs in generated columns
    op.add_column('po_balances', sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column('po_balances', sa.Column('tolerance_pct', sa.Numeric(precision=5, scale=2), nullable=True))
    op.add_column('po_balances', sa.Column('expiration', sa.Date(), nullable=True))
    op.execute("""UPDATE po_balances b SET amount = p.amount, tolerance_pct = p.tolerance_pct, expiration = p.expiration
                  FROM purchase_orders p WHERE p.id = b.po_id""")
    op.alter_column('po_balances', 'amount', nullable=False)
    op.alter_column('po_balances', 'expiration', nullable=False)
    op.add_column('po_balances', sa.Column('remaining', sa.Numeric(precision=16, scale=2), sa.Computed(
        'amount - (used + commitments + estimates)', persisted=True), nullable=False))
    op.add_column('po_balances', sa.Column('budget_attention', sa.Boolean(), sa.Computed(
        '(used + commitments + estimates) > amount OR (tolerance_pct IS NOT NULL AND '
        '(used + commitments + estimates) >= amount * tolerance_pct / 100)', persisted=True), nullable=False))
    op.execute(MIRROR)
    op.create_index('ix_po_balances_expiration', 'po_balances', ['expiration'])
    op.create_index('ix_po_balances_budget_attention', 'po_balances', ['expiration'],
                    postgresql_where=sa.text('budget_attention'))

    # next document numbers from a counter per type (a count of documents raced and collided)
    op.add_column('document_types', sa.Column('last_number', sa.Integer(), server_default='0', nullable=False))
    op.execute("""UPDATE document_types t SET last_number = (SELECT count(*) FROM documents d
                                                            WHERE d.document_type_id = t.id)""")

    # paging and search (prefix search on normalised columns: no pg_trgm)
    op.create_index('ix_documents_date_id', 'documents', ['doc_date', 'id'], unique=False)
    op.drop_index('ix_documents_date', table_name='documents')
    op.create_index('ix_documents_drafts', 'documents', ['doc_date', 'id'], unique=False,
                    postgresql_where=sa.text("status = 'draft'"))
    op.create_index('ix_documents_number_prefix', 'documents', [sa.text('upper(number) varchar_pattern_ops')])
    op.create_index('ix_documents_po_number_prefix', 'documents', [sa.text('upper(po_number) varchar_pattern_ops')])
    op.create_index('ix_purchase_orders_number_prefix', 'purchase_orders', [sa.text('number_key varchar_pattern_ops')])
    op.create_index('ix_purchase_orders_description_words', 'purchase_orders',
                    [sa.text("to_tsvector('simple'::regconfig, description)")], postgresql_using='gin')
    op.create_index('ix_purchase_orders_debtor_expiration', 'purchase_orders', ['debtor_id', 'expiration', 'number_key'])
    op.create_index('ix_purchase_orders_expiration_number', 'purchase_orders', ['expiration', 'number_key', 'id'])
    op.create_index('ix_job_orders_title_words', 'job_orders', [sa.text("to_tsvector('simple'::regconfig, title)")],
                    postgresql_using='gin')
    op.create_index('ix_job_orders_number_prefix', 'job_orders', [sa.text('upper(number) varchar_pattern_ops')])
    op.create_index('ix_job_orders_po_reference_prefix', 'job_orders', [sa.text('upper(po_reference) varchar_pattern_ops')])
    op.create_index('ix_job_orders_debtor_number', 'job_orders', ['debtor_id', 'number'])
    op.create_index('ix_notifications_user_id', 'notifications', ['user_id', 'id'])


def downgrade():
    op.drop_index('ix_notifications_user_id', table_name='notifications')
    op.drop_index('ix_job_orders_debtor_number', table_name='job_orders')
    op.drop_index('ix_job_orders_po_reference_prefix', table_name='job_orders')
    op.drop_index('ix_job_orders_number_prefix', table_name='job_orders')
    op.drop_index('ix_job_orders_title_words', table_name='job_orders')
    op.drop_index('ix_purchase_orders_expiration_number', table_name='purchase_orders')
    op.drop_index('ix_purchase_orders_debtor_expiration', table_name='purchase_orders')
    op.drop_index('ix_purchase_orders_description_words', table_name='purchase_orders')
    op.drop_index('ix_purchase_orders_number_prefix', table_name='purchase_orders')
    op.drop_index('ix_documents_po_number_prefix', table_name='documents')
    op.drop_index('ix_documents_number_prefix', table_name='documents')
    op.drop_index('ix_documents_drafts', table_name='documents')
    op.create_index('ix_documents_date', 'documents', ['doc_date'], unique=False)
    op.drop_index('ix_documents_date_id', table_name='documents')
    op.drop_column('document_types', 'last_number')
    op.execute(DROP_TRIGGERS)
    op.drop_index('ix_po_balances_budget_attention', table_name='po_balances')
    op.drop_index('ix_po_balances_expiration', table_name='po_balances')
    for name in ('budget_attention', 'remaining', 'expiration', 'tolerance_pct', 'amount'):
        op.drop_column('po_balances', name)
    op.drop_index('ix_po_number_spend_number', table_name='po_number_spend')
    op.drop_table('po_number_spend')
    op.drop_table('po_bill_code_totals')
    op.drop_index('ix_spend_documents_number_latest', table_name='spend_documents')
    op.drop_table('spend_documents')
    op.drop_index('ix_po_document_totals_po_date', table_name='po_document_totals')
    op.drop_table('po_document_totals')
