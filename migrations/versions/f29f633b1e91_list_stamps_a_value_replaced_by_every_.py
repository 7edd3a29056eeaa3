"""List stamps: a value replaced by every write to the debtors, read with the session row

A worker keeps the debtors' filter options (every debtor's id, code and name, on six pages) with the
stamp it read them under and reads them again when the stamp differs (portal/services/debtors.py). The
trigger runs before each statement that writes debtors, so the new stamp commits with the write.

Revision ID: f29f633b1e91
Revises: 1b2609d7a865
Create Date: 2026-11-27 06:59:00.877412

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f29f633b1e91'
down_revision = '1b2609d7a865'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('list_stamps',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('stamp', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_list_stamps'))
    )
    op.execute("INSERT INTO list_stamps (name) VALUES ('debtors')")
    op.execute("""
        CREATE FUNCTION list_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE list_stamps SET stamp = gen_random_uuid() WHERE name = TG_ARGV[0];
            RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER debtors_list_stamp BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON debtors "
               "FOR EACH STATEMENT EXECUTE FUNCTION list_stamp_renew('debtors')")


def downgrade():
    op.execute("DROP TRIGGER debtors_list_stamp ON debtors")
    op.execute("DROP FUNCTION list_stamp_renew()")
    op.drop_table('list_stamps')
