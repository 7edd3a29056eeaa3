"""A unit of work that wrote nothing ends with COMMIT (its connection keeps its prepared statements);
one that wrote, locked or holds unsaved changes is never committed by it, whatever the request did."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, literal_column, select, text, update
from sqlalchemy.exc import DBAPIError

from portal.models import Branch, JobOrder, PurchaseOrder
from portal.services import documents, search
from portal.services.prepared import READS_ONLY, UNSURE, WROTE_NOTHING, end_if_read_only, only_reads
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


def test_connections_keep_one_plan_for_any_value_and_never_compile_plans(db_session):
    """Planning a page's joins each time cost 1-1.5 ms a statement: PostgreSQL's default keeps one plan."""
    assert db_session.scalar(text("SHOW plan_cache_mode")) == "auto"
    assert db_session.scalar(text("SHOW jit")) == "off"


@pytest.mark.parametrize(("stmt", "expected"), [
    (lambda: select(JobOrder.id).where(search.starts_with(JobOrder.number, "sp0012")), ("~>=~ 'SP0012'", "~<~ 'SP0013'")),
    (lambda: select(PurchaseOrder.id).where(PurchaseOrder.number_key.like(search.typed(search.prefix_pattern("sp0012")))),
     ("~>=~ 'SP0012'", "~<~ 'SP0013'")),
    (lambda: documents.documents_query(None, SimpleNamespace(branch_ids=()), status="draft").limit(5), ("ix_documents_drafts",)),
], ids=["job number", "PO number key", "drafts"])
def test_a_plan_kept_for_any_value_still_reads_the_index_the_value_needs(db_session, stmt, expected):
    """A kept plan for `LIKE $1` cannot know $1 is a prefix and scans every row (a PO number search took
    14.5 ms, not 1): what is typed is a constant in the statement, so even a kept plan sees the prefix.
    Likewise a status: a kept plan for `status = $1` cannot use the drafts' partial index (the start
    page's five drafts walked every document, 46 ms)."""
    stmt = stmt()
    compiled = stmt.compile(dialect=db_session.connection().dialect, compile_kwargs={"render_postcompile": True})
    names: list[str] = []
    sql = re.sub(r"%\((\w+)\)s", lambda m: names.append(m[1]) or f"${len(names)}", str(compiled)).replace("%%", "%")
    db_session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    raw = db_session.connection().connection.driver_connection
    raw.execute("PREPARE probe AS " + sql)
    args = ", ".join(f"'{compiled.params[n]}'" for n in names)
    plan = "\n".join(r[0] for r in raw.execute(f"EXPLAIN EXECUTE probe{'(' + args + ')' if names else ''}"))
    raw.execute("DEALLOCATE probe")
    assert all(part in plan for part in expected), plan


def test_what_is_typed_stays_text_in_the_statement(db_session):
    """The constant is quoted by SQLAlchemy: a quote, backslash or percent typed is searched for, never run."""
    debtor = factories.debtor(db_session)
    factories.job(db_session, debtor)
    odd = "O'BR%\\_1"
    db_session.execute(update(JobOrder).values(number=odd))
    for typed_text, found in [("o'br%\\_", [odd]), ("O'", [odd]), ("o'br_", []), ("%", []), ("_", []),
                              ("'; DROP TABLE job_orders; --", []), ("\\", [])]:
        assert db_session.scalars(select(JobOrder.number).where(search.starts_with(JobOrder.number, typed_text))
                                  ).all() == found, typed_text
    assert db_session.scalar(select(func.count()).select_from(JobOrder)) == 1


def _asked(session) -> tuple[bool, list[str]]:
    """What end_if_read_only answers, and whether it asked PostgreSQL whether the transaction wrote."""
    statements: list[str] = []
    engine = session.get_bind()
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        answer = end_if_read_only(session)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return answer, [s for s in statements if s == WROTE_NOTHING.text]


@pytest.mark.parametrize("read", [
    lambda s: s.scalar(select(func.count()).select_from(Branch)),
    lambda s: s.scalars(select(Branch.code).union_all(select(Branch.name))).all(),
    lambda s: s.get(Branch, 1),
], ids=["select", "union", "get"])
def test_a_transaction_of_sqlalchemy_selects_is_committed_without_asking(db_session, read):
    factories.branch(db_session)
    db_session.commit()
    read(db_session())
    assert _asked(db_session()) == (True, [])
    assert not db_session().in_transaction()


@pytest.mark.parametrize(("statement", "committed"), [
    (lambda s: s.execute(text("SELECT 1")), True),
    (lambda s: s.execute(update(JobOrder).where(JobOrder.id == 0).values(title="none")), True),
    (lambda s: s.scalar(select(Branch).with_for_update()), False),
    (lambda s: s.execute(select(Branch.id).with_for_update(read=True)), False),
    (lambda s: s.execute(update(Branch).values(name="renamed")), False),
], ids=["text", "update of no row", "for update", "for share", "update"])
def test_text_dml_or_a_locking_select_makes_it_ask(db_session, statement, committed):
    """What SQLAlchemy cannot vouch for is asked about: plain text and an UPDATE that found no row wrote
    nothing (committed); a locking select and an UPDATE did (left to the rollback)."""
    factories.branch(db_session)
    db_session.commit()
    db_session.scalar(select(func.count()).select_from(Branch))
    statement(db_session())
    assert _asked(db_session()) == (committed, [WROTE_NOTHING.text])
    assert db_session().in_transaction() is not committed


def test_a_failed_select_makes_it_ask(db_session):
    factories.branch(db_session)
    db_session.commit()
    with pytest.raises(DBAPIError):
        db_session.execute(select(literal_column("1") / literal_column("0")))
    assert _asked(db_session()) == (False, [WROTE_NOTHING.text])
    db_session.rollback()
    assert _branches(db_session) == 1


def test_a_transaction_whose_start_went_unseen_asks(db_session):
    """Were the transaction begun before the listeners (nothing recorded), it asks: here it wrote."""
    factories.branch(db_session)
    db_session.commit()
    db_session.execute(update(Branch).values(name="renamed"))
    db_session.connection().info.pop(UNSURE)
    assert _asked(db_session()) == (False, [WROTE_NOTHING.text])
    db_session.rollback()
    assert db_session.scalars(select(Branch.name)).all() != ["renamed"]


def test_a_transaction_after_one_that_had_to_ask_is_judged_on_its_own(db_session):
    factories.branch(db_session)
    db_session.commit()
    db_session.execute(update(Branch).values(name="renamed"))
    assert _asked(db_session()) == (False, [WROTE_NOTHING.text])
    db_session.rollback()
    db_session.scalars(select(Branch.name)).all()
    assert _asked(db_session()) == (True, [])


def test_pages_that_only_read_are_committed_without_asking(app, login_as):
    from portal.extensions import db

    browser, _ = login_as("Billing Admin")
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for path in ("/", "/purchase-orders/", "/job-orders/?q=weld", "/documents/", "/notifications/"):
            statements.clear()
            assert browser.get(path).status_code == 200, path
            assert statements and WROTE_NOTHING.text not in statements, path
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def _declared(sql: str):
    return text(sql).execution_options(**{READS_ONLY: True})


@pytest.mark.parametrize(("statement", "committed", "asked"), [
    (lambda s: s.execute(_declared("SELECT count(*) FROM branches")), True, False),
    (lambda s: s.execute(_declared("WITH b AS (SELECT id FROM branches) SELECT count(*) FROM b")), True, False),
    (lambda s: s.execute(_declared("WITH b AS (UPDATE branches SET name = name || '!' RETURNING id) "
                                   "SELECT count(*) FROM b")), False, True),
    (lambda s: s.execute(_declared("SELECT id FROM branches FOR UPDATE")), False, True),
    (lambda s: s.execute(_declared("SELECT id FROM branches FOR NO KEY UPDATE")), False, True),
    (lambda s: s.execute(_declared("SELECT pg_advisory_xact_lock(42)")), True, True),
], ids=["select", "with", "update in a with", "for update", "for no key update", "advisory lock"])
def test_plain_sql_declared_to_read_is_taken_at_its_word_only_when_its_text_bears_it_out(
        db_session, statement, committed, asked):
    """READS_ONLY spares the question for plain SQL that only reads (the PO page's burn-down); text that could
    write or lock is asked about whatever it declares: a write inside a WITH, a locking clause, a lock."""
    factories.branch(db_session)
    db_session.commit()
    statement(db_session())
    assert _asked(db_session()) == (committed, [WROTE_NOTHING.text] if asked else [])
    db_session.rollback()
    assert not any(name.endswith("!") for name in db_session.scalars(select(Branch.name)))  # rolled back


@pytest.mark.parametrize(("sql", "declared", "expected"), [
    ("SELECT 1", False, False),
    ("  select day from po_day_totals", True, True),
    ("SELECT * INTO copied FROM branches", True, False),
    ("SELECT nextval('job_number_seq')", True, False),
    ("SELECT setval('job_number_seq', 1)", True, False),
    ("SELECT 1 FOR SHARE", True, False),
    ("SELECT 1 FOR KEY SHARE", True, False),
    ("DELETE FROM branches", True, False),
    ("VALUES (1)", True, False),
    ("SELECT commitments, intone FROM t", True, True),  # words that only hold one (INTO, COMMIT…) do not count
])
def test_what_plain_sql_must_say_to_be_taken_as_a_read(sql, declared, expected):
    assert only_reads(text(sql), True, declared=declared, sql=sql) is expected


def test_the_po_page_reads_without_asking_whether_it_wrote(app, login_as, db_session):
    """The burn-down's plain-SQL queries declare that they read: the PO page ends with a commit and no question."""
    from portal.extensions import db

    browser, _ = login_as("Billing Admin")
    po = factories.po(db_session, factories.debtor(db_session, "CITY"), "P-1")
    db_session.commit()
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert browser.get(f"/purchase-orders/{po.id}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert any("po_day_totals" in s for s in statements)  # the burn-down's queries ran
    assert WROTE_NOTHING.text not in statements
