"""Page sizes, offsets and days are written into the list statements, not passed as parameters, so
the plan PostgreSQL keeps for a prepared statement sees them (portal/services/statement_constants.py);
the rows they select are the same as with parameters."""
from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import Date, cast, select

from portal.models import JobOrder
from portal.services import job_orders, purchase_orders, reports, statement_constants as constant
from tests import factories

DAY = date(2026, 11, 27)
PARAMETER = re.compile(r"%\(\w+\)s")


def _list_statement(statements, table):
    found = [s for s in statements if s.startswith("SELECT") and f"FROM {table}" in s and "LIMIT" in s]
    assert len(found) == 1, statements
    return found[0]


def test_the_po_lists_write_their_page_and_days_into_the_statement(db_session, count_queries):
    debtor = factories.debtor(db_session)
    for n in range(30):
        factories.po(db_session, debtor, f"P{n:02}", expiration=date(2026, 12, 1) if n % 2 else date(2026, 11, 1))
    with count_queries() as statements:
        page = purchase_orders.list_purchase_orders(db_session, purchase_orders.POFilter(), today=DAY, page=2,
                                                    per_page=10)
    sql = " ".join(_list_statement(statements, "purchase_orders").split())
    assert "LIMIT 10 OFFSET 10" in sql and "expiration >= '2026-11-27'" in sql
    assert "LIMIT 121" in sql  # the count's cap: (2 + 10 pages) × 10 rows, and one more
    assert not PARAMETER.search(sql), sql
    assert [p.number for p in page.items] == [f"P{n:02}" for n in range(21, 30, 2)] and page.total == 15
    with count_queries() as statements:
        purchase_orders.list_purchase_orders(db_session, purchase_orders.POFilter(attention=True), today=DAY)
    assert "expiration <= '2026-12-27'" in _list_statement(statements, "purchase_orders")


def test_the_job_list_and_grid_write_their_day_into_the_statement(db_session, count_queries):
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    started = factories.job(db_session, debtor, branch, start=date(2026, 11, 1))
    factories.job(db_session, debtor, branch, start=date(2026, 11, 28))  # not yet started on DAY
    user = factories.user(db_session, role_name="Administrator")
    with count_queries() as statements:
        page = job_orders.list_jobs(db_session, user, job_orders.JobFilter(), today=DAY)
    sql = " ".join(_list_statement(statements, "job_orders").split())
    assert "start_date <= '2026-11-27'" in sql and "discontinued_date >= '2026-11-27'" in sql
    assert "LIMIT 25 OFFSET 0" in sql and not PARAMETER.search(sql), sql
    assert [j.id for j in page.items] == [started.id]


def test_the_spend_report_writes_its_page_into_the_statement(db_session, count_queries):
    with count_queries() as statements:
        reports.spend_by_po_number(db_session, None, page=3, per_page=25)
    sql = " ".join(_list_statement(statements, "po_number_spend").split())
    assert "LIMIT 25 OFFSET 50" in sql and "documents > 0" in sql


def test_constants_are_quoted_and_typed(db_session):
    assert db_session.scalar(select(cast(constant.day(DAY), Date))) == DAY
    assert db_session.scalar(select(constant.number(7))) == 7
    assert db_session.scalar(select(JobOrder.id).limit(constant.number(1))) is None
    assert db_session.scalar(select(constant.word("it's"))) == "it's"
    with pytest.raises(TypeError, match="a date is needed, not str"):
        constant.day("2026-11-27'; DROP TABLE job_orders; --")
    with pytest.raises(TypeError, match="a str is needed, not int"):
        constant.word(1)
    with pytest.raises((TypeError, ValueError)):
        constant.number("1; DROP TABLE job_orders")
    assert db_session.scalar(select(constant.key(42))) == 42
    with pytest.raises((TypeError, ValueError)):
        constant.key("1 OR 1=1")


def test_the_debtor_a_list_is_narrowed_to_is_written_into_its_statement(db_session, count_queries):
    """Debtors differ in size, so the plan of one debtor's list is kept per debtor (no parameter)."""
    from portal.services import documents

    debtor, other, branch = factories.debtor(db_session), factories.debtor(db_session), factories.branch(db_session)
    mine = [factories.po(db_session, debtor), factories.job(db_session, debtor, branch)]
    factories.po(db_session, other), factories.job(db_session, other, branch)
    user = factories.user(db_session, role_name="Administrator")
    with count_queries() as statements:
        pos = purchase_orders.list_purchase_orders(db_session, purchase_orders.POFilter(debtor_id=debtor.id), today=DAY)
        jobs = job_orders.list_jobs(db_session, user, job_orders.JobFilter(debtor_id=debtor.id), today=DAY)
        docs = documents.list_documents(db_session, SimpleNamespace(branch_ids=()), debtor_id=debtor.id)
    for table in ("purchase_orders", "job_orders", "documents"):
        sql = " ".join(_list_statement(statements, table).split())
        assert f"debtor_id = {debtor.id}" in sql and not PARAMETER.search(sql), sql
    assert [p.id for p in pos.items] == [mine[0].id] and [j.id for j in jobs.items] == [mine[1].id]
    assert docs.items == []
