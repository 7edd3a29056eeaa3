"""Row locks for services."""
from __future__ import annotations


def locked(session, model, pk, *, key_share: bool = False):
    """`session.get` under SELECT … FOR UPDATE of the model's own table (its joined eager loads
    are outer joins, which PostgreSQL will not lock), refreshed from the row; None if absent.

    `key_share`: FOR NO KEY UPDATE instead, the lock an UPDATE of the row's other columns takes. It keeps
    out every other change to the row but lets rows that refer to it be written meanwhile (their foreign
    key checks take FOR KEY SHARE): a PO's edit, whose new expiration locks the jobs assigned to it
    (job_gaps), would otherwise wait for, and deadlock with, an assignment being made to it under its
    job's lock."""
    return session.get(model, pk, with_for_update={"of": model, "key_share": key_share}, populate_existing=True)


def serialised(session, name: str) -> None:
    """Wait for, then hold until this transaction ends, the PostgreSQL advisory lock `name`: every transaction
    that takes it runs its check-and-write after the one before has committed or rolled back (a rule over many
    rows, such as "someone keeps access to security", that no single row lock can guard)."""
    from sqlalchemy import text

    from portal.ops.locks import lock_key

    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
