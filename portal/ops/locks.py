"""One scheduled run at a time across hosts: a PostgreSQL session-level advisory lock."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Engine


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (pg_advisory_lock takes a bigint)."""
    return int.from_bytes(hashlib.sha256(f"po-portal:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive_run(engine: Engine, name: str) -> Iterator[bool]:
    """Yield True while this process holds the lock `name`, False if another run holds it.

    The lock lives on a connection of its own, held for the whole run and released at the end (or by
    PostgreSQL when the process dies), so two schedulers on two hosts never run the job together.
    """
    key = lock_key(name)
    with engine.connect() as conn:
        held = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
