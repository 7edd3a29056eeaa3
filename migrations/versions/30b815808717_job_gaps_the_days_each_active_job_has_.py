"""job gaps: the days each active job has no PO or group, kept by triggers

Revision ID: 30b815808717
Revises: bbdc66a096bd
Create Date: 2026-11-27 23:13:11.339791

The start page's count of active jobs without a PO or group today read every job and its assignments
(100-120 ms at 60,000 jobs). `job_gaps` holds, per job, the stretches of days on which it is active and
none of its current debtor's assignments covers it (job_visibility.assigned_on false), as date ranges:
its active days (start to discontinued, open-ended without one) less the union of its assignments'
days (start to the manual end, else the PO's expiration, else its group's last PO's expiration; open
when that is unknown). Counting the jobs unassigned on a day is then an index-only scan of the ranges
holding that day (GiST: SP-GiST inserts a range at half the cost, but read 514 pages to count 1,000
today, GiST 22). The ranges are worked out by multirange arithmetic (PostgreSQL 14 or later;
no extension).

They are recomputed for the jobs a change touches, in the changing transaction: a job added, or its
dates, debtor or branch changed; an assignment added, changed or removed; a PO's expiration or group
changed, or a PO added to or removed from a group (its group's last expiration). A job deleted takes its
gaps along (a trigger: a foreign key's check, one per row written, was a third of the recomputation for
a bulk assignment's 10,000 jobs). The recomputation locks the jobs' rows first (in id order), so two
changes touching one job apply one after the other and the later sees what the earlier committed; the
services that change assignments lock their jobs first in the same order (bulk assignment, a PO edit's
steps), so none waits on another holding what it needs.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '30b815808717'
down_revision = 'bbdc66a096bd'
branch_labels = None
depends_on = None

# every job's gaps as rows of job_gaps (the refresh adds which jobs)
_GAPS = """
    INSERT INTO job_gaps (job_id, days, branch_id)
    SELECT j.id, gap, j.branch_id
      FROM job_orders j
      LEFT JOIN LATERAL (
          -- the job's rows found by its index alone, the debtor's and the end's tests kept out of the
          -- WHERE: with a fresh table's statistics PostgreSQL ANDed the debtor index in, reading all
          -- 10,000 rows of a bulk assignment's debtor for each of its jobs (9 s instead of 0.2)
          SELECT range_agg(daterange(a.start_date, e.last_day, '[]'))
                     FILTER (WHERE a.debtor_id = j.debtor_id AND (e.last_day IS NULL OR e.last_day >= a.start_date))
                     AS covered
            FROM job_po_assignments a
           CROSS JOIN LATERAL (
               SELECT CASE WHEN a.manual_end IS NOT NULL THEN a.manual_end
                           WHEN a.po_id IS NOT NULL THEN (SELECT p.expiration FROM purchase_orders p WHERE p.id = a.po_id)
                           ELSE (SELECT max(g.expiration) FROM purchase_orders g WHERE g.group_id = a.group_id)
                      END AS last_day) e
           WHERE a.job_id = j.id) c ON true
     CROSS JOIN LATERAL unnest(datemultirange(daterange(j.start_date, j.discontinued_date, '[]'))
                               - coalesce(c.covered, '{}'::datemultirange)) AS gap
"""

_FUNCTIONS = """
CREATE FUNCTION job_gaps_refresh(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- IN (SELECT unnest(ids)), not = ANY (ids): an array in a variable is searched row by row, and a
    -- scan of a bulk assignment's 10,000 jobs compared each with all 10,000 ids (1 s)
    PERFORM 1 FROM job_orders WHERE id IN (SELECT unnest(ids)) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM job_gaps WHERE job_id IN (SELECT unnest(ids));
{gaps_of_ids}END $$;

CREATE FUNCTION job_gaps_jobs_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_gaps_refresh(ARRAY(SELECT id FROM new_jobs));
    RETURN NULL;
END $$;

CREATE FUNCTION job_gaps_jobs_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM job_gaps WHERE job_id IN (SELECT id FROM old_jobs);
    RETURN NULL;
END $$;

CREATE FUNCTION job_gaps_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_gaps_refresh(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE FUNCTION job_gaps_assignments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM job_gaps_refresh(ARRAY(SELECT DISTINCT job_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM job_gaps_refresh(ARRAY(SELECT DISTINCT job_id FROM old_rows));
    ELSE
        PERFORM job_gaps_refresh(ARRAY(
            SELECT unnest(ARRAY[n.job_id, o.job_id])
              FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.job_id, n.debtor_id, n.po_id, n.group_id, n.start_date, n.manual_end)
                   IS DISTINCT FROM (o.job_id, o.debtor_id, o.po_id, o.group_id, o.start_date, o.manual_end)));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION job_gaps_po_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_gaps_refresh(ARRAY(
        SELECT DISTINCT job_id FROM job_po_assignments
         WHERE po_id = NEW.id OR group_id = OLD.group_id OR group_id = NEW.group_id));
    RETURN NULL;
END $$;

CREATE FUNCTION job_gaps_pos_added_or_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM job_gaps_refresh(ARRAY(SELECT DISTINCT a.job_id FROM job_po_assignments a
                                        WHERE a.group_id IN (SELECT group_id FROM new_pos)));
    ELSE
        PERFORM job_gaps_refresh(ARRAY(SELECT DISTINCT a.job_id FROM job_po_assignments a
                                        WHERE a.group_id IN (SELECT group_id FROM old_pos)));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER job_gaps_jobs_added AFTER INSERT ON job_orders
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION job_gaps_jobs_added();
CREATE TRIGGER job_gaps_jobs_removed AFTER DELETE ON job_orders
    REFERENCING OLD TABLE AS old_jobs FOR EACH STATEMENT EXECUTE FUNCTION job_gaps_jobs_removed();
CREATE TRIGGER job_gaps_job_changed AFTER UPDATE OF start_date, discontinued_date, debtor_id, branch_id ON job_orders
    FOR EACH ROW WHEN (OLD.start_date IS DISTINCT FROM NEW.start_date
                       OR OLD.discontinued_date IS DISTINCT FROM NEW.discontinued_date
                       OR OLD.debtor_id IS DISTINCT FROM NEW.debtor_id OR OLD.branch_id IS DISTINCT FROM NEW.branch_id)
    EXECUTE FUNCTION job_gaps_job_changed();
CREATE TRIGGER job_gaps_assignments_added AFTER INSERT ON job_po_assignments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_gaps_assignments_changed();
CREATE TRIGGER job_gaps_assignments_changed AFTER UPDATE ON job_po_assignments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION job_gaps_assignments_changed();
CREATE TRIGGER job_gaps_assignments_removed AFTER DELETE ON job_po_assignments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION job_gaps_assignments_changed();
CREATE TRIGGER job_gaps_po_changed AFTER UPDATE OF expiration, group_id ON purchase_orders
    FOR EACH ROW WHEN (OLD.expiration IS DISTINCT FROM NEW.expiration OR OLD.group_id IS DISTINCT FROM NEW.group_id)
    EXECUTE FUNCTION job_gaps_po_changed();
CREATE TRIGGER job_gaps_pos_added AFTER INSERT ON purchase_orders
    REFERENCING NEW TABLE AS new_pos FOR EACH STATEMENT EXECUTE FUNCTION job_gaps_pos_added_or_removed();
CREATE TRIGGER job_gaps_pos_removed AFTER DELETE ON purchase_orders
    REFERENCING OLD TABLE AS old_pos FOR EACH STATEMENT EXECUTE FUNCTION job_gaps_pos_added_or_removed();
""".replace("{gaps_of_ids}", _GAPS + "     WHERE j.id IN (SELECT unnest(ids));\n")

_DROP = """
DROP TRIGGER job_gaps_pos_removed ON purchase_orders;
DROP TRIGGER job_gaps_pos_added ON purchase_orders;
DROP TRIGGER job_gaps_po_changed ON purchase_orders;
DROP TRIGGER job_gaps_assignments_removed ON job_po_assignments;
DROP TRIGGER job_gaps_assignments_changed ON job_po_assignments;
DROP TRIGGER job_gaps_assignments_added ON job_po_assignments;
DROP TRIGGER job_gaps_job_changed ON job_orders;
DROP TRIGGER job_gaps_jobs_removed ON job_orders;
DROP TRIGGER job_gaps_jobs_added ON job_orders;
DROP FUNCTION job_gaps_pos_added_or_removed();
DROP FUNCTION job_gaps_po_changed();
DROP FUNCTION job_gaps_assignments_changed();
DROP FUNCTION job_gaps_job_changed();
DROP FUNCTION job_gaps_jobs_removed();
DROP FUNCTION job_gaps_jobs_added();
DROP FUNCTION job_gaps_refresh(integer[]);
"""


def upgrade():
    op.create_table('job_gaps',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('days', postgresql.DATERANGE(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', 'days', name=op.f('pk_job_gaps'))
    )
    op.execute(_FUNCTIONS)
    # every job's gaps: the table locks keep writers out meanwhile, so no row is locked one by one
    op.execute("LOCK TABLE job_orders, job_po_assignments, purchase_orders IN SHARE ROW EXCLUSIVE MODE")
    op.execute(_GAPS)
    op.create_index('ix_job_gaps_days', 'job_gaps', ['days'], unique=False, postgresql_using='gist', postgresql_include=['branch_id'])


def downgrade():
    op.execute(_DROP)
    op.drop_index('ix_job_gaps_days', table_name='job_gaps', postgresql_using='gist', postgresql_include=['branch_id'])
    op.drop_table('job_gaps')
