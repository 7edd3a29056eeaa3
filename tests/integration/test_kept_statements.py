"""The PO lists' statements are built once per worker for the same filter and day (purchase_orders.po_query and
paging's kept page statements): what a page lists is still read from the database every time, and a filter,
page or day of its own gets statements of its own."""
from __future__ import annotations

from datetime import date

from portal.services import paging, purchase_orders
from portal.services.purchase_orders import POFilter, list_purchase_orders
from tests import factories

TODAY = date(2026, 6, 1)


def _numbers(session, flt: POFilter, page: int = 1, per_page: int = 2, today: date = TODAY) -> tuple[list[str], int]:
    listed = list_purchase_orders(session, flt, today=today, page=page, per_page=per_page)
    return [po.number for po in listed.items], listed.total


def test_kept_statements_list_what_the_database_holds_now(db_session, monkeypatch):
    monkeypatch.setattr(paging, "_kept", {})
    first, second = factories.debtor(db_session, "KEPT1"), factories.debtor(db_session, "KEPT2")
    factories.po(db_session, first, "K100", expiration=date(2026, 7, 1))
    factories.po(db_session, second, "K200", expiration=date(2026, 7, 1))
    mine = POFilter(debtor_id=first.id)
    assert _numbers(db_session, mine) == (["K100"], 1)
    kept = dict(paging._kept)
    assert purchase_orders.po_query(mine, today=TODAY) is purchase_orders.po_query(POFilter(debtor_id=first.id),
                                                                                 today=TODAY)
    # a PO added since: listed by the same kept statements
    factories.po(db_session, first, "K101", expiration=date(2026, 8, 1))
    factories.po(db_session, first, "K102", expiration=date(2026, 9, 1))
    assert _numbers(db_session, mine) == (["K100", "K101"], 3)
    assert paging._kept == kept  # nothing built again
    # another debtor, another page, another day: statements of their own, and their own rows
    assert _numbers(db_session, POFilter(debtor_id=second.id)) == (["K200"], 1)
    assert _numbers(db_session, mine, page=2) == (["K102"], 3)
    assert _numbers(db_session, mine, today=date(2026, 8, 15)) == (["K102"], 1)
    assert len(paging._kept) == len(kept) + 3


def test_a_kept_search_window_follows_its_edge(db_session, monkeypatch):
    """The search's window is built for the edge read (kept a minute per worker); a new edge, a new window."""
    monkeypatch.setattr(paging, "_kept", {})
    monkeypatch.setattr(paging, "_edges", {})
    monkeypatch.setattr(purchase_orders, "SEARCH_WINDOW", 2)
    debtor = factories.debtor(db_session, "KEPT3")
    for number, month in [("W1", 7), ("W2", 8), ("W3", 9), ("X1", 10)]:
        factories.po(db_session, debtor, number, expiration=date(2026, month, 1))
    search = POFilter(debtor_id=debtor.id, q="w")
    assert _numbers(db_session, search, per_page=1) == (["W1"], 3)
    assert _numbers(db_session, search, page=3, per_page=1) == (["W3"], 3)
    monkeypatch.setattr(paging, "_edges", {})  # the edges read again: the same answers
    assert _numbers(db_session, search, page=2, per_page=1) == (["W2"], 3)


def test_kept_job_statements_are_kept_per_branch_limit(db_session, monkeypatch):
    """The same filter, day and page for a user of every branch, then for one limited to a branch, then for the
    first again: each is listed their own jobs (a statement kept for one limit is never another's)."""
    from portal.services import job_orders

    monkeypatch.setattr(paging, "_kept", {})
    debtor = factories.debtor(db_session, "KEPTJ")
    north, south = factories.branch(db_session, "KPN"), factories.branch(db_session, "KPS")
    factories.job(db_session, debtor, north, title="Kept welder")
    factories.job(db_session, debtor, south, title="Kept packer")
    everyone = factories.user(db_session, role_name="Consultant")
    southern = factories.user(db_session, role_name="Consultant", branches=[south])
    northern = factories.user(db_session, role_name="Consultant", branches=[north])
    for flt in (job_orders.JobFilter(debtor_id=debtor.id), job_orders.JobFilter(debtor_id=debtor.id, q="kept")):
        for user, titles in [(everyone, {"Kept welder", "Kept packer"}), (southern, {"Kept packer"}),
                             (northern, {"Kept welder"}), (everyone, {"Kept welder", "Kept packer"})]:
            listed = job_orders.list_jobs(db_session, user, flt, today=TODAY)
            assert {j.title for j in listed.items} == titles and listed.total == len(titles)
