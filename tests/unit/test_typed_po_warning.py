"""A line billed under one of the debtor's PO numbers typed free-text, drawing on no budget: the posting check."""
from datetime import date
from decimal import Decimal

import pytest

from portal.domain import budget
from portal.domain.budget import LineCheck
from portal.domain.funding import typed_po_refusal

DAY = date(2026, 3, 1)


def _check(line: LineCheck, *, policy="warn", bucket="used", sign=1, enforce_pos=False):
    return budget.evaluate([line], {}, {}, bucket=bucket, sign=sign, policy=policy, enforce_pos=enforce_pos,
                           tolerances={}).warnings


def _typed(**kw) -> LineCheck:
    return LineCheck(None, "glx-qa", None, Decimal("5000"), DAY, typed_po="GLX-QA", **kw)


def test_a_line_carrying_a_typed_number_that_names_a_po_warns_naming_the_po_and_the_missing_draw():
    [warning] = _check(_typed(job_number="J10013", typed_on_job=True))
    assert warning.code == "typed_po" and not warning.blocks and not warning.forbids
    assert warning.message == ("Line 1: glx-qa, job J10013's on-the-fly PO number, is the number of PO GLX-QA, but the "
                               "line draws on no budget: PO GLX-QA's Used does not move. To draw on it, assign the PO "
                               "to the job.")
    [header] = _check(_typed())
    assert "glx-qa, the PO number typed on the document," in header.message
    assert header.message.endswith("To draw on it, choose the PO on the line.")


@pytest.mark.parametrize("bucket", ["used", "commitment"])
def test_the_block_policy_refuses_it_short_of_an_override(bucket):
    [warning] = _check(_typed(), policy="block", bucket=bucket)
    assert warning.blocks and not warning.forbids and "Blocked: the block policy refuses" in warning.message


def test_estimates_and_credit_memos_never_block_on_it():
    [estimate] = _check(_typed(), policy="block", bucket="estimate")
    assert estimate.code == "typed_po" and not estimate.blocks
    assert _check(_typed(), policy="block", sign=-1) == []  # a credit reverses what its invoice line carried


def test_a_typed_number_naming_no_po_passes_as_before():
    assert _check(LineCheck(None, "CUST-778", None, Decimal("5000"), DAY), policy="block") == []
    [no_po] = _check(_typed(), policy="block", enforce_pos=True)[:1]
    assert no_po.code == "no_po"  # an enforcing debtor's line on no PO still says so first


def test_the_refusal_says_what_to_do_instead():
    assert typed_po_refusal("GLX-QA", "GLOBEX", "choose it from the list") == (
        "GLX-QA is one of GLOBEX's POs: choose it from the list (a typed number draws on no budget).")
