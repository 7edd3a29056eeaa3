"""Alert e-mail preference (immediate or a daily digest) and the day each user's digest was last queued

Revision ID: a33a939d0c5d
Revises: bdeb5d4cc585
Create Date: 2026-11-26 10:29:16.837903

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a33a939d0c5d'
down_revision = 'bdeb5d4cc585'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('alert_email', sa.String(length=10), server_default='immediate', nullable=False))
    op.add_column('users', sa.Column('digest_sent_on', sa.Date(), nullable=True))
    op.create_check_constraint('alert_email', 'users', "alert_email IN ('immediate', 'digest')")


def downgrade():
    op.drop_constraint(op.f('ck_users_alert_email'), 'users', type_='check')
    op.drop_column('users', 'digest_sent_on')
    op.drop_column('users', 'alert_email')
