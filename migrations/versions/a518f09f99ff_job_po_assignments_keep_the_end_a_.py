"""job PO assignments keep the end a shortened PO cut

Seed 004 step 3 ends an assignment at its PO's new, earlier expiration when that comes first; the PO's later
extension gave the row nothing back, so an end set by hand before the cut was lost. Each row a cut ends now
keeps the end and cause it had before (`end_before_cut`, `cause_before_cut`), reset by any other change of
its end; no other row has them.

Revision ID: a518f09f99ff
Revises: 8e604d465208
Create Date: 2026-11-29 07:01:58.487868

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a518f09f99ff'
down_revision = '8e604d465208'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('job_po_assignments', sa.Column('end_before_cut', sa.Date(), nullable=True))
    op.add_column('job_po_assignments', sa.Column('cause_before_cut', sa.String(length=8), nullable=True))
    op.create_check_constraint('end_before_cut', 'job_po_assignments',
                               "end_before_cut IS NULL OR manual_end IS NOT NULL AND end_before_cut > manual_end")
    op.create_check_constraint('cause_before_cut', 'job_po_assignments',
                               "cause_before_cut IS NULL OR end_before_cut IS NOT NULL"
                               " AND cause_before_cut IN ('manual', 'expiry', 'next', 'move')")


def downgrade():
    op.drop_constraint(op.f('ck_job_po_assignments_cause_before_cut'), 'job_po_assignments', type_='check')
    op.drop_constraint(op.f('ck_job_po_assignments_end_before_cut'), 'job_po_assignments', type_='check')
    op.drop_column('job_po_assignments', 'cause_before_cut')
    op.drop_column('job_po_assignments', 'end_before_cut')
