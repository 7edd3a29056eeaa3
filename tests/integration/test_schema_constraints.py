"""The database itself holds the rules a constraint can hold (DESIGN.md: no contrib extensions)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from portal.models import DocumentType, JobOrder, JobPOAssignment, POEligibleType, POGroup, PurchaseOrder
from tests import factories


def _po(session, debtor, number, effective, expiration, group=None, types=None, amount="1000.00"):
    po = PurchaseOrder(debtor_id=debtor.id, number=number, effective=effective, expiration=expiration,
                       amount=Decimal(amount), group_id=group.id if group else None)
    session.add(po)
    session.flush()
    for t in types if types is not None else session.scalars(select(DocumentType)):
        session.add(POEligibleType(po_id=po.id, document_type_id=t.id, debtor_id=debtor.id, number_key=number.upper()))
    session.flush()
    return po


def test_no_extension_is_installed(db_session):
    names = set(db_session.scalars(text("SELECT extname FROM pg_extension")))
    assert names == {"plpgsql"}


def test_group_pos_may_not_overlap_but_may_touch_the_next_day(db_session):
    debtor = factories.debtor(db_session)
    group = POGroup(debtor_id=debtor.id, description="Main")
    db_session.add(group)
    db_session.flush()
    _po(db_session, debtor, "A1", date(2026, 1, 1), date(2026, 1, 10), group)
    _po(db_session, debtor, "A2", date(2026, 1, 11), date(2026, 1, 31), group)  # next day: fine
    db_session.commit()
    with pytest.raises(IntegrityError, match="ex_purchase_orders_group_overlap"):
        _po(db_session, debtor, "A3", date(2026, 1, 10), date(2026, 1, 10), group)  # shares the 10th
    db_session.rollback()


def test_same_number_only_across_disjoint_document_types(db_session):
    debtor, other = factories.debtor(db_session), factories.debtor(db_session)
    types = {t.name: t for t in db_session.scalars(select(DocumentType))}
    _po(db_session, debtor, "4500", date(2026, 1, 1), date(2026, 12, 31), types=[types["Sales Order"], types["Sales Invoice"]])
    _po(db_session, debtor, "4500", date(2026, 1, 1), date(2026, 12, 31), types=[types["Repair Order"], types["Service Invoice"]])
    _po(db_session, other, "4500", date(2026, 1, 1), date(2026, 12, 31))  # another debtor: any types
    db_session.commit()
    with pytest.raises(IntegrityError, match="uq_po_eligible_types_number_type"):
        _po(db_session, debtor, "4500", date(2026, 1, 1), date(2026, 12, 31), types=[types["Sales Invoice"]])
    db_session.rollback()


def test_renumbering_a_po_carries_its_eligible_types(db_session):
    debtor = factories.debtor(db_session)
    po = _po(db_session, debtor, "old-1", date(2026, 1, 1), date(2026, 12, 31))
    db_session.commit()
    db_session.execute(update(PurchaseOrder).where(PurchaseOrder.id == po.id).values(number="new-1"))
    db_session.commit()
    keys = set(db_session.scalars(select(POEligibleType.number_key).where(POEligibleType.po_id == po.id)))
    assert keys == {"NEW-1"}


def test_job_has_one_assignment_per_day(db_session):
    debtor = factories.debtor(db_session)
    branch = factories.branch(db_session)
    po = _po(db_session, debtor, "P1", date(2026, 1, 1), date(2026, 12, 31))
    job = JobOrder(title="Forklift", debtor_id=debtor.id, branch_id=branch.id, start_date=date(2026, 1, 1))
    db_session.add(job)
    db_session.flush()
    assert job.number.startswith("J")
    db_session.add(JobPOAssignment(job_id=job.id, debtor_id=debtor.id, po_id=po.id, start_date=date(2026, 1, 1),
                                   manual_end=date(2026, 3, 31)))
    db_session.add(JobPOAssignment(job_id=job.id, debtor_id=debtor.id, po_id=po.id, start_date=date(2026, 4, 1)))
    db_session.commit()
    db_session.add(JobPOAssignment(job_id=job.id, debtor_id=debtor.id, po_id=po.id, start_date=date(2026, 6, 1)))
    with pytest.raises(IntegrityError, match="ex_job_po_assignments_one_per_day"):
        db_session.flush()
    db_session.rollback()


def test_one_per_day_refuses_exactly_the_overlapping_pairs(db_session):
    """The box key against the rule it stands for: every pair of a job's periods over a few days
    (closed, or open-ended as None) is refused iff they share a day; another job's never is."""
    from itertools import combinations_with_replacement

    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    po = _po(db_session, debtor, "P1", date(2026, 1, 1), date(2026, 12, 31))
    jobs = [JobOrder(title=f"Job {i}", debtor_id=debtor.id, branch_id=branch.id, start_date=date(2026, 1, 1))
            for i in range(2)]
    db_session.add_all(jobs)
    db_session.flush()
    days = [date(2026, 3, d) for d in (1, 2, 3, 4)]
    periods = [(s, e) for s in days for e in [*days, None] if e is None or e >= s]

    def share_a_day(a, b):
        far = date(9999, 12, 31)
        return a[0] <= (b[1] or far) and b[0] <= (a[1] or far)

    def refused(first, second, other_job):
        savepoint = db_session.begin_nested()
        db_session.add(JobPOAssignment(job_id=jobs[0].id, debtor_id=debtor.id, po_id=po.id,
                                       start_date=first[0], manual_end=first[1]))
        db_session.flush()
        db_session.add(JobPOAssignment(job_id=jobs[1 if other_job else 0].id, debtor_id=debtor.id, po_id=po.id,
                                       start_date=second[0], manual_end=second[1]))
        try:
            db_session.flush()
            return False
        except IntegrityError as error:
            assert "ex_job_po_assignments_one_per_day" in str(error)
            return True
        finally:
            savepoint.rollback()

    pairs = list(combinations_with_replacement(periods, 2))
    assert len(pairs) > 50 and any(share_a_day(a, b) for a, b in pairs) and not all(share_a_day(a, b) for a, b in pairs)
    for a, b in pairs:
        assert refused(a, b, other_job=False) == share_a_day(a, b), (a, b)
        assert not refused(a, b, other_job=True), (a, b)
    db_session.rollback()


def test_assignment_po_must_belong_to_the_jobs_debtor(db_session):
    debtor, other = factories.debtor(db_session), factories.debtor(db_session)
    branch = factories.branch(db_session)
    po = _po(db_session, other, "P9", date(2026, 1, 1), date(2026, 12, 31))
    job = JobOrder(title="Picker", debtor_id=debtor.id, branch_id=branch.id, start_date=date(2026, 1, 1))
    db_session.add(job)
    db_session.flush()
    db_session.add(JobPOAssignment(job_id=job.id, debtor_id=debtor.id, po_id=po.id, start_date=date(2026, 1, 1)))
    with pytest.raises(IntegrityError, match="fk_job_po_assignments_po_same_debtor"):
        db_session.flush()
    db_session.rollback()



@pytest.mark.parametrize("via", ["po", "group"])
def test_assignment_naming_a_debtor_that_does_not_exist_is_refused(db_session, via):
    """The debtor is checked through the PO's or group's (id, debtor_id) key: no key of its own is needed."""
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    po = _po(db_session, debtor, "P1", date(2026, 1, 1), date(2026, 12, 31))
    group = POGroup(debtor_id=debtor.id, description="G")
    job = JobOrder(title="Picker", debtor_id=debtor.id, branch_id=branch.id, start_date=date(2026, 1, 1))
    db_session.add_all([group, job])
    db_session.flush()
    target = {"po_id": po.id} if via == "po" else {"group_id": group.id}
    db_session.add(JobPOAssignment(job_id=job.id, debtor_id=debtor.id + 10_000, start_date=date(2026, 1, 1), **target))
    with pytest.raises(IntegrityError, match=f"fk_job_po_assignments_{via}_same_debtor"):
        db_session.flush()
    db_session.rollback()

# --- the migrations and the models declare the same constraints ----------------------------------
# `flask db check` compares columns and plain indexes but not CHECK or EXCLUDE constraints, nor a
# partial index's WHERE. So PostgreSQL itself renders both sides: the migrated test database, and a
# scratch database built from the models alone (create_all here only draws the models' schema to
# compare with; no test data ever lives in it). Any difference in name, kind or definition fails.

SCHEMA_SQL = """
SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype::text, pg_get_constraintdef(c.oid, true)
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname = 'public' AND c.conrelid <> 0 AND c.conrelid::regclass::text <> 'alembic_version'
   AND c.contype <> 't'  -- a constraint trigger is a trigger (kept by the migrations, as every trigger is)
UNION ALL
SELECT tablename, indexname, 'index', indexdef
  FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'alembic_version'
"""


def _schema(connection) -> dict[tuple[str, str, str], str]:
    """(table, name, kind) -> definition; kind is pg_constraint's contype (c, f, p, u, x) or "index"."""
    return {(tbl, name, kind): definition for tbl, name, kind, definition in connection.execute(text(SCHEMA_SQL))}


@pytest.fixture(scope="module")
def declared_schema(database_url):
    """Constraints and indexes as the models declare them, rendered by PostgreSQL."""
    import uuid

    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from portal.extensions import db

    url = make_url(database_url)
    name = f"portal_models_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(url.set(database=name))
    try:
        db.metadata.create_all(engine)
        with engine.connect() as connection:
            yield _schema(connection)
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drift(migrated: dict, declared: dict) -> list[str]:
    out = [f"only in the migrations: {key} {migrated[key]}" for key in sorted(migrated.keys() - declared.keys())]
    out += [f"only in the models: {key} {declared[key]}" for key in sorted(declared.keys() - migrated.keys())]
    out += [f"differs: {key}: migrations {migrated[key]} vs models {declared[key]}"
            for key in sorted(migrated.keys() & declared.keys()) if migrated[key] != declared[key]]
    return out


def test_migrated_constraints_match_the_models(db_session, declared_schema):
    kinds = {kind for _, _, kind in declared_schema}
    assert {"c", "x", "u", "f", "p", "index"} <= kinds  # the comparison covers every kind, not nothing
    assert ("purchase_orders", "ex_purchase_orders_group_overlap", "x") in declared_schema
    assert ("outbox_emails", "ix_outbox_emails_pending", "index") in declared_schema
    assert _drift(_schema(db_session.connection()), declared_schema) == []


def test_drift_in_a_check_constraint_is_caught(db_session, declared_schema):
    connection = db_session.connection()
    connection.execute(text("ALTER TABLE purchase_orders DROP CONSTRAINT ck_purchase_orders_amount_positive"))
    connection.execute(text("ALTER TABLE purchase_orders ADD CONSTRAINT ck_purchase_orders_amount_positive CHECK (amount >= 0)"))
    connection.execute(text("ALTER TABLE debtors ADD CONSTRAINT ck_debtors_extra CHECK (length(code) < 99)"))
    drift = _drift(_schema(connection), declared_schema)
    db_session.rollback()
    assert any("ck_purchase_orders_amount_positive" in d and d.startswith("differs") for d in drift)
    assert any("ck_debtors_extra" in d and d.startswith("only in the migrations") for d in drift)
