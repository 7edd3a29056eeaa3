"""Statements kept by a connection: a unit of work that wrote nothing ends with COMMIT, not ROLLBACK.

psycopg prepares a statement on its connection once it has run five times there, so PostgreSQL stops
parsing and analysing it on every run. But psycopg forgets every prepared statement on ROLLBACK (a
rolled-back transaction may have dropped what they name), and a request that only read ended with one:
the session's close rolls back. So no statement outlived its request. Kept across requests, most pages
answered 15-70% more requests a second over HTTP (bench/RESULTS.md, fourth round).

For a transaction that wrote nothing, COMMIT and ROLLBACK leave the database the same; only the
connection's prepared statements differ. PostgreSQL says whether it wrote: a transaction is given an
id at its first write (a row inserted, updated, deleted or locked), and has none until then.

What is kept is the parsed statement, not one plan for every value: connections plan each execution
for its values (plan_cache_mode in portal/config.py says why).
"""
from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

WROTE_NOTHING = text("SELECT pg_current_xact_id_if_assigned() IS NULL")


def end_if_read_only(session: Session) -> bool:
    """Commit the session's open transaction if it changed nothing, and say whether it did.

    Never when changes wait in the session (committing would flush them) or the database has given the
    transaction an id (it wrote or locked a row): those are left for the caller's rollback, as before.
    A failure here (a dead connection, an aborted transaction) is left to the rollback too."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    try:
        if not session.scalar(WROTE_NOTHING):
            return False
        session.commit()
    except SQLAlchemyError:
        log.debug("a read-only transaction could not be committed; it is rolled back instead", exc_info=True)
        return False
    return True


ONE_PLAN_FOR_ANY_VALUE = text("SET LOCAL plan_cache_mode = auto")


def plan_checks_once(session: Session) -> None:
    """For the rest of this transaction, let PostgreSQL keep one plan for every value again (its default).

    The connections plan every execution for its values (portal/config.py), and that reaches inside the
    database too: each row written checks its foreign keys with a statement the database keeps, and
    planned again each time it cost bulk assignment 0.3 s more over 10,000 rows (five keys a row) and
    slowed posting by a tenth. Called by the writes of many rows (posting, bulk assignment), whose own
    statements read by ids and keys, which one plan serves."""
    session.execute(ONE_PLAN_FOR_ANY_VALUE)
