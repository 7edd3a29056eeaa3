"""Statements kept by a connection: a unit of work that wrote nothing ends with COMMIT, not ROLLBACK.

psycopg prepares a statement on its connection once it has run five times there, so PostgreSQL stops
parsing and analysing it on every run. But psycopg forgets every prepared statement on ROLLBACK (a
rolled-back transaction may have dropped what they name), and a request that only read ended with one:
the session's close rolls back. So no statement outlived its request. Kept across requests, most pages
answered 15-70% more requests a second over HTTP (bench/RESULTS.md, fourth round).

For a transaction that wrote nothing, COMMIT and ROLLBACK leave the database the same; only the
connection's prepared statements differ. PostgreSQL says whether it wrote: a transaction is given an
id at its first write (a row inserted, updated, deleted or locked), and has none until then.

After five runs PostgreSQL may also keep one plan for every value (a "generic" plan) when it costs no
more than the plans made for each value: planning a page's joins was 1-1.5 ms a statement, often more
than running them. Where the value decides the plan, the statement says so: a search's prefix (a LIKE
pattern the plan cannot see cannot use the number's index) is a constant in the statement
(portal/services/search.py), and a PO's rows are found through keys whose counts do not vary by PO.

Asking PostgreSQL is a round trip of its own at the end of every request. Most requests need not ask:
every statement a page runs goes through SQLAlchemy, which knows what it compiled. A transaction whose
every statement was a select built with SQLAlchemy (not text, no FOR UPDATE or FOR SHARE) and none of
which failed cannot have written or locked a row, so it is committed without asking. Anything else
(an INSERT, UPDATE or DELETE, a flush, plain SQL text, a locking select, a failed statement) makes the
transaction's end ask PostgreSQL as before. Plain SQL that only reads says so with the execution option
READS_ONLY (the PO page's burn-down queries); the text is still checked: it starts with SELECT or WITH and
names nothing that writes or locks, or it is asked about like any other text.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import GenerativeSelect

log = logging.getLogger(__name__)

WROTE_NOTHING = text("SELECT pg_current_xact_id_if_assigned() IS NULL")
UNSURE = "portal.transaction_may_have_written"  # key in a connection's info: True until known otherwise
READS_ONLY = "portal_reads_only"  # execution option of plain SQL that only reads (text(...).execution_options)

_READ = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
# what in plain SQL could write or lock: DML (in a WITH too), SELECT INTO, a locking clause, a sequence, a lock
_MAY_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|INTO|COPY|CALL|FOR\s+(NO\s+KEY\s+|KEY\s+)?"
                        r"(UPDATE|SHARE)|NEXTVAL|SETVAL|PG_\w*LOCK\w*|LO_\w+|DBLINK\w*)\b", re.IGNORECASE)


def only_reads(statement: object, is_text: bool, *, declared: bool = False, sql: str = "") -> bool:
    """Whether a compiled statement can neither write nor lock a row: a select (or union of selects)
    built with SQLAlchemy, locking nothing; or plain SQL `declared` to only read (READS_ONLY) whose text
    `sql` bears it out. Other text, DML, DDL and anything unrecognised cannot say so. (A function a
    declared statement calls is taken at its word: declare only what calls none that write.)"""
    if is_text:
        return declared and _READ.match(sql) is not None and _MAY_WRITE.search(sql) is None
    return isinstance(statement, GenerativeSelect) and statement._for_update_arg is None


@event.listens_for(Engine, "begin")
def _transaction_begun(conn) -> None:
    conn.info[UNSURE] = False


@event.listens_for(Engine, "before_cursor_execute")
def _statement_run(conn, cursor, statement, parameters, context, executemany) -> None:
    if conn.info.get(UNSURE) is False:
        compiled = getattr(context, "compiled", None)
        if compiled is None or not only_reads(compiled.statement, context.is_text,
                                              declared=context.execution_options.get(READS_ONLY, False),
                                              sql=statement):
            conn.info[UNSURE] = True


@event.listens_for(Engine, "handle_error")
def _statement_failed(context) -> None:
    if context.connection is not None:
        context.connection.info[UNSURE] = True


def end_if_read_only(session: Session) -> bool:
    """Commit the session's open transaction if it changed nothing, and say whether it did.

    Never when changes wait in the session (committing would flush them) or the database has given the
    transaction an id (it wrote or locked a row): those are left for the caller's rollback, as before.
    A failure here (a dead connection, an aborted transaction) is left to the rollback too.
    PostgreSQL is asked only when the transaction ran something but SQLAlchemy selects (see above)."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    try:
        if session.connection().info.get(UNSURE, True) and not session.scalar(WROTE_NOTHING):
            return False
        session.commit()
    except SQLAlchemyError:
        log.debug("a read-only transaction could not be committed; it is rolled back instead", exc_info=True)
        return False
    return True
