"""The start page: POs needing attention (the SQL filter agrees with seed 001's colour rule), drafts,
and active jobs without a PO, each shown only to roles that may see it; and the demo data behind it."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.domain import budget
from portal.models import Document, PurchaseOrder, User
from portal.services import purchase_orders
from tests import factories

TODAY = date(2026, 6, 1)
FAR = date(2027, 12, 31)


@pytest.mark.parametrize("subtotal,tolerance,expiration,shown", [
    ("8999.99", 90, FAR, False),  # just under the tolerance
    ("9000.00", 90, FAR, True),  # at the tolerance: yellow
    ("9999.00", None, FAR, False),  # no tolerance: no yellow
    ("10000.01", None, FAR, True),  # over the amount: red
    ("0", 90, TODAY + timedelta(days=30), True),  # expires within 30 days
    ("0", 90, TODAY + timedelta(days=31), False),
])
def test_needs_attention_matches_the_colour_rule(db_session, subtotal, tolerance, expiration, shown):
    po = factories.po(db_session, factories.debtor(db_session), amount="10000", tolerance=tolerance, used=subtotal,
                      effective=date(2026, 1, 1), expiration=expiration)
    page = purchase_orders.list_purchase_orders(db_session, purchase_orders.POFilter(attention=True), today=TODAY)
    assert [p.id for p in page.items] == ([po.id] if shown else [])
    colour = budget.colour(budget.Balance(Decimal("10000"), Decimal(subtotal)), po.tolerance_pct)
    assert (colour is not None or expiration <= TODAY + timedelta(days=30)) is shown


def test_start_page_shows_what_needs_attention_by_role(db_session, login_as):
    debtor = factories.debtor(db_session, "ACME")
    factories.po(db_session, debtor, "HOT-1", amount="1000", tolerance=80, used="850", expiration=FAR)
    factories.po(db_session, debtor, "CALM-1", amount="1000", tolerance=80, used="100", expiration=FAR)
    factories.job(db_session, debtor, start=date(2020, 1, 1))
    billing, _ = login_as("Billing Admin")
    html = billing.get("/").get_data(as_text=True)
    attention = html.split('id="attention"')[1].split("</section>")[0]
    assert "HOT-1" in attention and "CALM-1" not in attention and "budget-yellow" in attention
    assert 'hx-get="/start/unassigned-jobs"' in html  # counted after the page loads
    assert "1 job order</a>" in billing.get("/start/unassigned-jobs").get_data(as_text=True)
    listed = billing.get("/purchase-orders/?attention=1").get_data(as_text=True)
    assert "HOT-1" in listed and "CALM-1" not in listed
    nobody, _ = login_as(None)  # a user without roles sees none of it
    bare = nobody.get("/").get_data(as_text=True)
    assert all(f'id="{part}"' not in bare for part in ("attention", "drafts", "unassigned")) and "HOT-1" not in bare


def test_demo_data_loads_twice_and_balances(app, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "billing" in first.output and "demo-pass-2026" in first.output
    counts = (db_session.scalar(select(func.count()).select_from(PurchaseOrder)),
              db_session.scalar(select(func.count()).select_from(Document)),
              db_session.scalar(select(func.count()).select_from(User)))
    assert runner.invoke(args=["demo", "load"]).exit_code == 0  # idempotent
    db_session.expire_all()
    assert (db_session.scalar(select(func.count()).select_from(PurchaseOrder)),
            db_session.scalar(select(func.count()).select_from(Document)),
            db_session.scalar(select(func.count()).select_from(User))) == counts
    assert counts[0] >= 6 and counts[1] >= 5
    integrity = runner.invoke(args=["integrity", "check"])
    assert integrity.exit_code == 0 and "0 mismatch" in integrity.output


def test_start_tiles_show_figures_not_the_navigation(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    html = browser.get("/").get_data(as_text=True)
    tiles = html.split('id="start-tiles"')[1].split("</div>\n")[0]
    assert 'id="tile-attention-count"' in tiles and 'id="tile-drafts-count"' in tiles and "/start/unassigned-jobs?tile=1" in tiles
    assert ">Debtors<" not in tiles  # the top navigation is not repeated
    consultant, _ = login_as("Consultant")  # documents view: drafts tile; no maintenance figures
    assert 'id="tile-drafts-count"' in consultant.get("/").get_data(as_text=True)
    count = browser.get("/start/unassigned-jobs?tile=1").get_data(as_text=True)
    assert 'id="tile-unassigned-count"' in count
