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
