"""A line of a discontinued job dated after its discontinued date: the job's assignment still funds it (DESIGN's
resolution reads the assignment on the service date), and posting shows a warning first, even under block (it
is not a budget rule). A line up to that date posts as before."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.services import posting
from tests import factories
from tests.integration.test_posting import balance, draft, line, world  # noqa: F401  (fixture)


def test_a_line_after_the_jobs_discontinued_date_warns_before_it_posts(world):
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    s.commit()
    po = factories.po(s, world["debtor"], "4500", amount="1000")
    job = factories.job(s, world["debtor"], start=date(2026, 1, 1), discontinued=date(2026, 2, 28))
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))

    on_time = draft(world, "Sales Invoice", [line(world, "10", job)], doc_date=date(2026, 2, 28))
    assert posting.post(s, world["user"], on_time.id).posted  # no warning, nothing to confirm

    late = draft(world, "Sales Invoice", [line(world, "20", job)], doc_date=date(2026, 3, 1))
    first = posting.post(s, world["user"], late.id)
    assert first.needs_confirmation and not first.posted and not first.refused
    assert [w.message for w in first.check.warnings] == [
        f"Line 1: job {job.number} was discontinued on 2026-02-28, before the service date 2026-03-01; the line "
        "still draws on PO 4500."]
    assert balance(s, po)[0] == Decimal("10")
    done = posting.post(s, world["user"], late.id, confirmed=True)
    assert done.posted and not done.overridden and balance(s, po)[0] == Decimal("30")
