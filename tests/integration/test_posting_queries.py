"""Posting runs a constant number of SQL statements, whatever the number of lines and jobs."""
from __future__ import annotations

from datetime import date

from portal.services import posting
from tests import factories
from tests.integration.test_posting import draft, line, world  # noqa: F401  (fixture)


def _post_count(world, count_queries, lines: int, *, own_pos: bool = False) -> int:
    """Statements to post an invoice of `lines` jobs, all on one PO (among others of the debtor), or
    with `own_pos` each on a PO of its own (every balance row and forecast moves)."""
    s = world["session"]
    shared = factories.po(s, world["debtor"], amount="99999999")
    for _ in range(5):  # other POs of the debtor
        factories.po(s, world["debtor"])
    jobs = [factories.job(s, world["debtor"]) for _ in range(lines)]
    for j in jobs:
        po = factories.po(s, world["debtor"], amount="99999999") if own_pos else shared
        factories.assignment(s, j, po=po, start=date(2026, 1, 1))
    doc = draft(world, "Sales Invoice", [line(world, "100", j) for j in jobs])
    s.expire_all()
    with count_queries() as statements:
        result = posting.post(s, world["user"], doc.id, confirmed=True)
    assert result.posted
    return len(statements)


def test_posting_queries_do_not_grow_with_lines(world, count_queries):
    few = _post_count(world, count_queries, 2)
    many = _post_count(world, count_queries, 20)
    assert many == few <= 30  # was 4 more per line (a job, its timeline, its PO's lines and types)


def test_posting_queries_do_not_grow_with_the_pos_drawn_on(world, count_queries):
    few = _post_count(world, count_queries, 2, own_pos=True)
    many = _post_count(world, count_queries, 20, own_pos=True)
    assert many == few <= 30  # was one balance UPDATE and one forecast INSERT per PO
