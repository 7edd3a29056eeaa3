"""A unit of work that wrote nothing ends with COMMIT (its connection keeps its prepared statements);
one that wrote, locked or holds unsaved changes is never committed by it, whatever the request did."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text

from portal.models import Branch
from portal.services.prepared import end_if_read_only
from tests import factories


def _branches(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Branch))


def test_a_transaction_that_only_read_is_committed(db_session):
    factories.branch(db_session)
    assert db_session.scalar(select(func.count()).select_from(Branch)) == 1
    assert end_if_read_only(db_session()) is True
    assert not db_session().in_transaction()


def test_a_flushed_write_is_left_to_the_rollback(db_session):
    db_session.add(Branch(code="FLUSHED", name="Flushed"))
    db_session.flush()  # in the database, not committed: the transaction now has an id
    assert end_if_read_only(db_session()) is False
    assert db_session().in_transaction()
    assert _branches(db_session) == 0


def test_a_write_made_in_plain_sql_is_left_to_the_rollback(db_session):
    db_session.execute(text("INSERT INTO branches (code, name, created_at, changed_at, row_version) "
                            "VALUES ('SQL', 'Plain SQL', now(), now(), 1)"))
    assert end_if_read_only(db_session()) is False
    assert _branches(db_session) == 0


@pytest.mark.parametrize("change", ["new", "dirty", "deleted"])
def test_unsaved_changes_are_neither_flushed_nor_committed(db_session, change):
    """Asked before the database would be: its question would flush them first (and the flush, rolled
    back, would have written their history rows for nothing)."""
    branch = factories.branch(db_session)
    if change == "new":
        db_session.add(Branch(code="NEW", name="Pending"))
    elif change == "dirty":
        branch.name = "Renamed in memory"
    else:
        db_session.delete(branch)
    flushes: list[object] = []
    event.listen(db_session(), "after_flush", lambda session, context: flushes.append(context))
    assert end_if_read_only(db_session()) is False
    assert flushes == []
    db_session.rollback()
    assert db_session.scalars(select(Branch.code)).all() == [branch.code]


def test_a_row_locked_but_not_changed_is_left_to_the_rollback(db_session):
    branch = factories.branch(db_session)
    db_session.scalar(select(Branch).where(Branch.id == branch.id).with_for_update())
    assert end_if_read_only(db_session()) is False
    assert db_session().in_transaction()


def test_an_aborted_transaction_is_left_to_the_rollback(db_session):
    factories.branch(db_session)
    try:
        db_session.execute(text("SELECT 1/0"))
    except Exception:  # noqa: BLE001 - the statement fails on purpose
        pass
    assert end_if_read_only(db_session()) is False
    db_session.rollback()
    assert _branches(db_session) == 1


def test_a_page_view_ends_with_a_commit_and_a_refused_form_with_a_rollback(app, login_as):
    from portal.extensions import db

    browser, _ = login_as("Billing Admin")
    ended: list[str] = []
    listeners = {"commit": lambda conn: ended.append("commit"), "rollback": lambda conn: ended.append("rollback")}
    for name, fn in listeners.items():
        event.listen(db.engine, name, fn)
    try:
        assert browser.get("/purchase-orders/").status_code == 200
        page_view, ended[:] = list(ended), []
        # a debtor form refused for its blank fields writes nothing: still no transaction id, so a commit
        refused = browser.post("/debtors/new", {"code": "", "name": ""})
        form_refusal = list(ended)
    finally:
        for name, fn in listeners.items():
            event.remove(db.engine, name, fn)
    assert page_view == ["commit"]
    assert refused.status_code in (200, 400) and form_refusal == ["commit"]


def test_statements_kept_by_a_connection_are_planned_for_the_values_they_run_with(db_session):
    """A plan made once for every value read the biggest PO's 250,000 lines for one page of its documents."""
    assert db_session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    assert db_session.scalar(text("SHOW jit")) == "off"


def test_a_write_of_many_rows_plans_its_key_checks_once_for_the_rest_of_its_transaction(db_session):
    from portal.services.prepared import plan_checks_once

    plan_checks_once(db_session)
    assert db_session.scalar(text("SHOW plan_cache_mode")) == "auto"
    db_session.rollback()  # SET LOCAL: the next unit of work plans for its values again
    assert db_session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
