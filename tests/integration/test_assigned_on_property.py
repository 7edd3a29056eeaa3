"""Defect 5: the SQL for "assigned on this day" (and "active on this day") and the domain rule give the
same answer on random timelines (PO expiry, groups with gaps, manual ends, rows left under a previous debtor)."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, select

from portal.domain import assignment as timeline_rules
from portal.models import JobOrder, JobPOAssignment, PurchaseOrder
from portal.services import job_visibility, po_timeline
from tests import factories

BASE = date(2026, 1, 1)
day = st.integers(min_value=0, max_value=120)


@st.composite
def timelines(draw):
    """Non-overlapping rows (only the last may be open-ended), each to a PO, a group or the old debtor's PO."""
    n = draw(st.integers(min_value=0, max_value=4))
    starts = sorted(draw(st.lists(day, min_size=n, max_size=n, unique=True)))
    rows = []
    for i, s in enumerate(starts):
        limit = starts[i + 1] - 1 if i + 1 < n else 150
        end = draw(st.none() | st.integers(min_value=s, max_value=limit)) if i + 1 == n else \
            draw(st.integers(min_value=s, max_value=limit))
        rows.append((s, end, draw(st.sampled_from(["po_a", "po_b", "group", "empty_group", "old"]))))
    return rows


@st.composite
def po_dates(draw):
    a = draw(day)
    return a, draw(st.integers(min_value=a, max_value=130))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=timelines(), a=po_dates(), b=po_dates(), g1=po_dates(), gap=st.integers(1, 20),
       days=st.lists(day, min_size=1, max_size=6), job_dates=po_dates(), open_job=st.booleans())
def test_sql_and_domain_agree_on_assigned_on(db_session, rows, a, b, g1, gap, days, job_dates, open_job):
    session = db_session
    debtor, old_debtor, group, empty_group = empty_world(session)
    d = lambda n: BASE + timedelta(days=n)  # noqa: E731
    pos = {"po_a": factories.po(session, debtor, effective=d(a[0]), expiration=d(a[1])),
           "po_b": factories.po(session, debtor, effective=d(b[0]), expiration=d(b[1])),
           "old": factories.po(session, old_debtor, effective=d(0), expiration=d(40))}
    factories.po(session, debtor, effective=d(g1[0]), expiration=d(g1[1]), group=group)
    factories.po(session, debtor, effective=d(g1[1] + gap), expiration=d(g1[1] + gap + 30), group=group)
    job = factories.job(session, debtor, start=d(job_dates[0]), discontinued=None if open_job else d(job_dates[1]))
    for start, end, kind in rows:
        debtor_id = old_debtor.id if kind == "old" else debtor.id
        session.add(JobPOAssignment(
            job_id=job.id, debtor_id=debtor_id, start_date=d(start), manual_end=None if end is None else d(end),
            po_id=pos[kind].id if kind in pos else None,
            group_id={"group": group.id, "empty_group": empty_group.id}.get(kind)))
    session.commit()
    data = po_timeline.debtor_pos(session, debtor.id)
    _, timeline = po_timeline.timeline_of(session, job.id)
    own = [t for t, kind in zip(timeline, [r[2] for r in rows]) if kind != "old"]
    for n in days:
        python = job_visibility.assigned_on(own, d(n), data.pos, data.groups)
        sql = session.scalar(select(job_visibility.assigned_on_clause(d(n))).where(JobOrder.id == job.id))
        assert sql == python, (n, rows)
        active_sql = session.scalar(select(job_visibility.active_on_clause(d(n))).where(JobOrder.id == job.id))
        assert active_sql == timeline_rules.job_active_on(job.start_date, job.discontinued_date, d(n))


def empty_world(session):
    """No jobs, assignments or POs (each example starts afresh); the debtor, the previous debtor, and the
    debtor's group and empty group."""
    session.execute(delete(JobPOAssignment))
    session.execute(delete(JobOrder))
    session.execute(delete(PurchaseOrder))
    session.commit()
    debtor, old_debtor = _debtors(session)
    return (debtor, old_debtor, *_groups(session, debtor))


def _debtors(session):
    from portal.models import Debtor

    found = {x.code: x for x in session.scalars(select(Debtor).where(Debtor.code.in_(["PROP", "PROP-OLD"])))}
    return (found.get("PROP") or factories.debtor(session, "PROP"),
            found.get("PROP-OLD") or factories.debtor(session, "PROP-OLD"))


def _groups(session, debtor):
    from portal.models import POGroup

    found = {g.description: g for g in session.scalars(select(POGroup).where(POGroup.debtor_id == debtor.id))}
    return (found.get("Rolling") or factories.po_group(session, debtor, "Rolling"),
            found.get("Empty") or factories.po_group(session, debtor, "Empty"))
