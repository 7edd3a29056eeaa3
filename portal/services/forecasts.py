"""PO burn-down: the series of cumulative Used and Used + Commitments over time, and the forecast of
when a PO reaches its tolerance and runs out (the rule is portal/domain/forecast.py).

Both read po_day_totals (the ledger summed per PO and document date by a trigger in the posting
transaction), through its primary key: a PO with a quarter of a million ledger entries over two years
reads about 700 rows and returns at most MAX_POINTS.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from portal.domain import forecast as rules
from portal.models import PurchaseOrder
from portal.services.prepared import READS_ONLY

MAX_POINTS = 120
REFRESH_BATCH = 500
ZERO = Decimal("0")

# Used per PO and document date (po_day_totals, kept by a trigger on the ledger), summed to what the
# forecast needs (rules.UsedHistory)
_HISTORY_SQL = text("""
SELECT po_id, sum(used),
       coalesce(sum(used) FILTER (WHERE day BETWEEN :start AND :today), 0),
       min(day),
       count(*) FILTER (WHERE day BETWEEN :start AND :today)
FROM po_day_totals
WHERE po_id IN :ids AND used <> 0
GROUP BY po_id
""").bindparams(bindparam("ids", expanding=True)).execution_options(**{READS_ONLY: True})

# one PO's Used and Commitments per day, then per bucket of n days so that at most :cap rows return;
# each bucket is dated by its last day (the figures are as of that day)
_SERIES_SQL = text("""
WITH daily AS (
    SELECT day, used, commitments FROM po_day_totals WHERE po_id = :po_id
), span AS (
    SELECT min(day) AS lo, max(day) AS hi,
           greatest(1, ceil((max(day) - min(day) + 1) / CAST(:cap AS numeric)))::int AS n
    FROM daily
)
SELECT least(span.lo + ((daily.day - span.lo) / span.n) * span.n + span.n - 1, span.hi) AS day,
       sum(daily.used), sum(daily.commitments)
FROM daily CROSS JOIN span
GROUP BY 1 ORDER BY 1
""").execution_options(**{READS_ONLY: True})


def used_histories(session: Session, po_ids, today: date) -> dict[int, rules.UsedHistory]:
    """The Used history of each PO (one set-based query; a PO with no Used is absent)."""
    ids = sorted(set(po_ids))
    if not ids:
        return {}
    rows = session.execute(_HISTORY_SQL, {"ids": ids, "start": rules.window_start(today), "today": today})
    return {po_id: rules.UsedHistory(used=used, window_used=window_used, first_day=first_day, postings=postings)
            for po_id, used, window_used, first_day, postings in rows}


def forecast_of(po: PurchaseOrder, history: rules.UsedHistory | None, today: date) -> rules.Forecast:
    """The PO's forecast from its history (none: no Used yet)."""
    return rules.forecast(history or rules.UsedHistory(ZERO, ZERO, None, 0), po.amount, po.tolerance_pct, today)


def forecasts(session: Session, pos, today: date) -> dict[int, rules.Forecast]:
    """The forecast of each PO in `pos`, in one query."""
    pos = list(pos)
    histories = used_histories(session, [p.id for p in pos], today)
    return {p.id: forecast_of(p, histories.get(p.id), today) for p in pos}


@dataclass(frozen=True)
class Point:
    day: date
    used: Decimal         # cumulative Used as of the day
    committed: Decimal    # cumulative Used + Commitments as of the day


@dataclass(frozen=True)
class BurnDown:
    points: list[Point]
    forecast: rules.Forecast
    text: str
    projection: list[Point]   # from today's Used along the run rate (committed repeats used)

    def chart(self, po: PurchaseOrder) -> dict:
        """The chart's data for the page's data attribute (display only, so numbers are floats)."""
        f = self.forecast
        points = list(self.points)
        if points and points[-1].day < f.today:  # the lines run on, level, to today
            points.append(Point(f.today, points[-1].used, points[-1].committed))
        return {
            "points": [{"day": p.day.isoformat(), "used": float(p.used), "committed": float(p.committed)}
                       for p in points],
            "projection": [{"day": p.day.isoformat(), "used": float(p.used)} for p in self.projection],
            "amount": float(po.amount),
            "tolerance": float(f.tolerance_amount) if f.tolerance_amount is not None else None,
            "tolerancePct": float(f.tolerance_pct) if f.tolerance_pct is not None else None,
            "today": f.today.isoformat(),
            "effective": po.effective.isoformat(),
            "expiration": po.expiration.isoformat(),
        }


def series(session: Session, po_id: int, max_points: int = MAX_POINTS) -> list[Point]:
    """Cumulative Used and Used + Commitments by document date, at most `max_points` points."""
    points, used, committed = [], ZERO, ZERO
    for day, day_used, day_commitments in session.execute(_SERIES_SQL, {"po_id": po_id, "cap": max_points}):
        used += day_used
        committed += day_used + day_commitments
        points.append(Point(day, used, committed))
    return points


def _projection(f: rules.Forecast, expiration: date) -> list[Point]:
    """The chart's projected line: from today's Used to the tolerance day and the run-out day (or the horizon)."""
    if f.state != rules.PROJECTED or not f.rate:
        return []
    end = f.runs_out_on or max(expiration, f.today + timedelta(days=rules.WINDOW_DAYS))
    if f.runs_out_on is None and end > f.today + timedelta(days=rules.HORIZON_DAYS):
        end = f.today + timedelta(days=rules.HORIZON_DAYS)
    points = [Point(f.today, f.used, f.used)]
    if f.tolerance_on:
        level = f.tolerance_amount
        points.append(Point(f.tolerance_on, level, level))
    level = f.amount if f.runs_out_on else (f.used + f.rate * (end - f.today).days).quantize(rules.CENT)
    points.append(Point(end, level, level))
    return points


def burn_down(session: Session, po: PurchaseOrder, today: date) -> BurnDown:
    """The PO's burn-down: its series (bounded), forecast and sentence (two queries)."""
    f = forecast_of(po, used_histories(session, [po.id], today).get(po.id), today)
    return BurnDown(points=series(session, po.id), forecast=f, text=rules.describe(f, po.expiration),
                    projection=_projection(f, po.expiration))


def stored_values(po_id: int, f: rules.Forecast) -> dict:
    """The po_forecasts row of a forecast: an over PO is stored as running out on the day it was found."""
    return {"po_id": po_id, "as_of": f.today, "state": f.state,
            "rate": None if f.rate is None else f.rate.quantize(Decimal("0.0001")),
            "tolerance_on": f.tolerance_on, "runs_out_on": f.today if f.state == rules.OVER else f.runs_out_on}


def refresh(session: Session, po_ids, today: date, *, known: Mapping[int, PurchaseOrder] | None = None
            ) -> dict[int, rules.Forecast]:
    """Recompute and store the forecasts of these POs (three statements whatever their number; two
    when `known` holds them all: POs the caller read under lock, whose amount and tolerance are current);
    the caller commits. Posting calls it for the POs it touched, the nightly scan for every current PO."""
    ids = sorted({i for i in po_ids if i})
    if not ids:
        return {}
    known = known or {}
    pos = [known[i] for i in ids if i in known]
    if missing := [i for i in ids if i not in known]:
        pos += session.execute(select(PurchaseOrder.id, PurchaseOrder.amount, PurchaseOrder.tolerance_pct)
                               .where(PurchaseOrder.id.in_(missing))).all()
    pos.sort(key=lambda p: p.id)  # rows stored in id order: two postings lock shared rows alike
    computed = forecasts(session, pos, today)
    if computed:
        rows = [stored_values(i, f) for i, f in computed.items()]
        session.execute(_STORE, {column: [row[column] for row in rows] for column in _STORED})
    return computed


_STORED = ("po_id", "as_of", "state", "rate", "tolerance_on", "runs_out_on")
# every PO's row in one statement, in the order given (id order), whatever their number
_STORE = text("""
    INSERT INTO po_forecasts AS f (po_id, as_of, state, rate, tolerance_on, runs_out_on)
    SELECT * FROM unnest(CAST(:po_id AS integer[]), CAST(:as_of AS date[]), CAST(:state AS varchar[]),
                         CAST(:rate AS numeric[]), CAST(:tolerance_on AS date[]), CAST(:runs_out_on AS date[]))
    ON CONFLICT (po_id) DO UPDATE
       SET as_of = EXCLUDED.as_of, state = EXCLUDED.state, rate = EXCLUDED.rate,
           tolerance_on = EXCLUDED.tolerance_on, runs_out_on = EXCLUDED.runs_out_on""")


def refresh_current(session: Session, today: date, batch: int = REFRESH_BATCH) -> int:
    """Store the forecast of every PO not expired before today, a batch at a time (each committed)."""
    last, count = 0, 0
    while True:
        ids = session.scalars(select(PurchaseOrder.id).where(PurchaseOrder.expiration >= today,
                                                             PurchaseOrder.id > last)
                              .order_by(PurchaseOrder.id).limit(batch)).all()
        if not ids:
            return count
        refresh(session, ids, today)
        session.commit()
        last, count = ids[-1], count + len(ids)
