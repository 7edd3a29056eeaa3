"""Money defects found from outside (derived lines' funding, credit memo sign and size, reassignment
checks): each test failed before its fix."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import AuditEntry, DocumentLine, LedgerEntry, POLine, POLineBalance
from portal.domain import budget
from portal.services import coverage, documents, integrity, posting
from portal.services.documents import DocumentInput, LineInput
from portal.services.errors import ValidationFailed
from tests import factories
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def _master(s, debtor, number="M1", budgets=("200", "100")):
    labour = factories.bill_code_group(s, f"Labour {number}", ["ORD"])
    extra = factories.bill_code_group(s, f"Overtime {number}", ["OT"])
    po = factories.po(s, debtor, number, kind="multi_line_master", amount=str(sum(D(b) for b in budgets)))
    lines = [POLine(po_id=po.id, line_no=1, budget=D(budgets[0]), bill_code_group_id=labour.id,
                    secondary_po_number="A", balance=POLineBalance(po_id=po.id)),
             POLine(po_id=po.id, line_no=2, budget=D(budgets[1]), bill_code_group_id=extra.id,
                    secondary_po_number="B", balance=POLineBalance(po_id=po.id))]
    s.add_all(lines)
    s.flush()
    coverage.sync_po(s, po.id)
    s.commit()
    return po, lines


# ----- defect 1: derived lines carry the source line's funding -----

def test_invoice_from_order_with_po_named_on_the_line_draws_on_that_po(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "N1", amount="1000")
    order = draft(world, "Sales Order", [line(world, "400", po=po)])
    assert post(world, order).posted
    assert balance(s, po) == (D("0"), D("400"), D("0"))
    invoice = documents.derive(s, world["user"], order.id, world["types"]["Sales Invoice"].id)
    assert invoice.lines[0].po_id == po.id  # the draft shows the funding it will post with
    assert post(world, invoice).posted
    s.expire_all()
    assert invoice.lines[0].po_id == po.id and invoice.lines[0].po_number == "N1"
    assert balance(s, po) == (D("400"), D("0"), D("0"))
    assert integrity.check(s) == []


def test_invoice_from_order_keeps_the_master_line_and_the_user_may_change_the_po(world):
    s = world["session"]
    po, (a, b) = _master(s, world["debtor"])
    other = factories.po(s, world["debtor"], "N2", amount="1000")
    order = draft(world, "Sales Order", [line(world, "50", po=po, code="OT"), line(world, "20", po=po)])
    assert post(world, order).posted
    invoice = documents.derive(s, world["user"], order.id, world["types"]["Sales Invoice"].id)
    assert [(l.po_id, l.po_line_id) for l in invoice.lines] == [(po.id, None), (po.id, None)]  # resolved on posting
    # the user moves line 2 onto another PO before posting: that choice wins
    data = DocumentInput(debtor_id=world["debtor"].id, document_type_id=world["types"]["Sales Invoice"].id,
                         number=invoice.number, doc_date=invoice.doc_date, lines=(
                             LineInput(None, world["OT"].id, D("1"), D("50"), source_line_id=order.lines[0].id,
                                       explicit_po_id=po.id),
                             LineInput(None, world["ORD"].id, D("1"), D("20"), source_line_id=order.lines[1].id,
                                       explicit_po_id=other.id)))
    documents.save_draft(s, world["user"], invoice.id, data, expected_version=invoice.row_version)
    assert post(world, invoice).posted
    s.expire_all()
    assert s.get(POLineBalance, b.id).used == D("50") and s.get(POLineBalance, a.id).commitments == D("0")
    assert balance(s, po) == (D("50"), D("0"), D("0"))
    assert balance(s, other) == (D("20"), D("0"), D("0"))
    assert integrity.check(s) == []


def test_invoice_from_estimate_on_a_split_po_takes_the_twin_eligible_for_invoices(world):
    s, types = world["session"], world["types"]
    est_po = factories.po(s, world["debtor"], "SPL", amount="500", types=[types["Estimate"]])
    inv_po = factories.po(s, world["debtor"], "SPL", amount="500", types=[types["Sales Invoice"]])
    estimate = draft(world, "Estimate", [line(world, "100", po=est_po)])
    assert post(world, estimate).posted
    invoice = documents.derive(s, world["user"], estimate.id, types["Sales Invoice"].id)
    assert invoice.lines[0].po_id == inv_po.id
    assert post(world, invoice).posted
    assert balance(s, inv_po) == (D("100"), D("0"), D("0"))


def test_a_derived_line_never_takes_another_debtors_po_of_the_same_number(world):
    """Split POs are one debtor's: another debtor's PO of the same number, eligible for invoices, is no twin;
    the estimate's own PO is not eligible for invoices either, so the invoice's line names none (its job's
    PO funds it on posting; the user may name one)."""
    s, types = world["session"], world["types"]
    factories.po(s, factories.debtor(s, "OTHER"), "SPX", amount="500", types=[types["Sales Invoice"]])
    est_po = factories.po(s, world["debtor"], "SPX", amount="500", types=[types["Estimate"]])
    estimate = draft(world, "Estimate", [line(world, "100", po=est_po)])
    assert post(world, estimate).posted
    invoice = documents.derive(s, world["user"], estimate.id, types["Sales Invoice"].id)
    assert (invoice.lines[0].po_id, invoice.lines[0].explicit_po) == (None, False)


def test_derived_lines_on_two_po_numbers_each_keep_their_own_numbers_twin(world):
    """An estimate drawing on two PO numbers: the line whose number has an invoice twin takes it, the other
    names none (never the other number's twin; its own is not eligible for invoices)."""
    s, types = world["session"], world["types"]
    alone = factories.po(s, world["debtor"], "NA1", amount="500", types=[types["Estimate"]])
    split_est = factories.po(s, world["debtor"], "NB1", amount="500", types=[types["Estimate"]])
    split_inv = factories.po(s, world["debtor"], "NB1", amount="500", types=[types["Sales Invoice"]])
    estimate = draft(world, "Estimate", [line(world, "100", po=alone), line(world, "50", po=split_est)])
    assert post(world, estimate).posted
    invoice = documents.derive(s, world["user"], estimate.id, types["Sales Invoice"].id)
    assert [(l.po_id, l.explicit_po) for l in invoice.lines] == [(None, False), (split_inv.id, True)]
    assert alone.id not in {l.po_id for l in invoice.lines}


# ----- defect 2: a credit memo only reduces what its source lines drew -----

def _credit(world, invoice, qty, rate=None, source=True):
    inv_line = invoice.lines[0]
    data = DocumentInput(debtor_id=world["debtor"].id, document_type_id=world["types"]["Credit Memo"].id, number="",
                         doc_date=date(2026, 3, 2), lines=(LineInput(
                             None, inv_line.bill_code_id, D(qty), D(rate) if rate else inv_line.rate,
                             source_line_id=inv_line.id if source else None),))
    return documents.save_draft(world["session"], world["user"], None, data,
                                source_document_id=invoice.id if source else None)


def test_credit_memo_with_a_negative_quantity_is_refused(world):
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    po = factories.po(s, world["debtor"], "CR1", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=po)])
    assert post(world, invoice).posted
    with pytest.raises(ValidationFailed) as exc:
        _credit(world, invoice, "-50")
    assert "credit memo" in str(exc.value).lower()
    with pytest.raises(ValidationFailed):
        _credit(world, invoice, "2")  # more than the line drew
    with pytest.raises(ValidationFailed):
        _credit(world, invoice, "1", source=False)  # a credit memo credits an invoice line
    assert balance(s, po) == (D("100"), D("0"), D("0"))


def test_credit_memo_past_its_source_is_refused_on_posting_even_with_override(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "CR2", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=po)])
    assert post(world, invoice).posted
    first, second = _credit(world, invoice, "0.7"), _credit(world, invoice, "0.7")  # each fits alone
    assert post(world, first).posted
    result = posting.post(s, world["user"], second.id, confirmed=True, override=True)
    assert result.refused and not result.posted
    assert balance(s, po) == (D("30"), D("0"), D("0"))
    assert integrity.check(s) == []


def test_a_second_credit_memo_made_from_an_invoice_carries_what_is_left_by_default(world):
    """open_quantities: a draft made from an invoice with no quantities given credits what is not yet credited
    (it carried the whole line, which posting then refused as more than the invoice drew)."""
    s, types = world["session"], world["types"]
    po = factories.po(s, world["debtor"], "CR3", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=po)])  # 1 × 100
    assert post(world, invoice).posted
    first = documents.derive(s, world["user"], invoice.id, types["Credit Memo"].id, quantities={
        invoice.lines[0].id: D("0.4")})
    assert post(world, first).posted
    rest = documents.derive(s, world["user"], invoice.id, types["Credit Memo"].id)
    assert [l.quantity for l in rest.lines] == [D("0.6")]
    assert post(world, rest).posted and balance(s, po) == (D("0"), D("0"), D("0"))
    assert integrity.check(s) == []


# ----- defect 3: reassigning runs the posting checks on the target -----

def test_reassign_onto_a_smaller_po_under_block_is_refused_unless_overridden(world):
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    big = factories.po(s, world["debtor"], "RB1", amount="1000")
    small = factories.po(s, world["debtor"], "RB2", amount="50")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=big)])
    assert post(world, invoice).posted
    clerk_like = factories.user(s, role_name="Billing Admin")
    result = posting.reassign(s, clerk_like, invoice.id, [invoice.lines[0].id], small.id, None, reason="moved",
                              confirmed=True)
    assert result.refused and [w.code for w in result.check.warnings if w.blocks] == ["over_po"]
    assert balance(s, small) == (D("0"), D("0"), D("0")) and balance(s, big)[0] == D("100")
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], small.id, None, reason="moved",
                            confirmed=True, override=True)
    assert done.moved == 1 and done.overridden
    assert balance(s, small)[0] == D("100") and balance(s, big)[0] == D("0")
    reasons = [e.reason for e in s.scalars(select(AuditEntry).where(AuditEntry.reason.is_not(None)))]
    assert any("po_override_budget" in (r or "") for r in reasons)
    assert integrity.check(s) == []


def test_reassign_warns_first_and_refuses_a_po_not_eligible_for_the_type(world):
    s, types = world["session"], world["types"]
    first = factories.po(s, world["debtor"], "RW1", amount="1000")
    late = factories.po(s, world["debtor"], "RW2", amount="1000", effective=date(2026, 6, 1))
    orders_only = factories.po(s, world["debtor"], "RW3", amount="1000", types=[types["Sales Order"]])
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=first)])
    assert post(world, invoice).posted
    with pytest.raises(ValidationFailed):
        posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], orders_only.id, None, reason="x")
    asked = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], late.id, None, reason="x")
    assert asked.needs_confirmation and [w.code for w in asked.check.warnings] == ["outside_dates"]
    assert balance(s, late)[0] == D("0")
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], late.id, None, reason="x",
                            confirmed=True)
    assert done.moved == 1 and balance(s, late)[0] == D("100")


def test_reassign_moves_the_credits_of_the_line_with_it(world):
    s = world["session"]
    a = factories.po(s, world["debtor"], "RC1", amount="1000")
    b = factories.po(s, world["debtor"], "RC2", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=a)])
    assert post(world, invoice).posted
    assert post(world, _credit(world, invoice, "0.3")).posted
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], b.id, None, reason="x",
                            confirmed=True)
    assert done.moved == 1
    assert balance(s, a)[0] == D("0") and balance(s, b)[0] == D("70")
    credit_line = s.scalars(select(DocumentLine).where(DocumentLine.source_line_id == invoice.lines[0].id)).one()
    assert credit_line.po_id == b.id
    # each moved line's ledger rows stay under its own document (the credit memo's under the credit memo)
    moved = s.execute(select(LedgerEntry.document_line_id, LedgerEntry.document_id, LedgerEntry.po_id, LedgerEntry.amount)
                      .where(LedgerEntry.event == "reassign").order_by(LedgerEntry.id)).all()
    assert sorted(moved) == sorted([(invoice.lines[0].id, invoice.id, a.id, D("-100")), (invoice.lines[0].id, invoice.id, b.id, D("100")),
                                    (credit_line.id, credit_line.document_id, a.id, D("30")),
                                    (credit_line.id, credit_line.document_id, b.id, D("-30"))])
    assert integrity.check(s) == []


# ----- defect 6: a master PO's "not on any line" figure; integrity proves PO = lines + that -----

def test_master_po_figures_add_up_with_not_on_any_line(world):
    from sqlalchemy import update

    from portal.models import BillCode, POBalance, PurchaseOrder
    from portal.services.purchase_orders import balance_figures

    s = world["session"]
    po, (a, b) = _master(s, world["debtor"])
    exp = BillCode(code="EXP")
    s.add(exp)
    s.commit()
    world["EXP"] = exp
    post(world, draft(world, "Sales Invoice", [line(world, "150", po=po), line(world, "25", po=po, code="EXP")]))
    s.expire_all()
    f = balance_figures(s.get(PurchaseOrder, po.id))
    assert f.used == D("175") and f.not_on_any_line.used == D("25")
    assert integrity.check(s) == []
    # a line balance drifting alone (PO row unchanged) breaks "PO = lines + not on any line"
    s.execute(update(POLineBalance).where(POLineBalance.po_line_id == a.id).values(used=D("140")))
    s.execute(update(POBalance).where(POBalance.po_id == po.id).values(used=D("165")))
    s.commit()
    kinds = {m.kind for m in integrity.check(s)}
    assert "line" in kinds and "po" in kinds
    s.execute(update(POLineBalance).where(POLineBalance.po_line_id == a.id).values(used=D("150")))
    s.execute(update(POBalance).where(POBalance.po_id == po.id).values(used=D("175")))
    s.commit()
    # an entry drawn on a line of another PO is reported even when every sum agrees
    other, (c, _) = _master(s, world["debtor"], "M2")
    from portal.models import LedgerEntry
    s.execute(update(LedgerEntry).where(LedgerEntry.po_line_id == a.id).values(po_line_id=c.id))
    s.execute(update(POLineBalance).where(POLineBalance.po_line_id == a.id).values(used=D("0")))
    s.execute(update(POLineBalance).where(POLineBalance.po_line_id == c.id).values(used=D("150")))
    s.commit()
    problems = [str(m) for m in integrity.check(s) if m.kind == "split"]
    assert any("not a line of that master PO" in p for p in problems)
    assert any("PO = lines + not on any line" in p for p in problems)


# ----- defect 8: alert texts say the threshold and the draw -----

def test_threshold_alert_says_the_threshold_and_the_actual_draw(world):
    from portal.models import Notification

    s = world["session"]
    template = factories.threshold_template(s, "Draw", ["75"], message="PO {po_number} has drawn {percentage}% of its amount.")
    po = factories.po(s, world["debtor"], "AL8", amount="1000", alert_template_id=template.id)
    post(world, draft(world, "Sales Invoice", [line(world, "840", po=po)]))
    body = s.scalars(select(Notification.body)).first()
    assert "75%" in body and "84%" in body


def test_invoicing_an_order_that_fills_a_master_line_is_not_blocked(world):
    """The order's commitment released by the invoice counts on the master line as on the PO."""
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    po, (a, _) = _master(s, world["debtor"])
    order = draft(world, "Sales Order", [line(world, "200", po=po)])
    assert post(world, order).posted
    invoice = documents.derive(s, world["user"], order.id, world["types"]["Sales Invoice"].id)
    clerk_like = factories.user(s, role_name="Billing Admin")
    result = posting.post(s, clerk_like, invoice.id, confirmed=True)
    assert result.posted and not result.overridden, [w.message for w in result.check.warnings]
    s.expire_all()
    assert (s.get(POLineBalance, a.id).used, s.get(POLineBalance, a.id).commitments) == (D("200"), D("0"))


def test_block_refuses_cutting_a_po_amount_below_used_and_commitments(world):
    from dataclasses import replace

    from portal.services import purchase_orders

    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    po = factories.po(s, world["debtor"], "CUT", amount="1000")
    assert post(world, draft(world, "Sales Order", [line(world, "600", po=po)])).posted
    s.expire_all()
    data = purchase_orders.snapshot(s.get(type(po), po.id))
    with pytest.raises(ValidationFailed) as exc:
        purchase_orders.update_po(s, po.id, replace(data, amount=D("599.99")), actor=world["user"])
    assert "cannot be cut below Used + Commitments (600.00)" in str(exc.value)
    purchase_orders.update_po(s, po.id, replace(data, amount=D("600")), actor=world["user"])
    s.expire_all()
    assert s.get(type(po), po.id).amount == D("600")


def test_credit_memo_reverses_on_the_invoice_lines_master_line(world):
    """The credit comes off the master line the invoice line drew on, not only off the PO."""
    s = world["session"]
    po, (a, b) = _master(s, world["debtor"])
    invoice = draft(world, "Sales Invoice", [line(world, "80", po=po, code="OT")])
    assert post(world, invoice).posted
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("0.25")})
    assert credit.lines[0].po_id == po.id  # the draft shows the PO it reverses against
    assert post(world, credit).posted
    s.expire_all()
    assert s.get(POLineBalance, b.id).used == D("60") and s.get(POLineBalance, a.id).used == D("0")
    assert balance(s, po) == (D("60"), D("0"), D("0"))
    assert integrity.check(s) == []


def test_posting_refuses_a_credit_memo_whose_source_was_forged(world):
    """Posting checks the source itself (a draft edited outside the form): another debtor's invoice
    line, an order line, or a draft invoice's line is refused, naming the line."""
    from sqlalchemy import update

    s = world["session"]
    po = factories.po(s, world["debtor"], "FG1", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=po), line(world, "50", po=po)])
    assert post(world, invoice).posted
    other = factories.debtor(s, "OTHER")
    other_po = factories.po(s, other, "FG2", amount="1000")
    foreign = documents.save_draft(s, world["user"], None, DocumentInput(
        debtor_id=other.id, document_type_id=world["types"]["Sales Invoice"].id, number="", doc_date=date(2026, 3, 1),
        lines=(LineInput(None, world["ORD"].id, D("1"), D("70"), explicit_po_id=other_po.id),)))
    order = draft(world, "Sales Order", [line(world, "30", po=po)])
    assert post(world, order).posted
    unposted = draft(world, "Sales Invoice", [line(world, "20", po=po)])
    for forged in (foreign.lines[0].id, order.lines[0].id, unposted.lines[0].id):
        credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                                  quantities={invoice.lines[0].id: D("0"), invoice.lines[1].id: D("0.1")})
        s.execute(update(DocumentLine).where(DocumentLine.id == credit.lines[0].id).values(source_line_id=forged))
        s.commit()
        result = posting.post(s, world["user"], credit.id, confirmed=True, override=True)
        assert result.refused and not result.posted
        assert budget.Warning("credit_source", "Line 1: a credit memo line must take back a line of a posted "
                                               "invoice of this debtor.", True, True) in result.check.warnings
    assert balance(s, po) == (D("150"), D("30"), D("0")) and balance(s, other_po) == (D("0"), D("0"), D("0"))



def test_posting_refuses_a_credit_memo_line_forged_to_nothing_and_takes_a_small_one(world):
    """Posting checks a credit line's sign itself (a draft edited outside the form): zero or less is
    refused outright, naming the line; a credit of cents is a credit."""
    from sqlalchemy import update

    s = world["session"]
    po = factories.po(s, world["debtor"], "FZ1", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=po)])
    assert post(world, invoice).posted
    for amount in (D("0"), D("-5")):
        credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                                  quantities={invoice.lines[0].id: D("0.1")})
        s.execute(update(DocumentLine).where(DocumentLine.id == credit.lines[0].id).values(amount=amount))
        s.commit()
        result = posting.post(s, world["user"], credit.id, confirmed=True, override=True)
        assert result.refused and not result.posted
        assert budget.Warning("credit_sign", "Line 1: a credit memo line takes back a positive amount.", True,
                              True) in result.check.warnings
    small = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                             quantities={invoice.lines[0].id: D("0.005")})
    assert post(world, small).posted
    assert balance(s, po) == (D("99.50"), D("0"), D("0"))


def test_posting_sums_the_credit_memo_lines_that_take_back_one_invoice_line(world):
    """Two lines of one credit memo against the same invoice line (a draft edited outside the form) count
    together: each fits what is left, both do not."""
    from sqlalchemy import insert

    s = world["session"]
    po = factories.po(s, world["debtor"], "FS1", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=po)])
    assert post(world, invoice).posted
    assert post(world, draft(world, "Sales Invoice", [line(world, "500", po=po)])).posted  # the PO keeps Used
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("0.6")})
    first = credit.lines[0]
    s.execute(insert(DocumentLine).values(
        document_id=credit.id, line_no=2, bill_code_id=first.bill_code_id, quantity=D("0.6"), rate=first.rate,
        amount=D("60.00"), po_id=first.po_id, explicit_po=first.explicit_po, description="", source_line_id=first.source_line_id))
    s.commit()
    result = posting.post(s, world["user"], credit.id, confirmed=True, override=True)
    assert result.refused and not result.posted
    [floor] = [w for w in result.check.warnings if w.forbids]
    # refused outright, and shown with the "blocks" badge like every refusal
    assert floor == budget.Warning("credit_floor", "The credit of 120.00 is more than the 100.00 left on invoice line 1.",
                                   True, True)
    assert balance(s, po) == (D("600"), D("0"), D("0"))


def test_a_new_credit_memo_draft_counts_the_credits_already_posted(world):
    """The form refuses a credit memo past what is left after the credit memos already posted against
    the invoice line (not only past the line's amount), and takes what is left."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "CL1", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=po)])
    assert post(world, invoice).posted
    assert post(world, _credit(world, invoice, "0.7")).posted
    with pytest.raises(ValidationFailed) as exc:
        _credit(world, invoice, "0.7")
    # shown with the lines, naming the invoice line
    assert exc.value.errors["lines"] == [f"The credit of 70.00 is more than the 30.00 left on {invoice.number} line 1: a "
                                         "credit memo may only take back what the invoice drew."]
    assert post(world, _credit(world, invoice, "0.3")).posted
    assert balance(s, po) == (D("0"), D("0"), D("0"))


def test_the_line_editor_shows_a_master_lines_own_remaining_not_the_pos(world):
    """The editor's funding note "PO M1 / line 1 (A) — … remaining" showed the PO's 250.00 where line 1 had 150.00."""
    from portal.services.funding import Resolver

    s = world["session"]
    po, (a, _) = _master(s, world["debtor"], "RM1")
    assert post(world, draft(world, "Sales Invoice", [line(world, "50", po=po)])).posted
    s.expire_all()
    types = factories.document_types(s)
    funding = Resolver(s, world["debtor"].id, explicit_po_ids={po.id}).resolve(
        type_id=types["Sales Invoice"].id, bill_code_id=world["ORD"].id, day=date(2026, 3, 1), job=None,
        explicit_po_id=po.id)
    assert (funding.po_line_id, funding.remaining) == (a.id, D("150.00"))


def test_reassigning_a_line_to_the_po_it_draws_on_moves_nothing_and_says_so(world):
    """A move onto the line's own PO (or master line) is refused: no ledger pair, no history entry, and the
    line's PO stays as it was named (or not named) on the invoice."""
    s = world["session"]
    first = factories.po(s, world["debtor"], "SAME1", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=first), line(world, "50", po=first)])
    assert post(world, invoice).posted
    entries = s.scalar(select(func.count()).select_from(LedgerEntry))
    history = s.scalar(select(func.count()).select_from(AuditEntry))
    explicit = [l.explicit_po for l in invoice.lines]
    with pytest.raises(ValidationFailed) as refused:
        posting.reassign(s, world["user"], invoice.id, [l.id for l in invoice.lines], first.id, None, reason="x",
                         confirmed=True)
    assert "Lines 1, 2 already draw on PO SAME1" in str(refused.value)
    s.expire_all()
    assert s.scalar(select(func.count()).select_from(LedgerEntry)) == entries
    assert s.scalar(select(func.count()).select_from(AuditEntry)) == history
    assert [l.explicit_po for l in s.get(type(invoice), invoice.id).lines] == explicit
    assert balance(s, first)[0] == D("150")
    assert integrity.check(s) == []
