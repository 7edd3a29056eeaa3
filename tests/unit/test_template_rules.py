"""Rules the templates used to compute themselves, now asked of the domain."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from portal.domain import api_tokens, purchase_orders
from portal.domain.assignment import job_active_on

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_a_token_is_expired_from_its_expiry_instant_on_and_revoked_wins():
    assert api_tokens.status(NOW + timedelta(seconds=1), None, NOW) == "active"
    assert api_tokens.status(NOW, None, NOW) == "expired"
    assert api_tokens.status(NOW + timedelta(days=9), NOW, NOW) == "revoked"


def test_jobs_are_assigned_from_the_later_of_the_po_start_and_today():
    today = date(2026, 3, 1)
    assert purchase_orders.assignment_start(date(2026, 4, 1), today) == date(2026, 4, 1)
    assert purchase_orders.assignment_start(date(2026, 1, 1), today) == today
    assert purchase_orders.assignment_start(today, today) == today


def test_lines_only_on_a_master_and_spend_only_on_a_multi_line_po():
    shown = {kind: [t for t in ("summary", "lines", "spend", "history") if purchase_orders.has_tab(kind, t)]
             for kind in ("single_line", "multi_line", "multi_line_master")}
    assert shown == {"single_line": ["summary", "history"], "multi_line": ["summary", "spend", "history"],
                     "multi_line_master": ["summary", "lines", "history"]}


def test_a_job_is_active_from_its_start_through_its_discontinued_date():
    day = date(2026, 3, 1)
    assert job_active_on(day, day, day)
    assert not job_active_on(day + timedelta(days=1), None, day)
    assert not job_active_on(date(2026, 1, 1), day - timedelta(days=1), day)


def test_the_counts_the_pages_ask_of_their_rows():
    from portal.services.bulk_assign import Outcome, Preview
    from portal.services.paging import Page
    from portal.services.reports import SpendRow

    preview = Preview(to_assign=2500, skipped={})
    assert Outcome([("J1", "Pump", 1), ("J2", "Valve", 2)], preview).count == 2
    assert Outcome([("2500 jobs", "", None)], preview).count == 2500  # one summary row stands for them
    assert Page(["a", "b"], total=3, page=1, per_page=2).has_unlisted
    assert not Page(["a", "b"], total=2, page=1, per_page=2).has_unlisted
    row = SpendRow(1, "P1", Decimal("0"), Decimal("0"), Decimal("0"), documents=7, budgeted_documents=7,
                   items=[None] * 5)
    assert row.earlier_documents == 2
    assert SpendRow(1, "P1", Decimal("0"), Decimal("0"), Decimal("0"), 5, 5, [None] * 5).earlier_documents == 0


def test_a_bulk_preview_counts_its_skipped_jobs_and_an_item_its_charges():
    from portal.models import ServiceDeskCharge, ServiceDeskItem
    from portal.services.bulk_assign import Preview

    preview = Preview(to_assign=4, skipped={"discontinued before the date": 2, "already assigned on the date": 3})
    assert (preview.skipped_count, preview.total) == (5, 9)
    item = ServiceDeskItem(charges=[ServiceDeskCharge(amount=Decimal("10.50")), ServiceDeskCharge(amount=None),
                                    ServiceDeskCharge(amount=Decimal("2.25"))])
    assert item.charges_total == Decimal("12.75")  # a charge awaiting its unit counts nothing
    assert ServiceDeskItem().charges_total == Decimal("0")
