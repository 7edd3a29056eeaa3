"""The burn-down series and the forecast's history, summed in SQL from the real ledger."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text

from portal.domain import forecast as rules
from portal.services import forecasts
from tests import burn_down_data

TODAY = date(2026, 6, 30)
D = Decimal


def test_series_is_cumulative_by_document_date_with_commitments(db_session):
    world = burn_down_data.setup(db_session)
    po = world["po"]
    burn_down_data.post(db_session, world, TODAY - timedelta(days=60), "1000")
    burn_down_data.post(db_session, world, TODAY - timedelta(days=40), "1000")
    burn_down_data.post(db_session, world, TODAY - timedelta(days=30), "2000", "Sales Order")
    burn_down_data.post(db_session, world, TODAY - timedelta(days=20), "1000")
    burn_down_data.post(db_session, world, TODAY - timedelta(days=20), "250.50")
    burn_down_data.post(db_session, world, TODAY - timedelta(days=10), "300", "Estimate")  # not drawn
    points = forecasts.series(db_session, po.id)
    assert [(p.day, p.used, p.committed) for p in points] == [
        (TODAY - timedelta(days=60), D("1000.00"), D("1000.00")),
        (TODAY - timedelta(days=40), D("2000.00"), D("2000.00")),
        (TODAY - timedelta(days=30), D("2000.00"), D("4000.00")),
        (TODAY - timedelta(days=20), D("3250.50"), D("5250.50")),
    ]
    # at most two points: each covers a run of days and is dated by its last day
    capped = forecasts.series(db_session, po.id, max_points=2)
    assert [(p.day, p.used, p.committed) for p in capped] == [
        (TODAY - timedelta(days=40), D("2000.00"), D("2000.00")),
        (TODAY - timedelta(days=20), D("3250.50"), D("5250.50")),
    ]
    history = forecasts.used_histories(db_session, [po.id], TODAY)[po.id]
    assert history == rules.UsedHistory(used=D("3250.50"), window_used=D("3250.50"),
                                         first_day=TODAY - timedelta(days=60), postings=3)
    assert history == rules.summarise([(TODAY - timedelta(days=60), D("1000")), (TODAY - timedelta(days=40), D("1000")),
                                       (TODAY - timedelta(days=20), D("1250.50"))], TODAY)
    burn = forecasts.burn_down(db_session, po, TODAY)
    assert burn.forecast.state == rules.PROJECTED
    assert burn.forecast.rate == D("3250.50") / 61
    # 90% of 10,000 = 9,000: 5,749.50 more at 53.29 a day -> 108 days; the amount 6,749.50 -> 127 days
    assert burn.forecast.tolerance_on == TODAY + timedelta(days=108)
    assert burn.forecast.runs_out_on == TODAY + timedelta(days=127)
    assert burn.text == ("At this rate (53.29 a day, the last 90 days' average) it reaches 90% about 2026-10-16 "
                         "and runs out about 2026-11-04.")
    assert [p.day for p in burn.projection] == [TODAY, TODAY + timedelta(days=108), TODAY + timedelta(days=127)]


def test_a_credit_memo_lowers_used_on_its_own_date(db_session):
    world = burn_down_data.setup(db_session)
    invoice = burn_down_data.post(db_session, world, TODAY - timedelta(days=30), "1000")
    from portal.services import documents, posting

    memo = documents.save_draft(db_session, world["user"], None, documents.DocumentInput(
        debtor_id=world["debtor"].id, document_type_id=world["types"]["Credit Memo"].id, number="",
        doc_date=TODAY - timedelta(days=5), lines=(documents.LineInput(
            None, world["code"].id, D("1"), D("400"), source_line_id=invoice.lines[0].id),)),
        source_document_id=invoice.id)
    assert posting.post(db_session, world["user"], memo.id, confirmed=True, today=TODAY).posted
    points = forecasts.series(db_session, world["po"].id)
    assert [(p.day, p.used) for p in points] == [(TODAY - timedelta(days=30), D("1000.00")),
                                                  (TODAY - timedelta(days=5), D("600.00"))]


def test_a_po_with_many_entries_returns_at_most_the_cap(db_session):
    """20,000 ledger entries over 1,000 days come back as at most MAX_POINTS rows, summing to Used."""
    world = burn_down_data.setup(db_session, amount="99999999.00")
    doc = burn_down_data.post(db_session, world, date(2023, 1, 1), "1.00")
    line_id = doc.lines[0].id
    # one document per day (the series dates entries by their document), 20 entries each
    db_session.execute(text("""
        WITH days AS (SELECT g AS n FROM generate_series(1, 1000) g),
        docs AS (
            INSERT INTO documents (debtor_id, document_type_id, number, doc_date, status, notes, total, override_used, row_version)
            SELECT d.debtor_id, d.document_type_id, 'BULK-' || n, date '2023-01-01' + n, 'posted', '', 20, false, 1
            FROM days CROSS JOIN documents d WHERE d.id = :doc RETURNING id)
        INSERT INTO ledger_entries (document_id, document_line_id, po_id, bill_code_id, bucket, amount, event)
        SELECT docs.id, :line, :po, :code, 'used', 1.00, 'post' FROM docs CROSS JOIN generate_series(1, 20)
    """), {"doc": doc.id, "line": line_id, "po": world["po"].id, "code": world["code"].id})
    db_session.commit()
    points = forecasts.series(db_session, world["po"].id)
    assert 100 <= len(points) <= forecasts.MAX_POINTS
    assert points[-1].used == D("20001.00") and points[-1].day == date(2025, 9, 27)
    assert [p.day for p in points] == sorted(p.day for p in points)
    history = forecasts.used_histories(db_session, [world["po"].id], date(2025, 9, 27))[world["po"].id]
    assert history.postings == 90 and history.window_used == D("1800.00") and history.first_day == date(2023, 1, 1)


def _forecast_template(session, days=30):
    from portal.models import AlertTemplate, Role

    role = session.query(Role).filter_by(name="Billing Admin").one()
    template = AlertTemplate(name=f"Run-out {days}", thresholds=[], forecast_days=days, recipient_roles=[role],
                             subject="PO {po_number} runs out about {runs_out_on}", message="{debtor}: {remaining} left.")
    session.add(template)
    session.commit()
    return template


def test_posting_stores_the_forecast_the_lists_read(db_session):
    from portal.models import POForecast

    today = date.today()
    world = burn_down_data.setup(db_session, amount="4000.00")
    for days_ago in (30, 20, 10):
        burn_down_data.post(db_session, world, today - timedelta(days=days_ago), "1000")
    stored = db_session.get(POForecast, world["po"].id)
    db_session.refresh(stored)
    assert stored.state == rules.PROJECTED and stored.as_of == today
    assert stored.runs_out_on == forecasts.burn_down(db_session, world["po"], today).forecast.runs_out_on
    burn_down_data.post(db_session, world, today - timedelta(days=5), "1500")  # now over
    db_session.refresh(stored)
    assert stored.state == rules.OVER and stored.runs_out_on == today
    # an order moves no Used: the stored forecast is left as it was
    burn_down_data.post(db_session, world, today, "10", "Sales Order")
    db_session.refresh(stored)
    assert stored.state == rules.OVER


def test_forecast_alert_fires_once_names_the_dates_and_rearms(app, db_session):
    from sqlalchemy import func, select

    from portal.models import Alert, Notification, OutboxEmail, POForecast
    from tests import factories

    admin = factories.user(db_session, role_name="Billing Admin")
    template = _forecast_template(db_session, 30)
    today = date.today()
    world = burn_down_data.setup(db_session, amount="5000.00", tolerance=80, alert_template_id=template.id,
                                 number="RUN-1")
    quiet = burn_down_data.setup(db_session, amount="900000.00", debtor=world["debtor"], user=world["user"],
                                 alert_template_id=template.id, number="SLOW-1")
    for days_ago in (60, 40, 20):
        burn_down_data.post(db_session, world, today - timedelta(days=days_ago), "1000")  # 3,000 at 49.18 a day
        burn_down_data.post(db_session, quiet, today - timedelta(days=days_ago), "10")
    # (5,000 - 3,000) / (3,000 / 61) = 40.7 days: not within 30 yet
    db_session.execute(text("DELETE FROM po_forecasts"))  # the scan stores them afresh
    db_session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["alerts", "scan", "--today", today.isoformat()])
    assert "0 forecast alerts raised" in first.output, first.output
    assert db_session.scalar(select(func.count()).select_from(POForecast)) == 2
    burn_down_data.post(db_session, world, today - timedelta(days=2), "1000")  # 4,000: 1,000 left at 65.57 a day
    f = forecasts.burn_down(db_session, world["po"], today).forecast
    assert f.runs_out_on == today + timedelta(days=16)
    due = runner.invoke(args=["alerts", "scan", "--today", today.isoformat()])
    subject = f"PO RUN-1 runs out about {f.runs_out_on.isoformat()}"
    assert subject in due.output and "1 forecast alert raised" in due.output, due.output
    note = db_session.scalars(select(Notification).where(Notification.user_id == admin.id)).one()
    assert note.subject == subject
    assert "1,000.00 left." in note.body
    assert f"is past its 80% tolerance and runs out about {f.runs_out_on.isoformat()}" in note.body
    assert "Forecast (runs out within 30 days)" in note.body
    assert db_session.scalar(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.subject == subject)) >= 1
    again = runner.invoke(args=["alerts", "scan", "--today", today.isoformat()])
    assert "0 forecast alerts raised" in again.output  # once per PO and N
    # a credit memo takes Used back down: the forecast moves past 30 days and the alert re-arms
    from portal.services import documents, posting

    last = db_session.scalars(select(Alert).where(Alert.kind == "forecast")).one()
    invoice_line = [d for d in db_session.scalars(select(documents.Document).where(
        documents.Document.doc_date == today - timedelta(days=2)))][0].lines[0]
    memo = documents.save_draft(db_session, world["user"], None, documents.DocumentInput(
        debtor_id=world["debtor"].id, document_type_id=world["types"]["Credit Memo"].id, number="",
        doc_date=today, lines=(documents.LineInput(None, world["code"].id, D("1"), D("1000"),
                                                  source_line_id=invoice_line.id),)),
        source_document_id=invoice_line.document_id)
    assert posting.post(db_session, world["user"], memo.id, confirmed=True).posted
    runner.invoke(args=["alerts", "scan", "--today", today.isoformat()])
    db_session.refresh(last)
    assert last.armed
    burn_down_data.post(db_session, world, today, "2500")  # 5,500 of 5,000: over, fires again
    refired = runner.invoke(args=["alerts", "scan", "--today", today.isoformat()])
    assert "1 forecast alert raised" in refired.output, refired.output
    assert db_session.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "forecast")) == 1
    latest = db_session.scalars(select(Notification).where(Notification.user_id == admin.id)
                                .order_by(Notification.id.desc())).first()
    assert "Used is over the amount by 500.00" in latest.body


def test_editing_the_amount_refreshes_the_stored_forecast(db_session):
    from dataclasses import replace

    from portal.models import POForecast
    from portal.services import purchase_orders

    today = date.today()
    world = burn_down_data.setup(db_session, amount="4000.00")
    for days_ago in (30, 20, 10):
        burn_down_data.post(db_session, world, today - timedelta(days=days_ago), "1000")
    po = world["po"]
    before = db_session.get(POForecast, po.id).runs_out_on
    purchase_orders.update_po(db_session, po.id, replace(purchase_orders.snapshot(po), amount=D("2500.00")),
                              actor=world["user"])
    stored = db_session.get(POForecast, po.id)
    db_session.refresh(stored)
    assert before > today and stored.state == rules.OVER and stored.runs_out_on == today


def test_day_totals_follow_the_ledger_and_drift_is_reported(db_session, app):
    from portal.services import integrity

    world = burn_down_data.setup(db_session)
    burn_down_data.post(db_session, world, TODAY - timedelta(days=3), "100")
    burn_down_data.post(db_session, world, TODAY - timedelta(days=3), "50", "Sales Order")
    rows = db_session.execute(text("SELECT day, used, commitments FROM po_day_totals WHERE po_id = :p"),
                              {"p": world["po"].id}).all()
    assert rows == [(TODAY - timedelta(days=3), D("100.00"), D("50.00"))]
    assert [m for m in integrity.check(db_session) if getattr(m, "summary", "") == "PO day total"] == []
    db_session.execute(text("UPDATE po_day_totals SET used = used + 1"))
    db_session.commit()
    drift = [str(m) for m in integrity.check(db_session) if getattr(m, "summary", "") == "PO day total"]
    assert drift == [f"PO day total PO {world['po'].id} on {TODAY - timedelta(days=3)}: kept 101.00 / 50.00 ≠ recomputed 100.00 / 50.00"]


def test_refresh_stores_every_po_it_is_given_whether_the_caller_holds_it_or_not(db_session):
    """Posting hands `refresh` the POs it locked (their amount and tolerance are current); any other PO
    asked for is read. Both kinds are stored, each with its own figures."""
    from sqlalchemy import select

    from portal.models import POForecast
    from tests import factories

    debtor = factories.debtor(db_session)
    held, other = factories.po(db_session, debtor, "HELD"), factories.po(db_session, debtor, "OTHER")
    computed = forecasts.refresh(db_session, [held.id, other.id], TODAY, known={held.id: held})
    db_session.commit()
    assert sorted(computed) == sorted([held.id, other.id])
    stored = {f.po_id: f for f in db_session.scalars(select(POForecast))}
    assert sorted(stored) == sorted([held.id, other.id])
    assert all(f.as_of == TODAY for f in stored.values())
