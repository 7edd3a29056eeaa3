"""The burn-down forecast on constructed histories of Used (portal/domain/forecast.py)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.domain import forecast as fc

TODAY = date(2026, 6, 30)
D = Decimal


def history(points):
    return fc.summarise(points, TODAY)


def daily(start: date, days: int, amount: str, every: int = 1):
    return [(start + timedelta(days=i), D(amount)) for i in range(0, days, every)]


def test_steady_rate_gives_the_days_to_tolerance_and_amount():
    # 100 a day for the last 90 days: Used 9,000 of 20,000; 90% is 18,000
    points = daily(TODAY - timedelta(days=89), 90, "100")
    f = fc.forecast(history(points), D("20000"), D("90"), TODAY)
    assert f.state == fc.PROJECTED
    assert f.rate == D("100")
    assert f.tolerance_on == TODAY + timedelta(days=90)  # 9,000 more at 100 a day
    assert f.runs_out_on == TODAY + timedelta(days=110)
    assert f.tolerance_amount == D("18000.00")
    text = fc.describe(f)
    assert f"reaches 90% about {f.tolerance_on.isoformat()}" in text
    assert f"runs out about {f.runs_out_on.isoformat()}" in text
    assert "100.00 a day" in text


def test_a_part_day_rounds_up_to_the_day_it_is_reached():
    points = daily(TODAY - timedelta(days=89), 90, "100")  # Used 9,000
    f = fc.forecast(history(points), D("9050"), None, TODAY)
    assert f.runs_out_on == TODAY + timedelta(days=1)
    assert f.tolerance_on is None and not f.tolerance_reached
    assert "reaches" not in fc.describe(f)


def test_accelerating_spend_forecasts_from_the_last_90_days_only():
    slow = daily(TODAY - timedelta(days=364), 275, "10")   # a year ago: 10 a day
    fast = daily(TODAY - timedelta(days=89), 90, "200")    # the last 90 days: 200 a day
    h = history(slow + fast)
    assert h.window_used == D("18000") and h.used == D("20750")
    f = fc.forecast(h, D("50000"), D("80"), TODAY)
    assert f.rate == D("200")
    assert f.runs_out_on == TODAY + timedelta(days=147)  # (50,000 - 20,750) / 200 = 146.25 -> 147
    assert f.tolerance_on == TODAY + timedelta(days=97)  # (40,000 - 20,750) / 200 = 96.25 -> 97
    # the whole-history average would be far slower: the window is what makes it earlier
    whole = h.used / 365
    assert (D("50000") - h.used) / whole > 147


def test_young_history_averages_over_its_own_span_not_the_whole_window():
    points = daily(TODAY - timedelta(days=29), 30, "50")  # 30 days at 50 a day
    f = fc.forecast(history(points), D("10000"), None, TODAY)
    assert f.rate == D("50")
    assert f.runs_out_on == TODAY + timedelta(days=170)  # (10,000 - 1,500) / 50


def test_no_history_gives_no_forecast():
    f = fc.forecast(history([]), D("1000"), D("90"), TODAY)
    assert f.state == fc.NO_HISTORY and f.runs_out_on is None and f.tolerance_on is None
    assert "no forecast" in fc.describe(f)
    assert not f.runs_out_within(30)


def test_too_little_history_gives_no_forecast():
    # three postings, but the first only 10 days ago
    short = [(TODAY - timedelta(days=10), D("100")), (TODAY - timedelta(days=5), D("100")), (TODAY, D("100"))]
    f = fc.forecast(history(short), D("1000"), D("90"), TODAY)
    assert f.state == fc.TOO_LITTLE and f.runs_out_on is None
    # a long span, but only two days with postings
    sparse = [(TODAY - timedelta(days=60), D("100")), (TODAY - timedelta(days=1), D("100"))]
    f = fc.forecast(history(sparse), D("1000"), D("90"), TODAY)
    assert f.state == fc.TOO_LITTLE
    assert "Too little history" in fc.describe(f)
    # exactly at the limits: three days, the first 14 days ago
    enough = [(TODAY - timedelta(days=14), D("100")), (TODAY - timedelta(days=7), D("100")), (TODAY, D("100"))]
    assert fc.forecast(history(enough), D("1000"), D("90"), TODAY).state == fc.PROJECTED


def test_already_over_says_so():
    points = daily(TODAY - timedelta(days=60), 61, "100")  # Used 6,100
    f = fc.forecast(history(points), D("6000"), D("90"), TODAY)
    assert f.state == fc.OVER and f.tolerance_reached
    assert f.runs_out_within(30)
    assert fc.describe(f) == "Used is over the amount by 100.00: the PO has run out."
    exact = fc.forecast(history(points), D("6100"), None, TODAY)
    assert exact.state == fc.OVER and "reached the amount" in fc.describe(exact)


def test_over_even_with_too_little_history():
    f = fc.forecast(history([(TODAY, D("5000"))]), D("1000"), None, TODAY)
    assert f.state == fc.OVER


def test_past_the_tolerance_forecasts_only_running_out():
    points = daily(TODAY - timedelta(days=89), 90, "100")  # 9,000 of 10,000; tolerance 80% = 8,000
    f = fc.forecast(history(points), D("10000"), D("80"), TODAY)
    assert f.state == fc.PROJECTED and f.tolerance_reached and f.tolerance_on is None
    assert f.runs_out_on == TODAY + timedelta(days=10)
    assert fc.describe(f).endswith(f"it is past its 80% tolerance and runs out about {f.runs_out_on.isoformat()}.")
    assert f.runs_out_within(10) and not f.runs_out_within(9)


def test_zero_rate_when_the_window_nets_to_nothing():
    # old spend, then an invoice and its credit memo in the window: nothing net in 90 days
    points = daily(TODAY - timedelta(days=300), 100, "20") + [
        (TODAY - timedelta(days=40), D("500")), (TODAY - timedelta(days=30), D("-500")), (TODAY - timedelta(days=20), D("0.00")),
        (TODAY - timedelta(days=10), D("100")), (TODAY - timedelta(days=5), D("-100"))]
    f = fc.forecast(history(points), D("10000"), D("90"), TODAY)
    assert f.state == fc.NOT_RISING and f.rate == 0 and f.runs_out_on is None
    assert "does not run out" in fc.describe(f)
    assert not f.runs_out_within(3650)


def test_a_very_slow_rate_names_no_date_beyond_the_horizon():
    points = daily(TODAY - timedelta(days=89), 90, "0.01")
    f = fc.forecast(history(points), D("999999999.99"), D("90"), TODAY)
    assert f.state == fc.PROJECTED and f.runs_out_on is None and f.tolerance_on is None
    assert "does not run out within 10 years" in fc.describe(f)


def test_runs_out_after_expiry_is_said():
    points = daily(TODAY - timedelta(days=89), 90, "100")
    f = fc.forecast(history(points), D("20000"), None, TODAY)
    assert "after the PO expires on 2026-07-31" in fc.describe(f, expiration=date(2026, 7, 31))
    assert "expires" not in fc.describe(f, expiration=date(2027, 1, 1))


def test_future_dated_used_counts_in_used_but_not_the_rate():
    points = daily(TODAY - timedelta(days=89), 90, "100") + [(TODAY + timedelta(days=5), D("1000"))]
    h = history(points)
    assert h.used == D("10000") and h.window_used == D("9000") and h.postings == 90
