"""A job search's page found among the newest jobs first (paging's window) is the page the whole search
gives: the same jobs in the same order, the same count, whatever the word, page, page size or window.
The expected page is sorted and cut here, from every matching job, not by the code under test."""
from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import update

from portal.models import JobOrder
from portal.services import job_orders, paging
from tests import factories

TODAY = date(2026, 6, 1)
TITLES = ["Welder", "Welding lead", "Warehouse packer", "Packer", "Forklift driver 12", "Cleaner"]
WEIGHTS = [6, 2, 3, 3, 1, 2]


@pytest.fixture
def jobs(db_session, monkeypatch):
    """60 jobs (numbers in another order than their ids, a few discontinued, in two branches) and a
    consultant of every branch and one of the south branch alone."""
    monkeypatch.setattr(paging, "_edges", {})  # no window edge kept from another test's database
    rng = random.Random(16)
    debtor = factories.debtor(db_session, "SRCH")
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    numbers = rng.sample(range(100, 999), 60)
    made = []
    for i, number in enumerate(numbers):
        job = factories.job(db_session, debtor, north if i % 3 else south,
                            title=rng.choices(TITLES, WEIGHTS)[0], start=date(2026, 1, 1),
                            discontinued=date(2026, 3, 1) if i % 7 == 0 else None)
        db_session.execute(update(JobOrder).where(JobOrder.id == job.id).values(number=f"J{number}"))
        made.append(job)
    db_session.commit()
    users = {limited: factories.user(db_session, role_name="Consultant", branches=[south] if limited else ())
             for limited in (False, True)}
    return debtor, users


def _expected(session, user, flt: job_orders.JobFilter, page: int, per_page: int) -> tuple[list[int], int]:
    matching = session.scalars(job_orders.filtered(flt, user, TODAY)).all()
    ordered = sorted(matching, key=lambda j: (j.number, j.id), reverse=True)
    return [j.id for j in ordered[(page - 1) * per_page:page * per_page]], len(ordered)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.sampled_from(["w", "wel", "WELD", "pack", "packer", "j", "J5", "forklift driver", "zz", "lead w"]),
       page=st.integers(min_value=1, max_value=6), per_page=st.integers(min_value=1, max_value=9),
       window=st.integers(min_value=1, max_value=40), active_only=st.booleans(), limited=st.booleans(),
       stale=st.none() | st.sampled_from(["", "J", "J5", "J50", "J999", "K"]))
def test_a_search_page_is_the_whole_searchs_page(db_session, jobs, monkeypatch, q, page, per_page, window,
                                                  active_only, limited, stale):
    """`stale`: the window's edge as a worker may have kept it from a while ago (any edge starts the list)."""
    debtor, users = jobs
    monkeypatch.setattr(job_orders, "SEARCH_WINDOW", window)
    if stale is not None:
        monkeypatch.setattr(job_orders, "window_edge", lambda session, key, edge: stale)
    user = users[limited]
    flt = job_orders.JobFilter(debtor_id=debtor.id, q=q, active_only=active_only)
    listed = job_orders.list_jobs(db_session, user, flt, today=TODAY, page=page, per_page=per_page)
    ids, total = _expected(db_session, user, flt, page, per_page)
    assert [j.id for j in listed.items] == ids
    cap = (page + 10) * per_page
    assert (listed.total, listed.more) == (min(total, cap), total > cap)


def test_a_common_words_page_comes_from_the_window_and_a_rare_ones_from_the_search(db_session, jobs, count_queries):
    """The window is what makes a common word cheap: its page is the window's statement alone; a word too
    rare to fill a page there costs the search's own statement after it."""
    debtor, users = jobs
    flt = lambda q: job_orders.JobFilter(debtor_id=debtor.id, q=q, active_only=False)  # noqa: E731
    job_orders.list_jobs(db_session, users[False], flt("x"), today=TODAY)  # the user's roles and branches read
    with count_queries() as common:
        page = job_orders.list_jobs(db_session, users[False], flt("w"), today=TODAY, per_page=5)
    assert len(page.items) == 5 and len(common) == 1
    with count_queries() as rare:
        page = job_orders.list_jobs(db_session, users[False], flt("forklift driver"), today=TODAY, per_page=5)
    assert len(rare) == 2 and all(j.title == "Forklift driver 12" for j in page.items)


@pytest.mark.parametrize("matching", [10, 11, 12])
def test_the_count_from_the_window_stops_at_the_cap_as_the_lists_does(db_session, monkeypatch, matching):
    """A page counts up to ten pages past itself (11 rows for a page of one): 11 matches are 11, 12 are
    "more than 11", counted in the window or not."""
    monkeypatch.setattr(paging, "_edges", {})
    debtor = factories.debtor(db_session, "CAPS")
    for _ in range(matching):
        factories.job(db_session, debtor, title="Capped search", start=date(2026, 1, 1))
    user = factories.user(db_session, role_name="Consultant")
    flt = job_orders.JobFilter(debtor_id=debtor.id, q="capped")
    listed = job_orders.list_jobs(db_session, user, flt, today=TODAY, per_page=1)
    assert (listed.total, listed.more) == (min(matching, 11), matching > 11)
