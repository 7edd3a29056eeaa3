"""search words kept in generated tsvector columns; document lines indexed by (PO, document)

Revision ID: c4d92f7e1a05
Revises: a7c31e0f5b42
Create Date: 2026-11-26 07:35:00

A GIN index on an expression answers the search, but a list ordered by another index then
recomputes the tsvector for every row it walks; a stored column is read instead.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'c4d92f7e1a05'
down_revision = 'a7c31e0f5b42'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_job_orders_title_words', table_name='job_orders')
    op.add_column('job_orders', sa.Column('title_words', postgresql.TSVECTOR(), sa.Computed(
        "to_tsvector('simple'::regconfig, (title)::text)", persisted=True), nullable=True))
    op.create_index('ix_job_orders_title_words', 'job_orders', ['title_words'], postgresql_using='gin')
    op.drop_index('ix_purchase_orders_description_words', table_name='purchase_orders')
    op.add_column('purchase_orders', sa.Column('description_words', postgresql.TSVECTOR(), sa.Computed(
        "to_tsvector('simple'::regconfig, (description)::text)", persisted=True), nullable=True))
    op.create_index('ix_purchase_orders_description_words', 'purchase_orders', ['description_words'],
                    postgresql_using='gin')
    op.create_index('ix_document_lines_po_document', 'document_lines', ['po_id', 'document_id'])


def downgrade():
    op.drop_index('ix_document_lines_po_document', table_name='document_lines')
    op.drop_index('ix_purchase_orders_description_words', table_name='purchase_orders')
    op.drop_column('purchase_orders', 'description_words')
    op.create_index('ix_purchase_orders_description_words', 'purchase_orders',
                    [sa.text("to_tsvector('simple'::regconfig, description)")], postgresql_using='gin')
    op.drop_index('ix_job_orders_title_words', table_name='job_orders')
    op.drop_column('job_orders', 'title_words')
    op.create_index('ix_job_orders_title_words', 'job_orders', [sa.text("to_tsvector('simple'::regconfig, title)")],
                    postgresql_using='gin')
