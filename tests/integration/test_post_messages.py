"""What posting says: each refusal's and each warning's text, naming the line, the PO and the figures."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import BillCode, Document, LedgerEntry
from portal.services import posting
from portal.services.documents import LineInput
from tests import factories
from tests.integration.test_money_rules import _master
from tests.integration.test_posting import draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def messages(result) -> list[str]:
    return [w.message for w in result.check.warnings]


def test_posting_a_document_that_does_not_exist_says_so(world):
    with pytest.raises(posting.NotFound) as exc:
        posting.post(world["session"], world["user"], 999_999, confirmed=True)
    assert str(exc.value) == "No such document."


def test_posting_a_document_again_says_it_is_already_posted_and_writes_nothing(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "TWICE", amount="1000")
    doc = draft(world, "Sales Invoice", [line(world, "10", po=po)])
    assert post(world, doc).posted
    rows = s.scalar(select(func.count()).select_from(LedgerEntry))
    with pytest.raises(posting.Conflict) as exc:
        post(world, doc)
    assert str(exc.value) == f"{doc.number} is already posted."
    assert s.scalar(select(func.count()).select_from(LedgerEntry)) == rows


def test_a_service_date_outside_the_pos_dates_warns_with_both(world):
    """The line's own service date counts, not the document date (inside the PO's dates here)."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "K1", amount="1000", effective=date(2026, 1, 1), expiration=date(2026, 2, 28))
    doc = draft(world, "Sales Invoice", [line(world, "10", po=po),
                                         LineInput(None, world["ORD"].id, D("1"), D("10"), date(2026, 3, 5),
                                                   explicit_po_id=po.id)], doc_date=date(2026, 2, 1))
    result = posting.post(s, world["user"], doc.id)
    assert result.needs_confirmation and messages(result) == [
        "Line 2: service date 2026-03-05 is outside PO K1's dates (2026-01-01 to 2026-02-28)."]
    early = draft(world, "Sales Invoice", [LineInput(None, world["ORD"].id, D("1"), D("10"), date(2025, 12, 31),
                                                     explicit_po_id=po.id)], doc_date=date(2026, 2, 1))
    assert messages(posting.post(s, world["user"], early.id)) == [
        "Line 1: service date 2025-12-31 is outside PO K1's dates (2026-01-01 to 2026-02-28)."]


def test_an_enforcing_debtor_warns_of_a_line_no_po_funds(world):
    s = world["session"]
    world["debtor"].enforce_purchase_orders = True
    s.commit()
    doc = draft(world, "Sales Invoice", [line(world, "10")])
    result = posting.post(s, world["user"], doc.id)
    assert result.needs_confirmation and messages(result) == [
        "Line 1: no PO funds it, and the debtor enforces purchase orders."]


def test_a_master_line_over_its_budget_warns_though_the_po_is_not_over(world):
    s = world["session"]
    po, _ = _master(s, world["debtor"], "ML1")
    doc = draft(world, "Sales Invoice", [line(world, "250", po=po)])
    result = posting.post(s, world["user"], doc.id)
    assert result.needs_confirmation and messages(result) == [
        "PO ML1 line 1 (A) would be over its budget by 50.00 (Subtotal 250.00 of 200.00)."]


def test_a_bill_code_on_no_master_line_warns_naming_the_code_and_the_po(world):
    s = world["session"]
    po, _ = _master(s, world["debtor"], "ML2")
    exp = BillCode(code="EXP")
    s.add(exp)
    s.commit()
    world["EXP"] = exp
    doc = draft(world, "Sales Invoice", [line(world, "10", po=po, code="EXP")])
    result = posting.post(s, world["user"], doc.id)
    assert result.needs_confirmation and messages(result) == ["Line 1: bill code EXP is on no line of master PO ML2, so it draws on the PO's \"not on any line\"."]
    assert s.get(Document, doc.id).status == "draft"


def test_a_po_not_eligible_for_the_type_names_the_type(world):
    """A contract's order is a Sales Order the user never chose: "this document type" told them nothing."""
    s = world["session"]
    types = factories.document_types(s)
    po = factories.po(s, world["debtor"], "INV-ONLY", amount="1000", types=[types["Sales Invoice"]])
    job = factories.job(s, world["debtor"])  # found for the job, not named on the line (that is refused)
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    doc = draft(world, "Sales Order", [line(world, "10", job)])
    result = posting.post(s, world["user"], doc.id)
    assert result.needs_confirmation and messages(result) == ["Line 1: PO INV-ONLY is not eligible for Sales Order."]
