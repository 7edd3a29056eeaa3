"""The PO list's page in every order, searched or not, is the page of every matching PO sorted here: also
when a search's page comes from the list's first stretch (paging's window) and when the list by remaining
is read from the balance rows. The expected page is sorted and cut here, not by the code under test."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from portal.models import PurchaseOrder
from portal.services import paging, purchase_orders
from tests import factories

TODAY = date(2026, 6, 1)
KEYS = {
    "expiration": lambda p: (p.expiration, p.number_key, p.id),
    "-expiration": None,  # descending expiry, then number and id ascending: sorted in two passes below
    "number": lambda p: (p.number_key, p.id),
    "remaining": lambda p: (p.balance.remaining, p.id),
}


@pytest.fixture
def pos(db_session, monkeypatch):
    """40 POs of one debtor: numbers with shared starts, a few descriptions, expiry dates either side of
    today (some on the same day), budgets part used."""
    monkeypatch.setattr(paging, "_edges", {})  # no window edge kept from another test's database
    rng = random.Random(11)
    debtor = factories.debtor(db_session, "ORDR")
    numbers = rng.sample([f"{p}{n}" for p in ("SP", "SQ", "AB") for n in range(100, 140)], 40)
    for number in numbers:
        factories.po(db_session, debtor, number, amount="1000.00", used=str(rng.randrange(0, 1200)),
                     effective=date(2025, 1, 1), expiration=TODAY + timedelta(days=rng.choice(range(-60, 90, 15))),
                     description=rng.choice(["Cleaning services", "Security", "Catering and cleaning", ""]))
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
