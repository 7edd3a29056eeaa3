"""A pooled connection is asked whether it still answers when it has sat idle, not on every request.

SQLAlchemy's `pool_pre_ping` sends `SELECT 1` ahead of every checkout: a round trip before each request,
0.1-0.13 ms of a signed-in page's 2 ms fixed cost (bench/RESULTS.md, eighteenth round). A connection
given back less than `PING_AFTER_IDLE` seconds ago answered a moment before; one idle for longer is
pinged first (the server may have restarted, or a firewall or `idle_session_timeout` closed it
meanwhile) and, when it does not answer, it and every connection pooled before it are replaced, as the
pre-ping does. A connection that breaks between two busy requests fails the second request (its error
page says nothing was saved and to try again) and SQLAlchemy replaces the pool's connections then.
"""
from __future__ import annotations

import time

import psycopg
from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import InvalidatePoolError

PING_AFTER_IDLE = 5.0  # seconds
RETURNED = "portal.returned_at"  # key in a pooled connection's info: time.monotonic() when last given back


def ping(dbapi_connection: psycopg.Connection) -> None:
    """`SELECT 1` outside any transaction (one round trip): raises psycopg's error when it fails."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute("SELECT 1")
    finally:
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = autocommit


def _connected(dbapi_connection, record) -> None:
    record.info[RETURNED] = time.monotonic()  # new: nothing to ask


def _given_back(dbapi_connection, record) -> None:
    record.info[RETURNED] = time.monotonic()


def _taken(dbapi_connection, record, proxy) -> None:
    if time.monotonic() - record.info.get(RETURNED, float("-inf")) < PING_AFTER_IDLE:
        return
    try:
        ping(dbapi_connection)
    except psycopg.Error as error:
        # the pool discards this connection and those made before it, then connects afresh
        raise InvalidatePoolError(f"a pooled connection idle for over {PING_AFTER_IDLE:g} s did not answer") from error


def init_app(app: Flask) -> None:
    from portal.extensions import db

    with app.app_context():
        pool = db.engine.pool
    event.listen(pool, "connect", _connected)
    event.listen(pool, "checkin", _given_back)
    event.listen(pool, "checkout", _taken)
