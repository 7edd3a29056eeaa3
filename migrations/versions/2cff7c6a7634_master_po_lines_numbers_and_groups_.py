"""master PO lines' numbers and groups unique at commit while a save reorders them

A master PO's save may reorder its lines or swap two lines' bill code groups; with the UNIQUE
constraints checked row by row, a swap failed half-way and lines stepped aside through negative
numbers (written to the history twice a line). Both become DEFERRABLE INITIALLY IMMEDIATE: checked
at once as before, and at commit only where the save says SET CONSTRAINTS … DEFERRED. Nothing
references them (no foreign key, no ON CONFLICT target), so they may be deferrable.

Revision ID: 2cff7c6a7634
Revises: c305c41d81dd
Create Date: 2026-11-28 13:59:50.001719

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '2cff7c6a7634'
down_revision = 'c305c41d81dd'
branch_labels = None
depends_on = None


CONSTRAINTS = (("uq_po_lines_po_line_no", ["po_id", "line_no"]),
               ("uq_po_lines_po_group", ["po_id", "bill_code_group_id"]))


def _recreate(deferrable: bool) -> None:
    for name, columns in CONSTRAINTS:
        op.drop_constraint(name, "po_lines", type_="unique")
        op.create_unique_constraint(name, "po_lines", columns, deferrable=deferrable or None,
                                    initially="IMMEDIATE" if deferrable else None)


def upgrade():
    _recreate(deferrable=True)


def downgrade():
    _recreate(deferrable=False)
