"""po_balances index by remaining: the start page's attention list and the PO list sorted by
Net Remaining read the least remaining first from the index instead of sorting every balance row.

Revision ID: 0715fb5e0828
Revises: 98ccbf63a978
Create Date: 2026-11-26 13:05:57.817148

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0715fb5e0828'
down_revision = '98ccbf63a978'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_po_balances_remaining', 'po_balances', ['remaining', 'po_id'], unique=False)


def downgrade():
    op.drop_index('ix_po_balances_remaining', table_name='po_balances')
