"""Every migration can be undone: head down to base and up again on an empty database, ending with
the same schema (tables, columns, constraints and indexes as PostgreSQL renders them)."""
from __future__ import annotations

from sqlalchemy import text

from tests.integration.test_role_migration import fresh_database  # noqa: F401  (the throwaway database)

SCHEMA = text("""
SELECT 'column', table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid, true)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> 0
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'trigger', tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
""")


def test_all_the_way_down_and_up_again(fresh_database):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from conftest import TEST_CONFIG
    from portal import create_app
    from portal.extensions import db

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database})
    with app.app_context():
        upgrade()
        head = set(db.session.execute(SCHEMA).all())
        db.session.commit()
        assert len(head) > 200
        downgrade(revision="base")
        left = db.session.scalar(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name <> 'alembic_version'"))
        db.session.commit()
        assert left == 0  # every table the migrations made is gone again
        upgrade()
        assert set(db.session.execute(SCHEMA).all()) == head
        db.session.commit()
        db.engine.dispose()
