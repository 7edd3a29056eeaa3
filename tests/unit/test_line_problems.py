"""A document line's problem: the summary's words name the line, the row's words do not; an amount problem is about
the boxes that hold no number, or both."""
from __future__ import annotations

from decimal import Decimal

from portal.domain import line_problems as lp


def test_the_summary_names_the_line_and_the_row_starts_with_a_capital():
    problem = lp.LineProblem(2, (lp.BILL_CODE,), "choose an active bill code.")
    assert problem.message == "Line 2: choose an active bill code."
    assert problem.beside == "Choose an active bill code."


def test_an_amount_problem_is_about_the_boxes_without_a_number_or_both():
    assert lp.amount_fields(None, Decimal("1")) == (lp.QUANTITY,)
    assert lp.amount_fields(Decimal("1"), None) == (lp.RATE,)
    assert lp.amount_fields(None, None) == (lp.QUANTITY, lp.RATE)
    assert lp.amount_fields(Decimal("0"), Decimal("1")) == (lp.QUANTITY, lp.RATE)


def test_problems_are_grouped_by_line_in_the_order_found():
    a, b, c = (lp.LineProblem(3, (lp.RATE,), "a"), lp.LineProblem(1, (lp.JOB,), "b"),
               lp.LineProblem(3, (lp.QUANTITY,), "c"))
    assert lp.by_line([a, b, c]) == {3: (a, c), 1: (b,)}
    assert lp.by_line([]) == {}
