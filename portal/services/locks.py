"""Row locks for services."""
from __future__ import annotations


def locked(session, model, pk):
    """`session.get` under SELECT … FOR UPDATE of the model's own table (its joined eager loads
    are outer joins, which PostgreSQL will not lock), refreshed from the row; None if absent."""
    return session.get(model, pk, with_for_update={"of": model}, populate_existing=True)
