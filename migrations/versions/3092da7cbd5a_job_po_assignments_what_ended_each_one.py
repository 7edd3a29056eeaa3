"""job PO assignments: what ended each one

An assignment's stored end was read as a manual clearing unless it fell on its PO's expiration, so a row
that a PO's extension moved up to the day before the job's next assignment read "Manual assignment". Each
row now keeps what ended it (`end_cause`: a manual clearing, its PO's expiry, the job's next assignment, the
job's move to another debtor), set by whatever writes its end; open-ended rows have none.

Rows ended before this keep none (their reason is read as before), except those a PO's extension ended the
day before the job's next assignment: found by the history entry that wrote their end in the transaction
that extended their PO (same time) from that old end.

Revision ID: 3092da7cbd5a
Revises: 822cebff2eda
Create Date: 2026-11-29 01:00:03.020982

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3092da7cbd5a'
down_revision = '822cebff2eda'
branch_labels = None
depends_on = None


BACKFILL_NEXT = """
UPDATE job_po_assignments a SET end_cause = 'next'
WHERE a.manual_end IS NOT NULL
  AND EXISTS (SELECT 1 FROM job_po_assignments n
              WHERE n.job_id = a.job_id AND n.debtor_id = a.debtor_id AND n.start_date = a.manual_end + 1)
  AND EXISTS (SELECT 1 FROM audit_entries e
              JOIN purchase_orders p ON p.id = a.po_id OR p.group_id = a.group_id
              JOIN audit_entries x ON x.entity_type = 'purchase_orders' AND x.entity_id = p.id
                                  AND x.action = 'update' AND x.at = e.at
                                  AND x.changes -> 'expiration' ->> 0 = e.changes -> 'manual_end' ->> 0
              WHERE e.entity_type = 'job_po_assignments' AND e.entity_id = a.id AND e.action = 'update'
                AND e.changes -> 'manual_end' ->> 1 = to_char(a.manual_end, 'YYYY-MM-DD'))
"""


def upgrade():
    op.add_column('job_po_assignments', sa.Column('end_cause', sa.String(length=8), nullable=True))
    op.create_check_constraint('end_cause', 'job_po_assignments',
                               "end_cause IS NULL OR manual_end IS NOT NULL"
                               " AND end_cause IN ('manual', 'expiry', 'next', 'move')")
    op.execute(BACKFILL_NEXT)


def downgrade():
    op.drop_constraint(op.f('ck_job_po_assignments_end_cause'), 'job_po_assignments', type_='check')
    op.drop_column('job_po_assignments', 'end_cause')
