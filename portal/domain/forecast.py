"""PO burn-down forecast: from the recent run rate of Used, when a PO reaches its tolerance and its
amount. Pure: no Flask, no SQLAlchemy; money is Decimal, days are dates.

The projection is of Used (posted invoices net of credit memos): Used grows at its average daily rate
over the last WINDOW_DAYS days (or since the first Used posting, when that is more recent). It
"reaches its tolerance" when Used reaches tolerance % of the Amount (the same percentage the yellow
measure uses, DESIGN.md "Measures") and "runs out" when Used reaches the Amount (Net Unused zero).
A PO with too little history (its first Used posting under MIN_SPAN_DAYS ago, or fewer than
MIN_POSTINGS days with Used postings in the window) gets no forecast.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Iterable

WINDOW_DAYS = 90
MIN_SPAN_DAYS = 14
MIN_POSTINGS = 3
HORIZON_DAYS = 3660  # a date further out than ten years is not a forecast worth naming
CENT = Decimal("0.01")
ZERO = Decimal("0")

# states
NO_HISTORY = "no_history"
TOO_LITTLE = "too_little_history"
OVER = "over"
NOT_RISING = "not_rising"
PROJECTED = "projected"


@dataclass(frozen=True)
class UsedHistory:
    """What the forecast needs of a PO's Used history (summed in SQL for many POs at once)."""
    used: Decimal                # Used now, every posting
    window_used: Decimal         # Used posted on days in the window (today - WINDOW_DAYS, today]
    first_day: date | None       # the first day with a Used posting
    postings: int                # days in the window with a Used posting


def window_start(today: date) -> date:
    """The first day of the run-rate window (inclusive)."""
    return today - timedelta(days=WINDOW_DAYS - 1)


def summarise(points: Iterable[tuple[date, Decimal]], today: date) -> UsedHistory:
    """A history of (day, Used posted that day) summed the way the SQL summary sums it."""
    used = window_used = ZERO
    first_day = None
    days = set()
    start = window_start(today)
    for day, amount in points:
        if not amount:
            continue
        used += amount
        first_day = day if first_day is None or day < first_day else first_day
        if start <= day <= today:
            window_used += amount
            days.add(day)
    return UsedHistory(used=used, window_used=window_used, first_day=first_day, postings=len(days))


@dataclass(frozen=True)
class Forecast:
    state: str
    today: date
    amount: Decimal
    used: Decimal
    tolerance_pct: Decimal | None = None
    rate: Decimal | None = None          # Used per day, exact (round for display)
    tolerance_on: date | None = None     # None: no tolerance, already reached, or beyond the horizon
    tolerance_reached: bool = False      # Used is already at or past the tolerance
    runs_out_on: date | None = None      # None: not projected, or beyond the horizon

    @property
    def tolerance_amount(self) -> Decimal | None:
        """Tolerance % × PO Amount, half-up to cents (None: the PO has no tolerance)."""
        if self.tolerance_pct is None:
            return None
        return (self.amount * self.tolerance_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def days_left(self) -> int | None:
        """Days from today until the PO is projected to run out (None: not projected, or beyond the horizon)."""
        return (self.runs_out_on - self.today).days if self.runs_out_on else None

    def runs_out_within(self, days: int) -> bool:
        """Projected to run out within `days` days of today (or already over)."""
        if self.state == OVER:
            return True
        return self.runs_out_on is not None and (self.runs_out_on - self.today).days <= days


def _reached_on(level: Decimal, target: Decimal, rate: Decimal, today: date) -> date | None:
    """The day `level` reaches `target` at `rate` a day, rounded up to a whole day; None beyond HORIZON_DAYS."""
    days = ((target - level) / rate).to_integral_value(rounding=ROUND_CEILING)
    if days > HORIZON_DAYS:
        return None
    return today + timedelta(days=int(days))


def forecast(history: UsedHistory, amount: Decimal, tolerance_pct: Decimal | None, today: date) -> Forecast:
    """When Used reaches the tolerance and the Amount at the recent run rate (see the module's doc)."""
    base = dict(today=today, amount=amount, used=history.used, tolerance_pct=tolerance_pct)
    tolerance = None if tolerance_pct is None else amount * tolerance_pct / 100
    reached = tolerance is not None and history.used >= tolerance
    if history.used >= amount and amount > 0:
        return Forecast(OVER, tolerance_reached=tolerance is not None, **base)
    if history.first_day is None:
        return Forecast(NO_HISTORY, tolerance_reached=reached, **base)
    span = (today - history.first_day).days
    if span < MIN_SPAN_DAYS or history.postings < MIN_POSTINGS:
        return Forecast(TOO_LITTLE, tolerance_reached=reached, **base)
    observed = min(WINDOW_DAYS, span + 1)
    rate = history.window_used / observed
    if rate <= 0:
        return Forecast(NOT_RISING, rate=ZERO, tolerance_reached=reached, **base)
    tolerance_on = None if tolerance is None or reached else _reached_on(history.used, tolerance, rate, today)
    return Forecast(PROJECTED, rate=rate, tolerance_on=tolerance_on, tolerance_reached=reached,
                    runs_out_on=_reached_on(history.used, amount, rate, today), **base)


def _pct(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def describe(f: Forecast, expiration: date | None = None) -> str:
    """The forecast in a sentence: "At this rate it reaches 90% about 2026-09-14 and runs out about 2026-10-02"."""
    if f.state == OVER:
        over = f.used - f.amount
        return (f"Used is over the amount by {over:,.2f}: the PO has run out." if over > 0
                else "Used has reached the amount: the PO has run out.")
    if f.state == NO_HISTORY:
        return "No Used yet, so no forecast."
    if f.state == TOO_LITTLE:
        return (f"Too little history for a forecast (it needs Used posted on at least {MIN_POSTINGS} days, "
                f"the first at least {MIN_SPAN_DAYS} days ago).")
    if f.state == NOT_RISING:
        return f"No net Used in the last {WINDOW_DAYS} days: at this rate it does not run out."
    rate = f"{f.rate.quantize(CENT, rounding=ROUND_HALF_UP):,.2f} a day"
    parts = []
    if f.tolerance_pct is not None:
        if f.tolerance_reached:
            parts.append(f"it is past its {_pct(f.tolerance_pct)}% tolerance")
        elif f.tolerance_on:
            parts.append(f"it reaches {_pct(f.tolerance_pct)}% about {f.tolerance_on.isoformat()}")
    if f.runs_out_on:
        text = f"runs out about {f.runs_out_on.isoformat()}"
        if expiration and f.runs_out_on > expiration:
            text += f" (after the PO expires on {expiration.isoformat()})"
        parts.append(text if parts else f"it {text}")
    else:
        parts.append(f"it does not run out within {HORIZON_DAYS // 366} years")
    return f"At this rate ({rate}, the last {WINDOW_DAYS} days' average) " + " and ".join(parts) + "."
