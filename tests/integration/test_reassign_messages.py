"""Reassigning posted invoice lines (seed 003's Assign Invoiced Item): every refusal with its own message
under its own field, and nothing written."""
from __future__ import annotations

import pytest

from portal.services import integrity, posting
from portal.services.errors import Forbidden, NotFound
from tests import factories
from tests.integration.test_money_rules import _master
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)
from tests.integration.test_reassign_rules import D, _invoice, _refused, _written


# ----- who may, and why -----

def test_a_user_without_the_grant_is_refused_with_the_grant_named_and_nothing_moves(world):
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "G1"), factories.po(s, world["debtor"], "G2")
    invoice = _invoice(world, a, "70")
    consultant = factories.user(s, role_name="Consultant")
    before = _written(s)
    with pytest.raises(Forbidden) as refused:
        posting.reassign(s, consultant, invoice.id, [invoice.lines[0].id], b.id, None, reason="wrong PO")
    assert str(refused.value) == ("Assigning items on a posted invoice needs "
                                  "'Assign / reassign items on a posted invoice'.")
    assert _written(s) == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required_under_its_own_field(world, reason):
    """The reason is kept in the history; blank or missing, nothing moves."""
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "Y1"), factories.po(s, world["debtor"], "Y2")
    invoice = _invoice(world, a, "70")
    errors = _refused(s, lambda: posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], b.id, None,
                                                  reason=reason, confirmed=True))
    assert errors == {"reason": ["Say why the lines move (kept in the history)."]}


def test_a_document_that_does_not_exist_is_not_found(world):
    s = world["session"]
    b = factories.po(s, world["debtor"], "NF1")
    with pytest.raises(NotFound) as refused:
        posting.reassign(s, world["user"], 999_999, [1], b.id, None, reason="x")
    assert str(refused.value) == "No such document."


# ----- what may move, and where to -----

@pytest.mark.parametrize("kind", ["draft invoice", "posted order"])
def test_only_lines_of_a_posted_invoice_move(world, kind):
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "O1"), factories.po(s, world["debtor"], "O2")
    doc = draft(world, "Sales Invoice" if kind == "draft invoice" else "Sales Order", [line(world, "70", po=a)])
    if kind == "posted order":
        assert post(world, doc).posted
    errors = _refused(s, lambda: posting.reassign(s, world["user"], doc.id, [doc.lines[0].id], b.id, None,
                                                  reason="x", confirmed=True))
    assert errors == {"": ["Only lines of a posted invoice can be reassigned."]}


@pytest.mark.parametrize("where", ["another debtor's PO", "no such PO"])
def test_the_target_must_be_a_po_of_the_invoice_debtor(world, where):
    s = world["session"]
    a = factories.po(s, world["debtor"], "T1")
    elsewhere = factories.po(s, factories.debtor(s, "OTHER"), "T2")
    invoice = _invoice(world, a, "70")
    target = elsewhere.id if where == "another debtor's PO" else 999_999
    errors = _refused(s, lambda: posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], target, None,
                                                  reason="x", confirmed=True))
    assert errors == {"po_id": ["Choose one of this debtor's purchase orders."]}


def test_a_target_not_eligible_for_the_invoice_type_is_refused_by_name(world):
    s, types = world["session"], world["types"]
    a = factories.po(s, world["debtor"], "E1")
    orders_only = factories.po(s, world["debtor"], "E2", types=[types["Sales Order"]])
    invoice = _invoice(world, a, "70")
    errors = _refused(s, lambda: posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], orders_only.id,
                                                  None, reason="x", confirmed=True))
    assert errors == {"po_id": ["PO E2 is not eligible for Sales Invoice: choose a PO eligible for this "
                                "document type."]}


@pytest.mark.parametrize("which", ["no line", "another PO's line"])
def test_a_master_target_needs_one_of_its_own_lines(world, which):
    s = world["session"]
    a = factories.po(s, world["debtor"], "ML0")
    master, _ = _master(s, world["debtor"], "ML1")
    _, (foreign, _) = _master(s, world["debtor"], "ML2")
    invoice = _invoice(world, a, "70")
    line_id = None if which == "no line" else foreign.id
    errors = _refused(s, lambda: posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], master.id,
                                                  line_id, reason="x", confirmed=True))
    assert errors == {"po_line_id": ["Choose a line of that master PO."]}


@pytest.mark.parametrize("choice", ["none", "another invoice's line", "one of them not on it"])
def test_the_lines_must_be_lines_of_this_invoice(world, choice):
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "L1"), factories.po(s, world["debtor"], "L2")
    invoice = _invoice(world, a, "70", "30")
    other = _invoice(world, a, "5")
    ids = {"none": [], "another invoice's line": [other.lines[0].id],
           "one of them not on it": [invoice.lines[0].id, other.lines[0].id]}[choice]
    errors = _refused(s, lambda: posting.reassign(s, world["user"], invoice.id, ids, b.id, None, reason="x",
                                                  confirmed=True))
    assert errors == {"lines": ["Choose lines of this invoice."]}


def test_an_invoice_holding_a_line_of_another_branchs_job_is_not_the_users_to_move(world):
    """Job security: a user limited to branches moves no line of an invoice holding another branch's line
    (as they may not post, edit or void it): not that line, nor their own; one who sees both moves theirs."""
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "BR1"), factories.po(s, world["debtor"], "BR2")
    mine, theirs = factories.branch(s), factories.branch(s)
    job_mine, job_theirs = factories.job(s, world["debtor"], mine), factories.job(s, world["debtor"], theirs)
    invoice = draft(world, "Sales Invoice", [line(world, "70", job_mine, po=a), line(world, "30", job_theirs, po=a)])
    assert post(world, invoice).posted
    limited = factories.user(s, role_name="Billing Admin", branches=[mine])
    for line_id in (invoice.lines[1].id, invoice.lines[0].id):
        with pytest.raises(Forbidden):
            posting.reassign(s, limited, invoice.id, [line_id], b.id, None, reason="x", confirmed=True)
        s.rollback()
    both = factories.user(s, role_name="Billing Admin", branches=[mine, theirs])
    done = posting.reassign(s, both, invoice.id, [invoice.lines[0].id], b.id, None, reason="x", confirmed=True)
    assert done.moved == 1 and balance(s, b)[0] == D("70") and balance(s, a)[0] == D("30")
    assert integrity.check(s) == []


# ----- master POs -----

def test_a_bill_code_another_master_line_holds_is_refused_naming_that_line(world):
    s = world["session"]
    plain = factories.po(s, world["debtor"], "MR0")
    master, (a, _) = _master(s, world["debtor"], "MR1")
    invoice = draft(world, "Sales Invoice", [line(world, "20", po=plain, code="OT"), line(world, "10", po=plain)])
    assert post(world, invoice).posted
    errors = _refused(s, lambda: posting.reassign(s, world["user"], invoice.id, [l.id for l in invoice.lines],
                                                  master.id, a.id, reason="x", confirmed=True))
    assert errors == {"po_line_id": ["Line 1: bill code OT draws on line 2 (B) of PO MR1."]}
