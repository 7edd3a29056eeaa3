"""equipment pricing from supplier POs

Revision ID: c07528e3ecf4
Revises: b8dbdeb08326
Create Date: 2026-11-26 06:41:43.936128

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c07528e3ecf4'
down_revision = 'b8dbdeb08326'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.schema.CreateSequence(sa.Sequence('service_desk_number_seq', start=1001)))
    op.create_table('equipment_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_equipment_types_name_not_blank')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_equipment_types_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_equipment_types_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_types'))
    )
    op.create_index('uq_equipment_types_name_upper', 'equipment_types', [sa.literal_column('upper(name)')], unique=True)

    op.create_table('suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_suppliers_name_not_blank')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_suppliers_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_suppliers_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers'))
    )
    op.create_index('uq_suppliers_name_upper', 'suppliers', [sa.literal_column('upper(name)')], unique=True)

    op.create_table('equipment_catalogs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('equipment_type_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_equipment_catalogs_name_not_blank')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_equipment_catalogs_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_equipment_catalogs_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['equipment_type_id'], ['equipment_types.id'], name=op.f('fk_equipment_catalogs_equipment_type_id_equipment_types'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_catalogs'))
    )
    op.create_index(op.f('ix_equipment_catalogs_equipment_type_id'), 'equipment_catalogs', ['equipment_type_id'], unique=False)
    op.create_index('uq_equipment_catalogs_name_upper', 'equipment_catalogs', [sa.literal_column('upper(name)')], unique=True)

    op.create_table('supplier_pos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('service_desk_item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(trim(number)) > 0', name=op.f('ck_supplier_pos_number_not_blank')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_supplier_pos_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_supplier_pos_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_pos_supplier_id_suppliers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_pos'))
    )
    op.create_index('ix_supplier_pos_order', 'supplier_pos', ['order_date', 'number'], unique=False)
    op.create_index(op.f('ix_supplier_pos_service_desk_item_id'), 'supplier_pos', ['service_desk_item_id'], unique=False)
    op.create_index(op.f('ix_supplier_pos_supplier_id'), 'supplier_pos', ['supplier_id'], unique=False)
    op.create_index('uq_supplier_pos_number_upper', 'supplier_pos', [sa.literal_column('upper(number)')], unique=True)

    op.create_table('catalog_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('catalog_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('bill_code_id', sa.Integer(), nullable=False),
    sa.Column('charge_type', sa.String(length=14), nullable=False),
    sa.Column('override_allowed', sa.Boolean(), nullable=False),
    sa.Column('default_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('override_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('po_pricing', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('markup_percent', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('markup_flat', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("NOT po_pricing OR (charge_type = 'non_recurring' AND override_allowed)", name=op.f('ck_catalog_charges_po_pricing_eligible')),
    sa.CheckConstraint("charge_type IN ('recurring', 'non_recurring')", name=op.f('ck_catalog_charges_charge_type')),
    sa.CheckConstraint('NOT po_pricing OR override_amount IS NULL', name=op.f('ck_catalog_charges_po_pricing_no_override_amount')),
    sa.CheckConstraint('default_amount >= 0', name=op.f('ck_catalog_charges_default_amount_not_negative')),
    sa.CheckConstraint('markup_flat IS NULL OR markup_flat >= 0', name=op.f('ck_catalog_charges_markup_flat_not_negative')),
    sa.CheckConstraint('markup_percent IS NULL OR markup_percent >= 0', name=op.f('ck_catalog_charges_markup_percent_not_negative')),
    sa.CheckConstraint('override_amount IS NULL OR (override_allowed AND override_amount >= 0)', name=op.f('ck_catalog_charges_override_amount_allowed')),
    sa.ForeignKeyConstraint(['bill_code_id'], ['bill_codes.id'], name=op.f('fk_catalog_charges_bill_code_id_bill_codes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['catalog_id'], ['equipment_catalogs.id'], name=op.f('fk_catalog_charges_catalog_id_equipment_catalogs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_catalog_charges_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_catalog_charges_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_charges'))
    )
    op.create_index(op.f('ix_catalog_charges_catalog_id'), 'catalog_charges', ['catalog_id'], unique=False)
    op.create_index('uq_catalog_charges_one_po_priced', 'catalog_charges', ['catalog_id'], unique=True, postgresql_where=sa.text('po_pricing'))

    op.create_table('supplier_po_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_po_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('equipment_type_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('purchase_price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('purchase_price >= 0', name=op.f('ck_supplier_po_lines_price_not_negative')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_supplier_po_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_supplier_po_lines_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_supplier_po_lines_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['equipment_type_id'], ['equipment_types.id'], name=op.f('fk_supplier_po_lines_equipment_type_id_equipment_types'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['supplier_po_id'], ['supplier_pos.id'], name=op.f('fk_supplier_po_lines_supplier_po_id_supplier_pos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_po_lines')),
    sa.UniqueConstraint('supplier_po_id', 'line_no', name='uq_supplier_po_lines_po_line_no')
    )
    op.create_index(op.f('ix_supplier_po_lines_equipment_type_id'), 'supplier_po_lines', ['equipment_type_id'], unique=False)

    op.create_table('equipment_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_po_line_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('in_stock', 'issued')", name=op.f('ck_equipment_units_status')),
    sa.CheckConstraint('length(trim(serial)) > 0', name=op.f('ck_equipment_units_serial_not_blank')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_equipment_units_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_equipment_units_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_po_line_id'], ['supplier_po_lines.id'], name=op.f('fk_equipment_units_supplier_po_line_id_supplier_po_lines'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_units'))
    )
    op.create_index(op.f('ix_equipment_units_supplier_po_line_id'), 'equipment_units', ['supplier_po_line_id'], unique=False)
    op.create_index('uq_equipment_units_serial_upper', 'equipment_units', [sa.literal_column('upper(serial)')], unique=True)

    op.create_table('service_desk_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), server_default=sa.text("'SD' || nextval('service_desk_number_seq')::text"), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('customer_po_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('supplier_po_id', sa.Integer(), nullable=True),
    sa.Column('repair_order_id', sa.Integer(), nullable=True),
    sa.Column('service_invoice_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status = 'open' OR repair_order_id IS NOT NULL", name=op.f('ck_service_desk_items_closed_has_repair_order')),
    sa.CheckConstraint("status IN ('open', 'closed', 'invoiced')", name=op.f('ck_service_desk_items_status')),
    sa.CheckConstraint('length(trim(description)) > 0', name=op.f('ck_service_desk_items_description_not_blank')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_service_desk_items_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_service_desk_items_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_po_id'], ['purchase_orders.id'], name=op.f('fk_service_desk_items_customer_po_id_purchase_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_service_desk_items_debtor_id_debtors'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['job_id'], ['job_orders.id'], name=op.f('fk_service_desk_items_job_id_job_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['repair_order_id'], ['documents.id'], name=op.f('fk_service_desk_items_repair_order_id_documents'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['service_invoice_id'], ['documents.id'], name=op.f('fk_service_desk_items_service_invoice_id_documents'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['supplier_po_id'], ['supplier_pos.id'], name=op.f('fk_service_desk_items_supplier_po_id_supplier_pos'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_desk_items')),
    sa.UniqueConstraint('number', name=op.f('uq_service_desk_items_number'))
    )
    op.create_index(op.f('ix_service_desk_items_debtor_id'), 'service_desk_items', ['debtor_id'], unique=False)
    op.create_index(op.f('ix_service_desk_items_job_id'), 'service_desk_items', ['job_id'], unique=False)

    op.create_table('service_desk_equipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('catalog_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('fulfilment', sa.String(length=10), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('supplier_po_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("fulfilment IN ('inventory', 'order')", name=op.f('ck_service_desk_equipment_fulfilment')),
    sa.CheckConstraint("unit_id IS NULL OR fulfilment = 'inventory'", name=op.f('ck_service_desk_equipment_unit_only_from_inventory')),
    sa.CheckConstraint('quantity BETWEEN 1 AND 10000', name=op.f('ck_service_desk_equipment_quantity_range')),
    sa.ForeignKeyConstraint(['catalog_id'], ['equipment_catalogs.id'], name=op.f('fk_service_desk_equipment_catalog_id_equipment_catalogs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_service_desk_equipment_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_service_desk_equipment_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['service_desk_items.id'], name=op.f('fk_service_desk_equipment_item_id_service_desk_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_po_id'], ['supplier_pos.id'], name=op.f('fk_service_desk_equipment_supplier_po_id_supplier_pos'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['equipment_units.id'], name=op.f('fk_service_desk_equipment_unit_id_equipment_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_desk_equipment'))
    )
    op.create_index(op.f('ix_service_desk_equipment_item_id'), 'service_desk_equipment', ['item_id'], unique=False)
    op.create_index('uq_service_desk_equipment_unit', 'service_desk_equipment', ['unit_id'], unique=True, postgresql_where=sa.text('unit_id IS NOT NULL'))

    op.create_table('service_desk_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('equipment_id', sa.Integer(), nullable=False),
    sa.Column('catalog_charge_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('bill_code_id', sa.Integer(), nullable=False),
    sa.Column('charge_type', sa.String(length=14), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('po_priced', sa.Boolean(), nullable=False),
    sa.Column('overridden', sa.Boolean(), nullable=False),
    sa.Column('source_description', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("charge_type IN ('recurring', 'non_recurring')", name=op.f('ck_service_desk_charges_charge_type')),
    sa.CheckConstraint('(rate IS NULL) = (amount IS NULL)', name=op.f('ck_service_desk_charges_rate_and_amount_together')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_service_desk_charges_quantity_positive')),
    sa.CheckConstraint('rate IS NULL OR (rate >= 0 AND amount >= 0)', name=op.f('ck_service_desk_charges_not_negative')),
    sa.ForeignKeyConstraint(['bill_code_id'], ['bill_codes.id'], name=op.f('fk_service_desk_charges_bill_code_id_bill_codes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['catalog_charge_id'], ['catalog_charges.id'], name=op.f('fk_service_desk_charges_catalog_charge_id_catalog_charges'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_service_desk_charges_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_service_desk_charges_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['equipment_id'], ['service_desk_equipment.id'], name=op.f('fk_service_desk_charges_equipment_id_service_desk_equipment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['service_desk_items.id'], name=op.f('fk_service_desk_charges_item_id_service_desk_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_desk_charges'))
    )
    op.create_index(op.f('ix_service_desk_charges_equipment_id'), 'service_desk_charges', ['equipment_id'], unique=False)
    op.create_index(op.f('ix_service_desk_charges_item_id'), 'service_desk_charges', ['item_id'], unique=False)

    # a supplier PO's picker points at a service desk item, made after both tables exist
    op.create_foreign_key(op.f('fk_supplier_pos_service_desk_item_id_service_desk_items'), 'supplier_pos',
                          'service_desk_items', ['service_desk_item_id'], ['id'], ondelete='SET NULL')


def downgrade():
    op.drop_constraint(op.f('fk_supplier_pos_service_desk_item_id_service_desk_items'), 'supplier_pos',
                       type_='foreignkey')
    op.drop_index(op.f('ix_service_desk_charges_item_id'), table_name='service_desk_charges')
    op.drop_index(op.f('ix_service_desk_charges_equipment_id'), table_name='service_desk_charges')

    op.drop_table('service_desk_charges')
    op.drop_index('uq_service_desk_equipment_unit', table_name='service_desk_equipment', postgresql_where=sa.text('unit_id IS NOT NULL'))
    op.drop_index(op.f('ix_service_desk_equipment_item_id'), table_name='service_desk_equipment')

    op.drop_table('service_desk_equipment')
    op.drop_index(op.f('ix_service_desk_items_job_id'), table_name='service_desk_items')
    op.drop_index(op.f('ix_service_desk_items_debtor_id'), table_name='service_desk_items')

    op.drop_table('service_desk_items')
    op.drop_index('uq_equipment_units_serial_upper', table_name='equipment_units')
    op.drop_index(op.f('ix_equipment_units_supplier_po_line_id'), table_name='equipment_units')

    op.drop_table('equipment_units')
    op.drop_index(op.f('ix_supplier_po_lines_equipment_type_id'), table_name='supplier_po_lines')

    op.drop_table('supplier_po_lines')
    op.drop_index('uq_catalog_charges_one_po_priced', table_name='catalog_charges', postgresql_where=sa.text('po_pricing'))
    op.drop_index(op.f('ix_catalog_charges_catalog_id'), table_name='catalog_charges')

    op.drop_table('catalog_charges')
    op.drop_index('uq_supplier_pos_number_upper', table_name='supplier_pos')
    op.drop_index(op.f('ix_supplier_pos_supplier_id'), table_name='supplier_pos')
    op.drop_index(op.f('ix_supplier_pos_service_desk_item_id'), table_name='supplier_pos')
    op.drop_index('ix_supplier_pos_order', table_name='supplier_pos')

    op.drop_table('supplier_pos')
    op.drop_index('uq_equipment_catalogs_name_upper', table_name='equipment_catalogs')
    op.drop_index(op.f('ix_equipment_catalogs_equipment_type_id'), table_name='equipment_catalogs')

    op.drop_table('equipment_catalogs')
    op.drop_index('uq_suppliers_name_upper', table_name='suppliers')

    op.drop_table('suppliers')
    op.drop_index('uq_equipment_types_name_upper', table_name='equipment_types')

    op.drop_table('equipment_types')
    op.execute(sa.schema.DropSequence(sa.Sequence('service_desk_number_seq')))
