"""The kept days each active job has no PO or group (job_gaps, kept by triggers) against the domain rule.

Random timelines (as test_assigned_on_property's) and then random changes made as the portal makes them
(a PO's expiration, a group's POs, the job's dates, an assignment ended or removed): after each, the days
the kept gaps hold are exactly the days the job is active and `assigned_on` (portal/domain) is false,
and `flask integrity check` finds nothing. The start page's count reads these gaps.
"""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from portal.domain import assignment as timeline_rules
from portal.models import JobGap, JobOrder, JobPOAssignment, PurchaseOrder
from portal.services import integrity, job_orders, job_visibility, po_timeline, start
from tests import factories
from tests.integration.test_assigned_on_property import BASE, empty_world, po_dates, timelines

DAYS = range(0, 221)
d = lambda n: BASE + timedelta(days=n)  # noqa: E731

changes = st.lists(st.one_of(
    st.tuples(st.just("po_expiration"), st.sampled_from(["po_a", "po_b", "g1", "g2"]), st.integers(0, 140)),
    st.tuples(st.just("job_dates"), st.integers(0, 60), st.none() | st.integers(60, 150)),
    st.tuples(st.just("end_row"), st.integers(0, 3), st.integers(0, 150)),
    st.tuples(st.just("remove_row"), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("new_group_po"), st.integers(100, 140), st.integers(0, 15)),
    st.tuples(st.just("leave_group"), st.just("g2"), st.just(0)),
), max_size=5)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=timelines(), a=po_dates(), b=po_dates(), g1=po_dates(), gap=st.integers(1, 20), job_dates=po_dates(),
       open_job=st.booleans(), steps=changes)
def test_kept_gaps_are_the_days_the_job_is_active_and_unassigned(db_session, rows, a, b, g1, gap, job_dates, open_job,
                                                                 steps):
    session = db_session
    debtor, old_debtor, group, empty_group = empty_world(session)
    pos = {"po_a": factories.po(session, debtor, effective=d(a[0]), expiration=d(a[1])),
           "po_b": factories.po(session, debtor, effective=d(b[0]), expiration=d(b[1])),
           "old": factories.po(session, old_debtor, effective=d(0), expiration=d(40)),
           "g1": factories.po(session, debtor, effective=d(g1[0]), expiration=d(g1[1]), group=group),
           "g2": factories.po(session, debtor, effective=d(g1[1] + gap), expiration=d(g1[1] + gap + 30), group=group)}
    job = factories.job(session, debtor, start=d(job_dates[0]), discontinued=None if open_job else d(job_dates[1]))
    admin = factories.user(session)  # no branch: sees every job
    for s, end, kind in rows:
        session.add(JobPOAssignment(
            job_id=job.id, debtor_id=old_debtor.id if kind == "old" else debtor.id, start_date=d(s),
            manual_end=None if end is None else d(end), po_id=pos[kind].id if kind in ("po_a", "po_b", "old") else None,
            group_id={"group": group.id, "empty_group": empty_group.id}.get(kind)))
    session.commit()
    _agree(session, job, debtor, admin)
    for kind, x, y in steps:
        try:
            with session.begin_nested():  # a change the schema refuses (a group's POs overlapping) is undone
                _change(session, kind, x, y, job, pos, debtor, group)
        except IntegrityError:
            pass
        session.commit()
        _agree(session, job, debtor, admin)
    assert not [m for m in integrity.check(session) if "job gap" in str(m)]


def _change(session, kind, x, y, job, pos, debtor, group):
    """One change as the portal makes it (an UPDATE, INSERT or DELETE of the row)."""
    own = session.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id == job.id)
                          .order_by(JobPOAssignment.start_date)).all()
    if kind == "po_expiration":  # a PO's expiration edited (never before its effective date)
        po = pos[x]
        po.expiration = max(po.effective, d(y))
    elif kind == "job_dates":
        job.start_date, job.discontinued_date = d(x), None if y is None else d(y)
    elif kind == "end_row" and x < len(own):  # a manual end, never before the row's start
        own[x].manual_end = max(own[x].start_date, d(y))
        later = [r for r in own if r.start_date > own[x].start_date]
        if later and own[x].manual_end >= later[0].start_date:  # rows of a job do not overlap
            own[x].manual_end = later[0].start_date - timedelta(days=1)
    elif kind == "remove_row" and x < len(own):
        session.delete(own[x])
    elif kind == "new_group_po":  # a PO added to the group after its last one
        last = max(p.expiration for p in session.scalars(select(PurchaseOrder).where(PurchaseOrder.group_id == group.id)))
        session.add(PurchaseOrder(debtor_id=debtor.id, number=f"G-{x}-{y}", effective=last + timedelta(days=1 + y),
                                  expiration=max(last, d(x)) + timedelta(days=2 + y), amount=1000, group_id=group.id))
    elif kind == "leave_group" and pos[x].group_id is not None:  # a PO taken out of its group
        pos[x].group_id = None


def _agree(session, job, debtor, admin):
    session.expire_all()
    job = session.get(JobOrder, job.id)
    data = po_timeline.debtor_pos(session, job.debtor_id)
    rows, timeline = po_timeline.timeline_of(session, job.id)
    own = [t for row, t in zip(rows, timeline) if row.debtor_id == job.debtor_id]
    kept = set(session.scalars(text(
        "SELECT g.n FROM generate_series(0, 220) AS g (n) WHERE EXISTS "
        "(SELECT 1 FROM job_gaps WHERE job_id = :job AND days @> (CAST(:base AS date) + g.n))"),
        {"job": job.id, "base": BASE}))
    expected = {n for n in DAYS if timeline_rules.job_active_on(job.start_date, job.discontinued_date, d(n))
                and not job_visibility.assigned_on(own, d(n), data.pos, data.groups)}
    assert kept == expected
    gaps = session.scalars(select(JobGap.branch_id).where(JobGap.job_id == job.id)).all()
    assert set(gaps) <= {job.branch_id}
    # the job list's and bulk page's "unassigned" filter: active ones from the gaps, all from the rows
    edges = {n + e for lo, hi in _runs(expected) for n, e in ((lo, -1), (lo, 0), (hi, 0), (hi, 1))}
    for n in sorted({n for n in DAYS if n % 20 == 0} | (edges & set(DAYS))):
        for active_only in (True, False):
            flt = job_orders.JobFilter(debtor_id=debtor.id, as_of=d(n), unassigned=True, active_only=active_only)
            listed = job.id in session.scalars(job_orders.filtered(flt, admin, d(n)).with_only_columns(JobOrder.id))
            unassigned = not job_visibility.assigned_on(own, d(n), data.pos, data.groups)
            active = timeline_rules.job_active_on(job.start_date, job.discontinued_date, d(n))
            assert listed == (unassigned and (active or not active_only)), (n, active_only)


def _runs(days: set[int]) -> list[tuple[int, int]]:
    """The first and last day of each run of consecutive days."""
    out: list[tuple[int, int]] = []
    for n in sorted(days):
        if out and out[-1][1] == n - 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def test_the_start_page_counts_up_to_its_limit_and_only_the_users_branches(db_session, login_as, monkeypatch):
    debtor = factories.debtor(db_session)
    north, south = factories.branch(db_session, "N"), factories.branch(db_session, "S")
    po = factories.po(db_session, debtor, effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    jobs = [factories.job(db_session, debtor, branch, start=date(2026, 1, 1)) for branch in (north, north, north, south)]
    factories.assignment(db_session, jobs[0], po=po, start=date(2026, 1, 1))
    day = date(2026, 6, 1)
    admin = factories.user(db_session)
    limited = factories.user(db_session, branches=[south])
    assert start.unassigned_jobs(db_session, admin, day) == 3
    assert start.unassigned_jobs(db_session, limited, day) == 1
    jobs[1].branch_id = south.id  # a job moved to another branch is counted there
    db_session.commit()
    assert start.unassigned_jobs(db_session, limited, day) == 2
    po.expiration = date(2026, 5, 31)  # the PO of the assigned job ran out the day before
    db_session.commit()
    assert start.unassigned_jobs(db_session, admin, day) == 4
    assert start.unassigned_jobs(db_session, admin, date(2026, 5, 31)) == 3
    monkeypatch.setattr(start, "UNASSIGNED_SHOWN", 2)
    monkeypatch.setattr("portal.blueprints.main.views.UNASSIGNED_SHOWN", 2)
    assert start.unassigned_jobs(db_session, admin, day) == 3  # counted up to the limit and one more
    page, _ = login_as("Administrator")
    assert "More than 2 job orders</a>" in page.get("/start/unassigned-jobs").get_data(as_text=True)
    assert ">2+</a>" in page.get("/start/unassigned-jobs?tile=1").get_data(as_text=True)


def test_a_drifted_gap_is_reported(db_session, app):
    debtor = factories.debtor(db_session)
    job = factories.job(db_session, debtor, start=date(2026, 1, 1))
    assert [g.days.lower for g in db_session.scalars(select(JobGap).where(JobGap.job_id == job.id))] == [date(2026, 1, 1)]
    assert integrity.check(db_session) == []
    db_session.execute(delete(JobGap))
    db_session.commit()
    [mismatch] = integrity.check(db_session)
    assert "job gap job" in str(mismatch) and "2026-01-01" in str(mismatch)


def test_a_deleted_job_takes_its_gaps_along(db_session):
    debtor = factories.debtor(db_session)
    gone, kept = factories.job(db_session, debtor, start=date(2026, 1, 1)), factories.job(db_session, debtor)
    db_session.delete(gone)
    db_session.commit()
    assert set(db_session.scalars(select(JobGap.job_id))) == {kept.id}
    assert integrity.check(db_session) == []


def test_a_po_added_to_or_taken_from_a_group_moves_the_gaps_of_the_jobs_on_the_group(db_session):
    debtor = factories.debtor(db_session)
    group = factories.po_group(db_session, debtor)
    first = factories.po(db_session, debtor, effective=date(2026, 1, 1), expiration=date(2026, 5, 31), group=group)
    job = factories.job(db_session, debtor, start=date(2026, 1, 1))
    factories.assignment(db_session, job, group=group, start=date(2026, 1, 1))
    admin = factories.user(db_session)
    june = date(2026, 6, 5)
    assert start.unassigned_jobs(db_session, admin, june) == 1  # the group's last PO ran out
    second = factories.po(db_session, debtor, effective=date(2026, 6, 1), expiration=date(2026, 12, 31), group=group)
    assert start.unassigned_jobs(db_session, admin, june) == 0
    second.group_id = None  # taken out of the group
    db_session.commit()
    assert start.unassigned_jobs(db_session, admin, june) == 1
    second.group_id = group.id
    db_session.commit()
    assert start.unassigned_jobs(db_session, admin, june) == 0
    db_session.delete(second)
    db_session.commit()
    assert start.unassigned_jobs(db_session, admin, june) == 1
    first.expiration = date(2026, 6, 30)
    db_session.commit()
    assert start.unassigned_jobs(db_session, admin, june) == 0
    assert integrity.check(db_session) == []


def test_a_po_edit_and_an_assignment_under_its_jobs_lock_both_land(app, db_session):
    """A PO's new expiration recomputes its jobs' gaps under their row locks. An assignment made meanwhile
    holds its job's lock and refers to the PO (its foreign key check shares the PO's key): were the edit to
    lock the PO FOR UPDATE, each would wait for the other and PostgreSQL would cancel one (a deadlock)."""
    import threading
    from dataclasses import replace

    from sqlalchemy.orm import Session

    from portal.extensions import db
    from portal.models import User
    from portal.services import purchase_orders
    from portal.services.locks import locked

    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    job = factories.job(db_session, debtor, start=date(2026, 1, 1))
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1), end=date(2026, 3, 31))  # the edit locks the job
    admin_id = factories.user(db_session).id
    outcome: list[str] = []

    def edit():
        with app.app_context(), Session(db.engine) as session:
            try:
                data = replace(purchase_orders.snapshot(session.get(PurchaseOrder, po.id)), expiration=date(2026, 6, 30))
                purchase_orders.update_po(session, po.id, data, actor=session.get(User, admin_id), confirmed=True)
                outcome.append("edited")
            except Exception as error:  # noqa: BLE001 - the test reports what went wrong
                outcome.append(repr(error))

    with Session(db.engine) as assigning, Session(db.engine) as watching:
        locked(assigning, JobOrder, job.id)  # as assignments.assign does first
        editor = threading.Thread(target=edit)
        editor.start()
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
        while editor.is_alive() and not watching.scalar(waiting):
            watching.rollback()  # a fresh look each time
        assigning.add(JobPOAssignment(job_id=job.id, debtor_id=debtor.id, po_id=po.id, start_date=date(2026, 4, 1)))
        assigning.commit()
        editor.join(timeout=60)
    assert outcome == ["edited"]
    db_session.expire_all()
    assert [g.days.lower for g in db_session.scalars(select(JobGap).where(JobGap.job_id == job.id))] == [date(2026, 7, 1)]
    assert integrity.check(db_session) == []
