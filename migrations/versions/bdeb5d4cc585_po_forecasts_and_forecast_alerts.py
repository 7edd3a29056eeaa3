"""PO forecasts (burn-down) and the "forecast to run out within N days" alert condition

Revision ID: bdeb5d4cc585
Revises: 0b9ed954f716
Create Date: 2026-11-26 09:53:16.647939

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bdeb5d4cc585'
down_revision = '0b9ed954f716'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'po_forecasts',
        sa.Column('po_id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('rate', sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column('tolerance_on', sa.Date(), nullable=True),
        sa.Column('runs_out_on', sa.Date(), nullable=True),
        sa.CheckConstraint("state IN ('no_history', 'too_little_history', 'over', 'not_rising', 'projected')",
                           name=op.f('ck_po_forecasts_state')),
        sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_po_forecasts_po_id_purchase_orders'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('po_id', name=op.f('pk_po_forecasts')),
    )
    op.create_index('ix_po_forecasts_runs_out_on', 'po_forecasts', ['runs_out_on'], unique=False)
    op.add_column('alert_templates', sa.Column('forecast_days', sa.Integer(), nullable=True))
    op.create_check_constraint(op.f('ck_alert_templates_forecast_days'), 'alert_templates',
                               'forecast_days IS NULL OR forecast_days BETWEEN 1 AND 365')
    op.drop_constraint(op.f('ck_alerts_kind'), 'alerts', type_='check')
    op.create_check_constraint(op.f('ck_alerts_kind'), 'alerts', "kind IN ('threshold', 'expiry', 'forecast')")


def downgrade():
    op.execute("DELETE FROM alerts WHERE kind = 'forecast'")
    op.drop_constraint(op.f('ck_alerts_kind'), 'alerts', type_='check')
    op.create_check_constraint(op.f('ck_alerts_kind'), 'alerts', "kind IN ('threshold', 'expiry')")
    op.drop_constraint(op.f('ck_alert_templates_forecast_days'), 'alert_templates', type_='check')
    op.drop_column('alert_templates', 'forecast_days')
    op.drop_index('ix_po_forecasts_runs_out_on', table_name='po_forecasts')
    op.drop_table('po_forecasts')
