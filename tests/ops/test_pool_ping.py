"""Pooled connections are pinged before use only after sitting idle (portal/ops/pool.py): a connection the
server closed while idle is replaced before the request runs; a busy one costs no round trip."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.ops import pool


def _backend_of(app) -> int:
    """The server process behind the connection the app's next request will take (the pool keeps one)."""
    with app.app_context():
        with db.engine.connect() as conn:
            return conn.scalar(text("SELECT pg_backend_pid()"))


def _terminate(database_url: str, pid: int) -> None:
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
        # the backend is gone once PostgreSQL no longer lists it
        for _ in range(1000):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            admin.execute("SELECT pg_sleep(0.01)")
    raise AssertionError(f"backend {pid} still runs")


@pytest.fixture
def an_hour_later(monkeypatch):
    """The pool's clock moved on an hour: every connection pooled until now has sat idle that long."""

    class Later:
        @staticmethod
        def monotonic() -> float:
            return time.monotonic() + 3600

    return lambda: monkeypatch.setattr(pool, "time", Later)


@pytest.fixture
def pings(monkeypatch):
    sent: list[object] = []
    real = pool.ping

    def counted(dbapi_connection):
        sent.append(dbapi_connection)
        real(dbapi_connection)

    monkeypatch.setattr(pool, "ping", counted)
    return sent


def test_a_connection_used_a_moment_ago_is_not_pinged(make_app, pings):
    app = make_app()
    first = _backend_of(app)
    assert _backend_of(app) == first  # the same pooled connection, taken again at once
    assert app.test_client().get("/readyz").status_code == 200
    assert pings == []


def test_an_idle_connection_is_pinged_and_one_the_server_closed_is_replaced(make_app, database_url, pings,
                                                                           an_hour_later):
    app = make_app()
    closed = _backend_of(app)
    _terminate(database_url, closed)
    an_hour_later()
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(pings) == 1  # the closed one; its replacement is new, so not asked
    assert _backend_of(app) != closed


def test_an_idle_connection_that_answers_is_kept(make_app, pings, an_hour_later):
    app = make_app()
    first = _backend_of(app)
    an_hour_later()
    assert _backend_of(app) == first
    assert len(pings) == 1


def test_a_busy_connection_the_server_closed_fails_one_request_and_the_next_reconnects(make_app, database_url, pings):
    """The price of not pinging busy connections: the request that meets the dead one is refused (and says
    to try again); the pool's connections are replaced, so the next request works."""
    app = make_app()
    closed = _backend_of(app)
    _terminate(database_url, closed)
    assert app.test_client().get("/readyz").status_code == 503
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _backend_of(app) != closed
    assert pings == []
