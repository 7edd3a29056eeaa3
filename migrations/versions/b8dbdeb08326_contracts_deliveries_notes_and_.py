"""contracts, deliveries, notes and opportunities (seed 000)

Revision ID: b8dbdeb08326
Revises: 8a5844ffdb0b
Create Date: 2026-11-26 06:42:04.007057

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8dbdeb08326'
down_revision = '8a5844ffdb0b'
branch_labels = None
depends_on = None


# DESIGN.md's grants of `contracts`, and `opportunities` as the table now reads (add_edit: own only)
CONTRACT_GRANTS = {"Administrator": "full", "Billing Admin": "full", "Billing Clerk": "view", "Consultant": "add_edit",
                   "Relationship Lead": "add_edit", "Auditor": "view"}


def upgrade():
    op.execute(sa.schema.CreateSequence(sa.Sequence('contract_number_seq', start=1001)))
    op.create_table('debtor_relationship_leads',
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_debtor_relationship_leads_debtor_id_debtors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_debtor_relationship_leads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('debtor_id', 'user_id', name=op.f('pk_debtor_relationship_leads'))
    )
    op.create_index('ix_debtor_relationship_leads_user', 'debtor_relationship_leads', ['user_id'], unique=False)
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), server_default=sa.text("'CT' || nextval('contract_number_seq')::text"), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('last_scheduled_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(trim(title)) > 0', name=op.f('ck_contracts_title_not_blank')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_contracts_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contracts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_contracts_debtor_id_debtors'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['job_id'], ['job_orders.id'], name=op.f('fk_contracts_job_id_job_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['po_id', 'debtor_id'], ['purchase_orders.id', 'purchase_orders.debtor_id'], name='fk_contracts_po_same_debtor', ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_contracts_po_id_purchase_orders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('number', name=op.f('uq_contracts_number')),
    sa.UniqueConstraint('po_id', name=op.f('uq_contracts_po_id'))
    )
    op.create_index(op.f('ix_contracts_debtor_id'), 'contracts', ['debtor_id'], unique=False)
    op.create_index(op.f('ix_contracts_job_id'), 'contracts', ['job_id'], unique=False)
    op.create_table('contract_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('opening', 'scheduled', 'cancelled', 'po_amount', 'manual', 'status')", name=op.f('ck_contract_notes_kind')),
    sa.CheckConstraint('length(trim(text)) > 0', name=op.f('ck_contract_notes_text_not_blank')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_contract_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_notes_contract_id_contracts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_notes'))
    )
    op.create_index('ix_contract_notes_contract', 'contract_notes', ['contract_id', 'id'], unique=False)
    op.create_table('opportunities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('lost_reason', sa.Text(), nullable=True),
    sa.Column('status_changed_on', sa.Date(), server_default=sa.text('CURRENT_DATE'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status <> 'lost' OR length(trim(coalesce(lost_reason, ''))) > 0", name=op.f('ck_opportunities_lost_has_reason')),
    sa.CheckConstraint("status IN ('open', 'won', 'lost', 'expired')", name=op.f('ck_opportunities_status')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_opportunities_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_opportunities_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_opportunities_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_opportunities_owner_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_opportunities_po_id_purchase_orders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunities'))
    )
    op.create_index(op.f('ix_opportunities_contract_id'), 'opportunities', ['contract_id'], unique=False)
    op.create_index(op.f('ix_opportunities_owner_id'), 'opportunities', ['owner_id'], unique=False)
    op.create_index(op.f('ix_opportunities_po_id'), 'opportunities', ['po_id'], unique=False)
    op.create_index('ix_opportunities_status_owner', 'opportunities', ['status', 'owner_id'], unique=False)
    op.create_index('uq_opportunities_open_po', 'opportunities', ['po_id'], unique=True, postgresql_where=sa.text("status = 'open'"))
    op.create_table('contract_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('document_line_id', sa.Integer(), nullable=False),
    sa.Column('bill_code_id', sa.Integer(), nullable=False),
    sa.Column('delivery_date', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('rate', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('scheduled_on', sa.Date(), nullable=False),
    sa.Column('cancelled_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity > 0 AND rate > 0 AND amount > 0', name=op.f('ck_contract_deliveries_positive')),
    sa.ForeignKeyConstraint(['bill_code_id'], ['bill_codes.id'], name=op.f('fk_contract_deliveries_bill_code_id_bill_codes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_contract_deliveries_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_deliveries_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contract_deliveries_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_line_id'], ['document_lines.id'], name=op.f('fk_contract_deliveries_document_line_id_document_lines'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_deliveries')),
    sa.UniqueConstraint('document_line_id', name=op.f('uq_contract_deliveries_document_line_id'))
    )
    op.create_index(op.f('ix_contract_deliveries_contract_id'), 'contract_deliveries', ['contract_id'], unique=False)

    # the notes are the contract's story: append-only, held by the database
    op.execute("""
        CREATE FUNCTION contract_notes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'contract notes are append-only' USING ERRCODE = 'restrict_violation';
        END $$""")
    op.execute("""CREATE TRIGGER contract_notes_append_only BEFORE UPDATE OR DELETE ON contract_notes
                  FOR EACH ROW EXECUTE FUNCTION contract_notes_append_only()""")

    # existing installs: the default roles get the new grants (roles edited since keep their own)
    for role, level in CONTRACT_GRANTS.items():
        op.execute(sa.text("INSERT INTO role_grants (role_id, item, level) SELECT id, 'contracts', :level FROM roles "
                           "WHERE name = :role ON CONFLICT DO NOTHING").bindparams(role=role, level=level))
    op.execute(sa.text("INSERT INTO role_grants (role_id, item, level) SELECT id, 'opportunities', 'view' FROM roles "
                       "WHERE name = 'Consultant' ON CONFLICT DO NOTHING"))
    op.execute(sa.text("UPDATE role_grants SET level = 'add_edit' FROM roles WHERE roles.id = role_grants.role_id "
                       "AND roles.name = 'Relationship Lead' AND role_grants.item = 'opportunities' "
                       "AND role_grants.level = 'full'"))


def downgrade():
    op.execute(sa.text("DELETE FROM role_grants WHERE item = 'contracts'"))
    op.execute(sa.text("UPDATE role_grants SET level = 'full' FROM roles WHERE roles.id = role_grants.role_id "
                       "AND roles.name = 'Relationship Lead' AND role_grants.item = 'opportunities' "
                       "AND role_grants.level = 'add_edit'"))
    op.execute(sa.text("DELETE FROM role_grants USING roles WHERE roles.id = role_grants.role_id "
                       "AND roles.name = 'Consultant' AND role_grants.item = 'opportunities' AND role_grants.level = 'view'"))
    op.execute("DROP TRIGGER contract_notes_append_only ON contract_notes")
    op.execute("DROP FUNCTION contract_notes_append_only()")
    op.drop_index(op.f('ix_contract_deliveries_contract_id'), table_name='contract_deliveries')
    op.drop_table('contract_deliveries')
    op.drop_index('uq_opportunities_open_po', table_name='opportunities')
    op.drop_index('ix_opportunities_status_owner', table_name='opportunities')
    op.drop_index(op.f('ix_opportunities_po_id'), table_name='opportunities')
    op.drop_index(op.f('ix_opportunities_owner_id'), table_name='opportunities')
    op.drop_index(op.f('ix_opportunities_contract_id'), table_name='opportunities')
    op.drop_table('opportunities')
    op.drop_index('ix_contract_notes_contract', table_name='contract_notes')
    op.drop_table('contract_notes')
    op.drop_index(op.f('ix_contracts_job_id'), table_name='contracts')
    op.drop_index(op.f('ix_contracts_debtor_id'), table_name='contracts')
    op.drop_table('contracts')
    op.drop_index('ix_debtor_relationship_leads_user', table_name='debtor_relationship_leads')
    op.drop_table('debtor_relationship_leads')
    op.execute(sa.schema.DropSequence(sa.Sequence('contract_number_seq')))
