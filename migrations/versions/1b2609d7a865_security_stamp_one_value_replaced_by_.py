"""Security stamp: one value replaced by every write to roles, grants, branches or who holds them

A worker keeps each signed-in user's grants and branches with the stamp it read them under and reads
them again when the stamp differs (portal/services/principals.py). The triggers run before each
statement, so a transaction takes the stamp row's lock before it locks any row of these tables:
two administrators' changes wait for each other in one order and cannot deadlock on it.

Revision ID: 1b2609d7a865
Revises: 75563a2f3c17
Create Date: 2026-11-26 23:02:54.506990

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1b2609d7a865'
down_revision = '75563a2f3c17'
branch_labels = None
depends_on = None

TABLES = ("roles", "role_grants", "branches", "user_roles", "user_branches")


def upgrade():
    op.create_table('security_stamp',
    sa.Column('id', sa.SmallInteger(), nullable=False),
    sa.Column('stamp', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_security_stamp_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_stamp'))
    )
    op.execute("INSERT INTO security_stamp (id) VALUES (1)")
    op.execute("""
        CREATE FUNCTION security_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE security_stamp SET stamp = gen_random_uuid() WHERE id = 1;
            RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_security_stamp BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION security_stamp_renew()")


def downgrade():
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_security_stamp ON {table}")
    op.execute("DROP FUNCTION security_stamp_renew()")
    op.drop_table('security_stamp')
