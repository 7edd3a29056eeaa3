"""A job's assignment history reads only the POs and groups its own rows name (and the groups' members),
yet ends and explains every row as the rules do over all of the debtor's POs."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import event

from portal.domain import assignment as rules
from portal.extensions import db
from portal.services import assignments
from portal.services.po_timeline import debtor_pos, timeline_of
from tests import factories

D = date


@pytest.fixture()
def moved_job(db_session):
    """A job under ACME with a PO (cleared), then a group of three consecutive POs, among 20 POs it never
    used; earlier under OLD with a PO there; now back under ACME."""
    acme, old = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "OLD")
    for n in range(20):
        factories.po(db_session, acme, f"X{n:02}", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    group = factories.po_group(db_session, acme, "Cleaning")
    members = [factories.po(db_session, acme, f"G{q}", group=group, effective=D(2026, 3 * q - 2, 1),
                            expiration=D(2026, 3 * q, 28)) for q in (1, 2, 3)]
    first = factories.po(db_session, acme, "P1", effective=D(2025, 6, 1), expiration=D(2026, 6, 30))
    elsewhere = factories.po(db_session, old, "O1", effective=D(2025, 1, 1), expiration=D(2025, 12, 31))
    job = factories.job(db_session, old, start=D(2025, 1, 1))
    factories.assignment(db_session, job, po=elsewhere, start=D(2025, 1, 1), end=D(2025, 5, 31))
    job.debtor_id = acme.id
    db_session.commit()
    factories.assignment(db_session, job, po=first, start=D(2025, 6, 1), end=D(2025, 12, 31))
    factories.assignment(db_session, job, group=group, start=D(2026, 1, 1))
    return job, acme, old, members


@pytest.mark.parametrize("as_of", [D(2025, 7, 1), D(2026, 2, 15), D(2026, 5, 1), D(2026, 10, 1), D(2027, 1, 1)])
def test_history_equals_the_rules_over_every_po_of_each_debtor(db_session, moved_job, as_of):
    job, acme, old, _ = moved_job
    user = factories.user(db_session)
    rows, timeline = timeline_of(db_session, job.id)
    expected = []
    for debtor in (acme, old):
        data = debtor_pos(db_session, debtor.id)  # all of the debtor's POs and groups
        own = [t for t, r in zip(timeline, rows) if r.debtor_id == debtor.id]
        current = rules.current_on(own, as_of, data.pos, data.groups) if debtor.id == job.debtor_id else None
        expected += [(value.id, *rules.end_of(value, own, data.pos, data.groups, as_of, moved=debtor is old),
                      current is not None and current.id == value.id) for value in own]
    history = assignments.job_history(db_session, user, job.id, as_of)
    assert [(h.row.id, h.end, h.reason, h.current) for h in history] == sorted(
        expected, key=lambda e: next(r.start_date for r in rows if r.id == e[0]))
    assert len(history) == 3 and any(h.end for h in history)
    assert history[0].reason == "Job moved to another debtor"  # the move ended it, not a manual clearing


def test_history_reads_none_of_the_pos_its_rows_do_not_name(db_session, moved_job):
    job, *_ = moved_job
    user = factories.user(db_session)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assignments.job_history(db_session, user, job.id, D(2026, 5, 1))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    po_reads = [s for s in statements if "FROM purchase_orders" in s]
    # each names the POs it wants (by id, or by group): none reads a debtor's POs by the debtor alone
    assert po_reads and all(re.search(r"(purchase_orders(_1)?\.id|group_id) IN \(", s) for s in po_reads)
