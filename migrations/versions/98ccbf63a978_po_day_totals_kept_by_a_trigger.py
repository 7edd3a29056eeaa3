"""PO day totals (Used and Commitments per document date) kept by a trigger on the ledger

The burn-down series and the forecast read a PO's days instead of its ledger entries.

Revision ID: 98ccbf63a978
Revises: a33a939d0c5d
Create Date: 2026-11-26 10:31:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '98ccbf63a978'
down_revision = 'a33a939d0c5d'
branch_labels = None
depends_on = None

# the same sums as the trigger, over the whole ledger (the existing postings)
_SUMS = """
    SELECT e.po_id, d.doc_date, COALESCE(sum(e.amount) FILTER (WHERE e.bucket = 'used'), 0),
           COALESCE(sum(e.amount) FILTER (WHERE e.bucket = 'commitment'), 0)
    FROM {entries} e JOIN documents d ON d.id = e.document_id
    WHERE e.bucket IN ('used', 'commitment')
    GROUP BY e.po_id, d.doc_date ORDER BY e.po_id, d.doc_date
"""

TRIGGER = """
CREATE FUNCTION po_day_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO po_day_totals AS t (po_id, day, used, commitments)
    """ + _SUMS.format(entries="new_entries") + """
    ON CONFLICT (po_id, day) DO UPDATE
       SET used = t.used + EXCLUDED.used, commitments = t.commitments + EXCLUDED.commitments;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_po_day_totals AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION po_day_totals_add();
"""


def upgrade():
    op.create_table(
        'po_day_totals',
        sa.Column('po_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('used', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('commitments', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_po_day_totals_po_id_purchase_orders'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('po_id', 'day', name=op.f('pk_po_day_totals')),
    )
    op.execute("INSERT INTO po_day_totals (po_id, day, used, commitments)" + _SUMS.format(entries="ledger_entries"))
    op.execute(TRIGGER)


def downgrade():
    op.execute("DROP TRIGGER ledger_entries_po_day_totals ON ledger_entries")
    op.execute("DROP FUNCTION po_day_totals_add()")
    op.drop_table('po_day_totals')
