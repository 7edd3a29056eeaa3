"""The PO list's page in every order, searched or not, is the page of every matching PO sorted here: also
when a search's page comes from the list's first stretch (paging's window) and when the list by remaining
is read from the balance rows. The expected page is sorted and cut here, not by the code under test."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from portal.models import POForecast, PurchaseOrder
from portal.services import paging, purchase_orders
from tests import factories

TODAY = date(2026, 6, 1)
KEYS = {
    "expiration": lambda p: (p.expiration, p.number_key, p.id),
    "-expiration": None,  # descending expiry, then number and id ascending: sorted in two passes below
    "number": lambda p: (p.number_key, p.id),
    "remaining": lambda p: (p.balance.remaining, p.id),
    # a forecast's date first (POs without one, or with one that has no date, last), then expiry
    "runs_out": lambda p: (_runs_out_on(p) is None, _runs_out_on(p) or date.min, p.expiration, p.id),
}


def _runs_out_on(po):
    return po.forecast.runs_out_on if po.forecast else None


@pytest.fixture
def pos(db_session, monkeypatch):
    """40 POs of one debtor: numbers with shared starts, a few descriptions, expiry dates either side of
    today (some on the same day), budgets part used; most with a stored forecast, some of those dated
    (a few on the same day, some of expired POs), the rest without a date."""
    monkeypatch.setattr(paging, "_edges", {})  # no window edge kept from another test's database
    rng = random.Random(11)
    debtor = factories.debtor(db_session, "ORDR")
    numbers = rng.sample([f"{p}{n}" for p in ("SP", "SQ", "AB") for n in range(100, 140)], 40)
    for number in numbers:
        factories.po(db_session, debtor, number, amount="1000.00", used=str(rng.randrange(0, 1200)),
                     effective=date(2025, 1, 1), expiration=TODAY + timedelta(days=rng.choice(range(-60, 90, 15))),
                     description=rng.choice(["Cleaning services", "Security", "Catering and cleaning", ""]))
    for po in db_session.scalars(select(PurchaseOrder).where(PurchaseOrder.debtor_id == debtor.id)):
        runs_out = rng.choice([None, None, "undated", TODAY + timedelta(days=rng.choice(range(-20, 60, 10)))])
        if runs_out is not None:
            dated = runs_out != "undated"
            db_session.add(POForecast(po_id=po.id, as_of=TODAY, state="projected" if dated else "not_rising",
                                      runs_out_on=runs_out if dated else None))
    db_session.flush()
    return debtor


def _expected(session, flt, page: int, per_page: int) -> tuple[list[int], int]:
    matching = session.scalars(purchase_orders.po_query(flt, today=TODAY).order_by(None)).unique().all()
    if flt.sort == "-expiration":
        ordered = sorted(sorted(matching, key=lambda p: (p.number_key, p.id)), key=lambda p: p.expiration, reverse=True)
    else:
        ordered = sorted(matching, key=KEYS[flt.sort])
    return [p.id for p in ordered[(page - 1) * per_page:page * per_page]], len(ordered)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.sampled_from(["", "s", "SP", "sp1", "sq13", "clean", "clean s", "zz"]), sort=st.sampled_from(list(KEYS)),
       include_expired=st.booleans(), page=st.integers(min_value=1, max_value=6),
       per_page=st.integers(min_value=1, max_value=8), window=st.integers(min_value=1, max_value=30))
def test_a_po_list_page_is_every_matching_po_sorted(db_session, pos, monkeypatch, q, sort, include_expired, page,
                                                      per_page, window):
    monkeypatch.setattr(purchase_orders, "SEARCH_WINDOW", window)
    monkeypatch.setattr(purchase_orders, "RUNS_OUT_WINDOW", window)
    flt = purchase_orders.POFilter(debtor_id=pos.id, q=q, sort=sort, include_expired=include_expired)
    listed = purchase_orders.list_purchase_orders(db_session, flt, today=TODAY, page=page, per_page=per_page)
    ids, total = _expected(db_session, flt, page, per_page)
    assert [p.id for p in listed.items] == ids
    cap = (page + 10) * per_page
    assert (listed.total, listed.more) == (min(total, cap), total > cap)


def test_every_po_is_listed_by_remaining_with_its_balance(db_session, pos):
    """The list by remaining is read from the balance rows: every PO of the debtor is in it, once."""
    flt = purchase_orders.POFilter(debtor_id=pos.id, sort="remaining", include_expired=True)
    listed = purchase_orders.list_purchase_orders(db_session, flt, today=TODAY, per_page=100)
    every = db_session.scalars(select(PurchaseOrder.id).where(PurchaseOrder.debtor_id == pos.id)).all()
    assert sorted(p.id for p in listed.items) == sorted(every)
    remaining = [p.balance.remaining for p in listed.items]
    assert remaining == sorted(remaining) and len(set(remaining)) > 5


@pytest.mark.parametrize("include_expired", [False, True])
def test_the_list_by_runs_out_first_is_in_order_whatever_its_first_stretch(db_session, pos, monkeypatch,
                                                                            include_expired):
    """Every first stretch the list may read (by forecast date alone, or every dated PO and the first by
    expiry, or all), every page of it: the page of every PO sorted here."""
    flt = purchase_orders.POFilter(debtor_id=pos.id, sort="runs_out", include_expired=include_expired)
    for window in range(1, 42):
        monkeypatch.setattr(purchase_orders, "RUNS_OUT_WINDOW", window)
        monkeypatch.setattr(paging, "_edges", {})
        for page in range(1, 5):
            listed = purchase_orders.list_purchase_orders(db_session, flt, today=TODAY, page=page, per_page=3)
            ids, total = _expected(db_session, flt, page, 3)
            assert ([p.id for p in listed.items], listed.total) == (ids, min(total, (page + 10) * 3)), (window, page)


@pytest.mark.parametrize("window", [4, 30])
def test_the_list_by_runs_out_first_reads_its_page_from_its_first_stretch(db_session, pos, monkeypatch, count_queries,
                                                                          window):
    """Its page and count in one statement (the edges are kept): the first stretch by forecast date alone (4)
    or every dated PO and the first by expiry (30) holds the page, so no statement sorts every PO."""
    monkeypatch.setattr(purchase_orders, "RUNS_OUT_WINDOW", window)
    flt = purchase_orders.POFilter(debtor_id=pos.id, sort="runs_out", include_expired=True)
    purchase_orders.list_purchase_orders(db_session, flt, today=TODAY, per_page=3)  # the edges read and kept
    with count_queries() as statements:
        listed = purchase_orders.list_purchase_orders(db_session, flt, today=TODAY, per_page=3)
    assert len(statements) == 1 and [p.id for p in listed.items] == _expected(db_session, flt, 1, 3)[0]
    assert "array_agg(po_forecasts.po_id)" in statements[0]  # the stretch's forecasts: the window, not the list
