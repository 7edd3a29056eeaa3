"""master lines over their budget counted on the PO balance

A master PO whose line is over its budget (red on its Lines tab) was not on the start page's
attention list nor marked on the PO list: attention was judged on the PO's totals alone. The
balance row now counts the PO's lines whose Subtotal passes their budget (`lines_over`), kept
by triggers on the line balances and the line budgets in the transaction that changes them,
and a partial index finds the POs with such a line as the attention list's other indexes do.

Revision ID: 822cebff2eda
Revises: 2cff7c6a7634
Create Date: 2026-11-28 22:04:16.065068

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '822cebff2eda'
down_revision = '2cff7c6a7634'
branch_labels = None
depends_on = None


# line_figures' rule: a master line has no tolerance of its own, it is red when Subtotal > budget
TRIGGERS = """
CREATE FUNCTION po_lines_over_count(p_po integer) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM po_line_balances b JOIN po_lines l ON l.id = b.po_line_id
    WHERE b.po_id = p_po AND b.used + b.commitments + b.estimates > l.budget
$$;

CREATE FUNCTION po_lines_over_recount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.po_id ELSE NEW.po_id END;
    counted integer := po_lines_over_count(target);
BEGIN
    UPDATE po_balances SET lines_over = counted WHERE po_id = target AND lines_over <> counted;
    RETURN NULL;
END $$;

CREATE TRIGGER po_line_balances_lines_over
    AFTER INSERT OR DELETE OR UPDATE OF used, commitments, estimates ON po_line_balances
    FOR EACH ROW EXECUTE FUNCTION po_lines_over_recount();

CREATE TRIGGER po_lines_lines_over AFTER UPDATE OF budget ON po_lines
    FOR EACH ROW WHEN (OLD.budget IS DISTINCT FROM NEW.budget) EXECUTE FUNCTION po_lines_over_recount();

CREATE OR REPLACE FUNCTION po_balances_fill_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT amount, tolerance_pct, expiration INTO NEW.amount, NEW.tolerance_pct, NEW.expiration
    FROM purchase_orders WHERE id = NEW.po_id;
    NEW.lines_over := po_lines_over_count(NEW.po_id);
    RETURN NEW;
END $$;
"""

DROP_TRIGGERS = """
CREATE OR REPLACE FUNCTION po_balances_fill_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT amount, tolerance_pct, expiration INTO NEW.amount, NEW.tolerance_pct, NEW.expiration
    FROM purchase_orders WHERE id = NEW.po_id;
    RETURN NEW;
END $$;

DROP TRIGGER po_lines_lines_over ON po_lines;
DROP TRIGGER po_line_balances_lines_over ON po_line_balances;
DROP FUNCTION po_lines_over_recount();
DROP FUNCTION po_lines_over_count(integer);
"""


def upgrade():
    op.add_column('po_balances', sa.Column('lines_over', sa.Integer(), server_default='0', nullable=False))
    op.execute(TRIGGERS)
    op.execute("UPDATE po_balances b SET lines_over = po_lines_over_count(b.po_id) "
               "WHERE EXISTS (SELECT 1 FROM po_lines l WHERE l.po_id = b.po_id)")
    op.create_index('ix_po_balances_lines_over', 'po_balances', ['expiration'], unique=False,
                    postgresql_where=sa.text('lines_over > 0'))


def downgrade():
    op.drop_index('ix_po_balances_lines_over', table_name='po_balances', postgresql_where=sa.text('lines_over > 0'))
    op.execute(DROP_TRIGGERS)
    op.drop_column('po_balances', 'lines_over')
